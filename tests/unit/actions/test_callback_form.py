"""The call-back form's validators and its submission (in process, from tracker fixtures): a name,
a phone number or e-mail and a message for staff, taken or refused with a re-prompt, and a
request stored in the outbox under the reference the patient is given."""

from __future__ import annotations

import re

import pytest

from actions.forms import FAILED_SLOT, FAILURES_SLOT, NOT_GIVEN, PERSONAL_SLOTS
from actions.handoff import ActionSubmitCallback, ValidateCallbackForm
from clinic.parsing import MAX_FREE_TEXT
from clinic.profile import current_profile

CALLBACK_REFERENCE = re.compile(r"^CB-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")
COMPLETE = {"full_name": "Ann Lee", "contact_details": "ann.lee@example.com", "phone": None,
            "email": "ann.lee@example.com", "callback_message": "Please call me about the first session."}


@pytest.fixture
def answer(run_action, form_tracker):
    """The call-back form's validation of one answer to `slot`."""

    def validate(slot, text, intent="nlu_fallback", confidence=0.2, slots=None):
        return run_action(ValidateCallbackForm(), form_tracker(slot, text, intent, confidence, slots, "callback_form"))

    return validate


# ---------------------------------------------------------------------------------------- name

def test_a_name_is_taken(answer):
    ran = answer("full_name", "I'm Ann Lee")
    assert ran.responses == [] and ran.slots["full_name"] == "Ann Lee"


def test_something_that_is_no_name_is_refused_then_skipping_or_calling_is_offered(answer):
    first = answer("full_name", "12345")
    assert first.responses == ["utter_invalid_full_name"]
    assert first.slots == {"full_name": None, FAILURES_SLOT: 1.0, FAILED_SLOT: "full_name"}
    second = answer("full_name", "12345", slots=first.slots)
    assert second.responses == ["utter_invalid_full_name", "utter_offer_skip_or_call"]
    assert second.slots[FAILURES_SLOT] == 2.0


def test_the_name_can_be_skipped_after_two_failures_only(answer):
    assert answer("full_name", "skip").slots["full_name"] is None
    ran = answer("full_name", "skip", slots={FAILURES_SLOT: 2.0, FAILED_SLOT: "full_name"})
    assert ran.responses == [] and ran.slots["full_name"] == NOT_GIVEN


def test_why_the_name_is_needed_is_explained_and_not_stored(answer):
    ran = answer("full_name", "why do you need my name?")
    assert ran.responses == ["utter_why_we_ask"] and ran.slots == {"full_name": None}


# ------------------------------------------------------------------------------------- contact

@pytest.mark.parametrize("text, slots", [
    ("(415) 555-0133", {"contact_details": "(415) 555-0133", "phone": "+14155550133", "email": None}),
    ("ann.lee@example.com", {"contact_details": "ann.lee@example.com", "phone": None, "email": "ann.lee@example.com"}),
])
def test_a_phone_number_or_an_email_is_taken(answer, text, slots):
    ran = answer("contact_details", text)
    assert ran.responses == [] and ran.slots == {**slots, FAILURES_SLOT: None, FAILED_SLOT: None}


def test_a_wrong_number_is_refused_and_after_two_failures_only_a_call_is_offered(answer):
    first = answer("contact_details", "12345")
    assert first.responses == ["utter_invalid_contact"] and first.slots["contact_details"] is None
    second = answer("contact_details", "skip", slots=first.slots)
    assert second.responses == ["utter_invalid_contact", "utter_offer_call"]
    assert second.slots["contact_details"] is None
    assert second.messages[1]["clinic_hours"] == current_profile().hours


def test_a_question_at_the_contact_step_is_answered_and_not_stored(answer):
    ran = answer("contact_details", "how much does it cost?", "ask_cost", 0.9)
    assert ran.responses == ["utter_ask_cost", "utter_back_to_form"]
    assert ran.slots == {"contact_details": None}


# ------------------------------------------------------------------------------------- message

def test_the_message_is_kept_as_written(answer):
    ran = answer("callback_message", "Please call after 5, <b>not</b> at work")
    assert ran.responses == [] and ran.slots["callback_message"] == "Please call after 5, <b>not</b> at work"


def test_a_long_message_is_cut_to_the_free_text_limit(answer):
    ran = answer("callback_message", "please call " + "x" * (2 * MAX_FREE_TEXT))
    assert len(ran.slots["callback_message"]) == MAX_FREE_TEXT
    assert ran.slots["callback_message"].startswith("please call x")


@pytest.mark.parametrize("text", ["skip", "nothing", "no thanks"])
def test_the_message_may_be_skipped(answer, text):
    ran = answer("callback_message", text)
    assert ran.responses == [] and ran.slots["callback_message"] == NOT_GIVEN


def test_an_empty_message_is_refused(answer):
    ran = answer("callback_message", " \u200b ")
    assert ran.responses == ["utter_invalid_callback_message"] and ran.slots["callback_message"] is None


# -------------------------------------------------------------------------------------- submit

def test_a_call_back_request_is_stored_once_under_the_reference_the_patient_is_given(
        run_action, make_tracker, stored, render):
    tracker = make_tracker(COMPLETE, "Please call me about the first session.", "nlu_fallback", 0.3,
                           sender_id="visitor-9", input_channel="socketio")
    ran = run_action(ActionSubmitCallback(), tracker)
    [request] = stored.requests()
    reference = request["request_id"]
    assert CALLBACK_REFERENCE.match(reference), reference
    assert request["kind"] == "callback"
    payload = request["payload"]
    assert {k: payload[k] for k in ("name", "phone", "email", "message", "crisis_flagged", "conversation_id",
                                    "channel")} == {
        "name": "Ann Lee", "phone": None, "email": "ann.lee@example.com",
        "message": "Please call me about the first session.", "crisis_flagged": False,
        "conversation_id": "visitor-9", "channel": "socketio"}
    assert ran.responses == ["utter_callback_confirmed"]
    assert ran.messages[0]["reference"] == reference and reference in render(ran.messages[0])
    assert ran.slots["request_reference"] == reference
    assert {slot: ran.slots.get(slot, "kept") for slot in PERSONAL_SLOTS} == dict.fromkeys(PERSONAL_SLOTS)


def test_confirming_a_call_back_again_does_not_store_a_second_one(run_action, make_tracker, stored):
    first = run_action(ActionSubmitCallback(), make_tracker(COMPLETE, "yes", "affirm"))
    again = run_action(ActionSubmitCallback(), first.next_tracker())
    assert again.responses == ["utter_nothing_to_confirm"] and again.events == []
    assert [r["request_id"] for r in stored.requests()] == [first.slots["request_reference"]]


def test_a_call_back_after_a_crisis_is_flagged_for_staff(run_action, make_tracker, stored):
    run_action(ActionSubmitCallback(), make_tracker({**COMPLETE, "crisis_flagged": True}))
    [request] = stored.requests()
    assert request["payload"]["crisis_flagged"] is True


def test_when_the_request_cannot_be_stored_the_patient_is_told_and_the_details_are_kept(
        run_action, make_tracker, monkeypatch, tmp_path, render):
    unopenable = tmp_path / "a-folder"
    unopenable.mkdir()
    monkeypatch.setenv("OUTBOX_DB_URL", f"sqlite:///{unopenable}")
    ran = run_action(ActionSubmitCallback(), make_tracker(COMPLETE))
    assert ran.responses == ["utter_request_not_stored"] and ran.events == []
    assert current_profile().phone in render(ran.messages[0])
