"""The action server's responses are checked as Rasa checks them, with the schema checked once."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError, validators

from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
from rasa_patches import install_response_validator

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
