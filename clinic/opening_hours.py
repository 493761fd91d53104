"""When the clinic is open, from the profile's optional `open_hours`: for the alert on crisis flags
without a follow-up, which should page the desk only while someone is there to act on it
(deploy/prometheus/alerts.yml). The profile's `hours` stay the patients' text; this is the
machine-readable twin, e.g.

    open_hours:
      mon: "08:00-18:00"
      sat: ["09:00-11:00", "12:00-13:00"]

Days left out are closed. Pure, so that it can be tested on its own."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Dict, List, Tuple

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
SPAN = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*$")

OpenHours = Dict[int, List[Tuple[time, time]]]


class OpeningHoursError(ValueError):
    """The `open_hours` mapping is malformed; the message names the part."""


def parse_span(text: object, day: str) -> Tuple[time, time]:
    found = SPAN.match(text) if isinstance(text, str) else None
    if not found:
        raise OpeningHoursError(f"open_hours.{day}: {text!r} is not a time span such as \"08:00-18:00\"")
    start_hour, start_minute, end_hour, end_minute = map(int, found.groups())
    if end_hour == 24 and end_minute:
        raise OpeningHoursError(f"open_hours.{day}: {text!r} ends after midnight")
    start = time(start_hour, start_minute)
    end = time.max if end_hour == 24 else time(end_hour, end_minute)
    if end <= start:
        raise OpeningHoursError(f"open_hours.{day}: {text!r} ends before it starts")
    return start, end


def parse_open_hours(raw: object) -> OpenHours:
    """{weekday: [(opens, closes), ...]} from the profile's mapping; an absent mapping is {}."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(DAYS):
        unknown = ", ".join(sorted(map(str, set(raw) - set(DAYS)))) if isinstance(raw, dict) else "a list"
        raise OpeningHoursError(f"open_hours takes the days {', '.join(DAYS)} (not {unknown})")
    hours: OpenHours = {}
    for day, spans in raw.items():
        listed = spans if isinstance(spans, list) else [spans]
        hours[DAYS.index(day)] = [parse_span(span, day) for span in listed]
    return hours


def is_open(hours: OpenHours, local_now: datetime) -> bool:
    """Whether a moment, in the clinic's own time, falls inside one of its opening spans."""
    moment = local_now.time()
    return any(start <= moment < end for start, end in hours.get(local_now.weekday(), []))
