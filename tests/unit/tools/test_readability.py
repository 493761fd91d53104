"""tools/readability.py: syllables, words, sentences and the Flesch-Kincaid grade of known texts."""

from __future__ import annotations

import pytest

from tools.readability import MAX_WORDS, Reading, Row, read, sentences, syllables, too_hard, word_count


@pytest.mark.parametrize("word, expected", [
    ("cat", 1), ("the", 1), ("table", 2), ("take", 1), ("doses", 2), ("helped", 1), ("needed", 2),
    ("ketamine", 3), ("infusion", 3), ("depression", 3), ("medication", 4), ("anxiety", 4), ("usually", 4),
    ("australian", 4), ("reptilian", 4), ("creature", 2), ("experience", 4), ("idea", 3), ("being", 2),
    ("doesn't", 2), ("don't", 1), ("we'll", 1), ("short-lived", 2), ("{clinic_name}", 1), ("911", 3), ("40", 2),
])
def test_syllables_of_known_words(word, expected):
    assert syllables(word) == expected


def test_the_flesch_kincaid_grade_of_known_sentences():
    # The example of the formula's common descriptions: 13 words, 26 syllables, grade 13.1.
    platypus = read("The Australian platypus is seemingly a hybrid of a mammal and reptilian creature.")
    assert (platypus.words, platypus.sentences, platypus.syllables) == (13, 1, 26)
    assert round(platypus.grade, 1) == 13.1
    # One-syllable words in a short sentence read below the first grade.
    assert round(read("The cat sat on the mat.").grade, 2) == -1.45
    # Long sentences of long words read as college text.
    assert read("Pharmacological considerations notwithstanding, individualized administration necessitates "
                "comprehensive multidisciplinary evaluation.").grade > 16


def test_slots_count_as_one_short_word():
    assert word_count("Call {clinic_name} at {clinic_phone}.") == 4
    assert read("Call {clinic_name} at {clinic_phone}.").syllables == 4


def test_sentences_end_at_stops_questions_and_line_breaks_but_not_inside_numbers():
    assert sentences("One. Two? Three!\nFour") == ["One", " Two", " Three", "Four"]
    assert len(sentences("It costs 1.5 times more. Call us.")) == 2
    assert len(sentences("If it is urgent, call 911. Otherwise call us (we answer weekdays.) Thanks!")) == 3
    assert read("").grade == 0.0 and read("").words == 0


def test_texts_over_the_limits_are_named():
    long = Row("ask_cost", "more", 2, Reading(MAX_WORDS + 1, 10, MAX_WORDS + 1))
    hard = Row("ask_cost", "answer", 1, Reading(20, 1, 60))
    fine = Row("ask_cost", "answer", 1, Reading(20, 2, 24))
    problems = too_hard([long, hard, fine])
    assert problems == [f"topics/ask_cost.yml, more 2: {MAX_WORDS + 1} words (at most {MAX_WORDS})",
                        problems[1]]
    assert problems[1].startswith("topics/ask_cost.yml, answer 1: grade") and "at most 8.0" in problems[1]
