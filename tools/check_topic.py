"""`make check-topic NAME=ask_x`: whether one FAQ topic is ready, in well under a minute.

1. Validates topics/<intent>.yml (tools/topics.py) and stops at its problems, each with file, line and fix.
2. Trains the intent classifier alone, in process, on the training examples Rasa reads (data/nlu/*.yml),
   this topic's taken from its topic file, the source of truth, even before `make topics` has run.
3. Reads the whole held-out set (tools/nlu_eval.py), this topic's again from its topic file, through the
   NLU pipeline of config.yml, and prints the topic's precision, recall and F1 against the held-out gate
   of `make test`, with each misread example.
4. Lists the other intents' training examples closest to the topic's own (the likely confusions), and
   whether the topic's `not_here` names those intents.
5. Writes test-artifacts/check-topic-<intent>.json.

Exit status 0 when the topic passes the gate, 1 otherwise; the last line says what to do next.
`make test` stays the judge: it trains the whole model with `rasa train`."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# Set before numpy loads: one thread is faster here on two cores (the solver's many small vector
# operations), and TensorFlow, which Rasa imports, keeps its start-up notes to itself.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from scipy.sparse import csr_matrix, diags  # noqa: E402

from clinic.paths import PROJECT_ROOT as ROOT  # noqa: E402
from tools.nlu_eval import (DEFLECTIONS, MIN_FAQ_F1, canonical, holdout_paths, load_examples,  # noqa: E402
                            meets, report_from_parses, shown, topic_misreadings, verdict)
from tools.topics import (BACKTICKED, HOLDOUT_FILE, NLU_FILE, TOPICS, Topic, TopicError,  # noqa: E402
                          articles_problem, build, nlu_document, validate_topic)

ARTIFACTS = "test-artifacts"
# Training examples to aim at when a topic is read poorly (what `make new-faq` and the guide ask for).
SUGGESTED_EXAMPLES = 60
CLOSEST_PAIRS = 8
PAIRS_PER_EXAMPLE = 2
# Similarity of two examples: the mean of their words' (the classifier's n-grams) and their meaning's
# (sentence vectors) cosine similarities. At SAME_QUESTION two examples ask the same question: no two
# examples of different topics of the project reach it (the closest pair, 2026-12-07, is at 0.83; a
# copy is at 1.00). Below NEIGHBOUR_SIMILARITY a pair says nothing about where a topic's edges are.
SAME_QUESTION = 0.85
NEIGHBOUR_SIMILARITY = 0.6
# Readings that are nobody's topic, which `not_here` need not name: out of scope, unsure, another language.
NOT_TOPICS = DEFLECTIONS | {"other_language"}


def say(line: str = "") -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- training the classifier fast

def merged_columns(features: csr_matrix) -> Tuple[csr_matrix, np.ndarray, np.ndarray]:
    """The feature matrix with identical columns merged into one, scaled by the square root of their
    number, with each column's group and the groups' sizes. Identical columns get equal weights at the
    optimum of L2-regularised logistic regression, so the merged problem has the same optimum: the
    n-grams of a word seen in one example only (its char n-grams, its word pairs) are identical columns,
    about 60% of them here, and the solver's time grows with the number of columns."""
    columns = features.tocsc()
    columns.sort_indices()
    groups: Dict[Tuple[bytes, bytes], int] = {}
    group_of = np.empty(columns.shape[1], dtype=np.int64)
    first: List[int] = []
    for j in range(columns.shape[1]):
        start, end = columns.indptr[j], columns.indptr[j + 1]
        key = (columns.indices[start:end].tobytes(), columns.data[start:end].tobytes())
        if key not in groups:
            groups[key] = len(first)
            first.append(j)
        group_of[j] = groups[key]
    sizes = np.bincount(group_of, minlength=len(first)).astype(np.float64)
    merged = (columns[:, first] @ diags(np.sqrt(sizes))).tocsr()
    return merged, group_of, sizes


def spread_coefficients(coef: np.ndarray, group_of: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The weights of the original columns from those of the merged ones (merged_columns)."""
    return coef[:, group_of] / np.sqrt(sizes)[group_of]


@dataclass
class StoredClassifier:
    """The intent classifier of a trained model: where the solver starts. The problem has one optimum
    wherever it starts; from a model trained on nearly the same data it is reached in a few steps."""
    source: Path
    labels: List[str]
    vocabularies: List[Dict[str, int]]
    coef: np.ndarray
    intercept: np.ndarray
    dense_size: int = 0  # the sentence vector's columns, after the n-grams'


def newest_archive(models: Path) -> Optional[Path]:
    """The newest model archive in `models`: the model the check's solver starts from."""
    archives = list(models.glob("*.tar.gz")) if models.is_dir() else []
    return max(archives, key=lambda p: p.stat().st_mtime, default=None)


def newest_classifier(models: Path) -> Optional[StoredClassifier]:
    """The intent classifier of the newest model in `models` (None without a readable one)."""
    import io
    import tarfile

    from components.intent_classifier import ARRAYS_FILE, MODEL_FILE

    archive_path = newest_archive(models)
    if archive_path is None:
        return None
    stored: Optional[Dict[str, Any]] = None
    arrays: Optional[Dict[str, np.ndarray]] = None
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if name in (MODEL_FILE, ARRAYS_FILE) and "TfidfIntentClassifier" in member.name:
                    content = archive.extractfile(member).read()
                    if name == MODEL_FILE:
                        stored = json.loads(content)
                    else:
                        with np.load(io.BytesIO(content), allow_pickle=False) as loaded:
                            arrays = {key: loaded[key] for key in ("coef", "intercept")}
                if stored is not None and arrays is not None:
                    return StoredClassifier(archive_path, list(stored["labels"]), stored["vocabularies"],
                                            arrays["coef"], arrays["intercept"], int(stored.get("dense_size", 0)))
    except (OSError, tarfile.TarError, ValueError, KeyError, AttributeError):
        pass  # unreadable, or another kind of model: start from zero
    return None


def starting_point(start: StoredClassifier, vocabularies: Sequence[Dict[str, int]], labels: Sequence[str],
                   group_of: np.ndarray, sizes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The stored weights carried over to these labels and features (by name; new ones start at zero),
    then merged as merged_columns merges the columns."""
    row = {label: number for number, label in enumerate(labels)}
    kept = [(row[label], number) for number, label in enumerate(start.labels) if label in row]
    new_rows, old_rows = [r for r, _ in kept], [r for _, r in kept]
    full = np.zeros((len(labels), len(group_of)))
    new_offset = old_offset = 0
    for vocabulary, old_vocabulary in zip(vocabularies, start.vocabularies):
        shared = [(new_offset + j, old_offset + old_vocabulary[term]) for term, j in vocabulary.items()
                  if term in old_vocabulary]
        if shared and kept:
            new_columns, old_columns = (list(c) for c in zip(*shared))
            full[np.ix_(new_rows, new_columns)] = start.coef[np.ix_(old_rows, old_columns)]
        new_offset, old_offset = new_offset + len(vocabulary), old_offset + len(old_vocabulary)
    dense = len(group_of) - new_offset
    if kept and dense and dense == start.dense_size:
        full[np.ix_(new_rows, range(new_offset, new_offset + dense))] = \
            start.coef[np.ix_(old_rows, range(old_offset, old_offset + dense))]
    # A merged column's weight is the sum of its columns' divided by the root of their number.
    membership = csr_matrix((np.ones(len(group_of)), (np.arange(len(group_of)), group_of)),
                            shape=(len(group_of), len(sizes)))
    summed = np.asarray((membership.T @ full.T).T)
    intercept = np.zeros(len(labels))
    intercept[new_rows] = start.intercept[old_rows]
    return summed / np.sqrt(sizes), intercept


def quick_classifier_class() -> type:
    """TfidfIntentClassifier whose training merges identical feature columns (merged_columns) and, given
    a stored classifier (`start`), starts the solver from its weights: its own train(), the same features
    and solver settings from config.yml, the same optimum, reached three to ten times faster. Built on
    first use: the classifier module imports Rasa."""
    import components.intent_classifier as module
    import components.linear_reader as reader_module
    from rasa.shared.nlu.constants import INTENT, TEXT

    class QuickLinearReader(reader_module.LinearReader):
        classifier: Any = None

        def features(self, texts: List[str], dense: Optional[np.ndarray]) -> csr_matrix:
            features = super().features(texts, dense)
            return self.classifier.merged(features) if self.classifier is not None else features

        def set_coefficients(self, coef: np.ndarray) -> None:
            groups = None if self.classifier is None else self.classifier.groups
            if groups is not None and np.asarray(coef).shape[1] == len(groups[1]):
                coef = spread_coefficients(np.asarray(coef), *groups)
            super().set_coefficients(coef)

    class QuickTfidfIntentClassifier(module.TfidfIntentClassifier):
        start: Optional[StoredClassifier] = None
        merging = False
        groups: Optional[Tuple[np.ndarray, np.ndarray]] = None
        labels_to_train: List[str] = []
        initial: Optional[Tuple[np.ndarray, np.ndarray]] = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.reader = QuickLinearReader(self.config["word_ngrams"], self.config["char_ngrams"],
                                            self.config["dense_weight"])
            self.reader.classifier = self

        def train(self, training_data: Any) -> Any:
            # The classes the solver will see (sorted, as scikit-learn orders them).
            elsewhere = set(self.config["intents_read_elsewhere"])
            self.labels_to_train = sorted({e.get(INTENT) for e in training_data.intent_examples
                                           if e.get(INTENT) and e.get(TEXT) and e.get(INTENT) not in elsewhere})
            solver = reader_module.LogisticRegression
            reader_module.LogisticRegression = self.started_solver(solver)
            self.merging = True
            try:
                return super().train(training_data)
            finally:
                reader_module.LogisticRegression = solver
                self.merging, self.groups, self.initial = False, None, None

        def started_solver(self, solver: type) -> type:
            component = self

            class StartedLogisticRegression(solver):  # type: ignore[misc, valid-type]
                def fit(self, features: Any, labels: Any, sample_weight: Any = None) -> Any:
                    if component.initial is not None:
                        self.warm_start = True
                        self.coef_, self.intercept_ = component.initial
                    return super().fit(features, labels, sample_weight)

            return StartedLogisticRegression

        def merged(self, features: csr_matrix) -> csr_matrix:
            if not self.merging:
                return features
            merged, group_of, sizes = merged_columns(features)
            self.groups = (group_of, sizes)
            # Two classes have one row of weights in scikit-learn: those start from zero.
            if self.start is not None and len(self.labels_to_train) > 2:
                self.initial = starting_point(self.start, [space.vocabulary for space in self.reader.spaces],
                                              self.labels_to_train, group_of, sizes)
            return merged

    return QuickTfidfIntentClassifier


# ---------------------------------------------------------------- the data, this topic's from its topic file

@dataclass
class Data:
    training: Any  # Rasa TrainingData
    holdout: List[Tuple[str, str]]
    training_in_sync: bool  # data/nlu/topics.yml holds the topic file's examples
    holdout_in_sync: bool  # tests/nlu_holdout_topics.yml holds the topic file's held-out examples


def load_data(root: Path, topic: Topic) -> Data:
    """The training examples Rasa reads and the held-out set, with the topic's own taken from its
    topic file wherever the files built from it (`make topics`) say otherwise or are missing."""
    from rasa.shared.nlu.constants import INTENT
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
    from rasa.shared.nlu.training_data.loading import load_data as rasa_load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    intent, examples, held_out = topic.intent, topic.items("examples"), topic.items("held_out")
    generated = root / NLU_FILE
    parts, in_sync = [], False
    for path in sorted((root / "data" / "nlu").rglob("*.yml")):
        data = rasa_load_data(str(path))
        if path == generated:
            in_sync = [t for t, i in load_examples(path) if i == intent] == examples
            data = TrainingData([m for m in data.training_examples if m.get(INTENT) != intent],
                                data.entity_synonyms, data.regex_features, data.lookup_tables, data.responses)
        parts.append(data)
    # Written as `make topics` writes them, read as Rasa reads them (entity annotations taken out).
    parts.append(RasaYAMLReader().reads(nlu_document([topic], "examples", "")))
    training = TrainingData().merge(*parts)

    holdout: List[Tuple[str, str]] = []
    holdout_in_sync = False
    for path in holdout_paths(root):
        if not path.is_file():
            continue
        pairs = load_examples(path)
        if path == root / HOLDOUT_FILE:
            holdout_in_sync = [t for t, i in pairs if i == intent] == held_out
            pairs = [(t, i) for t, i in pairs if i != intent]
        holdout += pairs
    holdout += [(text, intent) for text in held_out]
    return Data(training, holdout, in_sync, holdout_in_sync)


# ---------------------------------------------------------------- the NLU pipeline of config.yml, in process

@dataclass
class Pipeline:
    components: List[Any]
    classifier: Any

    def parse(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        """Parse results as Rasa's Agent.parse_message gives them (intent and ranking). Rasa's
        RegexMessageHandler, which reads `/intent` payloads, is left out: nobody types one."""
        from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
        from rasa.shared.nlu.training_data.message import Message

        messages = [Message(data={TEXT: text}) for text in texts]
        for component in self.components:
            messages = component.process(messages)
        return [{"text": m.get(TEXT), "intent": m.get(INTENT) or {"name": None, "confidence": 0.0},
                 "intent_ranking": m.get(INTENT_RANKING_KEY) or []} for m in messages]


def train_pipeline(root: Path, training: Any, storage_dir: Path, start: Optional[StoredClassifier] = None) -> Pipeline:
    """The pipeline of config.yml with its intent classifier trained on `training` (the solver starting
    from `start`); the other steps learn nothing and are built from their configuration, as Rasa builds
    them."""
    from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.intent_classifier import TfidfIntentClassifier

    config = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
    steps = []
    for number, entry in enumerate(config.get("pipeline") or []):
        settings = {k: v for k, v in entry.items() if k != "name"}
        # Rasa's own lookup: a built-in name (FallbackClassifier) or a module path (components.x.Y).
        clazz = DefaultV1Recipe._from_registry(entry["name"]).clazz
        steps.append((f"{clazz.__name__}{number}", clazz, {**clazz.get_default_config(), **settings}))
    schema = GraphSchema({name: SchemaNode(needs={}, uses=clazz, constructor_name="create", fn="process",
                                           config=settings) for name, clazz, settings in steps})
    context = ExecutionContext(schema, "check-topic")
    storage = LocalModelStorage(storage_dir)
    components, classifier = [], None
    for name, clazz, settings in steps:
        if issubclass(clazz, TfidfIntentClassifier):
            if classifier is not None:
                raise SystemExit("config.yml: the pipeline has two TfidfIntentClassifiers; check-topic expects one")
            classifier = quick_classifier_class().create(settings, storage, Resource(name), context)
            classifier.start = start
            classifier.train(training)
            component = classifier
        else:
            component = clazz.create(settings, storage, Resource(name), context)
            if classifier is None and hasattr(component, "process_training_data"):
                # Steps before the classifier see the training data first, as in Rasa's training graph.
                training = component.process_training_data(training)
        components.append(component)
    if classifier is None:
        raise SystemExit("config.yml: the pipeline has no components.intent_classifier.TfidfIntentClassifier")
    return Pipeline(components, classifier)


# ---------------------------------------------------------------- likely confusions

@dataclass
class Pair:
    own: str
    other: str
    intent: str
    similarity: float


def tfidf_features(texts: Sequence[str]) -> csr_matrix:
    """Character n-gram TF-IDF of normalised texts: closest_pairs' features when no trained classifier
    lends its own (check-topic passes the classifier's)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from clinic.text import normalise

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit_transform(
        [normalise(t) for t in texts])


def closest_pairs(own: Sequence[str], others: Sequence[Tuple[str, str]],
                  features: Callable[[List[str]], csr_matrix] = tfidf_features,
                  limit: int = CLOSEST_PAIRS, per_example: int = PAIRS_PER_EXAMPLE) -> List[Pair]:
    """The most similar (own example, other intent's example) pairs by cosine similarity of
    `features`, surest first; each own example in at most `per_example` pairs."""
    from sklearn.preprocessing import normalize

    if not own or not others:
        return []
    matrix = normalize(features(list(own) + [text for text, _ in others]))
    similarity = (matrix[:len(own)] @ matrix[len(own):].T).toarray()
    order = np.argsort(-similarity, axis=None, kind="stable")
    pairs: List[Pair] = []
    used: Dict[int, int] = {}
    for flat in order:
        i, j = divmod(int(flat), similarity.shape[1])
        if similarity[i, j] <= 0 or len(pairs) >= limit:
            break
        if used.get(i, 0) >= per_example:
            continue
        used[i] = used.get(i, 0) + 1
        pairs.append(Pair(own[i], others[j][0], others[j][1], float(similarity[i, j])))
    return pairs


def words_and_meaning(classifier: Any, messages: Sequence[Any]) -> Callable[[List[str]], csr_matrix]:
    """Features whose cosine similarity is the mean of the classifier's n-grams' and the sentence
    vectors' (those the training messages carry), each block of unit length."""
    from scipy.sparse import hstack
    from sklearn.preprocessing import normalize

    from components.linear_reader import sentence_vectors

    vectors = {}
    for message in messages:
        found = sentence_vectors([message]) if message.get("text") else None
        if found is not None:
            vectors[message.get("text")] = found[0]

    missing = np.zeros(len(next(iter(vectors.values())))) if vectors else None

    def features(texts: List[str]) -> csr_matrix:
        words = normalize(classifier.reader.ngram_features([classifier._prepared(t) for t in texts]))
        if not vectors:
            return words
        meaning = normalize(np.vstack([vectors.get(t, missing) for t in texts]))
        return hstack([words, csr_matrix(meaning)]).tocsr()

    return features


def examples_file(root: Path, intent: str) -> str:
    """Where the examples of `intent` are written: its topic file, or the files of data/nlu/."""
    path = root / TOPICS / f"{intent}.yml"
    return relative(root, path) if path.is_file() else f"data/nlu/ (intent {intent})"


def not_here_intents(not_here: Any) -> List[str]:
    """The intents a topic's `not_here` names, in backticks, as its validation reads them."""
    text = " ".join(map(str, not_here)) if isinstance(not_here, list) else str(not_here or "")
    return list(dict.fromkeys(BACKTICKED.findall(text)))


@dataclass
class Neighbours:
    listed_close: List[str] = field(default_factory=list)  # in not_here, and close
    unlisted_close: List[str] = field(default_factory=list)  # close, but not in not_here
    listed_not_close: List[str] = field(default_factory=list)  # in not_here only


def neighbours(intent: str, not_here: Any, pairs: Sequence[Pair], misread_as: Sequence[str]) -> Neighbours:
    """The intents close to the topic (in the closest pairs, or confused with it on the held-out set)
    that its `not_here` names, and those it does not; readings that are nobody's topic (NOT_TOPICS)
    are left out."""
    close = [i for i in dict.fromkeys([p.intent for p in pairs] + list(misread_as))
             if i != intent and i not in NOT_TOPICS]
    listed = not_here_intents(not_here)
    return Neighbours([i for i in close if i in listed], [i for i in close if i not in listed],
                      [i for i in listed if i not in close])


# ---------------------------------------------------------------- verdict

def gate_line(intent: str, f1: float, floor: float = MIN_FAQ_F1) -> str:
    """'ask_cost F1 0.75 ≥ 0.75 passes': the score compared with the gate as printed."""
    return verdict(f"{intent} F1", f1, floor)


def advice(intent: str, passed: bool, precision: float, recall: float, examples: int,
           unlisted: Sequence[str]) -> str:
    """The last line: what to do next."""
    where = f"{TOPICS}/{intent}.yml"
    if passed:
        return (f"{intent} passes the held-out gate: next `make test-topic NAME={intent}`, then try it in "
                f"`make shell`, then `make test` (the whole model) before committing.")
    if recall <= precision:  # its own examples are missed: more ways of asking
        more = f" (about {SUGGESTED_EXAMPLES} in total; it has {examples})" if examples < SUGGESTED_EXAMPLES else ""
        step = f"add varied training examples to {where}{more}, in patients' own words, like the misread ones above"
    else:  # other intents' examples are taken for it: sharper borders
        others = ", ".join(unlisted) or "the intents above"
        step = (f"make the examples of {where} differ from those of {others} (the closest pairs above) and say "
                "in `not_here` what belongs there")
    return f"{intent} fails the held-out gate: {step}; write NEW held-out examples afterwards, never copy them " \
           "into training."


# ---------------------------------------------------------------- the check

def topic_path(root: Path, name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yml", ".yaml"):
        return path if path.is_absolute() else root / path
    return root / TOPICS / f"{name}.yml"


def missing_topic(root: Path, path: Path) -> str:
    known = sorted(p.stem for p in (root / TOPICS).glob("*.yml"))
    close = difflib.get_close_matches(path.stem, known, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"the topics are {', '.join(known) or 'none yet'}"
    return (f"{TOPICS}/{path.name} not found: {hint} "
            f"(a new topic starts with `make new-faq NAME={path.stem}`)")


def relative(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def checked_inputs(root: Path) -> str:
    """A fingerprint of everything a check reads: the data, domain, config and components a training
    reads, the held-out sets, the check's own code, and the model its solver starts from."""
    from tools.ensure_model import fingerprint, input_files

    tools = [root / "tools" / name for name in ("check_topic.py", "topics.py", "nlu_eval.py")]
    model = newest_archive(root / "models")
    files = [*input_files(root, root / "config.yml"), *holdout_paths(root), *tools]
    return fingerprint(root, [f for f in files if f.is_file()]) + (f":{model.name}" if model else "")


def report_path_of(root: Path, intent: str) -> Path:
    return root / ARTIFACTS / f"check-topic-{intent}.json"


def already_passed(root: Path, name: str) -> bool:
    """The topic passed its last check, and nothing that check read has changed since."""
    try:
        report = json.loads(report_path_of(root, topic_path(root, name).stem).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return report.get("passes") is True and report.get("inputs") == checked_inputs(root)


def check(root: Path, name: str, build_files: bool = True) -> int:
    """`build_files`: write the files built from the topics once the topic is valid (`make topics`)."""
    started = time.monotonic()
    path = topic_path(root, name)
    if not path.is_file():
        say(missing_topic(root, path))
        say(f"fix the name, then run `make check-topic NAME={path.stem}` again")
        return 1
    missing_articles = articles_problem(root)
    if missing_articles:
        say(missing_articles)
        say(f"restore the articles, then run `make check-topic NAME={path.stem}` again")
        return 1
    problems = validate_topic(path, root)
    if problems:
        for problem in problems:
            say(problem)
        say(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {relative(root, path)}: fix "
            f"{'them' if len(problems) > 1 else 'it'} as said above, then run "
            f"`make check-topic NAME={path.stem}` again")
        return 1
    try:
        topic = Topic(path)
    except TopicError as error:
        say(str(error))
        return 1
    intent, examples = topic.intent, topic.items("examples")
    say(f"{relative(root, path)}: valid ({len(examples)} training examples, {len(topic.items('held_out'))} held out)")
    # The files built from the topics (training data, answers, rules, tests, INTENTS.md), as
    # `make topics` writes them: `make test` then tests exactly what was checked here.
    try:
        written = build(root) if build_files else []
    except TopicError as error:
        say(str(error))
        return 1
    if written:
        say(f"wrote the files built from {TOPICS}/ (`make topics`): {', '.join(written)}")

    data = load_data(root, topic)
    for in_sync, generated, key in ((data.training_in_sync, NLU_FILE, "examples"),
                                    (data.holdout_in_sync, HOLDOUT_FILE, "held_out")):
        if not in_sync:
            say(f"note: {generated} does not hold this topic's `{key}` yet: checked with the topic file's; "
                "`make topics` writes them there")
    intents = sorted({m.get("intent") for m in data.training.intent_examples})
    start = newest_classifier(root / "models")
    say(f"training the intent classifier on {len(data.training.intent_examples)} examples of {len(intents)} intents"
        + (f" (the solver starts from the classifier of {relative(root, start.source)})" if start else "") + " ...")
    with tempfile.TemporaryDirectory(prefix="check-topic-") as storage_dir:
        trained = time.monotonic()
        pipeline = train_pipeline(root, data.training, Path(storage_dir), start)
        train_seconds = time.monotonic() - trained
        texts = [text for text, _ in data.holdout]
        gold = [i for _, i in data.holdout]
        report = report_from_parses(texts, gold, pipeline.parse(texts))
        classifier = pipeline.classifier
        # Only topics can own a question: conversation intents ("affirm") are never its neighbours.
        others = [(m.get("text"), m.get("intent")) for m in data.training.intent_examples
                  if m.get("intent") != intent and m.get("text") and str(m.get("intent")).startswith("ask_")]
        pairs = closest_pairs(examples, others, words_and_meaning(classifier, data.training.intent_examples))
    say(f"trained in {train_seconds:.0f} s; read {report.total} held-out examples of {len(set(gold))} intents")

    score = report.per_intent[canonical(intent)]
    passed = meets(score.f1, MIN_FAQ_F1)
    missed, taken = topic_misreadings(report, intent)
    say()
    say(f"{intent} on the held-out set ({score.support} examples of its own): precision {shown(score.precision)}, "
        f"recall {shown(score.recall)}, F1 {shown(score.f1)}")
    say(f"gate (make test, every FAQ topic): {gate_line(intent, score.f1)}")
    say()
    say(f"its held-out examples read as another intent: {len(missed)} of {score.support}")
    for error in missed:
        say(f"  \"{error['text']}\" read as {error['predicted']} ({error['confidence']:.2f})")
    say(f"other intents' held-out examples read as {intent}: {len(taken)}")
    for error in taken:
        say(f"  \"{error['text']}\" ({error['expected']}) read as {intent} ({error['confidence']:.2f})")
    say()
    say("closest training examples of other topics (likely confusions):")
    for pair in pairs:
        say(f"  \"{pair.own}\" ↔ \"{pair.other}\" ({pair.intent}) similarity {pair.similarity:.2f}")
    same = [pair for pair in pairs if pair.similarity >= SAME_QUESTION]
    for pair in same:
        say(f"the same question in two topics: \"{pair.own}\" here and \"{pair.other}\" in {pair.intent} "
            f"({examples_file(root, pair.intent)}), similarity {pair.similarity:.2f}: which topic owns it? Keep it "
            "in that one and delete it from the other")
    passed = passed and not same
    close = neighbours(intent, topic["not_here"], [pair for pair in pairs if pair.similarity >= NEIGHBOUR_SIMILARITY],
                       [str(e["predicted"]) for e in missed] + [str(e["expected"]) for e in taken])
    say(f"not_here names: {', '.join(close.listed_close + close.listed_not_close) or 'no intent'}")
    if close.unlisted_close:
        say(f"close to this topic but not named in not_here: {', '.join(close.unlisted_close)} "
            "(name them there with what belongs to each, if patients could mean them)")

    seconds = time.monotonic() - started
    report_path = report_path_of(root, intent)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps({
        "intent": intent,
        "topic_file": relative(root, path),
        "passes": passed,
        "gate": {"min_f1": MIN_FAQ_F1, "compared_as": gate_line(intent, score.f1)},
        "held_out": {"precision": score.precision, "recall": score.recall, "f1": score.f1,
                     "support": score.support, "shown": {"precision": shown(score.precision),
                                                         "recall": shown(score.recall), "f1": shown(score.f1)}},
        "misread": missed,
        "read_as_this_topic": taken,
        "closest_pairs": [asdict(p) for p in pairs],
        "same_question": [asdict(p) for p in same],
        "not_here": asdict(close),
        "training": {"examples": len(data.training.intent_examples), "intents": len(intents),
                     "topic_examples": len(examples), "generated_nlu_in_sync": data.training_in_sync,
                     "generated_holdout_in_sync": data.holdout_in_sync,
                     "solver_started_from": relative(root, start.source) if start else None},
        "held_out_total": report.total,
        "seconds": {"total": round(seconds, 1), "training": round(train_seconds, 1)},
        "inputs": checked_inputs(root),
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say()
    say(f"report: {relative(root, report_path)}")
    say(f"checked in {seconds:.0f} s")
    if same:
        say(f"{intent} asks {len(same)} question(s) another topic asks (above): keep each in one topic, then "
            "check again.")
    else:
        say(advice(intent, passed, score.precision, score.recall, len(examples), close.unlisted_close))
    return 0 if passed else 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic", help="the topic's intent (ask_cost) or its file (topics/ask_cost.yml)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--unless-passed", action="store_true",
                        help="say so and stop if the topic passed its last check and nothing it read has changed")
    args = parser.parse_args(argv)
    if args.unless_passed and already_passed(args.root.resolve(), args.topic):
        say(f"{args.topic} passed its last check (test-artifacts/), and nothing that check read has changed "
            "since: not checked again")
        return 0
    # The report's arrows and "≥" must not stop it on a terminal that cannot show them.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    import_rasa_quietly()
    return check(args.root.resolve(), args.topic)


def import_rasa_quietly() -> None:
    """Imports Rasa and its default components without the deprecation warnings its dependencies
    print on import, whatever the warning filters say (an error still raises)."""
    import contextlib
    import io
    import warnings

    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        import rasa.engine.recipes.default_components  # noqa: F401
        import rasa.shared.nlu.training_data.loading  # noqa: F401

        import components.intent_classifier  # noqa: F401


if __name__ == "__main__":
    sys.exit(main())
