"""A message read by its words and its meaning: logistic regression over TF-IDF word and character
n-grams and the sentence encoder's vector (components/sentence_encoder.py). The intent classifier
and the crisis detector's risk reader are both one of these, trained on different labels.

The n-grams read the words a patient typed, the sentence vector what they mean however they put
it; together they read the rounds written in styles the training data lacks better than either
alone (BENCHMARKS.md). Everything is stored as JSON and NumPy arrays (no pickle)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


class NgramSpace:
    """One TF-IDF feature space (word or character n-grams), reproducible from its
    vocabulary and idf weights alone."""

    def __init__(self, analyzer: str, ngram_range: Sequence[int]) -> None:
        self.analyzer = analyzer
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.vocabulary: Dict[str, int] = {}
        self.idf = np.zeros(0)
        self._counter: Optional[CountVectorizer] = None
        self._analyse: Callable[[str], List[str]] = lambda text: []

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
        self._analyse = self._counter.build_analyzer()

    def transform(self, texts: List[str]) -> csr_matrix:
        """The texts' rows of `weighted`, as one sparse matrix (for training)."""
        rows = [self.weighted(text) for text in texts]
        indptr = np.cumsum([0] + [len(indices) for indices, _ in rows])
        indices = np.concatenate([indices for indices, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        values = np.concatenate([values for _, values in rows]) if rows else np.zeros(0)
        return csr_matrix((values, indices, indptr), shape=(len(texts), len(self.vocabulary)))

    def weighted(self, text: str) -> Tuple[np.ndarray, np.ndarray]:
        """One text's TF-IDF row as (feature indices, values): sublinear term frequency times idf,
        of unit length. Read directly for one message, where building sparse matrices would cost
        more than the reading itself."""
        counts = Counter(index for index in map(self.vocabulary.get, self._analyse(text)) if index is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[indices]
        return indices, values / np.linalg.norm(values)


def sentence_vectors(messages: Sequence[Message]) -> Optional[np.ndarray]:
    """The messages' sentence vectors (dense sentence features of their text), one row each; None
    when a message has none (no encoder in the pipeline)."""
    rows = []
    for message in messages:
        _, sentence = message.get_dense_features(TEXT)
        if sentence is None:
            return None
        rows.append(np.asarray(sentence.features, dtype=np.float64).reshape(-1))
    return np.vstack(rows) if rows else None


class LinearReader:
    """Multinomial logistic regression over n-grams and, when given, sentence vectors."""

    def __init__(self, word_ngrams: Sequence[int], char_ngrams: Sequence[int], dense_weight: float) -> None:
        self.spaces = [NgramSpace("word", word_ngrams), NgramSpace("char_wb", char_ngrams)]
        self.dense_weight = float(dense_weight)
        self.labels: List[str] = []
        self.dense_size = 0
        self.intercept = np.zeros(0)
        self.set_coefficients(np.zeros((0, 0)))

    def set_coefficients(self, coef: np.ndarray) -> None:
        # Kept as one C-ordered (features x labels) array: a sparse row times the transposed view
        # `coef.T` made scipy copy all of coef (about 21 MB) on every message.
        self.weights = np.ascontiguousarray(np.asarray(coef, dtype=np.float64).T)

    @property
    def coef(self) -> np.ndarray:
        return self.weights.T

    def ngram_features(self, texts: List[str]) -> csr_matrix:
        return hstack([space.transform(texts) for space in self.spaces]).tocsr()

    def check_dense(self, count: int, dense: Optional[np.ndarray]) -> None:
        if self.dense_size and (dense is None or dense.shape != (count, self.dense_size)):
            raise ValueError(f"this reader reads {self.dense_size}-dimensional sentence vectors: put the "
                             "sentence encoder before it in the pipeline")

    def features(self, texts: List[str], dense: Optional[np.ndarray]) -> csr_matrix:
        self.check_dense(len(texts), dense)
        blocks = [self.ngram_features(texts)]
        if self.dense_size:
            blocks.append(csr_matrix(dense * self.dense_weight))
        return hstack(blocks).tocsr()

    def fit(self, texts: List[str], dense: Optional[np.ndarray], labels: List[str], regularisation: float,
            max_iter: int, seed: int, balanced: bool) -> None:
        for space in self.spaces:
            space.fit(texts)
        self.dense_size = 0 if dense is None or not self.dense_weight else dense.shape[1]
        model = LogisticRegression(C=regularisation, max_iter=max_iter, random_state=seed,
                                   class_weight="balanced" if balanced else None)
        model.fit(self.features(texts, dense), labels)
        self.labels = [str(label) for label in model.classes_]
        coef, intercept = model.coef_, model.intercept_
        if len(self.labels) == 2:
            # A two-class model keeps one row, the second class's score against the first; the
            # softmax over (0, score) gives the same two probabilities.
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        self.set_coefficients(coef)
        self.intercept = intercept

    def probabilities(self, texts: List[str], dense: Optional[np.ndarray]) -> np.ndarray:
        """One row per text, one column per label (in `labels`' order)."""
        self.check_dense(len(texts), dense)
        scores = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            offset = 0
            for space in self.spaces:
                indices, values = space.weighted(text)
                scores[row] += values @ self.weights[offset + indices]
                offset += len(space.vocabulary)
            if self.dense_size:
                scores[row] += (self.dense_weight * dense[row]) @ self.weights[offset:offset + self.dense_size]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, directory: Path, name: str) -> None:
        (directory / f"{name}.json").write_text(json.dumps(
            {"labels": self.labels, "dense_size": self.dense_size,
             "vocabularies": [space.vocabulary for space in self.spaces]}), encoding="utf-8")
        np.savez(directory / f"{name}.npz", coef=self.coef, intercept=self.intercept,
                 **{f"idf_{i}": space.idf for i, space in enumerate(self.spaces)})

    def restore(self, directory: Path, name: str) -> None:
        """Raises FileNotFoundError when nothing was saved under the name (a model not trained)."""
        stored = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(directory / f"{name}.npz", allow_pickle=False) as arrays:
            for i, space in enumerate(self.spaces):
                space.restore(stored["vocabularies"][i], arrays[f"idf_{i}"])
            self.labels = stored["labels"]
            self.dense_size = int(stored["dense_size"])
            self.set_coefficients(arrays["coef"])
            self.intercept = arrays["intercept"]
