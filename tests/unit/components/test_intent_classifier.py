"""The TF-IDF intent classifier as a Rasa graph component, in process: created, trained on a tiny
TrainingData, asked to process messages, persisted to and loaded from Rasa's LocalModelStorage
(also through a packed model archive), as Rasa's training and inference graphs call it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphModelConfiguration, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.intent_classifier import ARRAYS_FILE, MODEL_FILE, SECOND_QUESTION, TfidfIntentClassifier
from components.sentence_encoder import QUESTION_PARTS

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey, hello there"],
    "ask_cost": ["how much does it cost", "what is the price", "how much do sessions cost", "what are your prices"],
    "ask_insurance": ["does insurance cover it", "do you take my insurance", "is it covered by insurance",
                      "which insurance plans do you accept"],
}
LABELS = sorted(EXAMPLES)
CONTEXT = ExecutionContext(GraphSchema({}), "test-model")


def training_data(examples: Dict[str, List[str]]) -> TrainingData:
    return TrainingData([Message(data={TEXT: text, INTENT: intent}) for intent, texts in examples.items()
                         for text in texts])


def classify(classifier: TfidfIntentClassifier, text: Any) -> Message:
    message = Message(data={} if text is None else {TEXT: text})
    [processed] = classifier.process([message])
    return processed


def train(storage: LocalModelStorage, name: str, examples: Dict[str, List[str]],
          config: Optional[Dict[str, Any]] = None) -> TfidfIntentClassifier:
    classifier = TfidfIntentClassifier.create({**TfidfIntentClassifier.get_default_config(), **(config or {})},
                                              storage, Resource(name), CONTEXT)
    assert classifier.train(training_data(examples)) == Resource(name)
    return classifier


@pytest.fixture(scope="module")
def storage(tmp_path_factory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("model-storage"))


@pytest.fixture(scope="module")
def classifier(storage) -> TfidfIntentClassifier:
    return train(storage, "intent_classifier", EXAMPLES)


def assert_a_ranking(message: Message, length: int) -> List[Dict[str, Any]]:
    """The message carries a ranking of `length` known intents, surest first, whose confidences
    are probabilities that add up to at most 1, and its intent is the first of them."""
    ranking = message.get(INTENT_RANKING_KEY)
    assert len(ranking) == length and len({r["name"] for r in ranking}) == length, ranking
    assert {r["name"] for r in ranking} <= set(LABELS), ranking
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True), ranking
    assert all(0.0 <= c <= 1.0 for c in confidences) and sum(confidences) <= 1.0 + 1e-9, ranking
    assert message.get(INTENT) == ranking[0]
    return ranking


@pytest.mark.parametrize("text, intent", [
    ("hi there, good morning", "greet"),
    ("what's the price of a session?", "ask_cost"),
    ("will my insurance cover this?", "ask_insurance"),
])
def test_the_top_intent_is_the_one_trained_on_similar_words(classifier, text, intent):
    ranking = assert_a_ranking(classify(classifier, text), len(LABELS))
    assert ranking[0]["name"] == intent and ranking[0]["confidence"] > ranking[1]["confidence"], ranking
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_the_ranking_is_cut_to_its_configured_length(storage):
    short = train(storage, "short_ranking", EXAMPLES, {"ranking_length": 2})
    ranking = assert_a_ranking(classify(short, "how much does it cost"), 2)
    assert ranking[0]["name"] == "ask_cost" and sum(r["confidence"] for r in ranking) < 1.0


def test_a_ranking_length_of_zero_keeps_every_intent_as_in_rasa(storage):
    whole = train(storage, "whole_ranking", EXAMPLES, {"ranking_length": 0})
    assert_a_ranking(classify(whole, "how much does it cost"), len(EXAMPLES))


def test_several_messages_are_classified_in_one_call_each_on_its_own(classifier):
    messages = [Message(data={TEXT: "hello"}), Message(data={TEXT: "what is the price"})]
    assert classifier.process(messages) is messages
    assert [m.get(INTENT)["name"] for m in messages] == ["greet", "ask_cost"]


def test_loading_what_training_stored_gives_the_same_readings(classifier, storage):
    loaded = TfidfIntentClassifier.load(classifier.config, storage, Resource("intent_classifier"), CONTEXT)
    assert loaded.labels == LABELS
    for text in ("hello", "does it cost much", "my insurance?", "something else entirely"):
        assert classify(loaded, text).get(INTENT_RANKING_KEY) == classify(classifier, text).get(INTENT_RANKING_KEY)


def test_a_packed_model_archive_loads_to_the_same_readings(classifier, storage, tmp_path):
    archive = tmp_path / "model.tar.gz"
    configuration = GraphModelConfiguration(GraphSchema({}), GraphSchema({}), TrainingType.NLU, None, "en", None,
                                            None)
    storage.create_model_package(archive, configuration, Domain.empty())
    unpacked, _ = LocalModelStorage.from_model_archive(tmp_path / "unpacked", archive)
    loaded = TfidfIntentClassifier.load(classifier.config, unpacked, Resource("intent_classifier"), CONTEXT)
    text = "how much is a session with insurance"
    assert classify(loaded, text).get(INTENT_RANKING_KEY) == classify(classifier, text).get(INTENT_RANKING_KEY)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_message_without_text_does_not_break_classification(classifier, text):
    message = classify(classifier, text)
    assert_a_ranking(message, len(LABELS))


def test_examples_without_text_are_not_learnt_as_intents(storage):
    examples = training_data(EXAMPLES).training_examples + [Message(data={INTENT: "goodbye"})]
    classifier = TfidfIntentClassifier.create(TfidfIntentClassifier.get_default_config(), storage,
                                              Resource("without_text"), CONTEXT)
    classifier.train(TrainingData(examples))
    assert classifier.labels == LABELS


def test_without_intent_examples_messages_are_left_unclassified(storage):
    untrained = TfidfIntentClassifier.create({}, storage, Resource("no_examples"), CONTEXT)
    untrained.train(TrainingData([Message(data={TEXT: "hello"})]))
    message = classify(untrained, "hello")
    assert message.get(INTENT) is None and message.get(INTENT_RANKING_KEY) is None
    never_stored = TfidfIntentClassifier.load({}, storage, Resource("no_examples"), CONTEXT)
    assert never_stored.labels == [] and classify(never_stored, "hello").get(INTENT) is None


def test_two_intents_are_told_apart(storage):
    two = train(storage, "two_intents", {"greet": EXAMPLES["greet"], "ask_cost": EXAMPLES["ask_cost"]})
    assert classify(two, "hello there").get(INTENT)["name"] == "greet"
    assert len(classify(two, "hello there").get(INTENT_RANKING_KEY)) == 2


def test_training_stores_json_and_plain_arrays_that_load_without_pickle(classifier, storage):
    with storage.read_from(Resource("intent_classifier")) as directory:
        assert sorted(p.name for p in Path(directory).iterdir()) == [MODEL_FILE, ARRAYS_FILE]
        with np.load(Path(directory) / ARRAYS_FILE, allow_pickle=False) as arrays:
            assert arrays["coef"].shape == (len(LABELS), len(classifier.reader.weights))
            assert arrays["coef"].dtype == float


def asking(*questions: str) -> Message:
    """A message as the sentence encoder leaves one that asks several questions."""
    return Message(data={TEXT: " and ".join(questions),
                         QUESTION_PARTS: [(question, np.zeros(384, dtype=np.float32)) for question in questions]})


@pytest.mark.parametrize("first, second", [("ask_cost", "ask_insurance"), ("ask_insurance", "ask_cost")])
def test_two_questions_are_read_in_order_the_second_as_an_entity(classifier, first, second):
    question = {"ask_cost": "how much does it cost", "ask_insurance": "does insurance cover it"}
    [message] = classifier.process([asking(question[first], question[second])])
    assert message.get(INTENT)["name"] == first
    assert message.get(INTENT_RANKING_KEY)[0] == message.get(INTENT)
    assert message.get(ENTITIES) == [{"entity": SECOND_QUESTION, "value": second,
                                      "extractor": "TfidfIntentClassifier"}]


@pytest.mark.parametrize("questions", [
    ("how much does it cost", "what is the price"),   # the same topic twice
    ("hi there", "how much does it cost"),            # one question is no topic
])
def test_no_second_question_without_two_topics(classifier, questions):
    [message] = classifier.process([asking(*questions)])
    assert not message.get(ENTITIES)
