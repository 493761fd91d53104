"""Gate: the trained model on the held-out set (tests/nlu_holdout.yml), written apart from
the training data. The full report goes to test-artifacts/nlu_holdout_report.json."""

from __future__ import annotations

import pytest

from tests.support.project import ARTIFACTS, ROOT

MIN_ACCURACY = 0.90
MIN_FAQ_F1 = 0.75


@pytest.fixture(scope="module")
def holdout_report(model_path):
    from tools.nlu_eval import evaluate

    report = evaluate(model_path, ROOT / "tests" / "nlu_holdout.yml")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "nlu_holdout_report.json").write_text(report.to_json())
    return report


def test_holdout_intent_accuracy(holdout_report):
    misses = "\n".join(
        f"  {e['expected']} -> {e['predicted']}: {e['text']}" for e in holdout_report.errors
    )
    assert holdout_report.accuracy >= MIN_ACCURACY, (
        f"held-out intent accuracy {holdout_report.accuracy:.3f} < {MIN_ACCURACY}; misses:\n{misses}"
    )


def test_holdout_f1_of_every_faq_intent(holdout_report, faq_intents):
    weak = {i: round(holdout_report.per_intent[i].f1, 3) for i in faq_intents
            if holdout_report.per_intent[i].f1 < MIN_FAQ_F1}
    assert not weak, f"FAQ intents below F1 {MIN_FAQ_F1} on the held-out set: {weak}"
