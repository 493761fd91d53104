"""`make review`: what the assistant did not understand, from the conversation store.

Lists the patients' messages that ended in a fallback, out_of_scope, ask_not_covered, a crisis or
a low-confidence reading, newest first, grouped by text with a count, each with its conversation
id and time. Phone numbers and e-mail addresses are masked. `make review EXPORT=file.yml` writes
them as NLU candidates: move each line to the intent it belongs to in data/nlu/, or drop it.
When the patient answered a "Did you mean" by picking a topic, the message is listed with that
choice and exported under the chosen intent.
Reads the tracker store endpoints.yml names (SQLite by default, PostgreSQL when configured)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import sqlalchemy as sa

from clinic.topics import TOPIC_TITLES
from tools.tracker_db import ROOT, UnsupportedStore, events_table, tracker_db_url

REVIEWED_INTENTS = {"nlu_fallback": "fallback", "out_of_scope": "out of scope",
                    "ask_not_covered": "not covered", "crisis": "crisis"}
DEFAULT_LOW_CONFIDENCE = 0.5
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "[text](entity)", "[text]{...}" and "[text][...]" would be read as entity annotations.
ENTITY_MARKUP = re.compile(r"\]\s*(?=[({\[])")
PHONE = re.compile(r"(?<![\w(])[+(]?\d[\d\s().-]{5,}\d(?![\w])")


def mask(text: str) -> str:
    """The text with e-mail addresses and phone numbers (7 or more digits) replaced."""
    text = EMAIL.sub("[email]", text)
    return PHONE.sub(lambda m: "[phone]" if len(re.sub(r"\D", "", m.group(0))) >= 7 else m.group(0), text)


@dataclass
class Finding:
    reason: str
    text: str
    intent: str
    count: int = 0
    latest: float = 0.0
    conversations: List[str] = field(default_factory=list)
    # The topic the patient picked from the suggestions that followed the message, if any.
    chosen: Optional[str] = None
    # The classifier's best reading other than "not understood" (the fallback's first suggestion).
    guess: str = ""


def reason_for(intent: str, confidence: float, low_confidence: float) -> Optional[str]:
    if intent in REVIEWED_INTENTS:
        return REVIEWED_INTENTS[intent]
    if confidence < low_confidence:
        return "low confidence"
    return None


def findings(rows: Iterable[tuple], low_confidence: float = DEFAULT_LOW_CONFIDENCE) -> List[Finding]:
    """(sender_id, timestamp, event JSON) rows of user and active_loop events, in order ->
    findings, newest first. Answers to a form's questions (names, dates...) are not questions
    the assistant failed; only a crisis inside a form is kept."""
    grouped: Dict[tuple, Finding] = {}
    in_form: Dict[str, bool] = {}
    awaiting_choice: Dict[str, Finding] = {}  # a fallback whose suggestions the patient may pick from
    for sender, stamp, data in rows:
        event = json.loads(data)
        if event.get("event") == "active_loop":
            in_form[sender] = bool(event.get("name"))
            continue
        text = (event.get("text") or "").strip()
        intent = (event.get("parse_data") or {}).get("intent") or {}
        name, confidence = intent.get("name") or "nlu_fallback", float(intent.get("confidence") or 0.0)
        reason = reason_for(name, confidence, low_confidence)
        missed = awaiting_choice.pop(sender, None)
        picked = text[1:].split("{")[0] if text.startswith("/") else ""
        if missed is not None and picked in TOPIC_TITLES:
            missed.chosen = picked
        if in_form.get(sender) and reason != "crisis":
            continue
        if not reason or not text or text.startswith("/"):  # button payloads are not patients' words
            continue
        masked = mask(text)
        key = (reason, " ".join(masked.lower().split()))
        finding = grouped.setdefault(key, Finding(reason, masked, name, guess=best_guess(event)))
        finding.count += 1
        if stamp >= finding.latest:
            finding.latest, finding.text = stamp, masked
        if sender not in finding.conversations:
            finding.conversations.append(sender)
        if reason == "fallback":
            awaiting_choice[sender] = finding
    return sorted(grouped.values(), key=lambda f: f.latest, reverse=True)


def best_guess(event: dict) -> str:
    parse = event.get("parse_data") or {}
    readings = [parse.get("intent") or {}] + list(parse.get("intent_ranking") or [])
    return next((str(r["name"]) for r in readings if r.get("name") and r["name"] != "nlu_fallback"), "")


def nlu_yaml(blocks: Dict[str, List[str]], comments: Dict[str, str], header: List[str]) -> str:
    """Rasa NLU YAML with one block per intent; examples go on one line each, inside a block scalar
    (which keeps any character), with a dash between "]" and a following bracket so none reads as an entity."""
    lines = [f"# {line}" for line in header] + ['version: "3.1"', "nlu:"]
    for intent in sorted(blocks):
        lines.append(f"- intent: {intent}")
        if intent in comments:
            lines.append(f"  # {comments[intent]}")
        lines.append("  examples: |")
        for text in blocks[intent]:
            lines.append(f"    - {ENTITY_MARKUP.sub('] - ', ' '.join(text.split()))}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def read_events(url: object, since: float = 0.0) -> List[tuple]:
    """User messages and form starts and ends, in the order they happened."""
    with events_table(url) as (engine, events):
        if events is None:
            return []
        query = (sa.select(events.c.sender_id, events.c.timestamp, events.c.data)
                 .where(events.c.type_name.in_(["user", "active_loop"]), events.c.timestamp >= since)
                 .order_by(events.c.id))
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]


def report(found: List[Finding]) -> str:
    if not found:
        return "Nothing to review: every message was understood with confidence."
    lines = [f"{len(found)} message(s) to review, newest first:", ""]
    for f in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(f.latest))
        lines.append(f"[{f.reason}] x{f.count}  {when}  {f.conversations[0]}"
                     + (f" (+{len(f.conversations) - 1} more)" if len(f.conversations) > 1 else ""))
        lines.append(f"    {f.text}" + (f"   -> picked: {f.chosen}" if f.chosen else ""))
    return "\n".join(lines)


def nlu_candidates(found: List[Finding]) -> str:
    """Rasa NLU YAML, one block per reason; staff move each example to the right intent."""
    # A topic the patient picked labels the message; the rest wait for staff under review_<reason>.
    blocks: Dict[str, List[str]] = {}
    for f in found:
        blocks.setdefault(f.chosen or f"review_{f.reason.replace(' ', '_')}", []).append(f.text)
    picked = "picked by the patient from the suggestions after a message not understood"
    return nlu_yaml(blocks, {block: picked for block in blocks if not block.startswith("review_")},
                    ["Candidates from `make review`: move each example to the intent it belongs to in",
                     "data/nlu/ (or delete it), then `make test`. Phone numbers and e-mails are masked."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--days", type=float, default=30, help="look back this many days (default 30)")
    parser.add_argument("--below", type=float, default=DEFAULT_LOW_CONFIDENCE,
                        help="confidence under which an answered message counts as low confidence")
    parser.add_argument("--export", type=Path, help="write the messages as NLU candidates to this YAML file")
    args = parser.parse_args()
    try:
        rows = read_events(tracker_db_url(args.endpoints), since=time.time() - args.days * 86400)
    except UnsupportedStore as error:
        sys.exit(str(error))
    found = findings(rows, args.below)
    print(report(found))
    if args.export:
        args.export.write_text(nlu_candidates(found), encoding="utf-8")
        print(f"\nwrote {len(found)} candidate(s) to {args.export}")


if __name__ == "__main__":
    main()
