"""The action server's responses are checked as Rasa checks them, with the schema checked once."""

from __future__ import annotations

import random
from typing import Any, Dict, List

import pytest
from jsonschema import ValidationError, validators

from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
from rasa_patches import EventSchemaChecks, install_response_validator

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "full_name", "value": "Ann"},
                {"event": "session_started"}, {"event": "action", "name": "action_listen"}],
     "responses": [{"response": "utter_welcome", "clinic_name": "Demo"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "bot", "text": "hi", "data": {}}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "no_such_event"}]},
    {"responses": "not a list"},
]


@pytest.fixture()
def patched(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    rasas = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
    # Rasa's own verdicts first, before the patch replaces the method for this test.
    rasas.verdicts = [_verdict(rasas, response) for response in VALID + INVALID]  # type: ignore[attr-defined]
    install_response_validator()
    install_response_validator()  # a second install changes nothing
    return rasas


def _verdict(action: RemoteAction, response: Dict[str, Any]) -> str:
    try:
        return "valid" if action._validate_action_result(response) else "refused"
    except ValidationError as error:
        return error.message


def test_the_verdicts_are_rasas(patched: RemoteAction) -> None:
    assert [_verdict(patched, response) for response in VALID + INVALID] == (
        patched.verdicts  # type: ignore[attr-defined]
    )
    assert patched.verdicts[:len(VALID)] == ["valid"] * len(VALID)  # type: ignore[attr-defined]
    refusals = patched.verdicts[len(VALID):]  # type: ignore[attr-defined]
    assert ["Failed to validate Action server response" in v for v in refusals] == [True] * len(INVALID)


def test_the_schema_is_checked_once(patched: RemoteAction, monkeypatch: pytest.MonkeyPatch) -> None:
    validator_class = validators.validator_for(patched.action_response_format_spec())
    checks = []
    original = validator_class.check_schema.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema, *a, **k: checks.append(1) or original(cls, schema, *a, **k)))
    for _ in range(20):
        assert patched._validate_action_result(VALID[1])
    assert len(checks) <= 1


def random_value(rng: random.Random) -> Any:
    return rng.choice([None, True, 0, 1.5, "text", [], ["a"], {}, {"k": 1}, [{"event": "slot"}]])


def random_event(rng: random.Random, kinds: List[str]) -> Any:
    """Events of every kind with fields of every type, and things that are no event at all."""
    if rng.random() < 0.05:
        return random_value(rng)
    event: Dict[str, Any] = {}
    roll = rng.random()
    event["event"] = rng.choice(kinds) if roll < 0.85 else random_value(rng) if roll < 0.95 else "no_such_event"
    if rng.random() < 0.05:
        del event["event"]
    for field in rng.sample(["name", "value", "text", "timestamp", "metadata", "parse_data", "entities",
                             "policy", "confidence", "data", "input_channel", "hide_rule_turn", "extra"],
                            rng.randint(0, 5)):
        event[field] = rng.choice(["full_name", 3, None, {}, [], 0.9, "x", {"intent": {}}])
    return event


def random_response(rng: random.Random, kinds: List[str]) -> Any:
    if rng.random() < 0.03:
        return random_value(rng)
    response: Dict[str, Any] = {}
    if rng.random() < 0.9:
        response["events"] = ([random_event(rng, kinds) for _ in range(rng.randint(0, 6))]
                              if rng.random() < 0.95 else random_value(rng))
    if rng.random() < 0.5:
        response["responses"] = [{"response": "utter_x"}] if rng.random() < 0.9 else random_value(rng)
    return response


def test_one_event_schema_per_kind_accepts_exactly_what_the_whole_schema_accepts() -> None:
    schema = RemoteAction.action_response_format_spec()
    whole = validators.validator_for(schema)(schema)
    checks = EventSchemaChecks(schema)
    kinds = sorted(checks.by_kind)
    assert len(kinds) == 23  # Rasa 3.6's kinds of event: the shortcut is taken
    rng = random.Random(7)
    responses = VALID + INVALID + [random_response(rng, kinds) for _ in range(3000)]
    verdicts = [(checks.is_valid(response), whole.is_valid(response)) for response in responses]
    assert [fast for fast, _ in verdicts] == [full for _, full in verdicts]
    # Both verdicts occur often enough for the comparison to mean something.
    assert 300 < sum(full for _, full in verdicts) < len(verdicts) - 300


def test_a_schema_of_another_shape_is_checked_whole() -> None:
    schema = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}
    checks = EventSchemaChecks(schema)
    assert checks.by_kind == {}
    assert checks.is_valid({"events": [{"anything": 1}]})
    assert not checks.is_valid({"events": [1]})
