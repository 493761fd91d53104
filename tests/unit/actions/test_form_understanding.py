"""Inside a form, a message is understood before it fills a slot (in process, from tracker
fixtures): questions are answered, thanks, goodbyes and refusals are never a name, corrections
update the detail they correct, and a question at the summary does not lose the booking."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk.events import FollowupAction

from actions.booking import ActionBookingSummary, ActionChangeBooking, ValidateBookingForm
from actions.forms import CONFIRMATION_SLOT
from actions.handoff import ValidateCallbackForm
from tests.support.project import ROOT


@pytest.mark.parametrize("text, intent", [
    ("ok thanks bye", "goodbye"), ("thanks", "thank"), ("nevermind", "cancel"), ("stop", "cancel"),
    ("idk", "nlu_fallback"), ("why do you need that", "nlu_fallback"),
])
def test_thanks_goodbyes_refusals_and_why_are_never_a_name(run_action, form_tracker, text, intent):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", text, intent, 0.9))
    assert ran.slots.get("full_name") is None, (text, ran.events)


def test_why_do_you_need_that_is_answered(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", "why do you need that"))
    assert ran.responses == ["utter_why_we_ask"] and ran.slots == {"full_name": None}


@pytest.mark.parametrize("text, intent, confidence, answer", [
    ("I'm on lexapro, can I still do it", "ask_personal_medical", 1.0, "utter_ask_personal_medical"),
    ("will i hallucinate", "ask_session_experience", 0.34, "utter_ask_session_experience"),
    ("im 17 can i get this", "ask_personal_medical", 1.0, "utter_ask_personal_medical"),
    ("how much is it", "ask_cost", 0.9, "utter_ask_cost"),
])
def test_questions_in_the_name_step_are_answered_then_the_form_asks_again(run_action, form_tracker, text, intent,
                                                                          confidence, answer):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", text, intent, confidence))
    assert ran.responses == [answer, "utter_back_to_form"]
    assert ran.slots == {"full_name": None}


@pytest.mark.parametrize("slot", ["full_name", "contact_details", "preferred_time_text", "reason"])
def test_the_bot_question_is_answered_at_every_step_then_the_form_asks_again(run_action, form_tracker, slot):
    ran = run_action(ValidateBookingForm(), form_tracker(slot, "hold on, are you a bot or a real person?",
                                                         "bot_challenge", 0.8))
    assert ran.responses == ["utter_bot_challenge", "utter_back_to_form"] and ran.slots == {slot: None}


def test_a_question_at_the_insurance_step_is_not_stored_as_the_insurer(run_action, form_tracker):
    tracker = form_tracker("insurance_plan", "does insurance even cover this?", "ask_insurance", 0.8)
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.responses[0] == "utter_ask_insurance" and ran.slots == {"insurance_plan": None}


def test_an_unclear_question_is_said_to_be_unclear_not_stored(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("reason", "what about the other thing?"))
    assert ran.responses == ["utter_form_question_unclear"] and ran.slots == {"reason": None}


def test_a_time_asked_as_a_question_is_still_an_answer(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("preferred_time_text", "could I come next tuesday "
                                                         "afternoon?", "ask_infusion_duration", 0.4))
    assert ran.slots["preferred_time_text"] == "could I come next tuesday afternoon?"


@pytest.mark.parametrize("asked", ["full_name", "contact_details", "preferred_time_text"])
def test_name_phone_and_time_in_one_message_fill_all_three_at_any_of_their_questions(run_action, form_tracker, asked):
    ran = run_action(ValidateBookingForm(), form_tracker(asked, "I'm Dana Lee, 415-555-0199, weekday mornings"))
    assert ran.responses == []
    assert ran.slots["full_name"] == "Dana Lee" and ran.slots["phone"] == "+14155550199"
    assert ran.slots["preferred_time_text"] == "weekday mornings" and ran.slots["preferred_time"]


def test_a_reason_given_with_other_details_is_used_where_it_belongs(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("preferred_time_text",
                                                         "next tuesday afternoon, for my depression"))
    assert ran.slots["preferred_time_text"] == "next tuesday afternoon" and ran.slots["reason"] == "depression"
    ran = run_action(ValidateBookingForm(), form_tracker("reason", "Depression, 415-555-0199"))
    assert ran.slots["reason"] == "depression" and ran.slots["phone"] == "+14155550199"


def test_details_given_at_once_leave_the_question_asked_open_when_they_do_not_answer_it(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("reason", "my name is Dana Lee 415-555-0199"))
    assert ran.slots["full_name"] == "Dana Lee" and ran.slots["phone"] == "+14155550199"
    assert ran.slots["reason"] is None


def test_a_time_alone_at_the_name_question_is_noted_and_the_name_asked_again(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", "friday morning", "greet", 0.9))
    assert ran.responses == ["utter_details_noted"]
    assert ran.slots["preferred_time_text"] == "friday morning" and ran.slots["preferred_time"]
    assert ran.slots["full_name"] is None


@pytest.mark.parametrize("text, slots", [
    ("April May", {}),  # a name made of months
    ("friday morning", {"preferred_time_text": "next tuesday", "preferred_time": "2030-01-01T09:00:00"}),
])
def test_a_time_alone_is_not_taken_when_it_may_be_a_name_or_was_given(run_action, form_tracker, text, slots):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", text, "nlu_fallback", 0.9, slots=slots))
    assert ran.slots.get("preferred_time_text") is None and "utter_details_noted" not in ran.responses


def test_a_name_asked_for_may_be_in_lower_case(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", "dana lee, 415 555 0199"))
    assert ran.slots["full_name"] == "Dana Lee" and ran.slots["phone"] == "+14155550199"


def test_a_capitalised_word_at_another_question_is_no_name(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("reason", "Depression, 415-555-0199"))
    assert "Depression" not in (ran.slots.get("full_name") or "")


def test_the_call_back_form_takes_only_its_own_details_from_one_message(run_action, form_tracker):
    ran = run_action(ValidateCallbackForm(), form_tracker("full_name", "Dana Lee, dana@example.org, friday"))
    assert ran.slots["full_name"] == "Dana Lee" and ran.slots["email"] == "dana@example.org"
    assert "preferred_time_text" not in ran.slots


def test_one_detail_with_a_remark_is_still_read_as_the_answer_asked(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("contact_details", "415-555-0199, mornings are best"))
    assert ran.slots["phone"] == "+14155550199" and "full_name" not in ran.slots


def test_a_correction_mid_form_updates_the_number(run_action, form_tracker):
    tracker = form_tracker("reason", "actually my number is 415 555 0199", "change_booking", 0.7,
                           slots={"contact_details": "+12025550143", "phone": "+12025550143"})
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.responses == ["utter_details_updated"]
    assert ran.slots["phone"] == "+14155550199" and ran.slots["reason"] is None


def test_a_correction_at_the_summary_updates_it_and_shows_it_again(run_action, make_tracker):
    tracker = make_tracker({"phone": "+12025550143", CONFIRMATION_SLOT: "booking"},
                           "actually my number is 415 555 0199", "change_booking", 0.8)
    ran = run_action(ActionChangeBooking(), tracker)
    assert ran.slots["phone"] == "+14155550199"
    assert FollowupAction("action_booking_summary") in ran.events


@pytest.mark.parametrize("text, response", [
    ("actually I need to change the time", "utter_appointment_change_start_change"),
    ("change the date", "utter_appointment_change_start_change"),
])
def test_a_change_with_no_booking_in_progress_is_a_change_request_for_the_staff(run_action, make_tracker,
                                                                                text, response):
    ran = run_action(ActionChangeBooking(), make_tracker({}, text, "change_booking", 0.9))
    assert ran.responses == [response] and ran.slots == {"request_kind": "change"}
    assert FollowupAction("callback_form") in ran.events


def test_the_summary_remembers_that_it_waits_for_confirmation(run_action, make_tracker):
    tracker = make_tracker({"full_name": "Ann Lee", "contact_details": "+12025550143", "consent": True},
                           latest_action="booking_form")
    ran = run_action(ActionBookingSummary(), tracker)
    assert ran.responses == ["utter_booking_summary"] and ran.slots == {CONFIRMATION_SLOT: "booking"}


def test_a_question_is_the_message_in_the_call_back_form(run_action, form_tracker):
    tracker = form_tracker("callback_message", "can someone explain the cost to me?", "ask_cost", 0.9,
                           form="callback_form")
    ran = run_action(ValidateCallbackForm(), tracker)
    assert ran.slots["callback_message"] == "can someone explain the cost to me?"


def test_a_real_name_is_still_taken(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", "Ann Smith"))
    assert ran.slots["full_name"] == "Ann Smith"


def test_summary_questions_keep_the_booking_in_the_rules():
    rules = yaml.safe_load((ROOT / "data" / "rules" / "booking.yml").read_text(encoding="utf-8"))["rules"]
    conditioned = [r for r in rules if {"slot_was_set": [{CONFIRMATION_SLOT: "booking"}]} in r.get("condition", [])]
    assert {(r["steps"][0]["intent"], r["steps"][1]["action"]) for r in conditioned} == {
        ("affirm", "action_submit_booking"), ("deny", "action_cancel_request"),
        ("change_appointment", "action_change_booking")}


def test_an_unsure_reading_of_a_question_is_answered_by_its_first_topic(run_action, form_tracker):
    tracker = form_tracker("full_name", "will i hallucinate", "nlu_fallback", 0.25)
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.25},
                                                {"name": "ask_session_experience", "confidence": 0.3}]
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.responses == ["utter_ask_session_experience", "utter_back_to_form"]
    assert ran.slots == {"full_name": None}


@pytest.mark.parametrize("name", ["Priya Raman", "José García"])
def test_a_name_the_classifier_guesses_is_another_language_is_still_a_name(run_action, form_tracker, name):
    # Only the language guard's certain reading is answered; the classifier's guess is not.
    tracker = form_tracker("full_name", name, "other_language", 0.44)
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.slots["full_name"] == name
    assert "utter_other_language" not in ran.responses


def test_the_language_guards_certain_reading_is_answered_in_a_form(run_action, form_tracker):
    tracker = form_tracker("full_name", "hola, ¿hablan español?", "other_language", 1.0)
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.responses[0] == "utter_other_language"
    assert ran.slots == {"full_name": None}


def test_a_name_the_classifier_is_unsure_about_is_still_a_name(run_action, form_tracker):
    # Its first unsure reading may be anything, another language included: a name is not a question.
    tracker = form_tracker("full_name", "Ann Bystander", "nlu_fallback", 0.25)
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.25},
                                                {"name": "other_language", "confidence": 0.12}]
    ran = run_action(ValidateBookingForm(), tracker)
    assert ran.slots["full_name"] == "Ann Bystander"


@pytest.mark.parametrize("form_class, form", [(ValidateBookingForm, "booking_form"),
                                              (ValidateCallbackForm, "callback_form")])
@pytest.mark.parametrize("text, intent, reply", [
    ("hi there", "greet", "utter_greet_mid_form"),
    ("thank you!", "thank", "utter_thank_mid_form"),
    ("can i just talk to a person", "request_human", "utter_request_human_mid_"),
    ("i want to book an appointment", "book_appointment", "utter_book_mid_"),
])
def test_small_talk_and_new_requests_mid_form_are_replied_to_then_the_form_asks_again(
        run_action, form_tracker, form_class, form, text, intent, reply):
    ran = run_action(form_class(), form_tracker("contact_details", text, intent, 0.9, form=form))
    assert len(ran.responses) == 1 and ran.responses[0].startswith(reply), ran.responses
    assert ran.slots == {"contact_details": None}


@pytest.mark.parametrize("text, intent, confidence", [
    ("hi, I'm Dana Lee", "greet", 0.9),   # a name introduced with a greeting
    ("Joy", "greet", 0.4),                 # a name the classifier is unsure of
])
def test_a_name_is_never_taken_for_small_talk(run_action, form_tracker, text, intent, confidence):
    ran = run_action(ValidateBookingForm(), form_tracker("full_name", text, intent, confidence))
    assert ran.slots.get("full_name") == text.split("I'm ")[-1], ran.events


@pytest.mark.parametrize("text, intent, confidence", [
    ("please call me to book a consultation", "book_appointment", 0.95),
    ("can a nurse call me about my meds", "request_human", 0.95),
    ("thanks for calling me back about the cost", "thank", 0.6),
])
def test_what_may_be_the_message_for_the_team_is_taken_as_it(run_action, form_tracker, text, intent, confidence):
    ran = run_action(ValidateCallbackForm(), form_tracker("callback_message", text, intent, confidence,
                                                          form="callback_form"))
    assert ran.slots.get("callback_message") == text


@pytest.mark.parametrize("text, intent, responses", [
    ("thanks!", "thank", ["utter_thank_mid_form"]),
    ("hello?", "greet", ["utter_greet_mid_form"]),
    ("wait, are you a bot?", "bot_challenge", ["utter_bot_challenge", "utter_back_to_form"]),
])
def test_greetings_thanks_and_the_bot_question_are_never_the_message_for_the_team(run_action, form_tracker, text,
                                                                                 intent, responses):
    ran = run_action(ValidateCallbackForm(), form_tracker("callback_message", text, intent, 0.98,
                                                          form="callback_form"))
    assert ran.responses == responses and ran.slots == {"callback_message": None}


@pytest.mark.parametrize("slot, form_class, form", [
    ("contact_details", ValidateBookingForm, "booking_form"),
    ("reason", ValidateBookingForm, "booking_form"),
    ("callback_message", ValidateCallbackForm, "callback_form"),
])
@pytest.mark.parametrize("payload, intent, responses", [
    ("/ask_cost", "ask_cost", ["utter_ask_cost", "utter_back_to_form"]),
    ("/affirm", "affirm", ["utter_earlier_button"]),
    ('/change_booking{"booking_field": "reason"}', "change_booking", ["utter_earlier_button"]),
])
def test_a_button_of_an_earlier_answer_never_fills_the_slot(run_action, form_tracker, slot, form_class, form,
                                                            payload, intent, responses):
    ran = run_action(form_class(), form_tracker(slot, payload, intent, 1.0, form=form))
    assert ran.responses == responses and ran.slots == {slot: None}


def test_the_consent_buttons_answer_the_consent_question(run_action, form_tracker):
    ran = run_action(ValidateBookingForm(), form_tracker("consent", "/affirm", "affirm", 1.0))
    assert ran.slots.get("consent") is True
