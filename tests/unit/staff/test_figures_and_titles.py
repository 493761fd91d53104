"""The figures the desk needs (requests per day, time to first contact), charts whose labels fit,
and the review queue's choices in plain words."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clinic.topics import INTENT_TITLES, TOPIC_TITLES, plain_title
from staff.app import intents_to_label
from staff.insights import duration_text, glance
from staff.pages import bar_chart

ZONE = "America/New_York"


def stored(created_at: str, *changes: tuple) -> dict:
    return {"kind": "callback", "created_at": created_at, "clinic_told": "not yet",
            "history": [{"status": status, "changed_at": at} for status, at in changes]}


def test_requests_per_day_are_counted_by_the_clinics_calendar_with_the_median_first_contact(tmp_path):
    now = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo(ZONE))
    requests = [
        # 03:30 UTC on the 7th is still the 6th in New York.
        stored("2026-12-07T03:30:00Z", ("tried, no answer", "2026-12-07T04:00:00Z"),
               ("contacted", "2026-12-08T00:00:00Z")),
        stored("2026-12-07T15:00:00Z", ("booked", "2026-12-07T17:00:00Z")),
        stored("2026-12-07T15:30:00Z", ("contacted", "2026-12-07T18:30:00Z")),
        stored("2026-12-07T16:00:00Z"),
        stored("2026-11-01T16:00:00Z", ("contacted", "2026-11-20T16:00:00Z")),  # before the period
    ]
    figures = glance(f"sqlite:///{tmp_path / 'none.db'}", requests, 14, ZONE, now=now)
    assert len(figures.requests_per_day) == 14 and list(figures.requests_per_day)[-1] == "2026-12-07"
    assert figures.requests_per_day["2026-12-06"] == 1 and figures.requests_per_day["2026-12-07"] == 3
    # A call nobody answered is no contact: the first request was reached at 00:00 UTC on the 8th.
    assert sorted(figures.first_contact_seconds) == [7200, 10800, 73800]
    assert figures.median_first_contact() == 10800 and figures.not_yet_contacted == 1


@pytest.mark.parametrize("seconds, text", [(0, "0 min"), (25 * 60, "25 min"), (3600, "1 h"),
                                           (3 * 3600 + 300, "3 h 5 min"), (52 * 3600, "2 days 4 h"),
                                           (72 * 3600, "3 days")])
def test_durations_read_as_the_desk_says_them(seconds, text):
    assert duration_text(seconds) == text


def test_every_chart_label_is_drawn_whole_inside_the_chart():
    rows = [("booking started", 3), ("booking confirmed", 2), ("clinic told (webhook or e-mail)", 1)]
    svg = bar_chart("Booking funnel", "stage", rows)
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    labels = re.findall(r'<text x="(\d+)" y="\d+" text-anchor="end" font-size="13">([^<]*)</text>', svg)
    assert [text for _, text in labels] == [label for label, _ in rows]
    for x, text in labels:
        assert int(x) - 8 * len(text) >= 0 and int(x) < width  # right-aligned at x, under 8px a character


def test_the_review_queue_offers_every_intent_by_a_plain_title():
    for intent in intents_to_label():
        title = plain_title(intent)
        assert intent in TOPIC_TITLES or intent in INTENT_TITLES, f"{intent} has no plain title"
        assert "_" not in title and "/" not in title and title != intent, title
    assert plain_title("bot_challenge") == "Is this a bot?"
    assert plain_title("ask_personal_medical") == "A personal medical question"
    assert plain_title("ask_cost") == TOPIC_TITLES["ask_cost"]
