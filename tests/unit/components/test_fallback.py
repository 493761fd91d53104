"""Two top readings whose answers both fit do not make a message unsure; any other pair does, as in
Rasa's FallbackClassifier."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.fallback import ClinicFallbackClassifier
from tests.support.project import ROOT, read_yaml


def configured() -> dict:
    step = next(s for s in read_yaml(ROOT / "config.yml")["pipeline"] if s["name"].endswith("ClinicFallbackClassifier"))
    return {**ClinicFallbackClassifier.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}


def read(classifier: FallbackClassifier, ranking: List[Tuple[str, float]]) -> Message:
    message = Message({TEXT: "text", INTENT: {"name": ranking[0][0], "confidence": ranking[0][1]},
                       INTENT_RANKING_KEY: [{"name": n, "confidence": c} for n, c in ranking]})
    return classifier.process([message])[0]


@pytest.mark.parametrize("ranking, stands", [
    ([("thank", 0.518), ("goodbye", 0.481)], True),  # "thanks bye"
    ([("goodbye", 0.50), ("thank", 0.49)], True),
    ([("thank", 0.52), ("affirm", 0.48)], False),  # "ok thanks": a yes to a question is no thanks
    ([("ask_cost", 0.51), ("ask_insurance", 0.48)], False),
    ([("thank", 0.20), ("goodbye", 0.19)], False),  # below the threshold: unsure all the same
    ([("ask_cost", 0.9), ("ask_insurance", 0.05)], True),
])
def test_only_interchangeable_readings_stand_when_close(ranking, stands):
    ours = read(ClinicFallbackClassifier(configured()), ranking).get(INTENT)
    rasas = read(FallbackClassifier(configured()), ranking).get(INTENT)
    assert (ours["name"] == ranking[0][0]) is stands
    if {ranking[0][0], ranking[1][0]} <= {"thank", "goodbye"} and ranking[0][1] >= configured()["threshold"]:
        assert rasas["name"] == "nlu_fallback"  # what the patient got before
    else:
        assert ours == rasas  # Rasa's own verdict everywhere else
