"""The classifier's own text handling (unit tests): "dose" typed for "does", and the question a
long story ends with."""

from __future__ import annotations

import pytest

from components.intent_classifier import normalise_text, story_question


@pytest.mark.parametrize("typed, read", [
    ("how dose it work in the brian", "how does it work in the brian"),
    ("dose it actually work", "does it actually work"),
    ("Dose insurance cover it?", "does insurance cover it?"),
])
def test_dose_typed_for_does_is_mended(typed, read):
    assert normalise_text(typed) == read


@pytest.mark.parametrize("text", ["what dose is used", "how much dose do i get", "is the dose high", "dose?"])
def test_the_dose_itself_is_left_alone(text):
    assert "dose" in normalise_text(text)


def test_a_long_story_is_read_by_its_last_question():
    story = ("My husband has had depression for ten years and nothing has helped. He tried four "
             "medications and two kinds of therapy. How many sessions would he need? We live far away.")
    assert story_question(story) == "How many sessions would he need?"


def test_without_a_question_mark_the_last_sentence_counts():
    story = ("I have been reading about this for months and my doctor finally agreed it might help. "
             "I work long shifts though. So I'm wondering about the price")
    assert story_question(story) == "So I'm wondering about the price"


@pytest.mark.parametrize("text", ["how much is it?", "Short one. Really short?", ""])
def test_short_messages_have_no_story_question(text):
    assert story_question(text) is None
