"""Booking a consultation: details given up front are used, the form collects the rest, a
summary asks Confirm / Change / Cancel, and a confirmed request is stored in the outbox before
the patient gets its reference number."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic import metrics
from clinic.profile import current_profile
from actions.forms import (
    CONFIRMATION_SLOT,
    NOT_GIVEN,
    ValidatingForm,
    clear_personal_slots,
    clinic_now,
    clinic_region,
    corrected_details,
    submit_request,
)
from actions.handoff import start_appointment_change
from clinic.parsing import TimeWindow, describe_windows, prefill_from_message, windows_from_slots
from clinic.text import clean_text

BOOKING_FORM, CALLBACK_FORM = "booking_form", "callback_form"


# Detail a patient can change at the confirmation, by the words they might use for it.
CHANGEABLE = {
    "full_name": ("name",),
    "contact_details": ("phone", "number", "email", "e-mail", "mail", "contact"),
    "preferred_time_text": ("time", "date", "day", "when", "monday", "tuesday", "wednesday", "thursday", "friday",
                            "saturday", "sunday", "morning", "afternoon", "evening"),
    "reason": ("reason",),
    "insurance_plan": ("insurance", "insurer", "plan"),
}
FIELD_TITLES = {
    "full_name": "Name", "contact_details": "Phone or e-mail", "preferred_time_text": "Day and time",
    "reason": "Reason", "insurance_plan": "Insurance",
}


class ValidateBookingForm(ValidatingForm):
    optional_slots = ["reason", "insurance_plan"]
    skippable_after_failures = ["full_name", "preferred_time_text"]

    def name(self) -> Text:
        return "validate_booking_form"


class ActionPrefillBooking(Action):
    """Use what the patient already said ("book me for tuesday, I'm Ann")."""

    def name(self) -> Text:
        return "action_prefill_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        found = prefill_from_message(tracker.latest_message.get("text") or "", clinic_now(), clinic_region())
        events: List[EventType] = [SlotSet(slot, value) for slot, value in found.items()]
        dispatcher.utter_message(response="utter_booking_start")
        return events


def offered_windows(tracker: Tracker) -> List[TimeWindow]:
    """Every window the patient offered, as the form stored them."""
    return windows_from_slots(tracker.get_slot("preferred_time"), tracker.get_slot("preferred_time_end"))


def describe_time(tracker: Tracker) -> str:
    return describe_windows(offered_windows(tracker)) or "to be arranged"


class ActionBookingSummary(Action):
    def name(self) -> Text:
        return "action_booking_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("consent") is False:
            dispatcher.utter_message(response="utter_booking_no_consent", **current_profile().slot_values())
            return clear_personal_slots()
        dispatcher.utter_message(
            response="utter_booking_summary",
            full_name=tracker.get_slot("full_name") or NOT_GIVEN,
            contact_details=tracker.get_slot("contact_details") or NOT_GIVEN,
            time_window=describe_time(tracker),
            reason=tracker.get_slot("reason") or NOT_GIVEN,
            insurance_plan=tracker.get_slot("insurance_plan") or NOT_GIVEN,
        )
        metrics.funnel_step("booking", "summary")
        # Remembered so that Confirm still works after a question asked at the summary.
        return [SlotSet(CONFIRMATION_SLOT, "booking")]


class ActionSubmitBooking(Action):
    def name(self) -> Text:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("consent") is not True:
            # The patient must have agreed to be contacted; the summary already said so otherwise.
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return []
        windows = offered_windows(tracker)
        fields = {
            "name": tracker.get_slot("full_name"),
            "phone": tracker.get_slot("phone"),
            "email": tracker.get_slot("email"),
            # The earliest window, as before; every window offered (alternatives, the days of a
            # range) in preferred_windows.
            "preferred_time": windows[0].start.isoformat() if windows else None,
            "preferred_time_end": windows[0].end.isoformat() if windows else None,
            "preferred_windows": [{"start": w.start.isoformat(), "end": w.end.isoformat(), "description": w.describe()}
                                  for w in windows],
            "preferred_time_text": tracker.get_slot("preferred_time_text"),
            "reason": tracker.get_slot("reason"),
            "insurance": tracker.get_slot("insurance_plan"),
            "message": None,
            "consent_to_contact": True,
        }
        return submit_request("booking", fields, dispatcher, tracker)


class ActionChangeBooking(Action):
    """At the confirmation: clear the detail to change; the rule re-opens the form to ask it."""

    def name(self) -> Text:
        return "action_change_booking"

    @staticmethod
    def field_to_change(tracker: Tracker) -> Optional[str]:
        chosen = next(tracker.get_latest_entity_values("booking_field"), None)
        if chosen in CHANGEABLE:
            return chosen
        text = clean_text(tracker.latest_message.get("text")).lower()
        return next((field for field, words in CHANGEABLE.items()
                     if any(w in text.split() or w in text for w in words)), None)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        # "I need to change the time" with no booking in progress (none begun, or one already sent):
        # an appointment the assistant cannot see, so a change request for the staff.
        if tracker.get_slot(CONFIRMATION_SLOT) != "booking" and (tracker.active_loop or {}).get("name") != BOOKING_FORM:
            return start_appointment_change(dispatcher, tracker) + [FollowupAction(CALLBACK_FORM)]
        # "actually my number is 415 555 0199": the new detail is in the message; show the summary again.
        given = corrected_details("", clean_text(tracker.latest_message.get("text")))
        if given:
            return [SlotSet(slot, value) for slot, value in given.items()] + [FollowupAction("action_booking_summary")]
        field = self.field_to_change(tracker)
        if field is None:
            buttons = [{"title": title, "payload": f'/change_booking{{"booking_field": "{slot}"}}'}
                       for slot, title in FIELD_TITLES.items()]
            dispatcher.utter_message(response="utter_ask_booking_field", buttons=buttons)
            # Wait for the choice instead of re-opening the form (which the rule would do).
            return [FollowupAction("action_listen")]
        cleared = [SlotSet(field, None), SlotSet(CONFIRMATION_SLOT, None)]
        if field == "contact_details":
            cleared += [SlotSet("phone", None), SlotSet("email", None)]
        if field == "preferred_time_text":
            cleared += [SlotSet("preferred_time", None), SlotSet("preferred_time_end", None)]
        return cleared


class ActionCancelRequest(Action):
    """Leave a booking or call-back cleanly: nothing stored, details forgotten."""

    def name(self) -> Text:
        return "action_cancel_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_request_cancelled", **current_profile().slot_values())
        form = (tracker.active_loop or {}).get("name") or tracker.get_slot(CONFIRMATION_SLOT)
        metrics.funnel_step(form, "cancelled")
        return clear_personal_slots()
