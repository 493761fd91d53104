"""Low-confidence handling (unit tests of the helpers and the action)."""

from __future__ import annotations

import pytest

from actions.fallback import ActionSuggestRephrase, consecutive_misses, suggested_topics
from clinic.topics import DEFAULT_SUGGESTIONS, TOPIC_TITLES


def user(intent: str) -> dict:
    return {"event": "user", "text": "...", "parse_data": {"intent": {"name": intent}}}


def bot() -> dict:
    return {"event": "bot", "text": "..."}


def test_suggestions_follow_the_ranking_and_skip_unsuggestable_intents():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_cost", "confidence": 0.25},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_insurance", "confidence": 0.2},
        {"name": "ask_safety", "confidence": 0.1},
        {"name": "ask_dosage", "confidence": 0.09},
    ]
    assert suggested_topics(ranking) == ["ask_cost", "ask_insurance", "ask_safety"]


def test_noise_is_not_suggested_and_defaults_fill_in():
    ranking = [{"name": "ask_cost", "confidence": 0.5}, {"name": "ask_dosage", "confidence": 0.01}]
    topics = suggested_topics(ranking)
    assert topics[0] == "ask_cost" and len(topics) == 2
    assert topics[1] in DEFAULT_SUGGESTIONS
    assert suggested_topics([]) == list(DEFAULT_SUGGESTIONS[:2])


def test_consecutive_misses_counts_only_the_latest_run():
    assert consecutive_misses([]) == 0
    assert consecutive_misses([user("nlu_fallback")]) == 1
    assert consecutive_misses([user("nlu_fallback"), bot(), user("nlu_fallback")]) == 2
    assert consecutive_misses([user("nlu_fallback"), user("ask_cost"), user("nlu_fallback")]) == 1
    assert consecutive_misses([user("nlu_fallback"), {"event": "session_started"}, user("nlu_fallback")]) == 1


@pytest.mark.parametrize("misses, expected", [
    (1, "utter_ask_rephrase"), (2, "utter_fallback_contact"), (3, "utter_fallback_contact"),
])
def test_action_rephrases_first_then_hands_over(run_action, make_tracker, misses, expected):
    ranking = [{"name": "ask_side_effects", "confidence": 0.28}, {"name": "ask_safety", "confidence": 0.2}]
    events = [user("nlu_fallback"), bot()] * misses
    tracker = make_tracker(intent="nlu_fallback", confidence=0.3, intent_ranking=ranking, events=events,
                           sender_id="s1")
    [message] = run_action(ActionSuggestRephrase(), tracker).messages
    assert message["response"] == expected
    if expected == "utter_ask_rephrase":
        assert [b["payload"] for b in message["buttons"]] == ["/ask_side_effects", "/ask_safety"]
        assert [b["title"] for b in message["buttons"]] == [TOPIC_TITLES["ask_side_effects"],
                                                            TOPIC_TITLES["ask_safety"]]
    else:
        # Never only an apology: the likely topics and a person to talk to.
        assert [b["payload"] for b in message["buttons"]] == [
            "/ask_side_effects", "/ask_safety", "/request_human", "/book_appointment"]
