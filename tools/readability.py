"""How easy the FAQ answers are to read: words, sentences and the Flesch-Kincaid grade.

    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

Syllables are counted by rule (groups of vowels, a silent final e, "-le", "-ed"), which is close
enough for a grade of short answers; no dictionary is needed. A slot such as {clinic_name} is one
short word (one syllable): its value is a name, a phone number or a list the patient scans, not
prose. A number is one word of one syllable per digit (at most three).

    python -m tools.readability          writes docs/READABILITY.md (make readability; make topics too)
    python -m tools.readability check    fails when docs/READABILITY.md is stale or a text is over the limits

The limits every `answer` and `more` text of topics/*.yml keeps (tests/repository/test_readability.py):
at most MAX_WORDS words and a grade of at most MAX_GRADE."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence

from clinic.paths import PROJECT_ROOT as ROOT

MAX_WORDS = 70
MAX_GRADE = 8.0
TABLE_FILE = "docs/READABILITY.md"
KEYS = ("answer", "more")

SLOT = re.compile(r"\{\w+\}")
# A word: letters (with inner apostrophes or hyphens), a number, or a slot placeholder.
WORD = re.compile(r"\{\w+\}|\d+(?:[.,]\d+)*%?|[A-Za-z]+(?:['\u2019-][A-Za-z]+)*")
# A sentence ends at . ! ? before a space, a closing quote or bracket, or the end (so not inside a
# number such as 1.5), or at a line break.
SENTENCE_END = re.compile(r"[.!?]+[\"')\]]?(?=\s|$)|\n+")
VOWELS = re.compile(r"[aeiouy]+")
# Two vowels written together but said as two syllables (di-a-be-tes, vi-o-lent, anx-i-e-ty, u-su-al):
# not in -tion, -sion, -cial, -cious, which are said as one.
TWO_SYLLABLE_GROUPS = re.compile(r"(?<![tsc])i[ao]|(?<!q)u[ao]|iu|(?<![aeo])ie(?=t|r)|(?<!t)ience|eo(?!u|ple)"
                                 r"|ea$|eing")


@dataclass(frozen=True)
class Reading:
    words: int
    sentences: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (0 for an empty text)."""
        if not self.words:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59


def _part_syllables(part: str) -> int:
    if len(part) <= 3:
        return 1
    count = len(VOWELS.findall(part)) + len(TWO_SYLLABLE_GROUPS.findall(part))
    if part.endswith("e") and not re.search(r"[^aeiouy]le$", part) and not part.endswith(("ee", "ye")):
        count -= 1  # silent final e: "take", "dose"; not "table"
    elif re.search(r"[^aeiouy][^aeiouydt]ed$|[aeiou][^aeiouydt]ed$", part):
        count -= 1  # "helped", "used": no syllable for -ed; "needed", "started" keep it
    elif re.search(r"(?:[^aeiouy]|[aeiou])[^aeiouyszxgc]es$", part) and not part.endswith(("ches", "shes")):
        count -= 1  # "takes", "times"; "doses", "changes", "uses" keep it
    return max(1, count)


def syllables(word: str) -> int:
    """Syllables of one English word, by rule (at least one)."""
    if SLOT.fullmatch(word):
        return 1
    digits = re.sub(r"\D", "", word)
    if digits:
        return max(1, min(3, len(digits)))
    parts = [re.sub(r"'(?:s|ll|re|ve|d|m)$", "", part) for part in word.lower().replace("\u2019", "'").split("-")]
    # "doesn't", "isn't": the n't is a syllable of its own after a consonant; "can't", "don't": not.
    parts = [re.sub(r"(?<=[^aeiouy'])n't$", "ent", part) for part in parts]
    parts = [re.sub(r"[^a-z]", "", part) for part in parts]
    return max(1, sum(_part_syllables(part) for part in parts if part))


def words(text: str) -> List[str]:
    return WORD.findall(text)


def sentences(text: str) -> List[str]:
    """The sentences of `text` that hold at least one word."""
    return [part for part in SENTENCE_END.split(text) if part and words(part)]


def read(text: str) -> Reading:
    found = words(text)
    return Reading(len(found), max(1, len(sentences(text))) if found else 0, sum(syllables(w) for w in found))


def grade(text: str) -> float:
    return read(text).grade


def word_count(text: str) -> int:
    return len(words(text))


# ---------------------------------------------------------------- the topics' answers

@dataclass(frozen=True)
class Row:
    intent: str
    key: str
    variation: int
    reading: Reading


def texts_of(topics: Iterable[Any]) -> List[tuple]:
    """(intent, key, variation number, text) of every `answer` and `more` text of the topics
    (tools.topics.Topic), in their order."""
    found = []
    for topic in topics:
        for key in KEYS:
            variations = topic.data.get(key)
            for number, variation in enumerate(variations if isinstance(variations, list) else [], start=1):
                text = variation.get("text") if isinstance(variation, dict) else None
                found.append((topic.intent, key, number, str(text or "")))
    return found


def topic_texts(root: Path = ROOT) -> List[tuple]:
    """(intent, key, variation number, text) of every `answer` and `more` text, in topic order."""
    from tools.topics import load_topics

    return texts_of(load_topics(root))


def readings(topics: Iterable[Any]) -> List[Row]:
    return [Row(intent, key, number, read(text)) for intent, key, number, text in texts_of(topics)]


def rows(root: Path = ROOT) -> List[Row]:
    return [Row(intent, key, number, read(text)) for intent, key, number, text in topic_texts(root)]


def too_hard(found: Iterable[Row]) -> List[str]:
    """Each text over the limits, named: "ask_cost answer 1: 74 words (at most 70)"."""
    problems = []
    for row in found:
        where = f"topics/{row.intent}.yml, {row.key} {row.variation}"
        if row.reading.words > MAX_WORDS:
            problems.append(f"{where}: {row.reading.words} words (at most {MAX_WORDS})")
        if round(row.reading.grade, 1) > MAX_GRADE:
            problems.append(f"{where}: grade {row.reading.grade:.1f} (at most {MAX_GRADE:.1f}): "
                            "shorter sentences and shorter words")
    return problems


def table(found: Sequence[Row]) -> str:
    lines = ["# Readability of the FAQ answers", "",
             "Generated from topics/*.yml by `make topics` (or `make readability`): do not edit.",
             f"Every `answer` and `more` text keeps to at most {MAX_WORDS} words and a Flesch-Kincaid grade of "
             f"at most {MAX_GRADE:.0f}", "(tests/repository/test_readability.py). A slot such as {clinic_name} "
             "counts as one short word.", "",
             "| topic | text | words | sentences | words per sentence | grade |",
             "|---|---|---:|---:|---:|---:|"]
    for row in found:
        label = row.key if row.variation == 1 else f"{row.key} {row.variation}"
        lines.append(f"| `{row.intent}` | {label} | {row.reading.words} | {row.reading.sentences} | "
                     f"{row.reading.words_per_sentence:.1f} | {row.reading.grade:.1f} |")
    return "\n".join(lines) + "\n"


def expected_table(root: Path = ROOT) -> str:
    return table(rows(root))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=("write", "check"), default="write")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = args.root / TABLE_FILE
    content = expected_table(args.root)
    problems = too_hard(rows(args.root))
    if args.command == "check":
        stale = not path.is_file() or path.read_text(encoding="utf-8") != content
        if stale:
            print(f"readability: {TABLE_FILE} is stale (fix: run make readability)", file=sys.stderr)
        for problem in problems:
            print(f"readability: {problem}", file=sys.stderr)
        return 1 if stale or problems else 0
    if not path.is_file() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")
        print(f"readability: wrote {TABLE_FILE}")
    else:
        print(f"readability: {TABLE_FILE} is up to date")
    for problem in problems:
        print(f"readability: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
