"""After a request, over REST against the real servers: the reference is given again on request,
and a change or cancellation of an existing appointment becomes a request for the staff (kind
`change` or `cancel`), delivered to the clinic's webhook signed and once, and never described as
done."""

from __future__ import annotations

import json

import pytest

from clinic.outbox import Outbox
from tests.e2e.test_booking import book_until_summary, new_sender, stored
from tests.e2e.test_delivery import SECRET, Worker, keys, worker_moved_on
from tests.support.chat import CLAIMS_DONE, say, texts
from tests.support.receiver import Receiver, wait_for

PHONE, E164 = "(202) 555-0143", "+12025550143"


@pytest.fixture()
def outbox(assistant) -> Outbox:
    return Outbox(assistant.env["OUTBOX_DB_URL"])


def confirmed_booking(assistant, outbox: Outbox, prefix: str):
    """A new conversation with a booking confirmed and stored: its sender and stored payload."""
    sender = new_sender(prefix)
    book_until_summary(assistant, sender)
    say(assistant, sender, "/affirm")
    [payload] = stored(outbox, sender)
    return sender, payload


@pytest.mark.parametrize("question", [
    "what's my reference number again?",
    "did my booking go through?",
    "did you get my request",
    "sorry, can you remind me of the booking number",
])
def test_the_reference_is_given_again_with_what_happens_next(assistant, outbox, question):
    sender, payload = confirmed_booking(assistant, outbox, "status")
    answer = " ".join(texts(say(assistant, sender, question)))
    assert payload["request_id"] in answer
    assert "went through" in answer and "contact you" in answer


def test_without_a_request_the_assistant_says_so_and_offers_one(assistant):
    replies = say(assistant, new_sender("status-none"), "did my booking go through?")
    answer = " ".join(texts(replies))
    assert "don't see a booking or request from this conversation" in answer
    assert {b["payload"] for r in replies for b in r.get("buttons", [])} >= {"/book_appointment", "/request_human"}


def request_about_an_appointment(assistant, sender: str, first_message: str) -> str:
    """The conversation from the patient's first message to the confirmation, as one text."""
    replies = texts(say(assistant, sender, first_message))
    replies += texts(say(assistant, sender, "Ann Smith"))
    replies += texts(say(assistant, sender, PHONE))
    replies += texts(say(assistant, sender, "it's the one at 3pm, sorry for the short notice"))
    return " ".join(replies)


@pytest.mark.parametrize("message, kind, prefix", [
    ("I need to cancel my appointment on friday, something came up", "cancel", "CX-"),
    ("please cancel my consultation next week", "cancel", "CX-"),
    ("hi, i cant come to my session tomorrow, how do i cancel it", "cancel", "CX-"),
    ("can I move my appointment to next week?", "change", "CH-"),
    ("i need to reschedule my infusion on monday", "change", "CH-"),
])
def test_a_change_or_cancellation_is_a_request_for_the_staff_never_done(assistant, outbox, message, kind, prefix):
    sender = new_sender(kind)
    conversation = request_about_an_appointment(assistant, sender, message)
    assert "can't see" in conversation and not CLAIMS_DONE.search(conversation), conversation
    [payload] = stored(outbox, sender)
    assert payload["kind"] == kind and payload["request_id"].startswith(prefix)
    assert payload["name"] == "Ann Smith" and payload["phone"] == E164
    assert payload["message"] == "it's the one at 3pm, sorry for the short notice"
    assert payload["request_id"] in conversation
    # Asked after, it is the same request, still not described as done.
    answer = " ".join(texts(say(assistant, sender, "did you get my request?")))
    assert payload["request_id"] in answer and not CLAIMS_DONE.search(answer)


def test_a_cancellation_reaches_the_webhook_signed_and_once(assistant, outbox):
    sender = new_sender("cancel-webhook")
    request_about_an_appointment(assistant, sender, "I need to cancel my appointment on friday")
    [payload] = stored(outbox, sender)
    with Receiver(SECRET) as receiver, Worker(outbox, receiver.url):
        assert wait_for(lambda: payload["request_id"] in keys(receiver)), "the cancellation was not delivered"
        worker_moved_on(outbox)  # a second send would have come by now
    assert keys(receiver).count(payload["request_id"]) == 1
    [delivery] = [r for r in receiver.requests if r["headers"]["Idempotency-Key"] == payload["request_id"]]
    assert receiver.signature_is_valid(delivery)
    assert json.loads(delivery["body"])["kind"] == "cancel"


def test_a_change_asked_for_at_the_summary_changes_the_booking_waiting_there(assistant, outbox):
    sender = new_sender("summary-change")
    book_until_summary(assistant, sender)
    answer = " ".join(texts(say(assistant, sender, "can I reschedule it?")))
    assert "What would you like to change?" in answer and "can't see" not in answer, answer
    answer = " ".join(texts(say(assistant, sender, "actually I need to move it to another day")))
    assert "When would you like to come in?" in answer and "can't see" not in answer, answer
    assert not stored(outbox, sender)
    say(assistant, sender, "next wednesday morning")
    say(assistant, sender, "/affirm")
    [payload] = stored(outbox, sender)
    assert payload["kind"] == "booking" and payload["preferred_time_text"] == "next wednesday morning"


@pytest.mark.parametrize("message", [
    "actually I need to change the time",
    "can i change the day",
    "need to change the date sorry",
])
def test_a_change_asked_for_after_the_booking_was_sent_is_a_request_for_the_staff(assistant, outbox, message):
    sender, booking = confirmed_booking(assistant, outbox, "sent-change")
    conversation = request_about_an_appointment(assistant, sender, message)
    assert "can't see" in conversation and "couldn't work out a day" not in conversation, conversation
    change = next(p for p in stored(outbox, sender) if p["request_id"] != booking["request_id"])
    assert change["kind"] == "change" and change["name"] == "Ann Smith" and change["request_id"] in conversation
