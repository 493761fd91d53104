"""Intent classifier: TF-IDF word and character n-grams with multinomial logistic regression.

Chosen by measurement over Rasa's stock classifiers (BENCHMARKS.md): on this small FAQ set it
generalises better than LogisticRegressionClassifier on raw counts, about as well as DIET,
trains in seconds instead of minutes and classifies in well under a millisecond.
The model is stored as plain JSON and NumPy arrays (no pickle)."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Sequence, Text

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.text import normalise
from components.lay_terms import with_topic_keywords

MODEL_FILE = "tfidf_intent_classifier.json"
ARRAYS_FILE = "tfidf_intent_classifier.npz"


# "how dose it work": the verb typed as the noun, which would read as a question about the dose.
DOSE_FOR_DOES = re.compile(r"(^|\b(?:how|what|why|when|where|so|and|but|it|that|this)\s+)dose"
                           r"(?=\s+(?:it|this|that|ketamine|ket|u|you|insurance|anyone|everyone"
                           r"|he|she|they|my|ur|your)\b)")


def normalise_text(text: str) -> str:
    """The shared normalisation (clinic/text.py), with "dose" typed for "does" mended."""
    return DOSE_FOR_DOES.sub(r"\1does", normalise(text))


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
STORY_MIN_WORDS = 20


def story_question(text: str) -> Optional[str]:
    """The question a long message ends with: its last sentence with a question mark, or else its
    last sentence. None for a message of one sentence or a short one."""
    sentences = [s for s in SENTENCE_END.split((text or "").strip()) if s.strip()]
    if len(sentences) < 2 or len(text.split()) < STORY_MIN_WORDS:
        return None
    asked = [s for s in sentences if "?" in s]
    return (asked or sentences)[-1]


class NgramSpace:
    """One TF-IDF feature space (word or character n-grams), reproducible from its
    vocabulary and idf weights alone."""

    def __init__(self, analyzer: str, ngram_range: Sequence[int]) -> None:
        self.analyzer = analyzer
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.vocabulary: Dict[str, int] = {}
        self.idf = np.zeros(0)
        self._counter: Optional[CountVectorizer] = None

    def fit(self, texts: List[str]) -> None:
        fitted = TfidfVectorizer(
            analyzer=self.analyzer, ngram_range=self.ngram_range, sublinear_tf=True
        ).fit(texts)
        self.restore({k: int(v) for k, v in fitted.vocabulary_.items()}, fitted.idf_)

    def restore(self, vocabulary: Dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary, self.idf = vocabulary, np.asarray(idf, dtype=np.float64)
        self._counter = CountVectorizer(
            analyzer=self.analyzer, ngram_range=self.ngram_range, vocabulary=vocabulary
        )

    def transform(self, texts: List[str]) -> csr_matrix:
        counts = self._counter.transform(texts).astype(np.float64)
        counts.data = 1.0 + np.log(counts.data)  # sublinear term frequency
        return normalize(counts.multiply(self.idf).tocsr())


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
            # Share of a long message's reading taken from its last question (story_question).
            "story_question_weight": 0.3,
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
        self.spaces = [
            NgramSpace("word", self.config["word_ngrams"]),
            NgramSpace("char_wb", self.config["char_ngrams"]),
        ]
        self.labels: List[str] = []
        self.intercept = np.zeros(0)
        self.set_coefficients(np.zeros((0, 0)))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def set_coefficients(self, coef: np.ndarray) -> None:
        # Kept as one C-ordered (features x labels) array: a sparse row times the transposed view
        # `coef.T` made scipy copy all of coef (about 21 MB) on every message.
        self.weights = np.ascontiguousarray(np.asarray(coef, dtype=np.float64).T)

    @property
    def coef(self) -> np.ndarray:
        return self.weights.T

    def _features(self, texts: List[str]) -> csr_matrix:
        return hstack([space.transform(texts) for space in self.spaces]).tocsr()

    def _prepared(self, text: str) -> str:
        text = normalise_text(text)
        return with_topic_keywords(text) if self.config["lay_terms"] else text

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        texts = [self._prepared(e.get(TEXT)) for e in examples]
        for space in self.spaces:
            space.fit(texts)
        classifier = LogisticRegression(
            C=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
            random_state=self.config["random_state"],
            class_weight="balanced",
        ).fit(self._features(texts), [e.get(INTENT) for e in examples])
        self.labels = [str(label) for label in classifier.classes_]
        coef, intercept = classifier.coef_, classifier.intercept_
        if len(self.labels) == 2:
            # A two-class model keeps one row, the second class's score against the first; the
            # softmax over (0, score) gives the same two probabilities.
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        self.set_coefficients(coef)
        self.intercept = intercept
        self.persist()
        return self._resource

    def probabilities(self, texts: List[str]) -> np.ndarray:
        scores = self._features([self._prepared(t) for t in texts]) @ self.weights
        scores = np.asarray(scores) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def story_aware_probabilities(self, texts: List[str]) -> np.ndarray:
        """A long story's reading leans on the question it ends with, whose words the story's
        other words would otherwise drown out."""
        probs = self.probabilities(texts)
        weight = float(self.config["story_question_weight"])
        if weight <= 0:
            return probs
        for row, text in enumerate(texts):
            question = story_question(text)
            if question:
                probs[row] = (1 - weight) * probs[row] + weight * self.probabilities([question])[0]
        return probs

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.labels:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        for message, probs in zip(messages, self.story_aware_probabilities(texts)):
            # As in Rasa, a ranking_length of 0 keeps every intent.
            order = np.argsort(-probs)[: int(self.config["ranking_length"]) or len(self.labels)]
            ranking = [
                {"name": self.labels[i], "confidence": float(probs[i])} for i in order
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_text(
                json.dumps(
                    {
                        "labels": self.labels,
                        "vocabularies": [space.vocabulary for space in self.spaces],
                    }
                ),
                encoding="utf-8",
            )
            np.savez(
                directory / ARRAYS_FILE,
                coef=self.coef,
                intercept=self.intercept,
                **{f"idf_{i}": space.idf for i, space in enumerate(self.spaces)},
            )

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                    for i, space in enumerate(component.spaces):
                        space.restore(stored["vocabularies"][i], arrays[f"idf_{i}"])
                    component.labels = stored["labels"]
                    component.set_coefficients(arrays["coef"])
                    component.intercept = arrays["intercept"]
        except (ValueError, FileNotFoundError):
            # Not trained (no NLU data): the component leaves messages unclassified.
            pass
        return component
