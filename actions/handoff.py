"""Hand-off to clinic staff: a call-back request (name, phone or e-mail, a short message), or a
request to change or cancel an existing appointment taken the same way, stored in the outbox before
it is confirmed; and the state of a request made earlier in the conversation."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import CONFIRMATIONS, REQUEST_KIND_SLOT, ValidatingForm, outbox, submit_request
from clinic.outbox import DELIVERED, REQUEST_KINDS
from clinic.profile import current_profile
from clinic.text import clean_text

logger = logging.getLogger(__name__)

# "cancel my appointment", "call off friday's session": a cancellation, unless a new time is wanted too.
CANCELLING = re.compile(r"\b(?:cancel\w*|call\w*\s+(?:it\s+)?off|drop\s+out)\b")
RESCHEDULING = re.compile(r"\b(?:re-?schedul\w*|re-?book\w*|move|moving|change|changing|switch\w*|postpone\w*|"
                          r"push\w*\s+(?:it\s+)?back|another|different|new|later|earlier)\b")


# What the patient is told first, before the form asks for their details.
CHANGE_STARTS = {"cancel": "utter_appointment_change_start_cancel", "change": "utter_appointment_change_start_change"}


def appointment_change_kind(text: Optional[str]) -> str:
    """"cancel" when the patient asks to cancel an appointment outright, otherwise "change"."""
    words = clean_text(text).lower()
    return "cancel" if CANCELLING.search(words) and not RESCHEDULING.search(words) else "change"


class ValidateCallbackForm(ValidatingForm):
    skippable_after_failures = ["full_name"]

    def name(self) -> Text:
        return "validate_callback_form"


class ActionStartAppointmentChange(Action):
    """The assistant cannot see the clinic's calendar: a change or cancellation becomes a request
    for the staff, taken by the call-back form, and the patient is told so before anything else."""

    def name(self) -> Text:
        return "action_start_appointment_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return start_appointment_change(dispatcher, tracker)


def start_appointment_change(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Says what becomes of a change or cancellation; the call-back form then takes the details."""
    kind = appointment_change_kind(tracker.latest_message.get("text"))
    dispatcher.utter_message(response=CHANGE_STARTS[kind], **current_profile().slot_values())
    return [SlotSet(REQUEST_KIND_SLOT, kind)]


class ActionSubmitCallback(Action):
    def name(self) -> Text:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        kind = tracker.get_slot(REQUEST_KIND_SLOT)
        fields = {
            "name": tracker.get_slot("full_name"),
            "phone": tracker.get_slot("phone"),
            "email": tracker.get_slot("email"),
            "preferred_time": None,
            "preferred_time_text": None,
            "reason": None,
            "insurance": None,
            "message": tracker.get_slot("callback_message"),
            "crisis_flagged": bool(tracker.get_slot("crisis_flagged")),
        }
        return submit_request(kind if kind in CHANGE_STARTS else "callback", fields, dispatcher, tracker)


def kind_of_reference(reference: str) -> Optional[str]:
    return next((kind for kind, known in REQUEST_KINDS.items() if reference.startswith(f"{known.prefix}-")), None)


class ActionBookingStatus(Action):
    """"What's my reference?", "did it go through?": the latest request of this conversation, as the
    outbox holds it, with its reference and what happens next."""

    def name(self) -> Text:
        return "action_booking_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        clinic = current_profile().slot_values()
        reference = tracker.get_slot("request_reference")
        kind = kind_of_reference(reference or "")
        if not reference or kind is None:
            dispatcher.utter_message(response="utter_no_request_yet", **clinic)
            return []
        try:
            stored = outbox().request(reference)
        except Exception:
            # It was stored before the patient got its reference; only its delivery is unknown now.
            logger.exception("could not read request %s", reference)
            stored = None
        delivered = stored is not None and stored["status"] == DELIVERED
        dispatcher.utter_message(
            response="utter_booking_status_delivered" if delivered else "utter_booking_status_saved")
        dispatcher.utter_message(response=CONFIRMATIONS[kind], reference=reference, **clinic)
        return []


class ActionFlagCrisis(Action):
    """Record a crisis for staff follow-up in the store that holds hand-off requests."""

    def name(self) -> Text:
        return "action_flag_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        detection = tracker.latest_message.get("crisis_detection") or {}
        try:
            outbox().flag(tracker.sender_id, tracker.get_latest_input_channel(), "crisis",
                          detection.get("rule", "classifier"))
        except Exception:
            # The crisis answer has already been sent; the slot flag stays in the tracker.
            logger.exception("could not record a crisis flag")
        return [SlotSet("crisis_flagged", True)]
