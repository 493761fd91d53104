"""Gates on the whole NLU pipeline (classifier + crisis detector) over two sets written apart
from the training data: every crisis message must be caught (recall 1.0), and at most 2% of
ordinary messages, many of which mention suicide, overdose or addiction, may be flagged."""

from __future__ import annotations

import json
from typing import Dict, List, Tuple

import yaml

from tests.support.project import ARTIFACTS, ROOT

MAX_FALSE_POSITIVE_RATE = 0.02
SETS = ROOT / "tests" / "crisis"


def messages(name: str) -> List[Tuple[str, str]]:
    groups: Dict[str, List[str]] = yaml.safe_load((SETS / name).read_text(encoding="utf-8"))["messages"]
    return [(group, str(text)) for group, texts in groups.items() for text in texts]


def test_sets_are_large_enough():
    assert len(messages("crisis_messages.yml")) >= 120
    assert len(messages("ordinary_messages.yml")) >= 150


def test_every_crisis_message_is_caught(parse):
    rows = messages("crisis_messages.yml")
    parses = parse([text for _, text in rows])
    missed = [(group, text, p["intent"]["name"]) for (group, text), p in zip(rows, parses)
              if p["intent"]["name"] != "crisis"]
    rules: Dict[str, int] = {}
    for p in parses:
        rule = (p.get("crisis_detection") or {}).get("rule", "classifier_top_intent")
        rules[rule] = rules.get(rule, 0) + 1
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crisis_recall.json").write_text(json.dumps(
        {"total": len(rows), "missed": missed, "rules_fired": rules}, indent=2))
    assert not missed, f"crisis recall {1 - len(missed) / len(rows):.3f}; missed: {missed}"


def test_ordinary_messages_are_rarely_flagged(parse):
    rows = messages("ordinary_messages.yml")
    parses = parse([text for _, text in rows])
    flagged = [(group, text, p.get("crisis_detection")) for (group, text), p in zip(rows, parses)
               if p["intent"]["name"] == "crisis"]
    rate = len(flagged) / len(rows)
    (ARTIFACTS / "crisis_false_positives.json").write_text(json.dumps(
        {"total": len(rows), "flagged": flagged, "rate": rate}, indent=2))
    assert rate <= MAX_FALSE_POSITIVE_RATE, f"false-positive rate {rate:.3f}: {flagged}"


def test_treatment_questions_about_suicide_stay_conditions_treated(parse):
    [result] = parse(["can ketamine help with suicidal thoughts"])
    assert result["intent"]["name"] == "ask_conditions_treated"
