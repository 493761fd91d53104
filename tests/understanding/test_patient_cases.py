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
    # A general question about lasting harm: the honest answer on long-term risks (it names the clinician).
    ("can it cause bladder damage long term", {"ask_long_term_risks"}),
    ("is it bad for your brain", {"ask_long_term_risks"}),
    ("can you die from ketamine", {"ask_safety"}),
    ("will it make my anxiety worse", {"ask_safety", "ask_personal_medical"}),
    ("tell me more", {"tell_me_more"}),
    ("I'm on lexapro, can I still do it", {"ask_personal_medical"}),
    ("im 17 can i get this", {"ask_personal_medical"}),
    ("is it the same stuff people use at raves", {"ask_what_is_ketamine"}),
    ("what is TRD", {"ask_conditions_treated"}),
    ("hola, hablan español?", {"other_language"}),
    ("my kitchen sink is leaking", {"out_of_scope", "nlu_fallback"}),
    ("how long does a broken wrist take to heal", {"out_of_scope", "nlu_fallback"}),
    # One-word and meta messages: what the assistant can do, or a check-in; never the crisis answer.
    ("help", {"help_menu", "distress"}),
    ("i need help", {"help_menu", "distress"}),
    ("idk", {"help_menu"}),
    ("can you help me", {"help_menu"}),
    ("menu", {"help_menu"}),
    ("?", {"help_menu"}),
    ("help me debug my sql query", {"out_of_scope", "nlu_fallback"}),
    # A closing read about equally as thanks and as goodbye gets either answer, not "did you mean".
    ("thanks bye", {"thank", "goodbye"}),
    ("ok thanks bye", {"thank", "goodbye"}),
    # Vague distress gets the check-in; a request for crisis lines gets them.
    ("i can't do this anymore", {"distress"}),
    ("nothing matters", {"distress"}),
    ("whats the crisis line number", {"crisis_resources"}),
    ("what is the suicide hotline number", {"crisis_resources"}),
    ("988?", {"crisis_resources"}),
    # Words that carry no topic leave the question as it was.
    ("ok, and what does it cost?", {"ask_cost"}),
    ("um so like how much is it", {"ask_cost"}),
    ("thanks, and how long does it take to work", {"ask_time_to_effect"}),
    # Look-alikes keep their normal answer.
    ("this price is killing me", {"ask_cost"}),
    ("I'm safe, no thoughts of hurting myself, is it addictive?", {"ask_addiction_risk"}),
    ("my uncle overdosed years ago, is ketamine addictive?", {"ask_addiction_risk"}),
]
# A form's answers typed on their own: read as neither a crisis, a distress nor another language.
DETAILS = ["I'm Dana Lee, 415-555-0199, weekday mornings", "Dana Lee 415-555-0199", "Nguyen Van Minh",
           "Maria Garcia", "next tuesday at 3pm", "dana.lee@example.com", "Siobhan O'Connor, mornings"]


@pytest.fixture(scope="module")
def readings(parse):
    return {p["text"]: p["intent"]["name"] for p in parse([text for text, _ in CASES])}


@pytest.mark.parametrize("text, expected", CASES, ids=[text for text, _ in CASES])
def test_each_case_gets_a_helpful_reading(readings, text, expected):
    assert readings[text] in expected, f"{text!r} was read as {readings[text]}"


def test_names_numbers_and_times_are_no_risk_and_no_language(parse):
    readings = {p["text"]: p["intent"]["name"] for p in parse(DETAILS)}
    wrong = {text: intent for text, intent in readings.items()
             if intent in ("crisis", "distress", "other_language")}
    assert not wrong, wrong


def test_the_what_is_answer_addresses_recreational_use_without_a_nickname(domain):
    answer = domain["responses"]["utter_ask_what_is_ketamine"][0]["text"]
    assert "recreational" in answer and "nickname" not in answer


def test_no_answer_claims_there_are_no_long_term_side_effects(domain):
    answers = " ".join(v.get("text", "") for vs in domain["responses"].values() for v in vs).lower()
    assert "no known long-term side effects" not in answers and "established it as" not in answers
