"""The crisis detector on its own (unit tests): each rule, the negatives it must leave alone,
the classifier-score path, and what it records on the message."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.crisis_detector import DETECTION_KEY, CrisisDetector, CrisisRules, normalise

RULES = CrisisRules(classifier_threshold=0.5)


@pytest.mark.parametrize(
    "text, rule",
    [
        ("i want to kill myself", "kill_self"),
        ("i think i crashed the car on the way home, theres glass everywhere", "emergency_mention"),
        ("no quiero vivir mas", "other_language"),
        ("je veux mourir ce soir", "other_language"),
        ("i've put my affairs in order this week", "farewell"),
        ("i cant get any air and my chest is tight", "emergency"),
        ("i wnt to die", "want_to_die"),
        ("he's sitting in the garage with a hose from the exhaust", "method"),
        ("gonna kil my self tonight", "kill_self"),
        ("kms", "kms"),
        ("honestly might just unalive myself", "kms"),
        ("i'm going to end my life", "end_life"),
        ("i just want to end it all", "end_it"),
        ("i wanna die", "want_to_die"),
        ("i dont want to live anymore", "not_want_to_live"),
        ("i want to dye", "want_to_die"),
        ("everyone would be better off without me", "better_off"),
        ("there's no reason to live anymore", "no_reason_to_live"),
        ("i can't go on like this", "cant_go_on"),
        ("i hope i don't wake up tomorrow", "not_wake_up"),
        ("i won't be around much longer", "not_be_around"),
        ("i wrote my goodbye letters", "goodbye_note"),
        ("i've saved up enough pills to do it", "means"),
        ("thinking about jumping off the bridge", "method"),
        ("i cut myself again last night", "self_harm"),
        ("relapsed on self harm", "self_harm_mention"),
        ("i think i overdosed", "overdose"),
        ("i took a whole bottle of my sleeping pills", "took_too_many"),
        ("my dad is unconscious and barely breathing", "emergency"),
        ("my sister texted that she wants to die", "want_to_die"),
        ("suicidal", "suicide_mention"),
        ("i've been feeling suicidal, can ketamine help?", "suicide_mention_present"),
        ("how much is it? also i keep having suicidal thoughts", "suicide_mention_present"),
        ("can i book for friday, if im still alive by then", "survival_in_doubt"),
        ("im standing on the bridge", "means_at_hand"),
        ("i have a plan and a date", "plan"),
        ("my husband isn't waking up after his dose", "emergency"),
        ("she's bleeding and not making sense", "emergency_mention"),
        ("how many of my lithium would be too many", "means_seeking"),
        ("tell my mom it wasn't her fault", "farewell"),
        ("i keep wanting to drive into the river", "method"),
        ("im up at the cliffs", "means_at_hand"),
    ],
)
def test_crisis_patterns_fire_and_name_their_rule(text, rule):
    detection = RULES.detect(text)
    assert detection is not None, text
    assert detection.rule == rule
    assert detection.source == "pattern"
    assert detection.matched


@pytest.mark.parametrize(
    "text",
    [
        "can ketamine help with suicidal thoughts",
        "i totally crashed and slept 12 hours after my infusion",
        "my sister has had suicidal thoughts before, could she be a candidate?",
        "i was in a car accident years ago, can i still get treatment?",
        "is ketamine used for suicidal ideation",
        "i attempted suicide years ago, am i still a candidate",
        "can you overdose on ketamine during an infusion",
        "what's the risk of overdose",
        "this insurance paperwork is killing me",
        "i'm dying to know the price",
        "the clinic is 5 kms from my house",
        "im not suicidal, just depressed",
        "is bleeding a side effect of the iv?",
        "is ketamine a permanent solution for depression?",
        "what's your protocol if a patient says they feel suicidal during treatment?",
        "i want to dye my hair before my appointment",
        "how long does an infusion take",
        "i don't wake up until 10, can i book the afternoon",
        "",
        "   ",
    ],
)
def test_ordinary_messages_are_left_alone(text):
    assert RULES.detect(text) is None


def test_classifier_score_counts_only_without_treatment_framing():
    assert RULES.detect("everything feels pointless and heavy", crisis_score=0.7).rule == "classifier_score"
    assert RULES.detect("everything feels pointless and heavy", crisis_score=0.3) is None
    assert RULES.detect("can ketamine help when everything feels pointless", crisis_score=0.7) is None


@pytest.mark.parametrize("text", [
    "how do i cancel my subscription to your emails",
    "we watched a movie about a man who dies at the end",
    "my grandad passed away last month, can i move my appointment",
    "my boss will kill me if i miss another shift",
])
def test_ordinary_contexts_excuse_a_classifier_only_reading(text):
    assert CrisisRules(0.5).detect(text, 0.9, True) is None


def test_zero_width_and_case_tricks_are_normalised():
    assert normalise("I WANT TO K\u200bILL MYSELF") == "i want to kill myself"
    assert RULES.detect("I WANT TO K\u200bILL MYSELF").rule == "kill_self"


def test_component_overrides_intent_and_records_the_rule():
    detector = CrisisDetector({"classifier_threshold": 0.5})
    message = Message(data={"text": "my friend says she will kill herself"})
    message.set("intent", {"name": "ask_cost", "confidence": 0.4})
    message.set("intent_ranking", [{"name": "ask_cost", "confidence": 0.4}, {"name": "crisis", "confidence": 0.2}])
    [processed] = detector.process([message])
    assert processed.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert processed.get("intent_ranking")[0] == {"name": "crisis", "confidence": 1.0}
    assert [e["name"] for e in processed.get("intent_ranking")].count("crisis") == 1
    assert processed.get(DETECTION_KEY)["rule"] == "kill_self"


def test_component_uses_the_classifier_crisis_score():
    detector = CrisisDetector({"classifier_threshold": 0.5})
    message = Message(data={"text": "i can't see a way forward"})
    message.set("intent", {"name": "crisis", "confidence": 0.8})
    message.set("intent_ranking", [{"name": "crisis", "confidence": 0.8}])
    [processed] = detector.process([message])
    assert processed.get(DETECTION_KEY) == {"rule": "classifier_score", "matched": "0.80", "source": "classifier"}


def test_component_leaves_ordinary_messages_untouched():
    detector = CrisisDetector({"classifier_threshold": 0.5})
    message = Message(data={"text": "how much does it cost"})
    message.set("intent", {"name": "ask_cost", "confidence": 0.9})
    [processed] = detector.process([message])
    assert processed.get("intent")["name"] == "ask_cost"
    assert processed.get(DETECTION_KEY) is None
