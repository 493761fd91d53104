"""Questions that depend on more than one message's topic: the second of two questions asked at
once, and a follow-up that leans on the previous answer ("and how many of those would I need?")."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic.profile import current_profile
from clinic.questions import adds_a_detail
from clinic.topics import TOPIC_TITLES

LAST_TOPIC, SECOND_QUESTION = "last_topic", "second_question"
FALLBACK_INTENT, OUT_OF_SCOPE = "nlu_fallback", "out_of_scope"
# Topics read this unsurely are no reading of a follow-up at all.
MIN_FOLLOW_UP_CONFIDENCE = 0.05
FOLLOW_UP_CANDIDATES = 3
# A follow-up whose likeliest topic is read less surely than this names no topic of its own.
MIN_OWN_TOPIC_CONFIDENCE = 0.3


def faq_topic(name: Optional[str], domain: Dict[Text, Any]) -> bool:
    return bool(name) and name.startswith("ask_") and name in TOPIC_TITLES and f"utter_{name}" in domain.get(
        "responses", {})


def related_topics(topic: str, domain: Dict[Text, Any]) -> List[str]:
    """The topics the answer to `topic` offers as its next questions (its buttons)."""
    variations = domain.get("responses", {}).get(f"utter_{topic}") or [{}]
    return [button["payload"].lstrip("/") for button in variations[0].get("buttons") or []
            if str(button.get("payload", "")).startswith("/")]


def follow_up_topic(ranking: Sequence[Dict[str, Any]], previous: str, related: Sequence[str],
                    domain: Dict[Text, Any], text: Optional[str] = None) -> Optional[str]:
    """What an unsure follow-up to the answer about `previous` asks: among the classifier's likeliest
    topics, the first that is the previous topic ("what about grief specifically" after the conditions
    treated) or one its answer offers next; else the previous topic itself when the message opens by
    leaning on it and adds a detail but no topic of its own ("what about the next day" after getting
    home); else the likeliest."""
    candidates = [entry for entry in ranking
                  if faq_topic(entry.get("name"), domain)
                  and (entry.get("confidence") or 0.0) >= MIN_FOLLOW_UP_CONFIDENCE][:FOLLOW_UP_CANDIDATES]
    names = [entry["name"] for entry in candidates]
    offered = next((name for name in names if name == previous or name in related), None)
    if offered:
        return offered
    names_no_topic = not any(entry["confidence"] >= MIN_OWN_TOPIC_CONFIDENCE for entry in candidates)
    if text is not None and adds_a_detail(text) and faq_topic(previous, domain) and names_no_topic \
            and not out_of_scope_first(ranking):
        return previous
    return names[0] if names else None


def out_of_scope_first(ranking: Sequence[Dict[str, Any]]) -> bool:
    """Out of scope is the likeliest reading besides the fallback ("and is there a good taco place near
    there" after the address)."""
    return next((entry.get("name") for entry in ranking if entry.get("name") != FALLBACK_INTENT), None) == OUT_OF_SCOPE


def answer_topic(topic: str, dispatcher: CollectingDispatcher, introduction: str, **values: Any) -> List[EventType]:
    """The topic's answer after a line saying which question it answers; it becomes the last topic."""
    clinic = current_profile().slot_values()
    dispatcher.utter_message(response=introduction, topic_title=TOPIC_TITLES[topic], **values, **clinic)
    dispatcher.utter_message(response=f"utter_{topic}", **clinic)
    return [SlotSet(LAST_TOPIC, topic)]


class ActionAnswerSecondQuestion(Action):
    """Runs after the first question's answer (the FAQ rules); answers the second when this
    message asked it, and clears it either way."""

    def name(self) -> Text:
        return "action_answer_second_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cleared: List[EventType] = [SlotSet(SECOND_QUESTION, None)]
        # The slot is kept from an earlier message when that message's first answer never came
        # (a crisis answer, a form): only this message's second question is answered.
        asked_now = {entity.get("value") for entity in tracker.latest_message.get("entities") or []
                     if entity.get("entity") == SECOND_QUESTION}
        topic = tracker.get_slot(SECOND_QUESTION)
        if topic not in asked_now or not faq_topic(topic, domain):
            return cleared
        return answer_topic(topic, dispatcher, "utter_second_question") + cleared
