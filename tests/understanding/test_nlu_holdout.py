"""Gate: the trained model on the held-out set (tests/nlu_holdout.yml and, built from the topic
files, tests/nlu_holdout_topics.yml), written apart from the training data. The full report goes
to test-artifacts/nlu_holdout_report.json."""

from __future__ import annotations

from typing import Iterable

import pytest

from tests.support.project import ARTIFACTS, ROOT
from tools.nlu_eval import MIN_ACCURACY, MIN_FAQ_F1, SCORE_DECIMALS, Report, meets, topic_misreadings, verdict

REPORT = ARTIFACTS / "nlu_holdout_report.json"
SHOWN_REPORT = REPORT.relative_to(ROOT)


@pytest.fixture(scope="module")
def holdout_report(model_path):
    from tools.nlu_eval import evaluate, holdout_paths

    report = evaluate(model_path, holdout_paths(ROOT))
    ARTIFACTS.mkdir(exist_ok=True)
    REPORT.write_text(report.to_json())
    return report


def misread(error: dict) -> str:
    return f"  \"{error['text']}\" ({error['expected']}) read as {error['predicted']} ({error['confidence']:.2f})"


def misreadings_of(report: Report, intents: Iterable[str]) -> str:
    """Each held-out example of these intents read as another, and each other one read as them."""
    lines = []
    for intent in intents:
        missed, taken = topic_misreadings(report, intent)
        lines += [f"{intent}:"] + [misread(e) for e in missed + taken]
    return "\n".join(lines)


def test_holdout_intent_accuracy(holdout_report):
    result = verdict("held-out intent accuracy", holdout_report.accuracy, MIN_ACCURACY)
    print(result)
    misses = "\n".join(misread(e) for e in holdout_report.errors)
    assert meets(holdout_report.accuracy, MIN_ACCURACY), (
        f"{result} (compared at {SCORE_DECIMALS} decimals); misread examples:\n{misses}\nfull report: {SHOWN_REPORT}"
    )


def test_holdout_f1_of_every_faq_intent(holdout_report, faq_intents):
    unscored = [i for i in faq_intents if i not in holdout_report.per_intent]
    assert not unscored, (f"no held-out examples for {unscored}: write some in `held_out` of topics/<intent>.yml, "
                          "then run make topics")
    results = {i: verdict(f"{i} F1", holdout_report.per_intent[i].f1, MIN_FAQ_F1) for i in faq_intents}
    print("\n".join(results.values()))
    weak = [i for i in faq_intents if not meets(holdout_report.per_intent[i].f1, MIN_FAQ_F1)]
    assert not weak, (
        f"FAQ topics below the held-out gate (F1 compared at {SCORE_DECIMALS} decimals):\n"
        + "\n".join(f"  {results[i]}" for i in weak)
        + "\nheld-out examples misread (each with what it was read as, and the confidence):\n"
        + misreadings_of(holdout_report, weak)
        + f"\nfull report: {SHOWN_REPORT}; check one topic in under a minute: make check-topic NAME={weak[0]}"
    )
