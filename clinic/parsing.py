"""Pure parsers for what patients type into the booking and call-back forms: names, phone
numbers, e-mail addresses, preferred days and times, reasons. No Rasa imports, so each is
tested on its own (tests/unit/clinic/test_parsing.py)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Dict, Optional

MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
MAX_FREE_TEXT = 500

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_ALIASES = {
    **{day: i for i, day in enumerate(WEEKDAYS)},
    **{day[:3]: i for i, day in enumerate(WEEKDAYS)},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
MONTH_ALIASES = {**{m: i + 1 for i, m in enumerate(MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(MONTHS)}, "sept": 9}
# Parts of the day, as the clinic's booking team reads them.
DAY_PARTS = {
    "morning": (time(8), time(12)),
    "midday": (time(11), time(14)),
    "lunchtime": (time(12), time(14)),
    "noon": (time(12), time(13)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(20)),
    "night": (time(17), time(20)),
}
OPENING_WINDOW = (time(8), time(18))
SKIP_WORDS = re.compile(
    r"^(?:skip|pass|none|no|nope|n/?a|nothing|not\s+sure|prefer\s+not(?:\s+to\s+say)?|rather\s+not(?:\s+say)?|"
    r"don'?t\s+know|dunno|no\s+thanks|i'?d\s+rather\s+not|next)\W*$"
)


def clean_text(text: Optional[str]) -> str:
    """NFKC, no control or zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n")
    return " ".join(text.split())


def is_skip(text: Optional[str]) -> bool:
    return bool(SKIP_WORDS.match(clean_text(text).lower()))


QUESTION_START = re.compile(
    r"^(?:\w+[,!]?\s+)?(?:how|what|what'?s|whats|when|where|why|who|which|is|are|can|could|do|does|"
    r"did|will|would|should|tell|explain|any)\b"
)
# A question later in the message: "im 17 can i get this", "i'm on lexapro, can i still do it".
QUESTION_CLAUSE = re.compile(
    r"\b(?:can|could|will|would|should|do|does|is|are|am)\s+(?:i|it|you|he|she|they|we|this|that|there|ketamine|"
    r"the\s+\w+)\b|\b(?:how|what|why|when|where)\s+(?:do|does|is|are|can|will|would|should|long|much|many|about)\b"
)
# Asking why a detail is needed, rather than giving it.
WHY_ASKED = re.compile(r"\bwhy\b.{0,30}\b(?:need|want|ask|asking|require)\w*\b|\bwhat\s+(?:is|'s)\s+(?:it|that|this)\s+for\b"
                       r"|\bwhat\s+do\s+you\s+(?:need|want)\s+(?:it|that|this|my\s+\w+)\s+for\b")
# Words that never make up a name: thanks, goodbyes, refusals, "I don't know".
NOT_A_NAME = re.compile(
    r"\b(?:thanks?|thank\s+you|thx|ty|bye|goodbye|cya|later|never\s*mind|nvm|stop|cancel|quit|idk|dunno|whatever|why|"
    r"nothing|nope|yes|yeah|yep|no|ok|okay|sure|hi|hello|hey|please|pls|help|sorry|what|how)\b"
)


def looks_like_question(text: Optional[str]) -> bool:
    """A question or request for information rather than an answer to a form's question."""
    cleaned = clean_text(text).lower()
    return "?" in cleaned or bool(QUESTION_START.match(cleaned) or QUESTION_CLAUSE.search(cleaned))


def asks_why_needed(text: Optional[str]) -> bool:
    return bool(WHY_ASKED.search(clean_text(text).lower()))


# ----------------------------------------------------------------------------- names

NAME_PREFIX = re.compile(
    r"^(?:(?:hi|hello|hey)[,!.]?\s+)?(?:my\s+name\s+is|my\s+name'?s|name'?s|name\s+is|i'?m|i\s+am|im|"
    r"this\s+is|it'?s|its|call\s+me)\s+",
    re.IGNORECASE,
)
NAME_CHARS = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’.\-])*$")


def parse_name(text: Optional[str]) -> Optional[str]:
    """A plausible person's name, or None. Strips "my name is", keeps the person's casing."""
    name = NAME_PREFIX.sub("", clean_text(text)).strip(" .,!")
    if not name or len(name) > MAX_NAME_LENGTH or len(name.split()) > 6:
        return None
    if not NAME_CHARS.match(name) or sum(ch.isalpha() for ch in name) < 2:
        return None
    if name.lower() in {"skip", "none"} or NOT_A_NAME.search(name.lower()):
        return None
    if looks_like_question(name):
        return None
    return name if any(ch.isupper() for ch in name) else name.title()


PREFILL_NAME = re.compile(
    r"\b(?i:my\s+name\s+is|my\s+name'?s|i'?m|i\s+am|this\s+is|call\s+me)\s+"
    r"([A-Z][a-zA-Z'’\-]+(?:\s+[A-Z][a-zA-Z'’\-]+){0,3})"
)
PREFILL_NAME_ANY_CASE = re.compile(r"\bmy\s+name\s+is\s+([a-zA-Z'’\-]+(?:\s+[a-zA-Z'’\-]+){0,2})", re.IGNORECASE)


def find_name(text: str) -> Optional[str]:
    """A name the user gave in passing ("book me for tuesday, I'm Ann")."""
    text = clean_text(text)
    for pattern in (PREFILL_NAME, PREFILL_NAME_ANY_CASE):
        found = pattern.search(text)
        if found:
            candidate = re.split(r"\s+(?:and|for|on|at|next|this|tomorrow|today)\b", found.group(1), flags=re.IGNORECASE)[0]
            name = parse_name(candidate)
            if name and name.lower() not in WEEKDAY_ALIASES and name.lower() not in {"looking", "interested", "trying", "wondering", "calling", "writing"}:
                return name
    return None


# ----------------------------------------------------------------------------- contact

PHONE_CANDIDATE = re.compile(r"(?:\+|00)?\d[\d\s().\-/]{6,20}\d")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
EMAIL_CANDIDATE = re.compile(r"[^\s<>(),;:\"\[\]]+@[^\s<>(),;:\"\[\]]+")


def normalise_phone(text: Optional[str], default_country_code: str = "1") -> Optional[str]:
    """E.164 (+15550100123) from how people type numbers; US numbers by default."""
    raw = clean_text(text)
    if not raw or len(raw) > 40 or re.search(r"[A-Za-z]", raw.replace("ext", "")):
        return None
    international = raw.startswith("+") or raw.startswith("00")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if international:
        return f"+{digits}" if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if default_country_code == "1":
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        # NANP: area code and exchange never start with 0 or 1.
        if len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01":
            return f"+1{digits}"
        return None
    return f"+{default_country_code}{digits.lstrip('0')}" if 6 <= len(digits) <= 14 else None


def normalise_email(text: Optional[str]) -> Optional[str]:
    email = clean_text(text).strip(" .,;<>").lower()
    if not email or len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email):
        return None
    local, _, domain = email.rpartition("@")
    if len(local) > 64 or ".." in email or local.startswith(".") or local.endswith("."):
        return None
    return email


def parse_contact(text: Optional[str]) -> Dict[str, str]:
    """Phone and/or e-mail found anywhere in a message: {"phone": ..., "email": ...}."""
    text = clean_text(text)
    found: Dict[str, str] = {}
    for candidate in EMAIL_CANDIDATE.findall(text):
        email = normalise_email(candidate)
        if email:
            found["email"] = email
            text = text.replace(candidate, " ")
            break
    for candidate in PHONE_CANDIDATE.findall(text):
        phone = normalise_phone(candidate)
        if phone:
            found["phone"] = phone
            break
    return found


def contact_slots(found: Dict[str, str]) -> Dict[str, Optional[str]]:
    """The form's contact slots for what parse_contact found."""
    return {"contact_details": " / ".join(found.values()), "phone": found.get("phone"), "email": found.get("email")}


# ----------------------------------------------------------------------------- dates

@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime

    def describe(self) -> str:
        day = self.start.strftime("%A %d %B %Y").replace(" 0", " ")
        if (self.start.time(), self.end.time()) == OPENING_WINDOW:
            return f"{day}, any time"
        return f"{day}, {_clock(self.start)} to {_clock(self.end)}"


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0").replace(":00", "").lower()


class PastDateError(ValueError):
    """The user asked for a time that has already passed."""


CLOCK = re.compile(r"(?:\b(at|around|about|by)\s+|(@)\s*)?\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?(?=\W|$)")


def _parse_clock(text: str) -> Optional[time]:
    """The first time of day in the text: "2pm", "at 3", "14:30"; a bare number is not one."""
    for found in CLOCK.finditer(text):
        prefixed = bool(found.group(1) or found.group(2))
        hour, minute = int(found.group(3)), int(found.group(4) or 0)
        meridiem = (found.group(5) or "").replace(".", "")
        if not (meridiem or prefixed or found.group(4)) or minute >= 60:
            continue
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        elif not meridiem and 1 <= hour <= 7:
            hour += 12  # "at 3" to a clinic means the afternoon
        if hour <= 23:
            return time(hour, minute)
    return None


def _parse_day(text: str, today: date) -> Optional[date]:
    if re.search(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b", text):
        return today
    if re.search(r"\b(?:tomorrow|tmrw|tmr|2moro)\b", text):
        return today + timedelta(days=1)
    if re.search(r"\bday\s+after\s+tomorrow\b", text):
        return today + timedelta(days=2)
    if re.search(r"\b(?:yesterday|last\s+(?:week|" + "|".join(WEEKDAY_ALIASES) + r"))\b", text):
        raise PastDateError(text)
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    if iso:
        return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", text)
    if numeric:  # US order: month/day
        month, day_of_month = int(numeric.group(1)), int(numeric.group(2))
        year = int(numeric.group(3)) if numeric.group(3) else today.year
        year = year + 2000 if year < 100 else year
        candidate = date(year, month, day_of_month)
        if not numeric.group(3) and candidate < today:
            candidate = date(year + 1, month, day_of_month)
        return candidate
    month_names = "|".join(sorted(MONTH_ALIASES, key=len, reverse=True))
    named = re.search(rf"\b(?:({month_names})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({month_names}))\b(?:,?\s+(\d{{4}}))?", text)
    if named:
        month = MONTH_ALIASES[named.group(1) or named.group(4)]
        day_of_month = int(named.group(2) or named.group(3))
        year = int(named.group(5)) if named.group(5) else today.year
        candidate = date(year, month, day_of_month)
        if not named.group(5) and candidate < today:
            candidate = date(year + 1, month, day_of_month)
        return candidate
    weekday = re.search(r"\b(next\s+week\s+|next\s+|this\s+|coming\s+)?(" + "|".join(sorted(WEEKDAY_ALIASES, key=len, reverse=True)) + r")s?\b", text)
    if weekday:
        target = WEEKDAY_ALIASES[weekday.group(2)]
        ahead = (target - today.weekday()) % 7
        qualifier = (weekday.group(1) or "").strip()
        if qualifier.startswith("next week") or (qualifier == "next" and ahead == 0):
            ahead += 7
        elif ahead == 0 and qualifier != "this":
            ahead = 7 if qualifier else 0
        return today + timedelta(days=ahead)
    if re.search(r"\bnext\s+week\b", text):
        return today + timedelta(days=7 - today.weekday())
    if re.search(r"\b(?:asap|as\s+soon\s+as\s+possible|any\s*time|anytime|whenever|earliest|soonest|first\s+available)\b", text):
        return today + timedelta(days=1)
    return None


def parse_preferred_time(text: Optional[str], now: datetime) -> Optional[TimeWindow]:
    """A window for free text such as "next tuesday afternoon", "12/3 at 2pm", "asap".
    None when no day can be read; PastDateError when the time has passed."""
    lowered = clean_text(text).lower()
    if not lowered or len(lowered) > MAX_FREE_TEXT:
        return None
    try:
        day = _parse_day(lowered, now.date())
    except ValueError as error:  # includes impossible dates such as 2/30
        if isinstance(error, PastDateError):
            raise
        return None
    if day is None:
        # A bare time of day ("afternoon", "at 3pm") means the next such time.
        if _parse_clock(lowered) or any(re.search(rf"\b{part}\b", lowered) for part in DAY_PARTS):
            day = now.date()
        else:
            return None
    clock = _parse_clock(lowered)
    part = next((span for name, span in DAY_PARTS.items() if re.search(rf"\b{name}\b", lowered)), None)
    explicit_day = day != now.date() or re.search(r"\b(?:today|tonight|this\s+)", lowered)
    if clock:
        start = datetime.combine(day, clock, now.tzinfo)
        if start <= now:
            if explicit_day:
                raise PastDateError(lowered)
            return parse_preferred_time(f"tomorrow {lowered}", now)
        end = start + timedelta(hours=1)
    else:
        first, last = part or OPENING_WINDOW
        start, end = datetime.combine(day, first, now.tzinfo), datetime.combine(day, last, now.tzinfo)
    if end <= now:
        if not explicit_day:
            # "afternoon" said after the afternoon: the next day.
            return parse_preferred_time(f"tomorrow {lowered}", now)
        raise PastDateError(lowered)
    if start < now:
        start = now.replace(second=0, microsecond=0)
    return TimeWindow(start, end)


# ----------------------------------------------------------------------------- reasons

REASONS = {
    "depression": r"depress\w*|low\s+mood|sad",
    "anxiety": r"anxi\w*|panic|worry",
    "PTSD": r"ptsd|trauma\w*|post[\s-]?traumatic",
    "pain": r"pain|fibromyalgia|migraine|crps",
    "other": r"other|something\s+else|ocd|bipolar|addiction",
}


def parse_reason(text: Optional[str]) -> Optional[str]:
    lowered = clean_text(text).lower()
    for reason, pattern in REASONS.items():
        if re.search(rf"\b(?:{pattern})", lowered):
            return reason
    return None


def prefill_from_message(text: str, now: datetime) -> Dict[str, Optional[str]]:
    """Booking details given up front ("book me for tuesday, I'm Ann"), by slot name."""
    values: Dict[str, Optional[str]] = {}
    name = find_name(text)
    if name:
        values["full_name"] = name
    contact = parse_contact(text)
    if contact:
        values.update(contact_slots(contact))
    try:
        window = parse_preferred_time(text, now)
    except PastDateError:
        window = None
    if window:
        values["preferred_time_text"] = clean_text(text)[:MAX_FREE_TEXT]
        values["preferred_time"] = window.start.isoformat()
        values["preferred_time_end"] = window.end.isoformat()
    reason = parse_reason(text)
    if reason and reason != "other":
        values["reason"] = reason
    return values
