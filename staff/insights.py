"""What the console reads from the conversation store: transcripts, the messages to review (the
same findings as `make review`) and the figures at a glance."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Callable, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clinic.topics import TOPIC_TITLES
from staff.store import NO_ANSWER
from tools.review import DEFAULT_LOW_CONFIDENCE, Finding, findings, read_events, reason_for
from tools.tracker_db import events_table

NOT_CONTACTED = ("new", NO_ANSWER)  # statuses that say the patient has not been reached

BOOKING_FORM = "booking_form"


@dataclass
class Line:
    """One line of a transcript."""
    at: float
    speaker: str  # "patient", "assistant" or "event"
    text: str
    detail: str = ""  # the intent read, or the buttons offered


def transcript(url: object, conversation_id: str) -> List[Line]:
    with events_table(url) as (engine, events):
        if events is None:
            return []
        query = (sa.select(events.c.timestamp, events.c.type_name, events.c.data)
                 .where(events.c.sender_id == conversation_id,
                        events.c.type_name.in_(["user", "bot", "session_started", "active_loop"]))
                 .order_by(events.c.id))
        with engine.connect() as connection:
            rows = list(connection.execute(query))
    lines: List[Line] = []
    shown: Dict[str, str] = {}  # payload -> title of the buttons shown so far
    for stamp, kind, data in rows:
        event = json.loads(data)
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {})
            detail = f"read as {intent.get('name')} ({float(intent.get('confidence') or 0):.2f})" \
                if intent.get("name") else ""
            lines.append(Line(stamp, "patient", pressed(event.get("text") or "", shown), detail))
        elif kind == "bot":
            buttons = ((event.get("data") or {}).get("buttons") or [])
            shown.update({str(b.get("payload")): str(b.get("title")) for b in buttons
                          if b.get("payload") and b.get("title")})
            offered = ", ".join(str(b.get("title")) for b in buttons if b.get("title"))
            lines.append(Line(stamp, "assistant", event.get("text") or "", f"buttons: {offered}" if offered else ""))
        elif kind == "session_started":
            lines.append(Line(stamp, "event", "conversation (re)started"))
        elif event.get("name") == BOOKING_FORM:
            lines.append(Line(stamp, "event", "booking form started"))
    return lines


def pressed(text: str, offered: Dict[str, str]) -> str:
    """What the patient did, in words: a button's payload ("/affirm") as the button's title, in
    brackets; typed text as it is."""
    if not text.startswith("/"):
        return text
    title = offered.get(text) or TOPIC_TITLES.get(text[1:].split("{", 1)[0])
    return f"[pressed “{title}”]" if title else "[pressed a button]"


@dataclass
class ReviewItem:
    finding: Finding
    key: str


def review_queue(url: object, since: float, labelled: Dict[str, Dict[str, str]],
                 key_of: Callable[[str], str]) -> List[ReviewItem]:
    """The findings of `make review` not yet labelled in the console."""
    queue = []
    for finding in findings(read_events(url, since)):
        key = key_of(finding.text)
        if key not in labelled:
            queue.append(ReviewItem(finding, key))
    return queue


@dataclass
class Glance:
    days: List[str] = field(default_factory=list)
    conversations_per_day: Dict[str, int] = field(default_factory=dict)
    messages_per_day: Dict[str, int] = field(default_factory=dict)
    not_understood_per_day: Dict[str, int] = field(default_factory=dict)
    topics: List[Tuple[str, int]] = field(default_factory=list)
    funnel: List[Tuple[str, int]] = field(default_factory=list)
    requests_per_day: Dict[str, int] = field(default_factory=dict)
    # Seconds from each request of the period to the first status that says the patient was reached.
    first_contact_seconds: List[float] = field(default_factory=list)
    # Requests of the period whose patient has not been reached yet.
    not_yet_contacted: int = 0

    def not_understood_share(self) -> float:
        total = sum(self.messages_per_day.values())
        return sum(self.not_understood_per_day.values()) / total if total else 0.0

    def median_first_contact(self) -> Optional[float]:
        return statistics.median(self.first_contact_seconds) if self.first_contact_seconds else None


def duration_text(seconds: float) -> str:
    """A duration as the desk says it: "25 min", "3 h 5 min", "2 days 4 h"."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def _when(stamp: object) -> Optional[datetime]:
    """A stored ISO 8601 time ("2026-12-07T03:49:00Z") as an aware datetime; None if it is not one."""
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)


def glance(url: object, requests: List[Dict[str, object]], days: int, timezone: str,
           now: Optional[datetime] = None) -> Glance:
    """Figures for the last `days` days, by the clinic's calendar; `requests` as the inbox lists
    them (with how the clinic was told of each)."""
    zone = ZoneInfo(timezone)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone).timestamp()
    result = Glance(days=[(first + timedelta(days=n)).isoformat() for n in range(days)])
    for day in result.days:
        result.conversations_per_day[day] = result.messages_per_day[day] = result.not_understood_per_day[day] = 0
    talkers: Dict[str, set] = {day: set() for day in result.days}
    topics: Counter = Counter()
    started_booking = set()
    in_form: Dict[str, bool] = {}
    for sender, stamp, data in read_events(url, since):
        day = datetime.fromtimestamp(stamp, zone).date().isoformat()
        if day not in talkers:
            continue
        event = json.loads(data)
        if event.get("event") == "active_loop":
            in_form[sender] = bool(event.get("name"))
            if event.get("name") == BOOKING_FORM:
                started_booking.add(sender)
            continue
        text = (event.get("text") or "").strip()
        if not text or text.startswith("/"):  # button payloads are clicks, not messages
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        name = intent.get("name") or "nlu_fallback"
        talkers[day].add(sender)
        result.messages_per_day[day] += 1
        if in_form.get(sender):
            continue  # an answer to the form's question (a name, a date), read by the form, not the classifier
        reason = reason_for(name, float(intent.get("confidence") or 0.0), DEFAULT_LOW_CONFIDENCE)
        if reason and reason != "crisis":
            result.not_understood_per_day[day] += 1
        elif name in TOPIC_TITLES:
            topics[name] += 1
    for day, senders in talkers.items():
        result.conversations_per_day[day] = len(senders)
    result.topics = topics.most_common(8)
    bookings = [r for r in requests if r["kind"] == "booking" and str(r["created_at"]) >= _utc_iso(since)]
    # Requests by the clinic's calendar day, and how soon the desk first reached each patient (a
    # status other than "new" and "tried, no answer": a call nobody answered is no contact).
    result.requests_per_day = {day: 0 for day in result.days}
    for stored in requests:
        received = _when(stored["created_at"])
        day = received.astimezone(zone).date().isoformat() if received else ""
        if day not in result.requests_per_day:
            continue
        result.requests_per_day[day] += 1
        first = next((_when(c["changed_at"]) for c in stored.get("history") or []
                      if c["status"] not in NOT_CONTACTED), None)
        if first is None:
            result.not_yet_contacted += 1
        else:
            result.first_contact_seconds.append(max(0.0, (first - received).total_seconds()))
    result.funnel = [
        ("booking started", len(started_booking)),
        ("booking confirmed", len(bookings)),
        ("clinic told (webhook or e-mail)", sum(1 for r in bookings if r["clinic_told"] != "not yet")),
    ]
    return result


def _utc_iso(stamp: float) -> str:
    return datetime.utcfromtimestamp(stamp).isoformat(timespec="seconds") + "Z"
