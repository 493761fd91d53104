"""The booking form's validators, its summary and its submission (in process, from tracker fixtures):
each detail is taken or refused with a re-prompt, the summary shows every detail, and a confirmed
booking is stored once in the outbox under the reference the patient is given."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

import actions.forms
from actions.booking import ActionBookingSummary, ActionSubmitBooking, ValidateBookingForm
from actions.forms import CONFIRMATION_SLOT, FAILED_SLOT, FAILURES_SLOT, NOT_GIVEN, PERSONAL_SLOTS
from clinic.profile import current_profile

# A Monday morning at the clinic: "tomorrow" is Tuesday 4 March 2031, "yesterday" has passed.
NOW = datetime(2031, 3, 3, 10, 0, tzinfo=ZoneInfo(current_profile().timezone))
TOMORROW = date(2031, 3, 4)
BOOKING_REFERENCE = re.compile(r"^BK-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")
COMPLETE = {
    "full_name": "Ann Lee", "contact_details": "+14155550133", "phone": "+14155550133", "email": None,
    "preferred_time_text": "tomorrow morning", "preferred_time": "2031-03-04T08:00:00-05:00",
    "preferred_time_end": "2031-03-04T12:00:00-05:00", "reason": "depression", "insurance_plan": "Aetna",
    "consent": True, CONFIRMATION_SLOT: "booking",
}


@pytest.fixture(autouse=True)
def clinic_clock(monkeypatch):
    monkeypatch.setattr(actions.forms, "clinic_now", lambda: NOW)


@pytest.fixture
def answer(run_action, form_tracker):
    """The booking form's validation of one answer to `slot`."""

    def validate(slot, text, intent="nlu_fallback", confidence=0.2, slots=None):
        return run_action(ValidateBookingForm(), form_tracker(slot, text, intent, confidence, slots))

    return validate


def failed_once(slot):
    return {FAILURES_SLOT: 1.0, FAILED_SLOT: slot}


def failed_twice(slot):
    return {FAILURES_SLOT: 2.0, FAILED_SLOT: slot}


# ---------------------------------------------------------------------------------------- name

@pytest.mark.parametrize("text", ["Ann Lee", "my name is ann lee"])
def test_a_name_is_taken_and_the_failure_count_reset(answer, text):
    ran = answer("full_name", text, slots=failed_once("full_name"))
    assert ran.responses == []
    assert ran.slots == {"full_name": "Ann Lee", FAILURES_SLOT: None, FAILED_SLOT: None}


def test_something_that_is_no_name_is_refused_with_a_reprompt(answer):
    ran = answer("full_name", "12345")
    assert ran.responses == ["utter_invalid_full_name"]
    assert ran.slots == {"full_name": None, FAILURES_SLOT: 1.0, FAILED_SLOT: "full_name"}


def test_a_second_failure_offers_to_skip_or_call(answer):
    ran = answer("full_name", "12345", slots=failed_once("full_name"))
    assert ran.responses == ["utter_invalid_full_name", "utter_offer_skip_or_call"]
    assert ran.messages[1]["clinic_phone"] == current_profile().phone
    assert ran.slots == {"full_name": None, FAILURES_SLOT: 2.0, FAILED_SLOT: "full_name"}


def test_a_failure_on_another_detail_starts_the_count_again(answer):
    ran = answer("full_name", "12345", slots=failed_once("contact_details"))
    assert ran.responses == ["utter_invalid_full_name"] and ran.slots[FAILURES_SLOT] == 1.0


def test_the_name_cannot_be_skipped_at_first(answer):
    ran = answer("full_name", "skip")
    assert ran.responses == ["utter_invalid_full_name"] and ran.slots["full_name"] is None


def test_the_name_can_be_skipped_after_two_failures(answer):
    ran = answer("full_name", "skip", slots=failed_twice("full_name"))
    assert ran.responses == []
    assert ran.slots == {"full_name": NOT_GIVEN, FAILURES_SLOT: None, FAILED_SLOT: None}


# ------------------------------------------------------------------------------------- contact

# Stored in E.164; shown back as the clinic's country writes a number.
@pytest.mark.parametrize("text, phone, email, shown", [
    ("(415) 555-0133", "+14155550133", None, "(415) 555-0133"),
    ("415.555.0133", "+14155550133", None, "(415) 555-0133"),
    ("+44 20 7183 8750", "+442071838750", None, "+44 20 7183 8750"),
    ("ann.lee@example.com", None, "ann.lee@example.com", "ann.lee@example.com"),
    ("ann.lee@example.com or (415) 555-0133", "+14155550133", "ann.lee@example.com",
     "ann.lee@example.com / (415) 555-0133"),
])
def test_a_phone_number_or_an_email_is_taken(answer, text, phone, email, shown):
    ran = answer("contact_details", text)
    assert ran.responses == []
    assert ran.slots == {"contact_details": shown, "phone": phone, "email": email,
                         FAILURES_SLOT: None, FAILED_SLOT: None}


@pytest.mark.parametrize("text", ["12345", "ann.lee@", "nope"])
def test_something_that_is_no_phone_or_email_is_refused(answer, text):
    ran = answer("contact_details", text)
    assert ran.responses == ["utter_invalid_contact"]
    assert ran.slots == {"contact_details": None, FAILURES_SLOT: 1.0, FAILED_SLOT: "contact_details"}


def test_contact_details_are_never_skipped_after_two_failures_only_a_call_is_offered(answer):
    ran = answer("contact_details", "skip", slots=failed_once("contact_details"))
    assert ran.responses == ["utter_invalid_contact", "utter_offer_call"]
    assert ran.slots["contact_details"] is None and ran.slots[FAILURES_SLOT] == 2.0
    ran = answer("contact_details", "skip", slots=failed_twice("contact_details"))
    assert ran.slots["contact_details"] is None and "utter_offer_call" in ran.responses


def test_a_question_at_the_contact_step_is_answered_and_not_stored(answer):
    ran = answer("contact_details", "how much does it cost?", "ask_cost", 0.9)
    assert ran.responses == ["utter_ask_cost", "utter_back_to_form"]
    assert ran.messages[0]["clinic_pricing"] == current_profile().pricing
    assert ran.slots == {"contact_details": None}


def test_why_the_number_is_needed_is_explained_and_not_stored(answer):
    ran = answer("contact_details", "why do you need my phone number?")
    assert ran.responses == ["utter_why_we_ask"] and ran.slots == {"contact_details": None}


# ---------------------------------------------------------------------------------------- time

def test_a_time_is_taken_as_a_window_on_that_day(answer):
    ran = answer("preferred_time_text", "tomorrow morning")
    assert ran.responses == []
    start = datetime.fromisoformat(ran.slots["preferred_time"])
    end = datetime.fromisoformat(ran.slots["preferred_time_end"])
    assert ran.slots["preferred_time_text"] == "tomorrow morning"
    assert start.date() == end.date() == TOMORROW and NOW < start < end
    assert ran.slots[FAILURES_SLOT] is None and ran.slots[FAILED_SLOT] is None


def test_a_time_in_the_past_is_refused_with_its_own_message(answer):
    ran = answer("preferred_time_text", "yesterday afternoon")
    assert ran.responses == ["utter_past_preferred_time"]
    assert ran.slots == {"preferred_time_text": None, FAILURES_SLOT: 1.0, FAILED_SLOT: "preferred_time_text"}


def test_a_time_that_cannot_be_read_is_refused(answer):
    ran = answer("preferred_time_text", "purple")
    assert ran.responses == ["utter_invalid_preferred_time"]
    assert ran.slots["preferred_time_text"] is None and "preferred_time" not in ran.slots


def test_the_time_can_be_skipped_after_two_failures_only(answer):
    assert answer("preferred_time_text", "skip").responses == ["utter_invalid_preferred_time"]
    ran = answer("preferred_time_text", "skip", slots=failed_twice("preferred_time_text"))
    assert ran.responses == []
    assert ran.slots == {"preferred_time_text": NOT_GIVEN, "preferred_time": None, "preferred_time_end": None,
                         FAILURES_SLOT: None, FAILED_SLOT: None}


# ------------------------------------------------------------------ reason, insurance, consent

@pytest.mark.parametrize("slot, text, value", [
    ("reason", "depression", "depression"),
    ("reason", "skip", NOT_GIVEN),
    ("reason", "prefer not to say", NOT_GIVEN),
    ("insurance_plan", "Aetna", "Aetna"),
    ("insurance_plan", "none", NOT_GIVEN),
])
def test_the_optional_details_are_taken_or_skipped_at_once(answer, slot, text, value):
    ran = answer(slot, text)
    assert ran.responses == [] and ran.slots[slot] == value


def test_a_reason_that_is_not_one_the_clinic_treats_is_refused(answer):
    ran = answer("reason", "banana")
    assert ran.responses == ["utter_invalid_reason"] and ran.slots["reason"] is None


@pytest.mark.parametrize("text, intent, consent", [
    ("yes", "affirm", True), ("sure", "nlu_fallback", True), ("no", "deny", False), ("nope", "nlu_fallback", False),
])
def test_consent_is_a_yes_or_a_no(answer, text, intent, consent):
    ran = answer("consent", text, intent, 0.9)
    assert ran.responses == [] and ran.slots["consent"] is consent


def test_an_unclear_consent_is_asked_again(answer):
    ran = answer("consent", "maybe later")
    assert ran.responses == ["utter_invalid_consent"] and ran.slots["consent"] is None


# ------------------------------------------------------------------------------------- summary

def test_the_summary_shows_every_detail_and_waits_for_confirmation(run_action, make_tracker, render):
    ran = run_action(ActionBookingSummary(), make_tracker({**COMPLETE, CONFIRMATION_SLOT: None}))
    assert ran.responses == ["utter_booking_summary"]
    [summary] = ran.messages
    text = render(summary)
    for value in ("Ann Lee", "+14155550133", "depression", "Aetna"):
        assert value in text, (value, text)
    assert summary["time_window"] not in ("", NOT_GIVEN) and summary["time_window"] in text
    assert ran.slots == {CONFIRMATION_SLOT: "booking"}


def test_the_summary_says_which_details_were_not_given(run_action, make_tracker, render):
    slots = {**COMPLETE, "reason": None, "insurance_plan": NOT_GIVEN}
    text = render(run_action(ActionBookingSummary(), make_tracker(slots)).messages[0])
    assert text.count(NOT_GIVEN) == 2 and "Ann Lee" in text


def test_without_consent_nothing_is_kept_and_nothing_is_stored(run_action, make_tracker, stored):
    ran = run_action(ActionBookingSummary(), make_tracker({**COMPLETE, "consent": False}))
    assert ran.responses == ["utter_booking_no_consent"]
    assert {slot: ran.slots.get(slot, "kept") for slot in PERSONAL_SLOTS} == dict.fromkeys(PERSONAL_SLOTS)
    assert ran.slots[CONFIRMATION_SLOT] is None
    assert stored.requests() == []


# -------------------------------------------------------------------------------------- submit

def test_a_confirmed_booking_is_stored_once_under_the_reference_the_patient_is_given(
        run_action, make_tracker, stored, render):
    tracker = make_tracker(COMPLETE, "yes", "affirm", sender_id="visitor-7", input_channel="rest")
    ran = run_action(ActionSubmitBooking(), tracker)
    [request] = stored.requests()
    reference = request["request_id"]
    assert BOOKING_REFERENCE.match(reference), reference
    assert request["kind"] == "booking" and request["status"] == "pending"
    assert {k: request["payload"][k] for k in ("request_id", "name", "phone", "email", "preferred_time",
                                                "preferred_time_end", "reason", "insurance", "consent_to_contact",
                                                "conversation_id", "channel")} == {
        "request_id": reference, "name": "Ann Lee", "phone": "+14155550133", "email": None,
        "preferred_time": COMPLETE["preferred_time"], "preferred_time_end": COMPLETE["preferred_time_end"],
        "reason": "depression", "insurance": "Aetna", "consent_to_contact": True,
        "conversation_id": "visitor-7", "channel": "rest"}
    assert [n["reference"] for n in stored.notices()] == [reference]
    assert ran.responses == ["utter_booking_confirmed"]
    assert ran.messages[0]["reference"] == reference and reference in render(ran.messages[0])
    assert ran.slots["request_reference"] == reference


def test_after_the_booking_is_stored_the_personal_details_leave_the_conversation(run_action, make_tracker, stored):
    ran = run_action(ActionSubmitBooking(), make_tracker(COMPLETE, "yes", "affirm"))
    assert {slot: ran.slots.get(slot, "kept") for slot in PERSONAL_SLOTS} == dict.fromkeys(PERSONAL_SLOTS)
    assert ran.slots[CONFIRMATION_SLOT] is None and ran.slots[FAILURES_SLOT] is None
    assert len(stored.requests()) == 1


def test_confirming_again_does_not_store_a_second_booking(run_action, make_tracker, stored):
    first = run_action(ActionSubmitBooking(), make_tracker(COMPLETE, "yes", "affirm"))
    assert len(stored.requests()) == 1
    again = run_action(ActionSubmitBooking(), first.next_tracker())
    assert again.responses == ["utter_nothing_to_confirm"] and again.events == []
    assert [r["request_id"] for r in stored.requests()] == [first.slots["request_reference"]]


def test_a_booking_without_contact_details_is_not_stored(run_action, make_tracker, stored):
    no_contact = {**COMPLETE, "contact_details": None, "phone": None, "email": None}
    ran = run_action(ActionSubmitBooking(), make_tracker(no_contact, "yes", "affirm"))
    assert ran.responses == ["utter_nothing_to_confirm"] and ran.events == []
    assert stored.requests() == []


@pytest.mark.parametrize("consent", [False, None])
def test_a_booking_without_consent_to_be_contacted_is_not_stored(run_action, make_tracker, stored, consent):
    ran = run_action(ActionSubmitBooking(), make_tracker({**COMPLETE, "consent": consent}, "yes", "affirm"))
    assert ran.responses == ["utter_nothing_to_confirm"] and ran.events == []
    assert stored.requests() == []


def test_when_the_booking_cannot_be_stored_the_patient_is_told_and_the_details_are_kept(
        run_action, make_tracker, monkeypatch, tmp_path, render):
    unopenable = tmp_path / "a-folder"
    unopenable.mkdir()
    monkeypatch.setenv("OUTBOX_DB_URL", f"sqlite:///{unopenable}")
    ran = run_action(ActionSubmitBooking(), make_tracker(COMPLETE, "yes", "affirm"))
    assert ran.responses == ["utter_request_not_stored"] and ran.events == []
    assert current_profile().phone in render(ran.messages[0])
