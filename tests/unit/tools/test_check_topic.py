"""`make check-topic`'s own parts: scores compared with the gate exactly as printed, the closest pairs
and the neighbours `not_here` names, the fast training that gives the classifier's own model, and
the whole check on a tiny project (a topic file, a little data), in process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from tests.support.project import ROOT, source_article_ids
from tools.check_topic import (Pair, StoredClassifier, advice, already_passed, check, closest_pairs, gate_line,
                               load_data, main, merged_columns, neighbours, newest_classifier, not_here_intents,
                               spread_coefficients, starting_point)
from tools.nlu_eval import MIN_FAQ_F1, meets, report_from_parses, shown, topic_misreadings, verdict


# ---------------------------------------------------------------- scores at the precision they are printed with

@pytest.mark.parametrize("f1, line", [
    (0.7496, "ask_psychotherapy F1 0.75 ≥ 0.75 passes"),
    (0.75, "ask_psychotherapy F1 0.75 ≥ 0.75 passes"),
    (0.7449, "ask_psychotherapy F1 0.74 < 0.75 fails"),
    (0.745, "ask_psychotherapy F1 0.74 < 0.75 fails"),  # 0.745 is stored as 0.74499..., printed 0.74
    (1.0, "ask_psychotherapy F1 1.00 ≥ 0.75 passes"),
    (0.0, "ask_psychotherapy F1 0.00 < 0.75 fails"),
])
def test_the_gate_line_compares_the_score_it_prints(f1, line):
    assert gate_line("ask_psychotherapy", f1, 0.75) == line


def test_a_score_passes_exactly_when_its_printed_value_does():
    for value in np.linspace(0.74, 0.76, 2001):
        printed = shown(float(value))
        assert meets(float(value), 0.75) == (float(printed) >= 0.75), value
        assert verdict("x", float(value), 0.75).endswith("passes") == meets(float(value), 0.75)
        assert f" {printed} " in verdict("x", float(value), 0.75)


def test_the_gate_is_the_shared_one():
    import tests.understanding.test_nlu_holdout as gate

    assert gate.MIN_FAQ_F1 is MIN_FAQ_F1 and gate_line("ask_x", MIN_FAQ_F1).endswith("passes")


def parse(name: str, confidence: float = 0.9) -> dict:
    return {"intent": {"name": name, "confidence": confidence}}


def test_precision_counts_other_intents_read_as_the_topic_and_recall_its_own_misread():
    rows = [("how much", "ask_cost", "ask_cost"), ("price?", "ask_cost", "ask_cost"),
            ("fees", "ask_cost", "ask_insurance"), ("does aetna pay", "ask_insurance", "ask_cost"),
            ("insurance?", "ask_insurance", "ask_insurance"), ("weather", "out_of_scope", "nlu_fallback")]
    report = report_from_parses([r[0] for r in rows], [r[1] for r in rows], [parse(r[2], 0.61) for r in rows])
    score = report.per_intent["ask_cost"]
    assert (shown(score.precision), shown(score.recall), shown(score.f1)) == ("0.67", "0.67", "0.67")
    missed, taken = topic_misreadings(report, "ask_cost")
    assert [e["text"] for e in missed] == ["fees"] and missed[0]["predicted"] == "ask_insurance"
    assert [e["text"] for e in taken] == ["does aetna pay"] and taken[0]["confidence"] == 0.61
    # An unsure reading of an out-of-scope message is a deflection, as the gate counts it.
    assert report.per_intent["out_of_scope"].recall == 1.0


# ---------------------------------------------------------------- likely confusions

OWN = ["how much does it cost", "do you have payment plans", "price?"]
OTHERS = [("does insurance cover the cost", "ask_insurance"), ("how long does it take", "ask_infusion_duration"),
          ("hello there", "greet"), ("is there a payment plan for the insurance copay", "ask_insurance"),
          ("bitcoin price", "out_of_scope")]


def test_closest_pairs_come_surest_first_within_the_limits():
    pairs = closest_pairs(OWN, OTHERS, limit=4, per_example=1)
    assert 0 < len(pairs) <= 3  # one pair per own example at most
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)
    assert len({p.own for p in pairs}) == len(pairs)
    best = {p.own: p for p in pairs}
    assert best["price?"].other == "bitcoin price" and best["price?"].intent == "out_of_scope"
    assert best["do you have payment plans"].intent == "ask_insurance"
    assert all(0 < p.similarity <= 1 for p in pairs)
    assert len(closest_pairs(OWN, OTHERS, limit=2, per_example=2)) == 2
    assert closest_pairs([], OTHERS) == [] and closest_pairs(OWN, []) == []


def test_closest_pairs_read_the_features_given():
    def one_hot(texts):  # each text its own column but "price?" and "bitcoin price", which share one
        columns = [1 if "price" in t else i + 2 for i, t in enumerate(texts)]
        return csr_matrix((np.ones(len(texts)), (range(len(texts)), columns)), shape=(len(texts), len(texts) + 2))

    [pair] = closest_pairs(OWN, OTHERS, features=one_hot)
    assert (pair.own, pair.other, pair.similarity) == ("price?", "bitcoin price", 1.0)


def test_neighbours_named_in_not_here_and_not():
    not_here = "whether insurance pays (`ask_insurance`), how many sessions (`ask_treatment_course`)"
    assert not_here_intents(not_here) == ["ask_insurance", "ask_treatment_course"]
    pairs = [Pair("a", "b", "ask_insurance", 0.7), Pair("c", "d", "ask_safety", 0.6),
             Pair("e", "f", "out_of_scope", 0.5), Pair("g", "h", "ask_insurance", 0.4)]
    close = neighbours("ask_cost", not_here, pairs, misread_as=["nlu_fallback", "ask_dosage", "ask_cost"])
    assert close.listed_close == ["ask_insurance"]
    assert close.unlisted_close == ["ask_safety", "ask_dosage"]
    assert close.listed_not_close == ["ask_treatment_course"]


def test_the_last_line_says_what_to_do():
    weak_recall = advice("ask_x", False, precision=0.9, recall=0.5, examples=25, unlisted=[])
    assert weak_recall.startswith("ask_x fails the held-out gate: add varied training examples to topics/ask_x.yml")
    assert "about 60 in total; it has 25" in weak_recall
    assert weak_recall.endswith("write NEW held-out examples afterwards, never copy them into training.")
    weak_precision = advice("ask_x", False, precision=0.5, recall=0.9, examples=70, unlisted=["ask_y"])
    assert "differ from those of ask_y" in weak_precision and "in total" not in weak_precision
    assert advice("ask_x", True, 1.0, 1.0, 60, []).startswith("ask_x passes the held-out gate")


# ---------------------------------------------------------------- the fast training: the same model

def test_merging_identical_columns_keeps_every_score():
    features = csr_matrix(np.array([[1.0, 0.5, 1.0, 0.0, 0.5],
                                    [0.0, 0.2, 0.0, 0.3, 0.2],
                                    [2.0, 0.0, 2.0, 0.0, 0.0]]))
    merged, group_of, sizes = merged_columns(features)
    assert merged.shape == (3, 3) and list(group_of) == [0, 1, 0, 2, 1] and list(sizes) == [2, 2, 1]
    coef = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]])
    spread = spread_coefficients(coef, group_of, sizes)
    np.testing.assert_allclose(features @ spread.T, merged @ coef.T)
    # The penalty is the same too: the weights of identical columns are equal and share the merged one.
    np.testing.assert_allclose((spread ** 2).sum(), (coef ** 2).sum())


EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey, hello there", "hiya"],
    "ask_cost": ["how much does it cost", "what is the price", "how much do sessions cost", "what are your prices",
                 "is it expensive"],
    "ask_insurance": ["does insurance cover it", "do you take my insurance", "is it covered by insurance",
                      "which insurance plans do you accept", "will aetna pay"],
}


def test_the_fast_training_gives_the_classifier_s_own_model(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.intent_classifier import TfidfIntentClassifier
    from tools.check_topic import quick_classifier_class

    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts])
    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "test")
    config = {**TfidfIntentClassifier.get_default_config(), "C": 100.0}
    own = TfidfIntentClassifier.create(config, storage, Resource("own"), context)
    quick = quick_classifier_class().create(config, storage, Resource("quick"), context)
    own.train(data)
    quick.train(data)
    texts = ["how much is it", "hello!", "is it covered by my insurance plan", "price of a session"]
    assert quick.labels == own.labels and quick.reader.weights.shape == own.reader.weights.shape
    np.testing.assert_allclose(quick.probabilities(texts), own.probabilities(texts), atol=2e-3)
    assert len(merged_columns(own.reader.ngram_features([own._prepared(t) for e in EXAMPLES.values() for t in e]))[2]) \
        < own.reader.weights.shape[0]


def stored(classifier, source: Path) -> StoredClassifier:
    return StoredClassifier(source, list(classifier.labels), [space.vocabulary for space in classifier.reader.spaces],
                            classifier.reader.coef.copy(), classifier.reader.intercept.copy())


def test_the_starting_point_carries_weights_over_by_label_and_n_gram():
    start = StoredClassifier(Path("model.tar.gz"), ["a", "b"], [{"x": 0, "y": 1}, {"z": 0}],
                             np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([0.1, 0.2]))
    vocabularies = [{"y": 0, "w": 1}, {"z": 0}]
    coef, intercept = starting_point(start, vocabularies, ["a", "b", "c"], np.array([0, 1, 2]), np.ones(3))
    np.testing.assert_allclose(coef, [[2.0, 0.0, 3.0], [5.0, 0.0, 6.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(intercept, [0.1, 0.2, 0.0])
    merged, _ = starting_point(start, vocabularies, ["a", "b", "c"], np.array([0, 0, 1]), np.array([2.0, 1.0]))
    np.testing.assert_allclose(merged[0], [2.0 / np.sqrt(2), 3.0])


def test_starting_from_a_stored_classifier_reaches_the_same_model(tmp_path, monkeypatch):
    import tools.check_topic as check_topic
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.intent_classifier import TfidfIntentClassifier

    def data(examples):
        return TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in examples.items() for t in texts])

    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "test")
    config = {**TfidfIntentClassifier.get_default_config(), "C": 100.0}
    before = TfidfIntentClassifier.create(config, storage, Resource("before"), context)
    before.train(data(EXAMPLES))
    changed = {**EXAMPLES, "ask_cost": EXAMPLES["ask_cost"] + ["what do you charge", "price per infusion"]}
    own = TfidfIntentClassifier.create(config, storage, Resource("own"), context)
    own.train(data(changed))
    started = []
    monkeypatch.setattr(check_topic, "starting_point", lambda *a: started.append(a) or starting_point(*a))
    quick = check_topic.quick_classifier_class().create(config, storage, Resource("quick"), context)
    quick.start = stored(before, tmp_path / "model.tar.gz")
    quick.train(data(changed))
    texts = ["how much is it", "hello!", "is it covered by my insurance plan", "what do you charge per session"]
    assert started and quick.labels == own.labels
    np.testing.assert_allclose(quick.probabilities(texts), own.probabilities(texts), atol=2e-3)
    # The solver is Rasa's again afterwards.
    import components.linear_reader as module
    from sklearn.linear_model import LogisticRegression
    assert module.LogisticRegression is LogisticRegression


def test_the_newest_model_s_classifier_is_read_from_its_archive(tmp_path):
    import tarfile

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.intent_classifier import TfidfIntentClassifier

    assert newest_classifier(tmp_path / "models") is None
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    classifier = TfidfIntentClassifier.create(TfidfIntentClassifier.get_default_config(), storage,
                                              Resource("train_components.intent_classifier.TfidfIntentClassifier1"),
                                              ExecutionContext(GraphSchema({}), "test"))
    classifier.train(TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items()
                                   for t in texts]))
    models = tmp_path / "models"
    models.mkdir()
    (models / "notes.tar.gz").write_bytes(b"not an archive")
    with tarfile.open(models / "config-1.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "storage", arcname="components")
    found = newest_classifier(models)
    assert found is not None and found.source == models / "config-1.tar.gz"
    assert found.labels == classifier.labels and found.vocabularies == [s.vocabulary for s in classifier.reader.spaces]
    np.testing.assert_allclose(found.coef, classifier.reader.coef)
    # The newest archive is not a model: the solver starts from zero rather than from an older one.
    later = (models / "config-1.tar.gz").stat().st_mtime + 10
    os.utime(models / "notes.tar.gz", (later, later))
    assert newest_classifier(models) is None


# ---------------------------------------------------------------- the whole check on a tiny project

TOPIC = """intent: ask_cost
title: Cost
covers: price, fees, how much
not_here: whether insurance pays (`ask_insurance`)
sources: ["000"]
answer:
  - text: It costs what it costs.
    buttons:
      - title: "Insurance"
        payload: "/ask_insurance"
test_question: how much does it cost?
examples:
{examples}
held_out:
{held_out}
"""
COST_EXAMPLES = ["how much does it cost", "what is the price", "how much do sessions cost", "what are your prices",
                 "is it expensive", "how much is one infusion", "what do you charge", "price per session",
                 "cost of treatment", "do you have payment plans", "how much money is it", "what are the fees"]
COST_HELD_OUT = ["how much does one session cost", "what is the price of treatment", "is it very expensive"]
OTHER_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey, hello there
    - hiya
    - good evening
- intent: ask_insurance
  examples: |
    - does insurance cover it
    - do you take my insurance
    - is it covered by insurance
    - which insurance plans do you accept
    - will aetna pay
    - does my health plan cover ketamine
    - is it in network
    - can i bill my insurer
"""
HOLDOUT = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello!
    - hi, good morning
- intent: ask_insurance
  examples: |
    - does blue cross cover this
    - will my insurance plan pay
"""


def items(texts):
    return "\n".join(f"  - {t}" for t in texts)


@pytest.fixture()
def project(tmp_path) -> Path:
    """A project of three intents whose generated files do not exist yet: the topic file is all."""
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "other.yml").write_text(OTHER_NLU, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "nlu_holdout.yml").write_text(HOLDOUT, encoding="utf-8")
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "ORDER").write_text("ask_cost\n", encoding="utf-8")
    (tmp_path / "topics" / "ask_cost.yml").write_text(
        TOPIC.format(examples=items(COST_EXAMPLES), held_out=items(COST_HELD_OUT)), encoding="utf-8")
    (tmp_path / "knowledge" / "sources").mkdir(parents=True)
    (tmp_path / "knowledge" / "sources" / "000-prices.txt").write_text("Prices.", encoding="utf-8")
    (tmp_path / "domain.yml").write_text("intents:\n  - greet\n  - ask_insurance\n  - ask_cost\n", encoding="utf-8")
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    return tmp_path


def test_the_topic_file_is_the_source_of_truth_for_its_examples(project):
    from tools.topics import HOLDOUT_FILE, NLU_FILE, Topic

    topic = Topic(project / "topics" / "ask_cost.yml")
    data = load_data(project, topic)
    cost = sorted(m.get("text") for m in data.training.intent_examples if m.get("intent") == "ask_cost")
    assert cost == sorted(COST_EXAMPLES) and not data.training_in_sync and not data.holdout_in_sync
    assert [t for t, i in data.holdout if i == "ask_cost"] == COST_HELD_OUT
    # Stale generated files: their block of this topic is replaced, the other topics' kept.
    stale = 'version: "3.1"\nnlu:\n- intent: ask_cost\n  examples: |\n    - old example\n' \
            '- intent: ask_dosage\n  examples: |\n    - what dose\n'
    (project / NLU_FILE).write_text(stale, encoding="utf-8")
    (project / HOLDOUT_FILE).write_text(stale.replace("what dose", "how many mg"), encoding="utf-8")
    data = load_data(project, topic)
    texts = {m.get("text") for m in data.training.intent_examples}
    assert "old example" not in texts and "what dose" in texts and set(COST_EXAMPLES) <= texts
    assert ("how many mg", "ask_dosage") in data.holdout and ("old example", "ask_cost") not in data.holdout
    # In step with the topic file: nothing to say.
    (project / NLU_FILE).write_text(stale.replace("    - old example\n", items(COST_EXAMPLES).replace(
        "  - ", "    - ") + "\n"), encoding="utf-8")
    assert load_data(project, topic).training_in_sync


def test_a_topic_that_reads_well_passes(project, capsys):
    source_article_ids()  # skips the test without the articles: test_sources.py says so, once
    assert check(project, "ask_cost", build_files=False) == 0
    out = capsys.readouterr().out
    assert "ask_cost on the held-out set (3 examples of its own): precision 1.00, recall 1.00, F1 1.00" in out
    assert "gate (make test, every FAQ topic): ask_cost F1 1.00 ≥ 0.75 passes" in out
    assert "report: test-artifacts/check-topic-ask_cost.json" in out
    assert "note: data/nlu/topics.yml does not hold this topic's `examples` yet" in out
    assert "(ask_insurance) similarity 0." in out and "not_here names: ask_insurance" in out
    assert out.strip().splitlines()[-1].startswith("ask_cost passes the held-out gate")
    report = json.loads((project / "test-artifacts" / "check-topic-ask_cost.json").read_text(encoding="utf-8"))
    assert report["passes"] and report["held_out"]["shown"]["f1"] == "1.00" and report["closest_pairs"]


def test_a_passed_check_is_not_repeated_until_something_it_read_changes(project, capsys):
    source_article_ids()
    assert not already_passed(project, "ask_cost")
    assert check(project, "ask_cost", build_files=False) == 0
    assert already_passed(project, "ask_cost")
    capsys.readouterr()
    assert main(["--root", str(project), "--unless-passed", "ask_cost"]) == 0
    assert "not checked again" in capsys.readouterr().out
    # The topic, the other data, the held-out set and a newer model each count as a change.
    for changed in ("topics/ask_cost.yml", "data/nlu/other.yml", "tests/nlu_holdout.yml", "models/config-2.tar.gz"):
        path = project / changed
        path.parent.mkdir(exist_ok=True)
        original = path.read_bytes() if path.exists() else None
        path.write_bytes((original or b"") + b"\n# changed\n")
        assert not already_passed(project, "ask_cost"), changed
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
        assert already_passed(project, "ask_cost"), changed


def test_a_failed_check_is_always_repeated(project, capsys):
    source_article_ids()
    report = project / "test-artifacts" / "check-topic-ask_cost.json"
    assert check(project, "ask_cost", build_files=False) == 0
    report.write_text(report.read_text(encoding="utf-8").replace('"passes": true', '"passes": false'),
                      encoding="utf-8")
    assert not already_passed(project, "ask_cost")
    report.write_text("{not json", encoding="utf-8")
    assert not already_passed(project, "ask_cost")


def test_a_topic_that_reads_badly_fails_with_its_misreadings(project, capsys):
    source_article_ids()  # skips the test without the articles: test_sources.py says so, once
    path = project / "topics" / "ask_cost.yml"
    held_out = ["is it covered by my insurance plan", "does insurance pay", "hello there"]
    path.write_text(TOPIC.format(examples=items(COST_EXAMPLES), held_out=items(held_out)), encoding="utf-8")
    assert check(project, "ask_cost", build_files=False) == 1
    out = capsys.readouterr().out
    assert "< 0.75 fails" in out
    assert "\"does insurance pay\" read as ask_insurance (0." in out
    assert out.strip().splitlines()[-1].endswith("never copy them into training.")


def test_a_broken_topic_file_stops_with_file_line_and_fix(project, capsys):
    path = project / "topics" / "ask_cost.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: Cost\n", ""), encoding="utf-8")
    assert check(project, "ask_cost", build_files=False) == 1
    out = capsys.readouterr().out
    assert "topics/ask_cost.yml:1: `title:` is missing (fix: add it" in out
    assert "training" not in out and not (project / "test-artifacts").exists()
    assert out.strip().splitlines()[-1].endswith("then run `make check-topic NAME=ask_cost` again")


def test_an_unknown_topic_is_named_with_the_close_ones(project, capsys):
    assert check(project, "ask_costs", build_files=False) == 1
    assert "topics/ask_costs.yml not found: did you mean ask_cost?" in capsys.readouterr().out


def test_missing_articles_are_said_once(project, capsys):
    shutil.rmtree(project / "knowledge" / "sources")
    assert check(project, "ask_cost", build_files=False) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"articles folder not found at {project / 'knowledge' / 'sources'}: ")
    assert "there is no article" not in out
