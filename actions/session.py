"""Session start: load the clinic profile into slots and greet with the assistant's scope."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_profile import current_profile


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[EventType]:
        slot_values = current_profile().slot_values()
        # The welcome is rendered before the slot events below reach the tracker, so the
        # profile values are passed to the template directly.
        dispatcher.utter_message(response="utter_welcome", **slot_values)
        return [
            SessionStarted(),
            *[SlotSet(name, value) for name, value in slot_values.items()],
            ActionExecuted("action_listen"),
        ]
