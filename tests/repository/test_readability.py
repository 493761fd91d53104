"""The FAQ answers read as the clinic talking: short, plain (tools/readability.py), and promising
nothing the articles and the clinic profile do not state. Each failure names the topic file."""

from __future__ import annotations

import re

from tests.support.project import ROOT
from tools.readability import MAX_GRADE, MAX_WORDS, TABLE_FILE, expected_table, rows, too_hard, topic_texts

# Things the clinic would be promising to do for the patient, which neither the articles nor the
# clinic profile state: checking insurance, confirming times, quoting prices, calling back unasked.
# Telling the patient they can call {clinic_phone} or book is fine.
PROMISES = [
    r"\bwe(?:'ll| will| can| would)? (?:check|verify|confirm|quote|guarantee|call you)\b",
    r"\bexact (?:quote|price|cost|timing|schedule)\b",
    r"\bour (?:team|staff|clinic) (?:can|will|would) (?:check|confirm|verify|quote|call you|get back)\b",
    r"\bthe clinic (?:confirms|checks|verifies|will confirm|will check|will call)\b",
    r"\b(?:confirms?|checks?|verif(?:y|ies)) your (?:timing|schedule|plan|coverage|insurance|benefits)\b",
    r"\b(?:we|our team|the clinic|staff)(?:'ll| will) (?:call|contact|reach) you\b",
    r"\bguarantee[sd]?\b",
]


def test_the_readability_table_is_up_to_date():
    path = ROOT / TABLE_FILE
    assert path.is_file() and path.read_text(encoding="utf-8") == expected_table(ROOT), (
        f"{TABLE_FILE} is stale: run make readability (or make topics)")


def test_every_answer_is_short_and_plain():
    problems = too_hard(rows(ROOT))
    assert not problems, (f"write these in shorter sentences and plainer words, at most about 60 words (limit "
                          f"{MAX_WORDS}) and grade {MAX_GRADE:.0f}:\n" + "\n".join(problems))


def test_no_answer_promises_what_the_clinic_never_said():
    found = []
    for intent, key, number, text in topic_texts(ROOT):
        flat = " ".join(text.split())
        for pattern in PROMISES:
            match = re.search(pattern, flat, re.IGNORECASE)
            if match:
                found.append(f"topics/{intent}.yml, {key} {number}: \"{match.group(0)}\"")
    assert not found, ("these answers promise something the articles and the clinic profile do not state; say "
                       "what the patient can do instead (call {clinic_phone}, book):\n" + "\n".join(found))


def test_the_promise_check_catches_the_old_promises():
    old = ["Our team can give you an exact quote for your treatment plan", "Our team can check your plan",
           "The clinic confirms the exact timing of your sessions", "the clinic confirms your schedule",
           "We'll verify your benefits", "we will call you back tomorrow"]
    kept = ["You can call us at {clinic_phone}", "Book a consultation", "Your clinician checks your health first"]
    missed = [text for text in old if not any(re.search(p, text, re.IGNORECASE) for p in PROMISES)]
    flagged = [text for text in kept if any(re.search(p, text, re.IGNORECASE) for p in PROMISES)]
    assert not missed and not flagged, (missed, flagged)
