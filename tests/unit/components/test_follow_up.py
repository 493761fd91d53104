"""Follow-ups the classifier cannot place are left unsure, for the previous answer's topic to decide."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.follow_up import FollowUpReader


def read(text: str, intent: str, confidence: float) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "ask_candidacy", "confidence": 0.1}]
    message = Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    FollowUpReader({**FollowUpReader.get_default_config()}).process([message])
    return message


@pytest.mark.parametrize("text, intent, confidence", [
    ("what about for teens", "help_menu", 0.73),
    ("and then what", "out_of_scope", 0.79),
    ("and for teens?", "ask_conditions_treated", 0.34),
])
def test_a_follow_up_without_a_topic_of_its_own_becomes_unsure(text, intent, confidence):
    message = read(text, intent, confidence)
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert [entry["name"] for entry in message.get(INTENT_RANKING_KEY)] == ["nlu_fallback", intent, "ask_candidacy"]


@pytest.mark.parametrize("text, intent, confidence", [
    ("and how often", "ask_treatment_course", 0.99),   # a topic read surely stands
    ("can you help", "help_menu", 0.9),                 # no follow-up
    ("what are the side effects", "ask_side_effects", 0.3),
])
def test_other_readings_stand(text, intent, confidence):
    assert read(text, intent, confidence).get(INTENT)["name"] == intent
