"""Session start: load the clinic profile into slots and greet with the assistant's scope."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic.profile import ProfileError, current_profile

# Read when the action server starts: a missing, broken or (in a deployment) demo profile stops it
# with a message naming the problem, rather than failing the first patient's conversation.
try:
    current_profile()
except ProfileError as error:
    raise SystemExit(f"clinic profile: {error}") from error


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slot_values = current_profile().slot_values()
        # The welcome is rendered before the slot events below reach the tracker, so the
        # profile values are passed to the template directly.
        dispatcher.utter_message(response="utter_welcome", **slot_values)
        return [
            SessionStarted(),
            *[SlotSet(name, value) for name, value in slot_values.items()],
            ActionExecuted("action_listen"),
        ]
