"""Reading messages by meaning: the sentence encoder (clinic/encoder.py) as a dense featurizer.

The featurizer encodes each message once and hands the vector, as a dense sentence feature of its
text, to every step that needs it: the intent classifier and the crisis detector's risk reader.
A served message is usually encoded before Rasa reads it (`encoded_ahead`, called by the channels),
on the encoder's own thread and together with the other messages waiting."""

from __future__ import annotations

from typing import Any, AsyncContextManager, Dict, List, Optional, Sequence, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.encoder import (AHEAD, DIMENSIONS, ENCODER_NAME, ENCODER_REVISION, encode_remembered,
                            shared_encoder, vector_cache_path)
from clinic.questions import question_parts
from clinic.text import topic_text

# Set on a message that asks more than one question: each question's text and sentence vector, in
# order (the intent classifier reads each on its own).
QUESTION_PARTS = "question_parts"


def is_payload(text: Optional[str]) -> bool:
    """A button's payload ("/ask_cost") is no sentence: it gets a vector of zeros, never encoded."""
    return (text or "").startswith("/")


def encoder_inputs(text: Optional[str]) -> List[str]:
    """What the featurizer encodes for a message: its topic text, then each of its questions'."""
    if text is None or is_payload(text):
        return []
    return [topic_text(text)] + [topic_text(part) for part in question_parts(text)]


def encoded_ahead(text: Optional[str]) -> AsyncContextManager[None]:
    """While the body runs (Rasa handling the message), the message's vectors are ready."""
    return AHEAD.encoded(encoder_inputs(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds each message's sentence vector as a dense sentence feature of its text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "model_name": ENCODER_NAME, "revision": ENCODER_REVISION}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["tensorflow", "transformers", "tokenizers"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config.get("model_name", ENCODER_NAME) != ENCODER_NAME:
            raise ValueError(f"only {ENCODER_NAME} is supported, not {config['model_name']}")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.encoder = shared_encoder()
        AHEAD.serve(self.encoder)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEncoderFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def featurize(self, messages: List[Message], training: bool = False) -> None:
        """One encoder call for all the messages; a button's payload ("/ask_cost") is no sentence,
        and gets a vector of zeros without one. Training examples encoded before are read back."""
        texts = [topic_text(m.get(TEXT)) for m in messages if not is_payload(m.get(TEXT))]
        vectors = iter(encode_remembered(self.encoder, texts, vector_cache_path()) if training
                       else self.encode(texts))
        for message in messages:
            vector = np.zeros(DIMENSIONS, dtype=np.float32) if is_payload(message.get(TEXT)) else next(vectors)
            self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)

    def process(self, messages: List[Message]) -> List[Message]:
        messages_with_text = [m for m in messages if m.get(TEXT) is not None]
        self.featurize(messages_with_text)
        self.encode_questions(messages_with_text)
        return messages

    def encode_questions(self, messages: List[Message]) -> None:
        """Each question of a message that asks several, encoded in one call (messages only: the
        training examples are read whole)."""
        asked = [(message, question_parts(message.get(TEXT))) for message in messages
                 if not is_payload(message.get(TEXT))]
        asked = [(message, parts) for message, parts in asked if parts]
        if not asked:
            return
        vectors = iter(self.encode([topic_text(part) for _, parts in asked for part in parts]))
        for message, parts in asked:
            message.set(QUESTION_PARTS, [(part, next(vectors)) for part in parts])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors: those encoded ahead as they are, the others encoded now in one call."""
        vectors = [AHEAD.ready(text) for text in texts]
        missing = [text for text, vector in zip(texts, vectors) if vector is None]
        if not missing:
            return np.array(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
        encoded = iter(self.encoder.encode(missing))
        return np.array([next(encoded) if vector is None else vector for vector in vectors], dtype=np.float32)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.featurize([m for m in training_data.training_examples if m.get(TEXT)], training=True)
        return training_data
