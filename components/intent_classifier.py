"""Intent classifier: logistic regression over TF-IDF word and character n-grams and the
message's meaning, its sentence vector (components/linear_reader.py).

Chosen by measurement over Rasa's stock classifiers (BENCHMARKS.md): on this small FAQ set it
generalises better than DIET, trains in a fraction of the time and classifies in about a
millisecond once the sentence vector is there. Risk (crisis, distress) is not learned here: the
crisis detector alone reads it."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.text import normalise, topic_text
from components.lay_terms import with_topic_keywords
from components.linear_reader import LinearReader, sentence_vectors
from components.sentence_encoder import QUESTION_PARTS

MODEL_NAME = "tfidf_intent_classifier"
MODEL_FILE, ARRAYS_FILE = f"{MODEL_NAME}.json", f"{MODEL_NAME}.npz"
# The entity that carries the topic of a message's second question to the dialogue (the slot
# second_question, answered by actions/questions.py after the first).
SECOND_QUESTION = "second_question"


# "how dose it work": the verb typed as the noun, which would read as a question about the dose.
DOSE_FOR_DOES = re.compile(r"(^|\b(?:how|what|why|when|where|so|and|but|it|that|this)\s+)dose"
                           r"(?=\s+(?:it|this|that|ketamine|ket|u|you|insurance|anyone|everyone"
                           r"|he|she|they|my|ur|your)\b)")


def normalise_text(text: str) -> str:
    """The shared normalisation (clinic/text.py) of the words that carry the topic, with emoji spelt out
    ("💸" as "money with wings"), and "dose" typed for "does" mended."""
    return DOSE_FOR_DOES.sub(r"\1does", normalise(topic_text(text)))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            # Inverse regularisation strength, chosen by cross-validation on the training data.
            "C": 100.0,
            "max_iter": 3000,
            "random_state": 42,
            "ranking_length": 10,
            # Add the topic keywords of patients' lay words (components/lay_terms.py).
            "lay_terms": True,
            # Weight of the sentence vector beside the n-grams (each block has unit length); 0 reads
            # the n-grams alone.
            "dense_weight": 1.0,
            # Intents that another pipeline step alone sets (the crisis detector's): never learned here.
            "intents_read_elsewhere": [],
            # A message asking two questions is read question by question when each is read at
            # least this surely as a topic (an intent starting with topic_prefix).
            "question_confidence": 0.5,
            "topic_prefix": "ask_",
            # Readings that decide the answer to the whole message: it is not read question by question
            # when the whole or any question is read so ("long-term, will it wreck my memory?").
            "whole_message_intents": ["ask_personal_medical"],
            # Readings of a question that name no topic with an answer of its own.
            "not_topics": ["ask_not_covered"],
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn", "scipy"]

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.reader = LinearReader(self.config["word_ngrams"], self.config["char_ngrams"],
                                   self.config["dense_weight"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    @property
    def labels(self) -> List[str]:
        return self.reader.labels

    def _prepared(self, text: str) -> str:
        text = normalise_text(text)
        return with_topic_keywords(text) if self.config["lay_terms"] else text

    def train(self, training_data: TrainingData) -> Resource:
        elsewhere = set(self.config["intents_read_elsewhere"])
        examples = [e for e in training_data.intent_examples
                    if e.get(INTENT) and e.get(TEXT) and e.get(INTENT) not in elsewhere]
        if not examples:
            return self._resource
        self.reader.fit([self._prepared(e.get(TEXT)) for e in examples], sentence_vectors(examples),
                        [e.get(INTENT) for e in examples], float(self.config["C"]), int(self.config["max_iter"]),
                        self.config["random_state"], balanced=True)
        self.persist()
        return self._resource

    def probabilities(self, texts: List[str], dense: Optional[np.ndarray] = None) -> np.ndarray:
        return self.reader.probabilities([self._prepared(t) for t in texts], dense)

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.labels:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        dense = sentence_vectors(messages) if self.reader.dense_size else None
        for message, probs in zip(messages, self.probabilities(texts, dense)):
            ranking = self._ranking(probs)
            first, second = self._two_topics(message, ranking[0]["name"])
            if first and second:
                # The first question's reading, so that it is answered first; the second rides along.
                ranking = first
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), {
                    "entity": SECOND_QUESTION, "value": second, "extractor": self.__class__.__name__}],
                    add_to_output=True)
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _ranking(self, probs: np.ndarray) -> List[Dict[str, Any]]:
        # As in Rasa, a ranking_length of 0 keeps every intent.
        order = np.argsort(-probs)[: int(self.config["ranking_length"]) or len(self.labels)]
        return [{"name": self.labels[i], "confidence": float(probs[i])} for i in order]

    def _two_topics(self, message: Message, whole: str) -> Tuple[Optional[List[Dict[str, Any]]], Optional[str]]:
        """For a message asking several questions: the ranking of the first question read surely as a
        topic, and the next such question's different topic; (None, None) otherwise."""
        parts = message.get(QUESTION_PARTS) or []
        whole_message_intents = set(self.config["whole_message_intents"])
        if len(parts) < 2 or whole in whole_message_intents:
            return None, None
        dense = np.vstack([vector for _, vector in parts]) if self.reader.dense_size else None
        rankings = [self._ranking(probs) for probs in self.probabilities([text for text, _ in parts], dense)]
        if any(ranking[0]["name"] in whole_message_intents for ranking in rankings):
            return None, None
        topics = [ranking for ranking in rankings if ranking[0]["name"].startswith(self.config["topic_prefix"])
                  and ranking[0]["name"] not in self.config["not_topics"]
                  and ranking[0]["confidence"] >= self.config["question_confidence"]]
        others = [ranking[0]["name"] for ranking in topics[1:] if ranking[0]["name"] != topics[0][0]["name"]]
        return (topics[0], others[0]) if others else (None, None)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            self.reader.save(directory, MODEL_NAME)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.reader.restore(directory, MODEL_NAME)
        except (ValueError, FileNotFoundError):
            # Not trained (no NLU data): the component leaves messages unclassified.
            pass
        return component
