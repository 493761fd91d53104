"""Personal medical questions reach a clinician, ordinary ones do not; messages in another
language get the English-only answer. The gate runs the whole trained NLU pipeline."""

from __future__ import annotations

import json

import pytest
import yaml

from components.language_guard import other_language
from components.medical_boundary import CONCERNS, PERSONAL_MEDICAL_INTENT, MedicalBoundaryRules
from tests.support.project import ARTIFACTS, ROOT

GATE = ROOT / "tests" / "medical" / "gate.yml"
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.03


@pytest.mark.parametrize("concern", CONCERNS, ids=lambda c: c.name)
def test_each_concern_catches_its_two_examples(concern):
    rules = MedicalBoundaryRules()
    for example in concern.examples:
        found = rules.find(example)
        assert found is not None and found.concern == concern.name, (concern.name, example, found)


@pytest.mark.parametrize("text", [
    "how long does one infusion take",
    "is it the same drug people use at raves",
    "does it raise your heart rate",
    "can my husband drive me home afterwards",
    "will i hallucinate",
    "is ketamine better than zoloft",
    "can it help with alcohol addiction",
    "do i have to stop my antidepressants",
    "is there an age limit",
    "is it a long-term solution",
])
def test_ordinary_questions_are_not_personal(text):
    assert MedicalBoundaryRules().find(text) is None


def test_the_gate_is_large_enough():
    gate = yaml.safe_load(GATE.read_text(encoding="utf-8"))
    assert len(gate["personal"]) >= 150 and len(gate["ordinary"]) >= 150


def test_personal_medical_questions_reach_a_clinician(parse):
    gate = yaml.safe_load(GATE.read_text(encoding="utf-8"))
    personal = [str(t) for t in gate["personal"]]
    ordinary = [str(t) for t in gate["ordinary"]]
    read_personal = [p["intent"]["name"] for p in parse(personal)]
    read_ordinary = [p["intent"]["name"] for p in parse(ordinary)]
    # A crisis answer comes first and also names people to call: never a miss.
    caught = [t for t, r in zip(personal, read_personal) if r in (PERSONAL_MEDICAL_INTENT, "crisis")]
    missed = [(t, r) for t, r in zip(personal, read_personal) if r not in (PERSONAL_MEDICAL_INTENT, "crisis")]
    flagged = [t for t, r in zip(ordinary, read_ordinary) if r == PERSONAL_MEDICAL_INTENT]
    recall, false_positive_rate = len(caught) / len(personal), len(flagged) / len(ordinary)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "medical_boundary_gate.json").write_text(json.dumps(
        {"recall": recall, "false_positive_rate": false_positive_rate, "missed": missed, "flagged": flagged},
        indent=2, ensure_ascii=False), encoding="utf-8")
    assert recall >= MIN_RECALL, f"recall {recall:.3f} < {MIN_RECALL}; missed: {missed}"
    assert false_positive_rate <= MAX_FALSE_POSITIVE_RATE, (
        f"false positives {false_positive_rate:.3f} > {MAX_FALSE_POSITIVE_RATE}: {flagged}")


@pytest.mark.parametrize("text, language", [
    ("hola, hablan español?", "es"),
    ("¿Cuánto cuesta una sesión?", "es"),
    ("Wie lange dauert eine Infusion ungefähr?", "de"),
    ("combien coûte une séance ?", "fr"),
    ("сколько стоит лечение?", "non-latin"),
])
def test_other_languages_are_recognised(text, language):
    assert other_language(text) == language


@pytest.mark.parametrize("text", [
    "how much does it cost?", "hi", "ok", "wrong email, its jane.doe@gmail.com", "is it covered by aetna",
    "i have depression and anxiety, will it help", "pls",
])
def test_english_stays_english(text):
    assert other_language(text) is None


def test_a_question_in_another_language_gets_the_english_only_answer_and_a_crisis_stays_one(parse):
    spanish, crisis = parse(["¿el tratamiento es doloroso?", "quiero morir, no aguanto más"])
    assert spanish["intent"]["name"] == "other_language"
    assert crisis["intent"]["name"] == "crisis"
