"""The shape of a question: the questions one message asks ("how much is it and does insurance
cover it"), and follow-ups that lean on the previous answer ("and how many of those would I
need?", "how long does that last").

Pure functions of the text: the pipeline reads each question on its own by meaning
(components/intent_classifier.py), the actions decide what a follow-up refers to."""

from __future__ import annotations

import re
from typing import List, Optional

from clinic.parsing import looks_like_question
from clinic.text import meaning_text, normalise

QUESTION_OPENER = (r"(?:how|what|what'?s|whats|when|where|why|which|who|does|do|is|are|can|could|will|would|should|"
                   r"did|any)\b")
# Where one question ends and the next begins: after a question mark or semicolon; after a full
# stop or exclamation mark and a space; at "and", "also", "plus", "&" or a comma before a word
# that opens a question ("how much is it and does insurance cover it"); or at a comma and a
# conjunction before any word ("is it addictive, and generally speaking how safe is it").
QUESTION_BREAK = re.compile(
    r"(\?+|;+|[.!]+(?=\s))\s*"
    r"|\s*,\s*(?:and\s+also|and|also|plus|&|but)\s+"
    rf"|\s(?:and\s+also|and|also|plus|&|but)\s+(?={QUESTION_OPENER})"
    rf"|,\s*(?={QUESTION_OPENER})",
    re.IGNORECASE)
MIN_QUESTION_WORDS = 2
MAX_QUESTIONS = 3


def question_parts(text: Optional[str]) -> List[str]:
    """The questions a message asks, in order, when it asks more than one; otherwise []. A part
    counts when it ends with a question mark or reads as a question, and has two words or more
    ("I'm 17. Is it safe?" asks one question)."""
    pieces = QUESTION_BREAK.split(meaning_text(text))
    parts: List[str] = []
    # re.split leaves the captured end of each piece (or None) after it.
    for index in range(0, len(pieces), 2):
        part = (pieces[index] or "").strip(" ,.-")
        ended = pieces[index + 1] if index + 1 < len(pieces) else None
        if len(part.split()) >= MIN_QUESTION_WORDS and ("?" in (ended or "") or looks_like_question(part)):
            parts.append(part)
    return parts[:MAX_QUESTIONS] if len(parts) > 1 else []


# A follow-up opens by leaning on what came before, or refers to it, and is short.
LEANS_ON_BEFORE = re.compile(
    r"^(?:(?:ok(?:ay)?|so|but|and|also|then|hmm+|um+)[\s,]+)*(?:and|also|what\s+about|how\s+about|what\s+of|"
    r"then|same\s+for|and\s+for)\b")
REFERS_BACK = re.compile(r"\b(?:that|those|these|them|this|it|they|one|each)\b")
MAX_FOLLOW_UP_WORDS = 12


def _short(text: Optional[str]) -> str:
    cleaned = normalise(text).strip(" ?!.")
    return cleaned if len(cleaned.split()) <= MAX_FOLLOW_UP_WORDS else ""


def leans_on_before(text: Optional[str]) -> bool:
    """A short message that opens by continuing the conversation ("and for teens?", "what about
    the first one"): without the previous answer it has no topic."""
    return bool(LEANS_ON_BEFORE.match(_short(text)))


def is_follow_up(text: Optional[str]) -> bool:
    """A short message that leans on the previous answer or refers back to it ("and how many of
    those would I need?", "what about for teens", "how long does that last")."""
    cleaned = _short(text)
    return bool(cleaned) and bool(LEANS_ON_BEFORE.match(cleaned) or REFERS_BACK.search(cleaned))


# Words that name nothing by themselves: "and then what", "what about it" only ask to go on.
EMPTY_WORDS = frozenset("""a an the it that this those these them they one ones what which who how why when where
then so and or but also about of for to is are was be do does did can could would will should else more now there
here ok okay please pls""".split())
WORD = re.compile(r"[a-z][a-z']*")


def adds_a_detail(text: Optional[str]) -> bool:
    """A message that leans on the previous answer and adds a detail of its own ("what about the next
    day", "and for my husband"), not one that only asks to go on ("and then what")."""
    cleaned = _short(text)
    opening = LEANS_ON_BEFORE.match(cleaned)
    return bool(opening) and any(word not in EMPTY_WORDS for word in WORD.findall(cleaned[opening.end():]))
