"""End to end over HTTP: the real action server and Rasa server, one question per FAQ topic
through POST /webhooks/rest/webhook, checked against the answer the domain defines."""

from __future__ import annotations

import uuid
from typing import Dict

import pytest
import yaml

from clinic.profile import DEFAULT_PROFILE, load_profile
from tests.support.chat import rendered, say
from tests.support.project import ROOT

# Fresh phrasings, in no training or held-out file.
QUESTIONS: Dict[str, str] = {
    "ask_what_is_ketamine": "what exactly is ketamine therapy?",
    "ask_mechanism": "how does ketamine actually work on the brain",
    "ask_infusion_duration": "how many minutes does one infusion last",
    "ask_time_to_effect": "how quickly will i notice it working",
    "ask_effect_duration": "once it works, how long does the relief last?",
    "ask_treatment_course": "how many infusions will i need in total",
    "ask_safety": "is ketamine treatment safe for me to try",
    "ask_side_effects": "what side effects does ketamine have",
    "ask_addiction_risk": "is there a risk of getting addicted to ketamine",
    "ask_insurance": "does insurance cover ketamine infusions",
    "ask_cost": "how much does a ketamine infusion cost",
    "ask_conditions_treated": "what conditions can ketamine treat besides depression",
    "ask_candidacy": "who is a good candidate for ketamine therapy",
    "ask_session_experience": "what happens during a ketamine session",
    "ask_administration_methods": "is it given through an iv or as a nasal spray",
    "ask_effectiveness": "does ketamine therapy really work",
    "ask_medications": "do i need to stop my current medication before ketamine",
    "ask_vs_antidepressants": "how is ketamine different from ssri antidepressants",
    "ask_dosage": "what dose of ketamine do you give",
    "ask_contact": "what is your address and opening hours",
}


def story_questions() -> Dict[str, str]:
    """The question of each FAQ test story (built from the topic files, so topics added later with
    make new-faq are covered too) and of the personal medical story."""
    stories = [story for name in ("faq.yml", "personal_medical.yml")
               for story in yaml.safe_load((ROOT / "tests" / "stories" / name).read_text(encoding="utf-8"))["stories"]]
    found: Dict[str, str] = {}
    for story in stories:
        steps = story["steps"]
        if steps and "user" in steps[0] and steps[0].get("intent", "").startswith("ask_"):
            found.setdefault(steps[0]["intent"], steps[0]["user"].strip())
    return found


FAQ_QUESTIONS: Dict[str, str] = {**story_questions(), **QUESTIONS}


def test_questions_cover_every_faq_intent(faq_intents):
    missing = sorted(set(faq_intents) - set(FAQ_QUESTIONS))
    assert not missing, f"tests/stories/faq.yml: add a story with a typical question for: {missing}"


@pytest.mark.parametrize("intent", sorted(FAQ_QUESTIONS))
def test_each_faq_topic_is_answered(assistant, domain, intent):
    replies = say(assistant, f"faq-{intent}-{uuid.uuid4().hex[:8]}", FAQ_QUESTIONS[intent])
    texts = [r.get("text") for r in replies]
    assert rendered(domain, f"utter_{intent}") in texts, f"{FAQ_QUESTIONS[intent]!r} got {texts}"
    answer = next(r for r in replies if r.get("text") == rendered(domain, f"utter_{intent}"))
    assert answer.get("buttons"), "FAQ answers end with next-step buttons"
    assert "{" not in answer["text"] and "None" not in answer["text"]


def test_new_conversation_starts_with_the_welcome(assistant, domain):
    sender = f"welcome-{uuid.uuid4().hex[:8]}"
    replies = say(assistant, sender, "hello")
    welcome = rendered(domain, "utter_welcome")
    assert replies[0]["text"] == welcome
    assert "not medical advice" in welcome and "911" in welcome and "988" in welcome
    assert [b["payload"] for b in replies[0]["buttons"]]
    # The welcome comes once per session, not on every message.
    again = say(assistant, sender, "hi again")
    assert welcome not in [r.get("text") for r in again]


def test_crisis_message_gets_crisis_resources(assistant):
    """The demo clinic is in the US: 988 with its Spanish option, the Crisis Text Line and 911
    (a UK clinic's lines: test_clinic_country.py)."""
    replies = say(assistant, f"crisis-{uuid.uuid4().hex[:8]}", "i want to kill myself")
    text = " ".join(r.get("text", "") for r in replies)
    for resource in ("988", "press 2", "text AYUDA to 988", "741741", "911"):
        assert resource in text
    assert "116 123" not in text and "999" not in text


def test_a_practical_question_gets_the_clinics_own_policy(assistant):
    replies = say(assistant, f"policy-{uuid.uuid4().hex[:8]}", "can I drive home after an infusion")
    policy = load_profile(DEFAULT_PROFILE).policies["getting_home"]
    assert policy in [r.get("text") for r in replies], replies


def test_bot_challenge_is_answered_honestly(assistant, domain):
    replies = say(assistant, f"bot-{uuid.uuid4().hex[:8]}", "am i chatting with a real person?")
    assert rendered(domain, "utter_bot_challenge") in [r.get("text") for r in replies]


def test_out_of_scope_is_deflected(assistant, domain):
    replies = say(assistant, f"oos-{uuid.uuid4().hex[:8]}", "can you recommend a good pizza place")
    assert rendered(domain, "utter_out_of_scope") in [r.get("text") for r in replies]


def test_follow_up_questions_work_at_any_point(assistant, domain):
    sender = f"follow-{uuid.uuid4().hex[:8]}"
    for intent in ("ask_cost", "ask_insurance", "ask_side_effects"):
        replies = say(assistant, sender, QUESTIONS[intent])
        assert rendered(domain, f"utter_{intent}") in [r.get("text") for r in replies]


def test_two_misses_in_a_row_lead_to_the_clinic(assistant, domain):
    sender = f"fallback-{uuid.uuid4().hex[:8]}"
    say(assistant, sender, "hello")
    first = say(assistant, sender, "the second")
    assert first[0]["text"] == rendered(domain, "utter_ask_rephrase")
    assert 2 <= len(first[0]["buttons"]) <= 3
    second = say(assistant, sender, "that one")
    assert second[0]["text"] == rendered(domain, "utter_fallback_contact")


@pytest.fixture(scope="module")
def other_clinic(model_path, tmp_path_factory):
    """The same model served for a second clinic, chosen by CLINIC_PROFILE."""
    from tools.servers import running_assistant

    workdir = tmp_path_factory.mktemp("other-clinic")
    profile = workdir / "profile.yml"
    raw = (ROOT / "clinic" / "demo.yml").read_text()
    profile.write_text(
        raw.replace("Demo Ketamine Clinic (sample profile)", "Lakeside Wellness")
        .replace("(202) 555-0123", "(202) 555-0199")
        .replace("demo: true", "demo: false")
    )
    with running_assistant(model_path, workdir, env={"CLINIC_PROFILE": str(profile)}) as running:
        yield running, load_profile(profile)


def test_clinic_profile_is_chosen_by_environment(other_clinic, domain):
    assistant, profile = other_clinic
    replies = say(assistant, f"profile-{uuid.uuid4().hex[:8]}", "what's your phone number?")
    texts = [r.get("text") for r in replies]
    assert rendered(domain, "utter_welcome", profile) in texts
    assert rendered(domain, "utter_ask_contact", profile) in texts
    assert any("Lakeside Wellness" in t and "(202) 555-0199" in t for t in texts)


def test_conversations_are_kept_in_the_sqlite_tracker_store(assistant):
    """Rasa falls back to an in-memory store when a custom store fails to load: check the file."""
    import sqlite3

    sender = f"stored-{uuid.uuid4().hex[:8]}"
    say(assistant, sender, "is ketamine safe?")
    with sqlite3.connect(assistant.workdir / "tracker.db") as db:
        [(count,)] = db.execute("select count(*) from events where sender_id = ?", (sender,)).fetchall()
        [(mode,)] = db.execute("pragma journal_mode").fetchall()
    assert count >= 4 and mode == "wal"
