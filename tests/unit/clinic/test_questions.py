"""The shape of questions: several asked in one message, and follow-ups leaning on the last answer."""

from __future__ import annotations

import pytest

from clinic.questions import adds_a_detail, is_follow_up, question_parts


@pytest.mark.parametrize("text, parts", [
    ("how much is it and does insurance cover it", ["how much is it", "does insurance cover it"]),
    ("what is it and how does it work", ["what is it", "how does it work"]),
    ("how long does it take, and how many sessions do i need",
     ["how long does it take", "how many sessions do i need"]),
    ("how much does it cost? also is it covered by insurance",
     ["how much does it cost", "also is it covered by insurance"]),
    ("whats the price plus how long is each session", ["whats the price", "how long is each session"]),
    ("ins cover?? $ per drip??", ["ins cover", "$ per drip"]),
    ("Is it safe; can I drive home after?", ["Is it safe", "can I drive home after"]),
    # A comma and a conjunction end a question whatever word comes next.
    ("is it addictive, and generally speaking how safe is it?",
     ["is it addictive", "generally speaking how safe is it"]),
    ("how much is it, but honestly is it worth it?", ["how much is it", "honestly is it worth it"]),
])
def test_each_question_of_a_message_is_found_in_order(text, parts):
    assert question_parts(text) == parts


@pytest.mark.parametrize("text", [
    "how long does an infusion take",
    "is it safe and effective?",           # one question about two qualities
    "do you take aetna and blue cross",    # one question about two insurers
    "I'm 17. Is it safe?",                 # a statement, then one question
    "My son has depression. Is ketamine safe for teens?",
    "my son is 19, and i wonder if he can get it?",  # a statement, then one question
    "",
])
def test_one_question_is_not_split(text):
    assert question_parts(text) == []


@pytest.mark.parametrize("text", [
    "and how many of those would I need?", "what about the cost of all of them", "how long does that last",
    "is that safe?", "what about for teens", "ok and insurance?", "how about the nasal spray one",
])
def test_follow_ups_lean_on_the_last_answer(text):
    assert is_follow_up(text)


@pytest.mark.parametrize("text", [
    "how long does an infusion take?", "my son has depression and anxiety", "what does ketamine therapy cost",
    "i have been reading about ketamine for depression for a while now and i wonder whether my insurer pays",
])
def test_questions_of_their_own_are_no_follow_ups(text):
    assert not is_follow_up(text)


@pytest.mark.parametrize("text, expected", [
    ("what about the next day", True), ("and for my husband", True), ("and the morning after?", True),
    ("and then what", False), ("what about it?", False), ("ok and", False),
    ("the next day", False),  # leans on nothing
])
def test_a_follow_up_adds_a_detail_of_its_own_or_only_asks_to_go_on(text, expected):
    assert adds_a_detail(text) is expected

