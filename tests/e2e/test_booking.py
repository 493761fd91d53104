"""Booking and call-back over REST against the real servers: every request is stored in the
outbox before it is confirmed, and personal details leave the conversation afterwards."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinic.profile import current_profile
from clinic.outbox import Outbox
from tests.support.chat import say, texts

NAME, PHONE, E164 = "Ann Smith", "(202) 555-0143", "+12025550143"


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def outbox(assistant) -> Outbox:
    return Outbox(assistant.env["OUTBOX_DB_URL"])


def stored(outbox: Outbox, sender: str):
    return [r["payload"] for r in outbox.requests() if r["payload"]["conversation_id"] == sender]


def book_until_summary(assistant, sender: str) -> list:
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    say(assistant, sender, PHONE)
    say(assistant, sender, "next tuesday afternoon")
    say(assistant, sender, "depression")
    say(assistant, sender, "Aetna")
    return say(assistant, sender, "yes")


def next_tuesday() -> str:
    """The date "next tuesday" names in the clinic's time zone: the first Tuesday after today."""
    today = datetime.now(ZoneInfo(current_profile().timezone)).date()
    return (today + timedelta(days=(1 - today.weekday()) % 7 or 7)).isoformat()


def test_happy_path_is_stored_before_it_is_confirmed(assistant, outbox):
    sender = new_sender("book")
    tuesdays = {next_tuesday()}
    summary = " ".join(texts(book_until_summary(assistant, sender)))
    # The number read back as the patient writes it (stored in E.164).
    for detail in (NAME, PHONE, "Tuesday", "12 pm to 5 pm", "depression", "Aetna"):
        assert detail in summary
    assert not stored(outbox, sender), "nothing is stored before the patient confirms"
    confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
    [payload] = stored(outbox, sender)
    assert payload["request_id"] in confirmed
    assert payload["kind"] == "booking"
    assert payload["name"] == NAME and payload["phone"] == E164 and payload["email"] is None
    tuesdays.add(next_tuesday())  # the clinic's date may have turned over meanwhile
    assert payload["preferred_time"][:19] in {f"{day}T12:00:00" for day in tuesdays}, payload["preferred_time"]
    assert payload["preferred_time_text"] == "next tuesday afternoon"
    assert payload["reason"] == "depression" and payload["insurance"] == "Aetna"
    assert payload["channel"] == "rest" and payload["created_at"].endswith("Z")
    # A second "yes" must not store it twice.
    say(assistant, sender, "/affirm")
    assert len(stored(outbox, sender)) == 1


def test_personal_details_are_cleared_after_submission(assistant, outbox):
    sender = new_sender("privacy")
    book_until_summary(assistant, sender)
    say(assistant, sender, "/affirm")
    # Asking to book again starts from scratch: the name is asked for again.
    replies = texts(say(assistant, sender, "i want to book another appointment"))
    assert "What is your full name?" in replies


def test_values_given_up_front_are_used(assistant):
    sender = new_sender("prefill")
    replies = texts(say(assistant, sender, "book me for next tuesday afternoon, I'm Ann"))
    assert "What's the best phone number or e-mail address to reach you?" in replies
    assert "What is your full name?" not in replies


# The message, and three other wordings: (message, contact stored, contact and time in the summary,
# time as written).
AT_ONCE = [
    ("I'm Dana Lee, 415-555-0199, weekday mornings", "+14155550199", "(415) 555-0199", "8 am to 12 pm",
     "weekday mornings"),
    ("Dana Lee 415 555 0199, tuesday afternoon", "+14155550199", "(415) 555-0199", "12 pm to 5 pm",
     "tuesday afternoon"),
    ("dana lee, dana@example.org, next monday morning", "dana@example.org", "dana@example.org", "8 am to 12 pm",
     "next monday morning"),
    ("my name is Dana Lee; (415) 555-0199; friday after 3pm", "+14155550199", "(415) 555-0199", "3 pm",
     "friday after 3pm"),
]


@pytest.mark.parametrize("message, contact, shown_contact, shown, time_text", AT_ONCE)
def test_name_contact_and_time_at_the_name_question_fill_all_three(assistant, outbox, message, contact, shown_contact,
                                                                   shown, time_text):
    sender = new_sender("at-once")
    say(assistant, sender, "i'd like to book a consultation")
    replies = texts(say(assistant, sender, message))
    assert any(t.startswith("What would you like help with?") for t in replies), replies
    say(assistant, sender, "depression")
    say(assistant, sender, "skip")
    summary = " ".join(texts(say(assistant, sender, "yes")))
    for detail in ("Dana Lee", shown_contact, shown):
        assert detail in summary, summary
    say(assistant, sender, "/affirm")
    [payload] = stored(outbox, sender)
    assert payload["name"] == "Dana Lee" and payload["preferred_time_text"] == time_text
    assert contact in (payload["phone"], payload["email"])


def test_faq_mid_form_is_answered_and_the_form_resumes(assistant):
    sender = new_sender("digress")
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    replies = texts(say(assistant, sender, "wait, how much does it cost?"))
    assert any(t.startswith("Ketamine therapy can be expensive") for t in replies)
    assert "What's the best phone number or e-mail address to reach you?" in replies
    replies = texts(say(assistant, sender, PHONE))
    assert any(t.startswith("When would you like to come in?") for t in replies)


def test_the_bot_question_inside_the_form_is_answered_and_the_form_resumes(assistant):
    sender = new_sender("bot-mid-form")
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    replies = texts(say(assistant, sender, "hold on, are you a bot or a real person?"))
    assert any(t.startswith("I'm an automated assistant") for t in replies), replies
    assert "What's the best phone number or e-mail address to reach you?" in replies
    replies = texts(say(assistant, sender, PHONE))
    assert any(t.startswith("When would you like to come in?") for t in replies)


def test_correction_at_the_confirmation(assistant, outbox):
    sender = new_sender("change")
    book_until_summary(assistant, sender)
    options = say(assistant, sender, "/change_booking")
    assert {b["title"] for b in options[0]["buttons"]} >= {"Name", "Phone or e-mail", "Day and time"}
    replies = texts(say(assistant, sender, '/change_booking{"booking_field": "contact_details"}'))
    assert "What's the best phone number or e-mail address to reach you?" in replies
    summary = " ".join(texts(say(assistant, sender, "ann@example.org")))
    assert "ann@example.org" in summary and NAME in summary
    say(assistant, sender, "/affirm")
    [payload] = stored(outbox, sender)
    assert payload["email"] == "ann@example.org" and payload["phone"] is None


def test_a_question_at_the_summary_does_not_lose_the_booking(assistant, outbox):
    sender = new_sender("summary-question")
    book_until_summary(assistant, sender)
    answer = texts(say(assistant, sender, "will i hallucinate?"))
    assert answer and not stored(outbox, sender)
    confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
    [payload] = stored(outbox, sender)
    assert payload["request_id"] in confirmed and payload["name"] == NAME


@pytest.mark.parametrize("message", [
    "hmm, can I talk to an actual person about this first?", "before I confirm, can a human call me",
    "i'd like to speak with someone from the clinic first", "is there a real person i can ask before sending this",
])
def test_asking_for_a_person_at_the_summary_keeps_the_booking_and_says_so(assistant, outbox, message):
    sender = new_sender("person-at-summary")
    book_until_summary(assistant, sender)
    replies = " ".join(texts(say(assistant, sender, message)))
    assert "has not been sent yet" in replies and "What is your full name?" not in replies, replies
    assert current_profile().phone in replies
    assert not stored(outbox, sender)
    confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
    [payload] = stored(outbox, sender)
    assert payload["kind"] == "booking" and payload["name"] == NAME and payload["request_id"] in confirmed


def test_a_new_number_given_at_the_summary_is_the_one_stored(assistant, outbox):
    sender = new_sender("summary-correction")
    book_until_summary(assistant, sender)
    summary = " ".join(texts(say(assistant, sender, "actually my number is 415 555 0199")))
    assert "(415) 555-0199" in summary and PHONE not in summary
    say(assistant, sender, "/affirm")
    [payload] = stored(outbox, sender)
    assert payload["phone"] == "+14155550199"


def test_goodbye_mid_form_ends_it_politely_and_a_name_is_never_a_goodbye(assistant, outbox):
    sender = new_sender("bye")
    say(assistant, sender, "i'd like to book a consultation")
    replies = texts(say(assistant, sender, "ok thanks bye"))
    assert any("cancelled" in t for t in replies) or "What is your full name?" in replies
    assert not any("best phone number" in t for t in replies), "'ok thanks bye' was taken as a name"
    assert not stored(outbox, sender)


def test_cancel_leaves_the_form_and_stores_nothing(assistant, outbox):
    sender = new_sender("cancel")
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    replies = texts(say(assistant, sender, "cancel"))
    assert any("cancelled" in t for t in replies)
    after = texts(say(assistant, sender, "how long does an infusion take"))
    assert any(t.startswith("One infusion usually takes") for t in after)
    assert not any("phone number or e-mail" in t for t in after)
    assert not stored(outbox, sender)


def test_two_failures_offer_skip_then_skip_works(assistant):
    sender = new_sender("skip")
    say(assistant, sender, "i'd like to book a consultation")
    first = texts(say(assistant, sender, "12345"))
    assert any("couldn't read that as a name" in t for t in first)
    assert not any('type "skip"' in t for t in first)
    second = texts(say(assistant, sender, "!!!"))
    assert any('type "skip"' in t for t in second)
    assert any("(202) 555-0123" in t for t in second)
    after_skip = texts(say(assistant, sender, "skip"))
    assert "What's the best phone number or e-mail address to reach you?" in after_skip


def test_invalid_values_get_clear_reprompts(assistant):
    sender = new_sender("invalid")
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    assert any("doesn't look like a phone number" in t for t in texts(say(assistant, sender, "my number is 12")))
    # Asking to be called, without a number, is a request for a person: the number is asked for again.
    assert texts(say(assistant, sender, "call me maybe"))[-1].startswith("What's the best phone number")
    say(assistant, sender, PHONE)
    assert any("already passed" in t for t in texts(say(assistant, sender, "yesterday morning")))


def test_crisis_interrupts_the_form_which_does_not_resume(assistant, outbox):
    sender = new_sender("crisis-form")
    say(assistant, sender, "i'd like to book a consultation")
    say(assistant, sender, NAME)
    replies = " ".join(texts(say(assistant, sender, "doesn't matter, i won't be alive by tuesday")))
    assert "988" in replies and "741741" in replies
    assert "phone number or e-mail" not in replies
    later = " ".join(texts(say(assistant, sender, "what are the side effects")))
    assert "During or soon after an infusion" in later and "phone number or e-mail" not in later
    flags = [f for f in outbox.flags() if f["conversation_id"] == sender]
    assert flags and flags[0]["reason"] == "crisis"


def test_callback_request_is_stored_with_hours_and_phone(assistant, outbox):
    sender = new_sender("callback")
    intro = " ".join(texts(say(assistant, sender, "can someone from your staff call me back?")))
    assert "(202) 555-0123" in intro and "What is your full name?" in intro
    say(assistant, sender, NAME)
    say(assistant, sender, "ann@example.org")
    confirmed = " ".join(texts(say(assistant, sender, 'I have a question about "costs" <b>and</b> insurance')))
    [payload] = stored(outbox, sender)
    assert payload["kind"] == "callback" and payload["request_id"] in confirmed
    assert payload["message"] == 'I have a question about "costs" <b>and</b> insurance'
    assert "Monday to Friday" in confirmed and "(202) 555-0123" in confirmed


def test_outbox_file_is_readable_by_its_owner_only(assistant, outbox):
    path = Path(assistant.env["OUTBOX_DB_URL"].split(":///", 1)[1])
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_no_personal_details_in_the_logs(assistant):
    """Runs after the bookings above: names, numbers and addresses never reach INFO logs."""
    logs = "".join((assistant.workdir / name).read_text(errors="replace") for name in ("actions.log", "rasa.log"))
    for detail in (NAME, "2025550143", "555-0143", "ann@example.org"):
        assert detail not in logs
