""""Tell me more": the more detailed text of the last topic answered (utter_more_<topic>, from the
topic file's `more:`, docs/EXTENDING.md). With no topic answered yet, or a topic that has nothing
more, it says so kindly and offers topics."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import topic_buttons
from actions.questions import LAST_TOPIC, faq_topic, related_topics
from clinic.profile import current_profile
from clinic.topics import TOPIC_TITLES

MORE_INTENT = "tell_me_more"
# Offered when no topic was answered yet.
STARTING_TOPICS = ("ask_what_is_ketamine", "ask_safety", "ask_cost", "book_appointment")


def more_response(topic: str) -> str:
    return f"utter_more_{topic}"


class ActionTellMeMore(Action):
    def name(self) -> Text:
        return "action_tell_me_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        topic = tracker.get_slot(LAST_TOPIC)
        clinic = current_profile().slot_values()
        if not faq_topic(topic, domain):
            dispatcher.utter_message(response="utter_more_no_topic", buttons=topic_buttons(STARTING_TOPICS),
                                     **clinic)
            return []
        if more_response(topic) in domain.get("responses", {}):
            dispatcher.utter_message(response=more_response(topic), **clinic)
            return []
        # Nothing more on this topic: its next topics (the answer's buttons) and booking.
        offered = [name for name in related_topics(topic, domain) if name in TOPIC_TITLES]
        if "book_appointment" not in offered:
            offered.append("book_appointment")
        dispatcher.utter_message(response="utter_more_none", topic_title=TOPIC_TITLES[topic],
                                 buttons=topic_buttons(offered), **clinic)
        return []
