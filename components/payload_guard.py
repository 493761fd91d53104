"""Guards the `/intent{...}` shortcut that Rasa applies to any message starting with "/".

Rasa turns a message such as `/book_appointment{"full_name": "x"}` into that intent with those
entities, skipping the classifier, the crisis detector and the forms' validation. Buttons need the
shortcut (`/affirm`, `/ask_cost`), people typing do not. This component runs first in the pipeline
and rewrites the text before anything reads it:

- a button-shaped payload (`/intent`, optionally with allowed entities holding plain identifiers)
  naming an intent that is not internal is kept, in canonical form (no `@confidence`);
- anything else starting with "/" loses its payload syntax and is classified as ordinary words, so
  `/crisis`, `/restart` or `/ask_cost{"x": "..."}` are read like any other message.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent

# Set on a message whose payload syntax was taken away: what is left was typed as a command.
TYPED_COMMAND = "typed_command"
PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z][A-Za-z0-9_]*)(?P<entities>\{.*\})?$", re.DOTALL)
ENTITY_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
PAYLOAD_SYNTAX = re.compile(r"[/{}\[\]\"@_:,\\]+")


def guarded_text(text: str, internal_intents: frozenset, payload_entities: frozenset) -> str:
    """The text the rest of the pipeline should read."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    match = PAYLOAD.match(stripped)
    if match and match.group("intent") not in internal_intents:
        entities = _allowed_entities(match.group("entities"), payload_entities)
        if entities is not None:
            return f"/{match.group('intent')}" + (json.dumps(entities) if entities else "")
    return " ".join(PAYLOAD_SYNTAX.sub(" ", stripped).split())


def _allowed_entities(raw: Optional[str], payload_entities: frozenset) -> Optional[Dict[str, str]]:
    """The entities of a button payload, or None when they are not what a button sends."""
    if not raw:
        return {}
    try:
        entities = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entities, dict) or not all(
        key in payload_entities and isinstance(value, str) and ENTITY_VALUE.match(value)
        for key, value in entities.items()
    ):
        return None
    return entities


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class PayloadGuard(StatelessComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Intents set only by the assistant itself, never by a typed or clicked payload.
            "internal_intents": ["crisis", "distress", "nlu_fallback", "restart", "back", "session_start"],
            # Entities that buttons carry; their values must be plain identifiers.
            "payload_entities": [],
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.internal_intents = frozenset(config["internal_intents"])
        self.payload_entities = frozenset(config["payload_entities"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                guarded = guarded_text(text, self.internal_intents, self.payload_entities)
                if guarded != text:
                    message.set(TEXT, guarded)
                    if not guarded.startswith("/"):
                        message.set(TYPED_COMMAND, True)
        return messages
