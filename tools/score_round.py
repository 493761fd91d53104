"""Score a round of patient messages (tests/rounds/*.yml): does the assistant's first reading of
each message lead to the answer its label asks for?

A round's messages were written by someone who had not read the training data (README of
tests/rounds/). Each message's label (`expect`) is an FAQ intent, a conversation intent, or one
of the routes below; the model's reading is turned into the same vocabulary:

- `crisis`: the reading is `crisis` (the crisis detector runs last);
- `clinician`: `ask_personal_medical`, a question about the patient's own medical situation
  (components/medical_boundary.py, or the classifier);
- `english_only`: `other_language`, a message in another language (components/language_guard.py);
- `out_of_scope`: out_of_scope or the fallback (both deflect);
- `possible_risk`: `distress`, short or vague distress answered with a check-in (the crisis detector);
- `crisis_resources`: `crisis_resources`, a request for crisis lines;
- `meta`: `help_menu`, what the assistant can do.

The answers a reading leads to are those the assistant gives: the reading's, then the second
question's when the classifier found one (actions/questions.py). A message that asks two questions
(`also`, the second one's label) is read right when either of its answers is given, unless the
first is a crisis or a personal medical question. A follow-up (`after`, the message before it) is
read as the assistant reads it: an unsure follow-up is placed against the topic answered last
(actions/fallback.py), which is the reading of the message before it.

Usage: python -m tools.score_round MODEL tests/rounds/round-a.yml [--json report.json]"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

from actions.questions import faq_topic, follow_up_topic, related_topics
from clinic.paths import PROJECT_ROOT
from clinic.questions import is_follow_up
from components.intent_classifier import SECOND_QUESTION
from tools.nlu_eval import predict

# Readings that stand for a route rather than a topic.
ROUTES = {"crisis": "crisis", "ask_personal_medical": "clinician", "other_language": "english_only",
          "distress": "possible_risk", "crisis_resources": "crisis_resources", "help_menu": "meta"}
# Labels of risk: a message with neither, read as a crisis, is a false alarm.
RISK_LABELS = {"crisis", "possible_risk"}
# Labels that decide the answer whatever else a message asks.
OVERRIDING_LABELS = {"crisis", "clinician"}
DEFLECTIONS = {"out_of_scope", "nlu_fallback"}


@dataclass(frozen=True)
class Message:
    text: str
    expect: str
    style: str
    also: Optional[str] = None  # the second question's label
    after: Optional[str] = None  # the message a follow-up leans on

    @property
    def answers(self) -> List[str]:
        """The answers that count as right: a crisis or a personal medical question inside a message
        of two questions must be read as such, whatever else it asks."""
        return [self.expect] + ([self.also] if self.also and self.expect not in OVERRIDING_LABELS else [])


def load_round(path: Path) -> List[Message]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Message(str(m["text"]).strip(), str(m["expect"]), str(m.get("style", "plain")),
                    str(m["also"]) if m.get("also") else None, str(m["after"]).strip() if m.get("after") else None)
            for m in document.get("messages", [])]


def route(parse: Dict[str, Any]) -> str:
    """The answer a parse leads to, in the labels' vocabulary."""
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if intent in ROUTES:
        return ROUTES[intent]
    return "out_of_scope" if intent in DEFLECTIONS else intent


def second_question(parse: Dict[str, Any]) -> Optional[str]:
    return next((entity.get("value") for entity in parse.get("entities") or []
                 if entity.get("entity") == SECOND_QUESTION), None)


def last_topic(parse: Dict[str, Any]) -> Optional[str]:
    """The topic the assistant answered last after this reading: the second question's, or the reading's."""
    intent = (parse.get("intent") or {}).get("name") or ""
    return second_question(parse) or (intent if intent.startswith("ask_") else None)


def answers_given(text: str, parse: Dict[str, Any], before: Optional[Dict[str, Any]],
                  domain: Dict[str, Any]) -> List[str]:
    """What the assistant answers with, in the labels' vocabulary: the reading, the second question,
    or for an unsure follow-up the topic it takes from the answer before (as actions/fallback.py)."""
    previous = last_topic(before) if before else None
    if previous and route(parse) in DEFLECTIONS and is_follow_up(text):
        topic = follow_up_topic(parse.get("intent_ranking") or [], previous, related_topics(previous, domain), domain,
                                text)
        if topic:
            return [topic]
    # The second question is answered after an FAQ answer only (the FAQ rules).
    second = second_question(parse) if faq_topic(route(parse), domain) else None
    return [route(parse)] + ([second] if second else [])


def top_intents(parse: Dict[str, Any], count: int = 3) -> List[str]:
    return [entry["name"] for entry in (parse.get("intent_ranking") or [])[:count]]


def category(label: str) -> str:
    if label.startswith("ask_") and label != "ask_not_covered":
        return "faq"
    return label if label in ("crisis", "possible_risk", "crisis_resources", "meta", "clinician", "out_of_scope",
                              "ask_not_covered", "english_only") else "conversation"


@dataclass
class RoundScore:
    name: str
    total: int
    accuracy: float
    by_category: Dict[str, Dict[str, float]]
    by_style: Dict[str, float]
    faq_top3: float
    crisis_recall: float
    crisis_false_alarms: int
    misses: List[Dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.name}: {self.accuracy:.3f} on {self.total}"]
        parts += [f"{name} {values['accuracy']:.2f} (n={int(values['n'])})"
                  for name, values in sorted(self.by_category.items())]
        parts.append(f"FAQ top-3 {self.faq_top3:.2f}, crisis recall {self.crisis_recall:.2f}, "
                     f"false crisis alarms {self.crisis_false_alarms}")
        return "; ".join(parts)


def score(name: str, messages: List[Message], parses: List[Dict[str, Any]],
          befores: Optional[Dict[str, Dict[str, Any]]] = None, domain: Optional[Dict[str, Any]] = None) -> RoundScore:
    """`befores`: the readings of the messages follow-ups lean on, by text."""
    right_by: Dict[str, Counter] = defaultdict(Counter)
    style_right: Dict[str, Counter] = defaultdict(Counter)
    misses, top3_hits, faq_total, false_alarms = [], 0, 0, 0
    for message, parse in zip(messages, parses):
        given = answers_given(message.text, parse, (befores or {}).get(message.after or ""), domain or {})
        got = given[0]
        correct = bool(set(given) & set(message.answers))
        group = category(message.expect)
        right_by[group]["n"] += 1
        right_by[group]["right"] += correct
        style_right[message.style]["n"] += 1
        style_right[message.style]["right"] += correct
        if group == "faq":
            faq_total += 1
            top3_hits += bool(set(message.answers) & set(top_intents(parse)))
        if got == "crisis" and message.expect not in RISK_LABELS:
            false_alarms += 1
        if not correct:
            misses.append({"text": message.text, "expect": message.expect, "got": got, "style": message.style,
                           "confidence": round(float((parse.get("intent") or {}).get("confidence") or 0), 3),
                           "top3": top_intents(parse)})
    total = len(messages)
    right = sum(counts["right"] for counts in right_by.values())
    crisis = right_by.get("crisis", Counter())
    return RoundScore(
        name=name, total=total, accuracy=right / total if total else 0.0,
        by_category={group: {"accuracy": c["right"] / c["n"], "n": c["n"]} for group, c in right_by.items()},
        by_style={style: c["right"] / c["n"] for style, c in style_right.items()},
        faq_top3=top3_hits / faq_total if faq_total else 0.0,
        crisis_recall=crisis["right"] / crisis["n"] if crisis["n"] else 1.0,
        crisis_false_alarms=false_alarms, misses=misses,
    )


def score_round(name: str, messages: List[Message],
                parse: Callable[[List[str]], List[Dict[str, Any]]]) -> RoundScore:
    """The round's score with `parse` reading texts: its messages and those its follow-ups lean on."""
    befores = sorted({m.after for m in messages if m.after})
    parses = parse([m.text for m in messages] + befores)
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return score(name, messages, parses[:len(messages)], dict(zip(befores, parses[len(messages):])), domain)


def score_file(model: Path, path: Path) -> RoundScore:
    return score_round(path.stem, load_round(path), lambda texts: asyncio.run(predict(model, texts)))


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("rounds", type=Path, nargs="+")
    parser.add_argument("--json", type=Path, help="write the full report (with every miss) here")
    parser.add_argument("--show-misses", action="store_true", help="print every miss (not for sealed rounds)")
    args = parser.parse_args(argv)
    report = {}
    for path in args.rounds:
        result = score_file(args.model, path)
        report[result.name] = vars(result)
        print(result.summary())
        print("  by style: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.by_style.items())))
        if args.show_misses:
            for miss in result.misses:
                print(f"  MISS {miss['expect']:>24s} -> {miss['got']:<24s} {miss['confidence']:.2f}  {miss['text']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
