"""Inside the booking and call-back forms, over REST against the real servers: at every step the
bot question, greetings, thanks, "why do you need this", an FAQ question, a request for a person,
a new booking request and a button of an earlier answer get a sensible reply, the form asks its
question again, and the request that is finally stored has lost nothing."""

from __future__ import annotations

import uuid
from typing import Dict, List

import pytest

from clinic.outbox import Outbox
from tests.support.chat import rendered, say, texts

NAME, PHONE, E164 = "Ann Smith", "(202) 555-0143", "+12025550143"

# Each kind of interjection in four wordings; step n of a form uses wording n % 4.
WORDINGS: Dict[str, List[str]] = {
    "bot": ["hold on, are you a bot or a real person?", "wait am i talking to a computer right now",
            "is this an actual human typing?", "r u a robot"],
    "greet": ["hi", "hello there", "good morning", "good evening"],  # "good morning" at the time question
    "thank": ["thanks", "thank you so much", "ty!", "ok great, thanks a lot"],
    "why": ["why do you need this?", "what do you need that for", "why are you asking me that",
            "is this info really necessary?"],
    "faq": ["wait, how much does it cost?", "quick q does insurance cover it", "how long does an infusion take?",
            "what are the side effects?"],
    "person": ["hmm, can I talk to an actual person?", "i'd rather speak to someone real",
               "can i talk to a human please", "let me talk to your staff"],
    "book": ["I want to book an appointment", "can i schedule a consultation", "book me in please",
             "i'd like to make an appointment"],
}
# What each answer starts with (or contains), by form where it differs.
FAQ_TOPICS = ["ask_cost", "ask_insurance", "ask_infusion_duration", "ask_side_effects"]
REPLIES = {
    "bot": "I'm an automated assistant",
    "greet": "Hello again!",
    "thank": "You're welcome! Just a few more details.",
    "why": "The clinic's team needs it",
    ("person", "booking_form"): "Once this booking request is sent",
    ("person", "callback_form"): "That's what this is",
    ("book", "booking_form"): "That's what we're doing now",
    ("book", "callback_form"): "I'll finish this request for our team first",
}
# Buttons of earlier answers (an FAQ answer's, the welcome's, a summary's) pressed mid-form.
BUTTONS = {
    "/ask_cost": "Ketamine therapy can be expensive",
    "/book_appointment": ("book",),
    "/request_human": ("person",),
    "/affirm": "That button belongs to an earlier answer.",
    '/change_booking{"booking_field": "reason"}': "That button belongs to an earlier answer.",
}


def expected_reply(kind_or_text, form: str) -> str:
    if isinstance(kind_or_text, tuple):
        kind = kind_or_text[0]
        return REPLIES.get((kind, form)) or REPLIES[kind]
    return kind_or_text


EVERY_KIND = ("bot", "greet", "thank", "why", "person", "book", "faq")
# The message for the team takes whatever is typed, but for a greeting, thanks or the bot question.
NEVER_THE_MESSAGE = ("bot", "greet", "thank")


def interject_everything(assistant, domain, sender: str, form: str, step: int, question: str,
                         typed=EVERY_KIND) -> None:
    """Every interjection at one step (buttons, and the `typed` kinds); each must get its reply and
    the question asked again."""
    # At the consent question, "/affirm" is the answer: a Yes button.
    said = [(payload, reply) for payload, reply in BUTTONS.items()
            if not (payload == "/affirm" and question.startswith("May "))]
    said += [(WORDINGS[kind][step % 4], (kind,)) for kind in typed if kind != "faq"]
    if "faq" in typed:
        said.append((WORDINGS["faq"][step % 4], rendered(domain, f"utter_{FAQ_TOPICS[step % 4]}")[:40]))
    for message, reply in said:
        answer = expected_reply(reply, form)
        replies = texts(say(assistant, sender, message))
        assert any(answer in text for text in replies), (form, question, message, replies)
        assert replies[-1].startswith(question), (form, question, message, replies)


@pytest.fixture()
def outbox(assistant) -> Outbox:
    return Outbox(assistant.env["OUTBOX_DB_URL"])


def test_every_step_of_the_booking_form_replies_and_asks_again_and_loses_nothing(assistant, domain, outbox):
    sender = f"inside-booking-{uuid.uuid4().hex[:8]}"
    say(assistant, sender, "i'd like to book a consultation")
    steps = [("utter_ask_full_name", NAME), ("utter_ask_contact_details", PHONE),
             ("utter_ask_preferred_time_text", "next tuesday afternoon"), ("utter_ask_reason", "depression"),
             ("utter_ask_insurance_plan", "Aetna"), ("utter_ask_consent", "yes")]
    for step, (question, answer) in enumerate(steps):
        interject_everything(assistant, domain, sender, "booking_form", step, rendered(domain, question)[:40])
        last = texts(say(assistant, sender, answer))
    summary = " ".join(last)
    for detail in (NAME, PHONE, "depression", "Aetna"):
        assert detail in summary, (detail, summary)
    confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
    [request] = [r["payload"] for r in outbox.requests() if r["payload"]["conversation_id"] == sender]
    assert request["request_id"] in confirmed
    assert (request["kind"], request["name"], request["phone"], request["reason"], request["insurance"]) == \
        ("booking", NAME, E164, "depression", "Aetna")


def test_every_step_of_the_call_back_form_replies_and_asks_again_and_loses_nothing(assistant, domain, outbox):
    sender = f"inside-callback-{uuid.uuid4().hex[:8]}"
    say(assistant, sender, "can someone from your staff call me back?")
    steps = [("utter_ask_full_name", NAME, EVERY_KIND), ("utter_ask_contact_details", PHONE, EVERY_KIND),
             ("utter_ask_callback_message", "questions about the cost", NEVER_THE_MESSAGE)]
    for step, (question, answer, typed) in enumerate(steps):
        asked = domain["responses"][question][-1]["text"][:30]
        interject_everything(assistant, domain, sender, "callback_form", step, asked, typed)
        confirmed = " ".join(texts(say(assistant, sender, answer)))
    [request] = [r["payload"] for r in outbox.requests() if r["payload"]["conversation_id"] == sender]
    assert request["request_id"] in confirmed
    assert (request["kind"], request["name"], request["phone"], request["message"]) == \
        ("callback", NAME, E164, "questions about the cost")


@pytest.mark.parametrize("name_said, time_said, summary_time", [
    ("ok its Sam Reed", "friday morning", "Friday"),
    ("okay, I'm Sam Reed", "next tuesday afternoon", "Tuesday"),
    ("sure, my name is Sam Reed", "thursday at 3pm", "Thursday"),
])
def test_a_time_typed_at_the_name_question_is_kept_and_a_name_after_ok_is_read(assistant, domain, outbox,
                                                                              name_said, time_said, summary_time):
    sender = f"inside-details-{uuid.uuid4().hex[:8]}"
    say(assistant, sender, "i want to book")
    asked_name = rendered(domain, "utter_ask_full_name")[:30]
    replies = texts(say(assistant, sender, time_said))
    assert replies[0] == rendered(domain, "utter_details_noted") and replies[-1].startswith(asked_name), replies
    replies = texts(say(assistant, sender, name_said))
    assert replies[-1].startswith(rendered(domain, "utter_ask_contact_details")[:30]), replies
    for answer in (PHONE, "skip", "skip", "yes"):
        summary = " ".join(texts(say(assistant, sender, answer)))
    assert "Sam Reed" in summary and summary_time in summary, summary
    say(assistant, sender, "/affirm")
    [request] = [r["payload"] for r in outbox.requests() if r["payload"]["conversation_id"] == sender]
    assert (request["name"], request["phone"], request["preferred_time_text"]) == ("Sam Reed", E164, time_said)
