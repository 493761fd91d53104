"""Score a trained model's intent classification on a held-out NLU file.

A deflection counts as correct for out_of_scope: the FallbackClassifier's nlu_fallback leads
to the same kind of answer (see the topic contract)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

DEFLECTIONS = {"out_of_scope", "nlu_fallback"}


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a Rasa YAML NLU file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


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


def evaluate(model_path: Path, holdout_path: Path) -> Report:
    examples = load_examples(holdout_path)
    texts = [text for text, _ in examples]
    gold = [intent for _, intent in examples]
    parses = asyncio.run(predict(model_path, texts))
    predicted = [p["intent"]["name"] for p in parses]
    accuracy, per_intent = score(gold, predicted)
    errors = [
        {"text": t, "expected": g, "predicted": p["intent"]["name"],
         "confidence": round(float(p["intent"]["confidence"]), 3)}
        for t, g, p in zip(texts, gold, parses)
        if canonical(g) != canonical(p["intent"]["name"])
    ]
    return Report(accuracy, len(examples), per_intent, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("holdout", type=Path, nargs="?", default=Path("tests/nlu_holdout.yml"))
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    report = evaluate(args.model, args.holdout)
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
