"""Low-confidence handling: "did you mean" with the likeliest topics as buttons; on the second
miss in a row, the topics menu and a person (call-back, booking, the clinic's phone)."""

from typing import Any, Dict, Iterable, List, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.questions import FALLBACK_INTENT, LAST_TOPIC, answer_topic, follow_up_topic, related_topics
from clinic import metrics
from clinic.questions import is_follow_up
from clinic.topics import DEFAULT_SUGGESTIONS, TOPIC_TITLES

MAX_SUGGESTIONS = 3
# Topics below this classifier confidence are noise rather than a plausible reading.
MIN_SUGGESTION_CONFIDENCE = 0.05


def suggested_topics(intent_ranking: Sequence[Dict[str, Any]]) -> List[str]:
    """The likeliest suggestible intents, best first, padded with defaults to at least two."""
    topics = [
        entry["name"]
        for entry in intent_ranking
        if entry.get("name") in TOPIC_TITLES
        and (entry.get("confidence") or 0.0) >= MIN_SUGGESTION_CONFIDENCE
    ][:MAX_SUGGESTIONS]
    for default in DEFAULT_SUGGESTIONS:
        if len(topics) >= 2:
            break
        if default not in topics:
            topics.append(default)
    return topics


# After repeated misses a person is always offered beside the topics.
PERSON_TOPICS = ("request_human", "book_appointment")


def topic_buttons(topics: Sequence[str]) -> List[Dict[str, str]]:
    return [{"title": TOPIC_TITLES[topic], "payload": f"/{topic}"} for topic in topics]


def consecutive_misses(events: Iterable[Dict[str, Any]]) -> int:
    """How many of the latest user messages in a row ended in the fallback intent."""
    misses = 0
    for event in reversed(list(events)):
        if event.get("event") == "session_started":
            break
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != FALLBACK_INTENT:
            break
        misses += 1
    return misses


class ActionSuggestRephrase(Action):
    def name(self) -> Text:
        return "action_suggest_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        previous = tracker.get_slot(LAST_TOPIC)
        if previous in TOPIC_TITLES and is_follow_up(tracker.latest_message.get("text")):
            # Read against the previous answer's topic, saying which topic it took; with no topic
            # to take, the previous answer's next topics are offered.
            related = related_topics(previous, domain)
            topic = follow_up_topic(ranking, previous, related, domain, tracker.latest_message.get("text"))
            if topic:
                introduction = "utter_follow_up_same_topic" if topic == previous else "utter_follow_up_topic"
                return answer_topic(topic, dispatcher, introduction, previous_title=TOPIC_TITLES[previous])
            ranking = [{"name": name, "confidence": 1.0} for name in related if name in TOPIC_TITLES]
        topics = [topic for topic in suggested_topics(ranking) if topic not in PERSON_TOPICS]
        metrics.did_you_mean()
        if consecutive_misses(tracker.events) >= 2:
            # Never only an apology: the topics menu and a person.
            dispatcher.utter_message(response="utter_fallback_contact",
                                     buttons=topic_buttons(topics + list(PERSON_TOPICS)))
            return []
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=topic_buttons(suggested_topics(ranking)))
        return []
