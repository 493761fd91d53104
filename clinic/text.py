"""The one text clean-up every reader of patients' messages starts from: the form parsers, the
intent classifier and the pattern-based pipeline steps."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional

# Control and invisible formatting characters (zero-width spaces and joiners, byte-order marks,
# direction marks) are used to dodge filters and never carry meaning here; tabs and line breaks
# are kept as spaces.
_INVISIBLE = ("Cc", "Cf")


def clean_text(text: Optional[str]) -> str:
    """NFKC, no control or invisible formatting characters, single spaces; case kept."""
    text = unicodedata.normalize("NFKC", text or "")
    if not text.isprintable():  # most messages are, and skip the character-by-character pass
        text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE or ch in "\t\n")
    return " ".join(text.split())


# Every pattern-reading pipeline step and the classifier normalise the same message in turn.
@lru_cache(maxsize=256)
def normalise(text: Optional[str]) -> str:
    """clean_text in lower case, with one kind of apostrophe: what patterns and features match on."""
    return clean_text(text).lower().replace("\u2019", "'").replace("\u2018", "'")


# A flag is two regional indicator letters ("🇦🇺"); a squared or circled letter ("🅿️", "🅰") stands for
# its letter. Their Unicode names ("negative squared latin capital letter p") would read as words
# about letters and languages.
REGIONAL_INDICATOR = "REGIONAL INDICATOR SYMBOL LETTER "
ENCLOSED_LETTER = re.compile(r"\b(?:SQUARED|CIRCLED|PARENTHESIZED)\b.*\bLATIN (?:CAPITAL|SMALL) LETTER ([A-Z])$")
REPEATED_FLAG = re.compile(r"\bflag(?:\s+flag\b)+")


def _symbol_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if name.startswith(REGIONAL_INDICATOR):
        return " flag "
    letter = ENCLOSED_LETTER.search(name)
    if letter:
        return f" {letter.group(1).lower()} "
    return f" {name.lower()} " if name else " "


@lru_cache(maxsize=256)
def meaning_text(text: Optional[str]) -> str:
    """clean_text with each emoji or pictograph written as its Unicode name ("💸" as "money with
    wings", "⏰" as "alarm clock"): what a reader by meaning sees. Skin tones and variation
    selectors, which only restyle the emoji before them, are dropped."""
    text = clean_text(text)
    if text.isascii():
        return text
    spelled = "".join(_symbol_name(ch) if unicodedata.category(ch) == "So" else
                      "" if unicodedata.category(ch) in ("Sk", "Mn") and _restyles(ch) else ch for ch in text)
    return REPEATED_FLAG.sub("flag", " ".join(spelled.split()))


def _restyles(ch: str) -> bool:
    """Emoji skin-tone modifiers and variation selectors."""
    return "\U0001F3FB" <= ch <= "\U0001F3FF" or "\uFE00" <= ch <= "\uFE0F"


# Words that carry no topic: what a question opens with ("ok, and", "um so", "thanks,") and the
# reassurances patients add ("I'm safe", "not an emergency", "no thoughts of hurting myself").
LEADING_FILLERS = re.compile(
    r"^(?:(?:u+m+|u+h+|e+r+m*|h+m+|okay|ok|so|and|also|well|yeah|yes|like|oh|anyway|alright|right|"
    r"hi|hey|hello|thanks?(?:\s+you)?(?=\s*[,.!-]))\b[\s,.!?-]*)+",
    re.IGNORECASE)
REASSURANCES = re.compile(
    r"\b(?:i'?m|i\s+am|im)\s+(?:totally\s+|perfectly\s+|completely\s+|really\s+)?safe\b(?:\s+and\s+everything)?"
    r"|\bnot\s+(?:in\s+(?:any\s+)?(?:danger|crisis)|an?\s+emergency|suicidal)\b(?:\s+or\s+anything)?"
    r"|\bno\s+(?:\w+\s+){0,2}(?:thoughts?|thinking|plans?|intent\w*|urges?)\s+(?:of|to|about)\s+(?:\w+\s+)?"
    r"(?:hurt\w*|harm\w*|kill\w*|end\w*|suicid\w*|die|dying)(?:\s+(?:my\s?self|my\s+life))?",
    re.IGNORECASE)
MIN_TOPIC_WORDS = 2


@lru_cache(maxsize=256)
def topic_text(text: Optional[str]) -> str:
    """meaning_text without the words that carry no topic: reassurances, whenever a word is left ("yes,
    I'm safe" is read as "yes"), and opening fillers when at least MIN_TOPIC_WORDS words are left
    ("ok, and what does it cost?" is read as "what does it cost?", "ok" alone stays "ok")."""
    text = meaning_text(text)
    reassured = _words(REASSURANCES.sub(" ", text))
    text = reassured if reassured else text
    unfilled = _words(LEADING_FILLERS.sub("", text))
    return unfilled if len(unfilled.split()) >= MIN_TOPIC_WORDS else text


def _words(text: str) -> str:
    return " ".join(text.split()).strip(" ,.;:-")
