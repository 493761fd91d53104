"""Rasa's FallbackClassifier, except for readings whose answers both fit.

"thanks bye" is read half as thanks and half as goodbye: the two top readings are within the
ambiguity threshold, and Rasa's FallbackClassifier makes the message unsure, so the patient got
"did you mean" with topics they never asked about. Either answer fits such a message; within a
group of `interchangeable` intents the top reading stands. Everything else is Rasa's own."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ClinicFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**FallbackClassifier.get_default_config(), "interchangeable": [["thank", "goodbye"]]}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.interchangeable: List[frozenset] = [frozenset(group) for group in config.get("interchangeable") or []]

    def _nlu_prediction_ambiguous(self, message: Message) -> Tuple[bool, Optional[float]]:
        ambiguous, difference = super()._nlu_prediction_ambiguous(message)
        if ambiguous:
            top_two = {entry.get(INTENT_NAME_KEY) for entry in (message.get(INTENT_RANKING_KEY) or [])[:2]}
            if any(top_two <= group for group in self.interchangeable):
                return False, difference
        return ambiguous, difference
