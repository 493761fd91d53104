"""What patients wrote that used to go wrong, read by the whole trained NLU pipeline: each gets the
reading whose answer helps (the form cases are in test_form_understanding.py)."""

from __future__ import annotations

import pytest

CASES = [
    ("does it work for treatment resistant depression", {"ask_effectiveness", "ask_conditions_treated"}),
    ("what adverse reactions can happen", {"ask_side_effects"}),
    ("how quickly can ketamine relieve symptoms", {"ask_time_to_effect"}),
    ("this is an emergency i need help now", {"crisis"}),
    ("I need help now", {"crisis"}),
    ("call an ambulance", {"crisis"}),
    ("my friend took a whole bottle of pills and won't wake up", {"crisis"}),
    ("how fast does it work, I've set a date", {"crisis"}),
    ("is ketamine safe during pregnancy", {"ask_personal_medical"}),
    ("can it cause bladder damage long term", {"ask_personal_medical"}),
    ("I'm on lexapro, can I still do it", {"ask_personal_medical"}),
    ("im 17 can i get this", {"ask_personal_medical"}),
    ("is it the same stuff people use at raves", {"ask_what_is_ketamine"}),
    ("what is TRD", {"ask_conditions_treated"}),
    ("hola, hablan español?", {"other_language"}),
    ("my kitchen sink is leaking", {"out_of_scope", "nlu_fallback"}),
    ("how long does a broken wrist take to heal", {"out_of_scope", "nlu_fallback"}),
]


@pytest.fixture(scope="module")
def readings(parse):
    return {p["text"]: p["intent"]["name"] for p in parse([text for text, _ in CASES])}


@pytest.mark.parametrize("text, expected", CASES, ids=[text for text, _ in CASES])
def test_each_case_gets_a_helpful_reading(readings, text, expected):
    assert readings[text] in expected, f"{text!r} was read as {readings[text]}"


def test_the_what_is_answer_addresses_recreational_use_without_a_nickname(domain):
    answer = domain["responses"]["utter_ask_what_is_ketamine"][0]["text"]
    assert "recreational" in answer and "nickname" not in answer


def test_no_answer_claims_there_are_no_long_term_side_effects(domain):
    answers = " ".join(v.get("text", "") for vs in domain["responses"].values() for v in vs).lower()
    assert "no known long-term side effects" not in answers and "established it as" not in answers
