"""Base of the pipeline steps that learn nothing from training: built from their configuration
alone, and training data passes through them unchanged."""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData


def fallback_threshold(execution_context: ExecutionContext) -> float:
    """The threshold of the FallbackClassifier in the same pipeline (or its default): a step that
    hands a message back to the classifier's next reading treats readings below it as unsure,
    exactly as the fallback does, with the number written once, in config.yml."""
    from rasa.nlu.classifiers.fallback_classifier import THRESHOLD_KEY, FallbackClassifier

    for node in execution_context.graph_schema.nodes.values():
        if issubclass(node.uses, FallbackClassifier):
            return float({**FallbackClassifier.get_default_config(), **node.config}[THRESHOLD_KEY])
    return float(FallbackClassifier.get_default_config()[THRESHOLD_KEY])


class StatelessComponent(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any]) -> None:
        pass

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "StatelessComponent":
        return cls({**cls.get_default_config(), **config})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
