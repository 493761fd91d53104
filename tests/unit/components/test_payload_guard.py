"""The payload guard: typed `/intent{...}` shortcuts (unit tests; end-to-end in test_bad_input.py)."""

from __future__ import annotations

import pytest

from components.payload_guard import PayloadGuard, guarded_text

INTERNAL = frozenset(PayloadGuard.get_default_config()["internal_intents"])
ENTITIES = frozenset({"booking_field"})


@pytest.mark.parametrize("text", [
    "/affirm", "/ask_cost", "/request_human", '/change_booking{"booking_field": "phone"}',
    "how much does it cost?", "I paid $450 / session", "",
])
def test_buttons_and_ordinary_text_pass_unchanged(text):
    assert guarded_text(text, INTERNAL, ENTITIES) == text


@pytest.mark.parametrize("text, expected", [
    ("/crisis", "crisis"),
    ("/restart", "restart"),
    ("/session_start", "session start"),
    ("/nlu_fallback", "nlu fallback"),
    ('/book_appointment{"full_name": "Ann Smith", "phone": "+12025550100"}',
     "book appointment full name Ann Smith phone +12025550100"),
    ('/change_booking{"booking_field": "full name; drop table"}', "change booking booking field full name; drop table"),
    ('/change_booking{"consent": "yes"}', "change booking consent yes"),
    ('/affirm{"booking_field": ["a"]}', "affirm booking field a"),
    ('/ask_cost{"x": "i want to kill myself"}', "ask cost x i want to kill myself"),
    ("/ask_cost{not json}", "ask cost not json"),
    ("/", ""),
    ("/ what is this", "what is this"),
])
def test_other_payloads_are_read_as_ordinary_words(text, expected):
    assert guarded_text(text, INTERNAL, ENTITIES) == expected


def test_confidence_suffix_is_not_honoured():
    assert guarded_text("/ask_cost@0.99", INTERNAL, ENTITIES) == "ask cost 0.99"


def test_component_rewrites_only_what_it_must():
    from rasa.shared.nlu.training_data.message import Message

    guard = PayloadGuard({**PayloadGuard.get_default_config(), "payload_entities": ["booking_field"]})
    messages = [Message({"text": "/crisis"}), Message({"text": "/affirm"}), Message({"text": "hello"})]
    assert [m.get("text") for m in guard.process(messages)] == ["crisis", "/affirm", "hello"]


def test_a_message_without_letters_or_of_details_alone_is_in_no_language():
    """The classifier's guess that "!!!" or "Dana Lee 415-555-0199" is another language is only a
    guess: the next reading takes its place when it is sure enough, "did you mean" otherwise."""
    from rasa.shared.nlu.training_data.message import Message

    from components.language_guard import LanguageGuard

    guard = LanguageGuard({})
    readings = {}
    for text, next_confidence in (("!!!", 0.2), ("12345", 0.2), ("Dana Lee 415-555-0199", 0.2),
                                  ("Nguyen Van Minh, mornings", 0.5), ("¿cuánto cuesta el tratamiento?", 0.2)):
        message = Message(data={"text": text})
        message.set("intent", {"name": "other_language", "confidence": 0.6})
        message.set("intent_ranking", [{"name": "other_language", "confidence": 0.6},
                                       {"name": "out_of_scope", "confidence": next_confidence}])
        guard.process([message])
        readings[text] = message.get("intent")["name"]
    assert readings == {"!!!": "nlu_fallback", "12345": "nlu_fallback", "Dana Lee 415-555-0199": "nlu_fallback",
                        "Nguyen Van Minh, mornings": "out_of_scope",
                        "¿cuánto cuesta el tratamiento?": "other_language"}
