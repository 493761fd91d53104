"""The profile's machine-readable opening hours (clinic/opening_hours.py)."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import pytest
import yaml

from clinic.opening_hours import OpeningHoursError, is_open, parse_open_hours
from clinic.profile import DEFAULT_PROFILE, ProfileError, parse_profile

HOURS = parse_open_hours({"mon": "08:00-18:00", "sat": ["09:00-11:00", "12:00-13:00"], "sun": "00:00-24:00"})


def test_spans_are_read_by_weekday():
    assert HOURS[0] == [(time(8), time(18))]
    assert HOURS[5] == [(time(9), time(11)), (time(12), time(13))]
    assert 1 not in HOURS  # Tuesday left out: closed


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 12, 7, 8, 0), True),     # Monday, opening
    (datetime(2026, 12, 7, 17, 59), True),
    (datetime(2026, 12, 7, 18, 0), False),   # closing time
    (datetime(2026, 12, 8, 12, 0), False),   # Tuesday
    (datetime(2026, 12, 12, 11, 30), False),  # Saturday's lunch break
    (datetime(2026, 12, 12, 12, 30), True),
    (datetime(2026, 12, 13, 23, 59, 59), True),  # Sunday open to midnight
])
def test_a_moment_is_open_only_inside_a_span_of_its_day(moment, expected):
    assert is_open(HOURS, moment) is expected


@pytest.mark.parametrize("raw, complaint", [
    (["mon"], "takes the days"),
    ({"monday": "08:00-18:00"}, "not monday"),
    ({"mon": "8am-6pm"}, "not a time span"),
    ({"mon": "18:00-08:00"}, "ends before it starts"),
    ({"mon": "09:00-24:30"}, "ends after midnight"),
    ({"mon": ["09:00-12:00", 9]}, "not a time span"),
])
def test_malformed_hours_are_refused_naming_the_part(raw, complaint):
    with pytest.raises(OpeningHoursError, match=complaint):
        parse_open_hours(raw)


def test_the_profile_says_whether_the_clinic_is_open_in_its_own_time_zone():
    raw = yaml.safe_load(DEFAULT_PROFILE.read_text())
    profile = parse_profile(raw, DEFAULT_PROFILE)
    # 13:30 UTC on a Monday is 08:30 in New York (open); 12:30 UTC is 07:30 (closed).
    assert profile.is_open_now(datetime(2026, 12, 7, 13, 30, tzinfo=timezone.utc)) is True
    assert profile.is_open_now(datetime(2026, 12, 7, 12, 30, tzinfo=timezone.utc)) is False
    without = parse_profile({**raw, "open_hours": None}, DEFAULT_PROFILE)
    assert without.is_open_now() is None
    with pytest.raises(ProfileError, match="open_hours.mon"):
        parse_profile({**raw, "open_hours": {"mon": "late"}}, Path("x.yml"))
