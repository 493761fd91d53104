"""Score a trained model's intent classification on the held-out set (or other held-out NLU files).

The held-out set is two files: the FAQ topics' held-out examples (tests/nlu_holdout_topics.yml,
built from topics/*.yml by `make topics`) and the other intents' (tests/nlu_holdout.yml).
A deflection counts as correct for out_of_scope: the FallbackClassifier's nlu_fallback leads
to the same kind of answer (see the topic contract)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import yaml

from clinic.paths import PROJECT_ROOT

DEFLECTIONS = {"out_of_scope", "nlu_fallback"}
# The held-out set, never used for training: every reader reads all of these files.
HOLDOUT_FILES = ("tests/nlu_holdout_topics.yml", "tests/nlu_holdout.yml")
# The held-out gates of `make test` (tests/understanding/test_nlu_holdout.py); `make check-topic`
# applies the FAQ one to a single topic. Scores are printed with SCORE_DECIMALS decimals and compared
# with a gate as printed: an F1 printed as 0.75 passes a 0.75 gate.
MIN_ACCURACY = 0.90
MIN_FAQ_F1 = 0.75
SCORE_DECIMALS = 2


def shown(value: float) -> str:
    """A score as it is printed, and compared with a gate."""
    return f"{value:.{SCORE_DECIMALS}f}"


def meets(value: float, floor: float) -> bool:
    """Whether a score reaches a gate at the precision it is printed with."""
    return float(shown(value)) >= float(shown(floor))


def verdict(name: str, value: float, floor: float) -> str:
    """A score against its gate, both as printed: "ask_cost F1 0.75 ≥ 0.75 passes", "... 0.74 < 0.75 fails"."""
    sign, outcome = ("≥", "passes") if meets(value, floor) else ("<", "fails")
    return f"{name} {shown(value)} {sign} {shown(floor)} {outcome}"


def holdout_paths(root: Path = PROJECT_ROOT) -> List[Path]:
    return [root / name for name in HOLDOUT_FILES]


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a Rasa YAML NLU file."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    pairs = []
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


def load_holdout(paths: Union[Path, Sequence[Path], None] = None) -> List[Tuple[str, str]]:
    """(text, intent) pairs of the held-out set (or of the given held-out files)."""
    if paths is None:
        paths = holdout_paths()
    elif isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    return [pair for path in paths for pair in load_examples(Path(path))]


def canonical(intent: str) -> str:
    return "out_of_scope" if intent in DEFLECTIONS else intent


@dataclass
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    accuracy: float
    total: int
    per_intent: Dict[str, IntentScore]
    errors: List[Dict[str, object]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "accuracy": self.accuracy,
                "total": self.total,
                "per_intent": {k: vars(v) for k, v in sorted(self.per_intent.items())},
                "errors": self.errors,
            },
            indent=2,
        )


def score(gold: List[str], predicted: List[str]) -> Tuple[float, Dict[str, IntentScore]]:
    gold_c = [canonical(g) for g in gold]
    pred_c = [canonical(p) for p in predicted]
    true_pos: Counter = Counter()
    pred_count: Counter = Counter(pred_c)
    gold_count: Counter = Counter(gold_c)
    for g, p in zip(gold_c, pred_c):
        if g == p:
            true_pos[g] += 1
    per_intent = {}
    for intent in gold_count:
        tp = true_pos[intent]
        precision = tp / pred_count[intent] if pred_count[intent] else 0.0
        recall = tp / gold_count[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = IntentScore(precision, recall, f1, gold_count[intent])
    accuracy = sum(true_pos.values()) / len(gold_c) if gold_c else 0.0
    return accuracy, per_intent


async def predict(model_path: Path, texts: List[str]) -> List[Dict[str, object]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # One debug line per parsed message would bury the report.
    configure_structlog(logging.WARNING)

    agent = Agent.load(str(model_path))
    return [await agent.parse_message(text) for text in texts]


def evaluate(model_path: Path, holdout: Union[Path, Sequence[Path], None] = None) -> Report:
    """The model's scores on the held-out set (by default every file of HOLDOUT_FILES)."""
    examples = load_holdout(holdout)
    texts = [text for text, _ in examples]
    gold = [intent for _, intent in examples]
    return report_from_parses(texts, gold, asyncio.run(predict(model_path, texts)))


def report_from_parses(texts: List[str], gold: List[str], parses: List[Dict[str, object]]) -> Report:
    """The scores of parse results (Rasa's, with "intent": {"name", "confidence"}) of held-out texts."""
    predicted = [p["intent"]["name"] for p in parses]
    accuracy, per_intent = score(gold, predicted)
    errors = [
        {"text": t, "expected": g, "predicted": p["intent"]["name"],
         "confidence": round(float(p["intent"]["confidence"]), 3)}
        for t, g, p in zip(texts, gold, parses)
        if canonical(g) != canonical(p["intent"]["name"])
    ]
    return Report(accuracy, len(texts), per_intent, errors)


def topic_misreadings(report: Report, intent: str) -> Tuple[List[Dict[str, object]], List[Dict[str, object]]]:
    """The held-out examples of `intent` read as another intent (its recall), and the other intents'
    read as `intent` (its precision)."""
    missed = [e for e in report.errors if canonical(str(e["expected"])) == canonical(intent)]
    taken = [e for e in report.errors if canonical(str(e["predicted"])) == canonical(intent)]
    return missed, taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("holdout", type=Path, nargs="*", help="held-out NLU files (default: the held-out set, "
                        + " and ".join(HOLDOUT_FILES) + ")")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    report = evaluate(args.model, args.holdout or None)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.to_json())
    for intent, s in sorted(report.per_intent.items(), key=lambda kv: kv[1].f1):
        print(f"{intent:28s} P={s.precision:.2f} R={s.recall:.2f} F1={s.f1:.2f} n={s.support}")
    for error in report.errors:
        print(f"  MISS {error['expected']:>24s} -> {error['predicted']:<24s} "
              f"{error['confidence']:.2f}  {error['text']}")
    print(f"accuracy {report.accuracy:.3f} on {report.total} held-out examples")


if __name__ == "__main__":
    main()
