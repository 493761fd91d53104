"""Parsers and validators of the booking and call-back forms (unit tests, hostile input
included)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clinic.parsing import (
    PastDateError,
    clean_text,
    find_name,
    is_skip,
    looks_like_question,
    normalise_email,
    normalise_phone,
    parse_contact,
    parse_name,
    parse_preferred_time,
    parse_reason,
    prefill_from_message,
)

# Saturday 21 November 2026, 3:30 pm at the clinic.
NOW = datetime(2026, 11, 21, 15, 30, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize("raw, expected", [
    ("(202) 555-0143", "+12025550143"),
    ("202-555-0143", "+12025550143"),
    ("202.555.0143", "+12025550143"),
    ("2025550143", "+12025550143"),
    ("1 202 555 0143", "+12025550143"),
    ("+1 (202) 555-0143", "+12025550143"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"),
    ("555-0143", None),                 # too short
    ("(012) 555-0143", None),           # area codes never start with 0
    ("202-155-0143", None),             # nor exchanges with 1
    ("12345678901234567890", None),
    ("call me", None),
    ("", None),
    (None, None),
    ("+0 123 456 789", None),
    ("202-555-0143; DROP TABLE outbox;", None),
])
def test_phone_numbers_become_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("ann@example.org", "ann@example.org"),
    ("Ann.Smith+clinic@Example.ORG", "ann.smith+clinic@example.org"),
    ("  ann@example.org. ", "ann@example.org"),
    ("ann@example", None),
    ("ann@@example.org", None),
    ("ann example@example.org", None),
    ("ann..smith@example.org", None),
    ("ann.@example.org", None),
    ("a" * 65 + "@example.org", None),
    ("ann@" + "b" * 250 + ".org", None),
    ("<script>@example.org", None),
    ("", None),
])
def test_email_syntax(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Ann Smith", "Ann Smith"),
    ("ann smith", "Ann Smith"),
    ("my name is Mary-Jane O'Neil", "Mary-Jane O'Neil"),
    ("I'm José Álvarez", "José Álvarez"),
    ("Dr. Lee", "Dr. Lee"),
    ("A", None),
    ("12345", None),
    ("!!!", None),
    ("skip", None),
    ("<script>alert(1)</script>", None),
    ("Robert'); DROP TABLE students;--", None),
    ("x" * 10_000, None),
    ("how much does it cost", None),
    ("one two three four five six seven", None),
    ("ann@example.org", None),
])
def test_name_sanity(raw, expected):
    assert parse_name(raw) == expected


def test_names_given_in_passing():
    assert find_name("book me for tuesday, I'm Ann") == "Ann"
    assert find_name("my name is ann smith and i'd like friday") == "Ann Smith"
    assert find_name("i'm looking to book") is None
    assert find_name("I'm Tuesday free") is None


@pytest.mark.parametrize("text, start, end", [
    ("next tuesday afternoon", "2026-11-24T12:00", "2026-11-24T17:00"),
    ("tuesday", "2026-11-24T08:00", "2026-11-24T18:00"),
    ("tomorrow at 2pm", "2026-11-22T14:00", "2026-11-22T15:00"),
    ("12/3 at 10:30", "2026-12-03T10:30", "2026-12-03T11:30"),
    ("december 5th", "2026-12-05T08:00", "2026-12-05T18:00"),
    ("5 jan", "2027-01-05T08:00", "2027-01-05T18:00"),
    ("2026-12-01 morning", "2026-12-01T08:00", "2026-12-01T12:00"),
    ("monday morning", "2026-11-23T08:00", "2026-11-23T12:00"),
    ("at 3", "2026-11-22T15:00", "2026-11-22T16:00"),
    ("this saturday evening", "2026-11-21T17:00", "2026-11-21T20:00"),
    ("asap", "2026-11-22T08:00", "2026-11-22T18:00"),
])
def test_preferred_times_become_windows(text, start, end):
    window = parse_preferred_time(text, NOW)
    assert window.start.isoformat().startswith(start) and window.end.isoformat().startswith(end)
    assert window.start.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "last monday", "today at 9am", "this saturday morning"])
def test_past_times_are_refused(text):
    with pytest.raises(PastDateError):
        parse_preferred_time(text, NOW)


@pytest.mark.parametrize("text", ["hello", "2/30", "", "x" * 5000, "13/45", "\u202e\u200b"])
def test_unreadable_times_give_none(text):
    assert parse_preferred_time(text, NOW) is None


def test_window_description_is_readable():
    assert parse_preferred_time("next tuesday afternoon", NOW).describe() == "Tuesday 24 November 2026, 12 pm to 5 pm"
    assert parse_preferred_time("tuesday", NOW).describe() == "Tuesday 24 November 2026, any time"


@pytest.mark.parametrize("text, reason", [
    ("depression", "depression"), ("I've been so depressed", "depression"), ("anxiety", "anxiety"),
    ("PTSD", "PTSD"), ("trauma", "PTSD"), ("chronic pain", "pain"), ("other", "other"), ("banana", None),
])
def test_reasons(text, reason):
    assert parse_reason(text) == reason


@pytest.mark.parametrize("text, skip", [("skip", True), ("none", True), ("prefer not to say", True),
                                        ("no thanks", True), ("Aetna", False), ("skipper", False)])
def test_skip_words(text, skip):
    assert is_skip(text) is skip


def test_contact_found_anywhere_in_a_message():
    assert parse_contact("reach me on 202 555 0143 or ann@example.org") == {"email": "ann@example.org", "phone": "+12025550143"}
    assert parse_contact("nothing here") == {}


def test_questions_are_told_apart_from_answers():
    assert looks_like_question("how much does it cost")
    assert looks_like_question("ok, what about insurance?")
    assert not looks_like_question("Ann Smith")


def test_control_and_zero_width_characters_are_removed():
    assert clean_text("An\u200bn\x00 \t Smith\u202e") == "Ann Smith"


def test_prefill_from_a_booking_request():
    found = prefill_from_message("book me for next tuesday afternoon, I'm Ann, 202-555-0143", NOW)
    assert found["full_name"] == "Ann" and found["phone"] == "+12025550143"
    assert "preferred_time_text" in found
    assert prefill_from_message("i'd like to book", NOW) == {}
