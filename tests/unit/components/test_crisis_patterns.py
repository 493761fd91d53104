"""The crisis patterns file (components/crisis_patterns.yml): every entry is documented, has
examples, compiles, and catches its own examples under its own rule name; a broken file stops
the detector loudly, naming the file and the entry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

from components.crisis_detector import (
    PATTERNS,
    PATTERNS_FILE,
    SECTIONS,
    CrisisPattern,
    CrisisPatternError,
    CrisisRules,
    load_patterns,
    normalise,
    without_accents,
)

RULES = CrisisRules()
RAW = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
ENTRIES: List[Tuple[str, CrisisPattern]] = [(section, p) for section in SECTIONS for p in PATTERNS[section]]
EXAMPLES = [
    pytest.param(section, entry, example, id=f"{entry.name}: {example}")
    for section, entry in ENTRIES
    for example in entry.examples
]


def test_every_section_and_entry_of_the_file_is_loaded():
    assert [len(PATTERNS[s]) for s in SECTIONS] == [len(RAW[s]) for s in SECTIONS]
    assert [p.name for s in SECTIONS for p in PATTERNS[s]] == [e["name"] for s in SECTIONS for e in RAW[s]]


def test_names_are_unique():
    names = [entry["name"] for section in SECTIONS for entry in RAW[section]]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("section, entry", ENTRIES, ids=[p.name for _, p in ENTRIES])
def test_every_entry_has_a_comment_and_at_least_two_examples(section, entry):
    assert entry.comment.strip(), entry.name
    assert len(entry.examples) >= 2, entry.name
    assert len(set(entry.examples)) == len(entry.examples), entry.name


def test_the_file_loads_afresh():
    assert {s: [p.regex.pattern for p in load_patterns()[s]] for s in SECTIONS} == {
        s: [p.regex.pattern for p in PATTERNS[s]] for s in SECTIONS
    }


@pytest.mark.parametrize("section, entry", ENTRIES, ids=[p.name for _, p in ENTRIES])
def test_every_pattern_compiles_and_needs_words(section, entry):
    assert re.compile(entry.regex.pattern)
    # A pattern that matches nothing at all would flag every message.
    assert entry.regex.search("") is None, entry.name


@pytest.mark.parametrize("section, entry, example", EXAMPLES)
def test_every_example_is_caught_by_its_own_entry(section, entry, example):
    message = normalise(example)
    # The other-language entries read the message without accents (CrisisRules.detect).
    seen = without_accents(message) if section == "other_languages" else message
    assert entry.regex.search(seen), f"{entry.name} does not match its example {example!r}"
    detection = RULES.detect(example)
    assert detection is not None, f"{example!r} is not caught"
    assert detection.source == "pattern"
    assert detection.rule == entry.name, f"{example!r} is caught by {detection.rule}, not {entry.name}"


def test_past_history_excuses_only_strong_entries():
    excused = {p.name for p in PATTERNS["strong"] if p.past_history_excused}
    assert excused == {"kill_self", "end_life", "self_harm", "overdose", "took_too_many", "method", "car_method",
                       "passed_out", "third_person_goodbye", "third_person_intent", "pills_taken"}
    assert not any(p.past_history_excused for s in ("other_languages", "mentions") for p in PATTERNS[s])


def write_patterns(tmp_path: Path, change) -> Path:
    """A copy of the patterns file with `change` applied to its data."""
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "crisis_patterns.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_copy_used_below_loads_as_the_file_does(tmp_path):
    copy = load_patterns(write_patterns(tmp_path, lambda data: None))
    assert {s: [(p.name, p.regex.pattern) for p in copy[s]] for s in SECTIONS} == {
        s: [(p.name, p.regex.pattern) for p in PATTERNS[s]] for s in SECTIONS
    }


def set_in_entry(section: str, name: str, key: str, value):
    def change(data):
        [entry] = [e for e in data[section] if e["name"] == name]
        if value is None:
            del entry[key]
        else:
            entry[key] = value

    return change


@pytest.mark.parametrize(
    "change, problem",
    [
        (set_in_entry("strong", "kill_self", "pattern", r"\b{KILL}(?:ing\s+{SELF}"), "does not compile"),
        (set_in_entry("strong", "kill_self", "pattern", r"\b{KILLS}\s+{SELF}"), "unknown block or part {KILLS}"),
        (set_in_entry("strong", "kill_self", "examples", None), "missing keys ['examples']"),
        (set_in_entry("strong", "kill_self", "comment", " "), "`comment` must be text"),
        (set_in_entry("strong", "kill_self", "pattern", []), "expected a regex or a list of regexes"),
        (set_in_entry("strong", "kill_self", "past_history_excused", "yes"), "must be true or false"),
        (set_in_entry("strong", "kill_self", "pattrn", "x"), "unknown keys ['pattrn']"),
        (set_in_entry("mentions", "suicide_mention", "past_history_excused", True), "unknown keys"),
        (set_in_entry("strong", "kms", "name", "kill_self"), "already used"),
    ],
)
def test_a_broken_entry_stops_the_load_naming_the_file_and_the_entry(tmp_path, change, problem):
    path = write_patterns(tmp_path, change)
    with pytest.raises(CrisisPatternError) as error:
        load_patterns(path)
    assert str(path) in str(error.value)
    assert "'kill_self'" in str(error.value) or "'suicide_mention'" in str(error.value)
    assert problem in str(error.value)


def test_a_list_block_or_part_is_one_group_of_alternatives(tmp_path):
    def change(data):
        data["blocks"]["ANIMAL"] = ["cat", "dog"]
        entry = next(e for e in data["strong"] if e["name"] == "kill_self")
        entry["pattern"] = [r"\b{ANIMAL}s?\b", r"\b{verb}\s+{ANIMAL}"]
        entry["parts"] = {"verb": ["feed", "walk"], "unused": r"x{2,}"}

    patterns = load_patterns(write_patterns(tmp_path, change))
    [entry] = [p for p in patterns["strong"] if p.name == "kill_self"]
    assert entry.regex.pattern == r"\b(?:cat|dog)s?\b|\b(?:feed|walk)\s+(?:cat|dog)"
