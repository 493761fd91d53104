"""Follow-ups the classifier cannot place: a short message that opens by continuing the
conversation ("and for teens?", "what about the first one") and is read as no topic, or unsurely,
becomes unsure (nlu_fallback, as the FallbackClassifier marks it), so that the fallback action
reads it against the previous answer's topic (actions/fallback.py) or, with none, offers topics.
A topic read surely ("and how often" as the treatment course) stands."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic.questions import leans_on_before
from components.stateless import StatelessComponent
from components.text import FALLBACK_INTENT, mark_unsure


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FollowUpReader(StatelessComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Readings that say the message has no topic of its own.
            "no_topic_intents": ["help_menu", "out_of_scope"],
            # A topic read less surely than this in a follow-up is left to the previous answer.
            "surely": 0.5,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.no_topic_intents = frozenset(config["no_topic_intents"])
        self.surely = float(config["surely"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name, confidence = intent.get("name"), intent.get("confidence") or 0.0
            if name == FALLBACK_INTENT or not name or not leans_on_before(message.get(TEXT)):
                continue
            if name in self.no_topic_intents or confidence < self.surely:
                mark_unsure(message, 1.0 - confidence, [entry for entry in message.get(INTENT_RANKING_KEY) or []
                                                        if entry.get("name") != FALLBACK_INTENT])
        return messages
