"""Hand-off to clinic staff: a call-back request (name, phone or e-mail, a short message),
stored in the outbox before it is confirmed, with the clinic's hours and phone."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidatingForm, outbox, submit_request

logger = logging.getLogger(__name__)


class ValidateCallbackForm(ValidatingForm):
    skippable_after_failures = ["full_name"]

    def name(self) -> Text:
        return "validate_callback_form"


class ActionSubmitCallback(Action):
    def name(self) -> Text:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
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
        return submit_request("callback", fields, "utter_callback_confirmed", dispatcher, tracker)


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
