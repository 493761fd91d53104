"""Pure parsers for what patients type into the booking and call-back forms: names, phone
numbers, e-mail addresses, preferred days and times, reasons. No Rasa imports, so each is
tested on its own (tests/unit/clinic/test_parsing.py)."""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import phonenumbers

from clinic.text import clean_text

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
MONTH_ALIASES = {
    **{m: i + 1 for i, m in enumerate(MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(MONTHS)}, "sept": 9,
}
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
# A greeting said first ("good morning", "hi, good afternoon!") names no time of day.
GREETING_FIRST = re.compile(r"^\s*(?:(?:hi|hello|hey)\b[\s,!.]*)?good\s+(?:morning|afternoon|evening)\b[\s,!.:;-]*")
SKIP_WORDS = re.compile(
    r"^(?:skip|pass|none|no|nope|n/?a|nothing|not\s+sure|prefer\s+not(?:\s+to\s+say)?|rather\s+not(?:\s+say)?|"
    r"don'?t\s+know|dunno|no\s+thanks|i'?d\s+rather\s+not|next)\W*$"
)


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
WHY_ASKED = re.compile(r"\bwhy\b.{0,30}\b(?:need|want|ask|asking|require)\w*\b"
                       r"|\bwhat\s+(?:is|'s)\s+(?:it|that|this)\s+for\b"
                       r"|\bwhat\s+do\s+you\s+(?:need|want)\s+(?:it|that|this|my\s+\w+)\s+for\b"
                       r"|\b(?:is|are)\s+(?:this|that|it|these|those)\s+(?:\w+\s+){0,2}(?:necessary|needed|required|"
                       r"mandatory)\b|\bdo\s+(?:you|i)\s+(?:really\s+)?(?:need|have)\s+(?:to\s+(?:give|tell)\s+)?"
                       r"(?:this|that|it|my\s+\w+)\b(?!\s+\w)")
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
    r"^(?:(?:hi|hello|hey|ok|okay|sure|yes|yeah|yep|fine|alright|oh|so|sorry|um+|uh+)[,!.]?\s+)*"
    r"(?:my\s+name\s+is|my\s+name'?s|name'?s|name\s+is|i'?m|i\s+am|im|"
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
# "I'm looking to book": words after "I'm" that are no name.
NOT_NAMES_IN_PASSING = {"looking", "interested", "trying", "wondering", "calling", "writing"}
PREFILL_NAME_ANY_CASE = re.compile(r"\bmy\s+name\s+is\s+([a-zA-Z'’\-]+(?:\s+[a-zA-Z'’\-]+){0,2})", re.IGNORECASE)


def find_name(text: str) -> Optional[str]:
    """A name the user gave in passing ("book me for tuesday, I'm Ann")."""
    text = clean_text(text)
    for pattern in (PREFILL_NAME, PREFILL_NAME_ANY_CASE):
        found = pattern.search(text)
        if found:
            candidate = re.split(r"\s+(?:and|for|on|at|next|this|tomorrow|today)\b", found.group(1),
                                 flags=re.IGNORECASE)[0]
            name = parse_name(candidate)
            if name and name.lower() not in WEEKDAY_ALIASES and name.lower() not in NOT_NAMES_IN_PASSING:
                return name
    return None


# Words a time offered is made of ("weekday mornings", "next tue or thu after 3pm").
TIME_WORDS = re.compile(
    r"^(?:(?:%s)s?|(?:%s)|(?:%s)s?|weekdays?|weekends?|any(?:time)?|day|days|next|this|after|before|from|until|"
    r"till|to|or|and|on|at|in|the|a|am|pm|a\.m\.|p\.m\.|o'?clock|ish|early|late|[\d:/.\-]+(?:am|pm|st|nd|rd|th)?)$"
    % ("|".join(list(WEEKDAY_ALIASES)), "|".join(MONTH_ALIASES), "|".join(DAY_PARTS)), re.IGNORECASE)
NAME_WORD = re.compile(r"^[A-Z][a-zA-Z'’.\-]*$")
MAX_NAME_WORDS = 4


# A part of a message that is nothing but what the visit is for: "for my depression", "it's for anxiety".
REASON_PART = re.compile(r"^(?:(?:it'?s|its|this\s+is|that'?s|mainly|mostly|reason)\s*:?\s+)?(?:for\s+)?(?:my\s+)?"
                         r"(?:depress\w*|anxi\w*|ptsd|trauma|chronic\s+pain|low\s+mood)"
                         r"(?:\s+(?:and|&)\s+(?:my\s+)?(?:depress\w*|anxi\w*|ptsd|trauma|pain))?$")


def detail_parts(text: Optional[str], names_in_lower_case: bool = False) -> Optional[Dict[str, str]]:
    """The parts of a message that holds nothing but a form's answers, as written, by kind ("name",
    "contact", "time", "reason"): "I'm Dana Lee, 415-555-0199, weekday mornings, for depression". None
    when the message says anything else, or nothing. A name is written with capitals unless the name
    was asked for."""
    original = clean_text(text)
    found: Dict[str, str] = {}
    contacts = [match.group(0) for pattern in (EMAIL_CANDIDATE, PHONE_CANDIDATE)
                for match in pattern.finditer(original)]
    if contacts:
        found["contact"] = ", ".join(contacts)
    rest = PHONE_CANDIDATE.sub(" , ", EMAIL_CANDIDATE.sub(" , ", original))
    times: List[str] = []
    for part in filter(None, (part.strip(" .!") for part in re.split(r"[,;\n]+", rest))):
        words = part.split()
        name = NAME_PREFIX.sub("", part).split()
        if all(TIME_WORDS.match(word) for word in words):
            times.append(part)
        elif REASON_PART.match(part.lower()):
            found.setdefault("reason", part)
        elif (name and len(name) <= MAX_NAME_WORDS and parse_name(part)
                and (names_in_lower_case or all(NAME_WORD.match(word) for word in name))):
            found.setdefault("name", part)
        else:
            return None
    if times:
        found["time"] = ", ".join(times)
    return found or None


# A time that no name is made of: a part of the day, a number, or a day counted from today ("friday
# morning", "next tuesday", "3pm"); "April May" may be a name.
UNMISTAKABLE_TIME = re.compile(r"\d|\b(?:%s|tomorrow|today|tonight|next|this|weekdays?|weekends?|am|pm)\b"
                               % "|".join(DAY_PARTS), re.IGNORECASE)


def unmistakable_time(text: Optional[str]) -> bool:
    return bool(UNMISTAKABLE_TIME.search(clean_text(text)))


def introduces_a_name(text: Optional[str]) -> bool:
    """"I'm Dana Lee", "my name is Dana": a name said to be one."""
    return bool(NAME_PREFIX.match(clean_text(text)))


def only_details(text: Optional[str]) -> bool:
    """Whether a message holds nothing but a form's answers (see detail_parts)."""
    return detail_parts(text) is not None


# ----------------------------------------------------------------------------- contact

DEFAULT_REGION = "US"
PHONE_CANDIDATE = re.compile(
    r"(?:\+|00)?\(?\d[\d\s().\-/]{6,20}\d(?:\s*[,;]?\s*(?:ext\.?|extn\.?|extension|x|#)\s*\d{1,6}\b)?", re.IGNORECASE
)
# The extension at the end of a number: "ext 2", "ext. 2", "x2", "extension 2", "#2".
PHONE_EXTENSION = re.compile(r"\s*[,;]?\s*(?:ext\.?|extn\.?|extension|x|#)\s*(\d{1,6})$", re.IGNORECASE)
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EMAIL_CANDIDATE = re.compile(r"[^\s<>(),;:\"\[\]]+@[^\s<>(),;:\"\[\]]+")


def normalise_phone(text: Optional[str], region: str = DEFAULT_REGION) -> Optional[str]:
    """E.164 (+14155550133) from a number typed in national or international format, read with
    the clinic's region ("US", "GB"); an extension follows as "+14155550133 ext. 2". None for
    anything libphonenumber does not know as a real number, and for letters (vanity numbers,
    text around the number)."""
    raw = clean_text(text)
    if not raw or len(raw) > 40:
        return None
    extension = PHONE_EXTENSION.search(raw)
    number_text = raw[:extension.start()] if extension else raw
    if not PHONE_CHARACTERS.match(number_text):
        return None
    if number_text.startswith("00"):
        # The international prefix of most of the world, typed in a region whose prefix differs (011).
        number_text = "+" + number_text[2:]
    try:
        number = phonenumbers.parse(number_text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164} ext. {extension.group(1)}" if extension else e164


def display_phone(stored: Optional[str], region: str = DEFAULT_REGION) -> str:
    """A stored number ("+12025550187", "+14155550133 ext. 2") as people of `region` write it: the
    national format for the region's numbers ("(202) 555-0187"), the international one for others."""
    number_text, _, extension = (stored or "").partition(" ext. ")
    try:
        number = phonenumbers.parse(number_text, region)
    except phonenumbers.NumberParseException:
        return stored or ""
    home = phonenumbers.region_code_for_number(number) == region
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if home
                                       else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"{shown} ext. {extension}" if extension else shown


def normalise_email(text: Optional[str]) -> Optional[str]:
    email = clean_text(text).strip(" .,;<>").lower()
    if not email or len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email):
        return None
    local, _, domain = email.rpartition("@")
    if len(local) > 64 or ".." in email or local.startswith(".") or local.endswith("."):
        return None
    return email


# An address said aloud and transcribed ("maya dot chen at gmail dot com"), as the whole message: in a
# sentence, "at" and "dot" are too often words ("I work at example dot com").
SPOKEN_EMAIL = re.compile(
    r"^(?:(?:it'?s|its|my\s+e-?mail(?:\s+address)?\s+is|e-?mail(?:\s+me)?(?:\s+at)?|sure|ok(?:ay)?)[,:]?\s+)?"
    r"([a-z0-9_%+-]+(?:(?:\s+dot\s+|\.)[a-z0-9_%+-]+)*)\s+at\s+([a-z0-9-]+(?:(?:\s+dot\s+|\.)[a-z0-9-]+)+)[.!]?$",
    re.IGNORECASE)


def spoken_email(text: str) -> Optional[str]:
    found = SPOKEN_EMAIL.match(text)
    if not found or " dot " not in f" {found.group(0).lower()} ":
        return None
    local, domain = (re.sub(r"\s+dot\s+", ".", part, flags=re.IGNORECASE) for part in found.groups())
    return normalise_email(f"{local}@{domain}")


def parse_contact(text: Optional[str], region: str = DEFAULT_REGION) -> Dict[str, str]:
    """Phone and/or e-mail found anywhere in a message, or an address said aloud as the whole message:
    {"phone": ..., "email": ...}."""
    text = clean_text(text)
    found: Dict[str, str] = {}
    email = spoken_email(text)
    if email:
        return {"email": email}
    for candidate in EMAIL_CANDIDATE.findall(text):
        email = normalise_email(candidate)
        if email:
            found["email"] = email
            text = text.replace(candidate, " ")
            break
    for candidate in PHONE_CANDIDATE.findall(text):
        phone = normalise_phone(candidate, region)
        if phone:
            found["phone"] = phone
            break
    return found


def contact_slots(found: Dict[str, str], region: str = DEFAULT_REGION) -> Dict[str, Optional[str]]:
    """The form's contact slots for what parse_contact found: the number and address as stored, and
    as the patient reads them back in the summary (the number as written in the clinic's country)."""
    shown = [display_phone(value, region) if key == "phone" else value for key, value in found.items()]
    return {"contact_details": " / ".join(shown), "phone": found.get("phone"), "email": found.get("email")}


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


def describe_windows(windows: Sequence[TimeWindow]) -> str:
    """Every window a patient offered, as the confirmation summary lists them."""
    return spoken_list([window.describe() for window in windows], "; ", "; or ")


def spoken_list(items: Sequence[str], separator: str, last_separator: str) -> str:
    """Items as a sentence lists them: "a, b and c" (", ", " and "); one item alone; "" for none."""
    if len(items) <= 1:
        return "".join(items)
    return separator.join(items[:-1]) + last_separator + items[-1]


def window_slots(windows: Sequence[TimeWindow]) -> Dict[str, Optional[str]]:
    """The preferred_time and preferred_time_end slots: the starts and ends of every window, in
    ISO 8601, separated by spaces (one window gives one value each, as before)."""
    if not windows:
        return {"preferred_time": None, "preferred_time_end": None}
    return {"preferred_time": " ".join(w.start.isoformat() for w in windows),
            "preferred_time_end": " ".join(w.end.isoformat() for w in windows)}


def windows_from_slots(starts: Optional[str], ends: Optional[str]) -> List[TimeWindow]:
    """The windows stored by window_slots; none if the slots are empty or do not pair up."""
    try:
        pairs = list(zip((starts or "").split(), (ends or "").split(), strict=True))
        return [TimeWindow(datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in pairs]
    except ValueError:
        return []


class PastDateError(ValueError):
    """The user asked for a time that has already passed."""


# At most this many windows are kept from one answer: the earliest are the ones to offer.
MAX_WINDOWS = 7
# A range of days ("next week", "between the 10th and 14th") is offered on these days only
# (a range that is only a weekend keeps its weekend days).
CLINIC_DAYS = {0, 1, 2, 3, 4}
CLOSED_DATES = {(12, 25), (1, 1)}  # left out of ranges: Christmas Day, New Year's Day
CLOSING_TIME, LATEST_TIME = OPENING_WINDOW[1], DAY_PARTS["evening"][1]
QUALIFIED_PARTS = {
    ("early", "morning"): (time(8), time(10)), ("mid", "morning"): (time(9), time(11)),
    ("late", "morning"): (time(10), time(12)), ("early", "afternoon"): (time(12), time(14)),
    ("mid", "afternoon"): (time(13), time(16)), ("late", "afternoon"): (time(15), time(17)),
    ("early", "evening"): (time(17), time(19)), ("late", "evening"): (time(18), time(20)),
}
# What is left of opening hours when a part of the day is ruled out ("I can't do mornings").
PART_COMPLEMENTS = {"morning": (time(12), CLOSING_TIME), "afternoon": (OPENING_WINDOW[0], time(12)),
                    "evening": (OPENING_WINDOW[0], time(17))}
# Regions that write numeric dates month first (12/15); elsewhere 15/12.
MONTH_FIRST_REGIONS = {"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"}
# Shorthand and slang, word for word.
WORD_ALIASES = {
    **dict.fromkeys(["tmrw", "tmr", "tmw", "2moro", "2morro", "2morrow", "2mrw", "tomoz", "tomo"], "tomorrow"),
    "arvo": "afternoon", "arvos": "afternoons", "nxt": "next", "wk": "week", "wks": "weeks",
    "tonite": "tonight", "2nite": "tonight", "xmas": "christmas", "mornin": "morning",
}
# Misspellings are corrected towards these words (months of five letters or fewer are left
# out: "march" and "may" are also verbs).
TYPO_TARGETS = WEEKDAYS + [m for m in MONTHS if len(m) > 5] + [
    "tomorrow", "morning", "afternoon", "evening", "tonight", "weekend", "weekday", "christmas", "fortnight",
    "lunchtime"]
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3}
BLANK = "\x00"  # what a read expression is replaced with (clean_text removes it from any input)

_WEEKDAY_NAMES = "|".join(sorted(WEEKDAY_ALIASES, key=len, reverse=True))
_MONTH_NAMES = "|".join(sorted(MONTH_ALIASES, key=len, reverse=True))
_NUMBER = r"\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?(?![\w/:])"
_MERIDIEM_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![\w/:])"
_ORDINAL = r"(?:st|nd|rd|th)"
_PERIOD = r"(early|beginning\s+of|start\s+of|mid|middle\s+of|late|later|end\s+of|rest\s+of)"
CLOCK = re.compile(r"(?:\b(at|around|about|by)\s+|(@)\s*)?\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?(?=\W|$)")
PAST = re.compile(rf"\b(?:yesterday|last\s+(?:night|week(?:end)?|month|{_WEEKDAY_NAMES})(?!\s+of))\b")
SOON = re.compile(r"\b(?:asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+(?:possible|you\s+can)|any\s*time|any\s+day|whenever|"
                  r"earliest|soonest|(?:first|next)\s+available|as\s+early\s+as\s+possible)")
NEGATION = r"\b(?:except|not|but(?:\s+not)?|no|apart\s+from|other\s+than|avoid|can'?t\s+do|cannot\s+do)\s+"
ALTERNATIVE = re.compile(r"\bor\b|/")
RANGE_JOINER = re.compile(r"\s*(?:-|–|to|till|until|thru|through)\s*(?:the\s+)?")
BETWEEN_JOINER = re.compile(r"\s*(?:and|&)\s*(?:the\s+)?")


def _to_time(hour: int, minute: int, meridiem: Optional[str]) -> Optional[time]:
    """A clock reading; without am/pm, 1 to 7 mean the afternoon ("at 3" to a clinic is 3 pm)."""
    meridiem = (meridiem or "").replace(".", "")
    if minute >= 60 or hour > 23:
        return None
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and 1 <= hour <= 7:
        hour += 12
    return time(hour, minute)


def _later(clock: time, hours: int = 1) -> time:
    """An hour (or so many) later or earlier the same day."""
    moved = datetime.combine(date(2000, 1, 2), clock) + timedelta(hours=hours)
    return moved.time() if moved.day == 2 else (time(23, 59) if hours > 0 else time(0))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _clinic_days(first: date, last: date) -> List[date]:
    """The days of a range a clinic offers: Monday to Friday (the weekend for a range that is only
    a weekend), not the days it is closed."""
    if last < first:
        first, last = last, first
    days = [first + timedelta(days=i) for i in range(min((last - first).days + 1, 366))]
    offered = [d for d in days if d.weekday() in CLINIC_DAYS] or days
    return [d for d in offered if (d.month, d.day) not in CLOSED_DATES]


def _next_date(today: date, month: int, day: int, year: Optional[int] = None) -> date:
    """The first such date on or after today (or in the year given); ValueError if none (2/30)."""
    if year is not None:
        return date(year + 2000 if year < 100 else year, month, day)
    for year_ahead in range(today.year, today.year + 9):  # far enough for a February 29th
        try:
            candidate = date(year_ahead, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ValueError(f"no {month}/{day}")


def _add_months(day: date, months: int) -> date:
    """The same day of the month so many months on (or the month's last day: Jan 31 + 1 = Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


HOLIDAYS = [
    (r"christmas\s+eve", lambda year: date(year, 12, 24)),
    (r"christmas(?:\s+day)?", lambda year: date(year, 12, 25)),
    (r"boxing\s+day", lambda year: date(year, 12, 26)),
    (r"new\s+year'?s?\s+eve|nye", lambda year: date(year, 12, 31)),
    (r"new\s+years?'?s?(?:\s+day)?", lambda year: date(year, 1, 1)),
    (r"thanksgiving", _thanksgiving),
]


def _fix_words(text: str) -> str:
    """Shorthand spelled out and near-misses of day, month and time words corrected ("wensday",
    "decmber"), word by word; other words are left alone."""
    def fix(found: re.Match) -> str:
        word = found.group(0)
        if word in WORD_ALIASES:
            return WORD_ALIASES[word]
        if len(word) < 5 or word in TYPO_TARGETS or word.rstrip("s") in TYPO_TARGETS or not word.isalpha():
            return word
        close = difflib.get_close_matches(word, [t for t in TYPO_TARGETS if t[0] == word[0]], n=1, cutoff=0.8)
        return close[0] if close else word
    return re.sub(r"[a-z0-9']+", fix, text)


@dataclass
class _Days:
    """Days named in the answer, where it names them."""
    start: int
    end: int
    days: List[date]
    kind: str = "date"  # date, weekday, week (this/next week), range, soon (asap)
    weekday: int = 0
    qualifier: str = ""  # a weekday's "next" or "this"
    week: int = 0  # a week's distance from this one


@dataclass
class _Times:
    """A time of day named in the answer: a span of hours, or a clock time (one hour)."""
    start: int
    end: int
    first: time
    last: time
    clock: bool = False

    @property
    def span(self) -> Tuple[time, time, bool]:
        return self.first, self.last, self.clock


@dataclass
class _Group:
    """One or more days offered with the same times ("Monday 10am" / "next week mornings")."""
    days: List[date]
    spans: List[Tuple[time, time, bool]] = field(default_factory=list)
    implicit: bool = False  # no day given: today, or tomorrow once today's time has gone
    last: Optional[_Times] = None


def _intersect(first: Tuple[time, time, bool], second: Tuple[time, time, bool]) -> Tuple[time, time, bool]:
    """Two times said together ("mornings before 10"); if they do not overlap, the clock time
    (or the later one) is taken as the more precise."""
    start, end = max(first[0], second[0]), min(first[1], second[1])
    if start < end:
        return start, end, first[2] or second[2]
    return first if first[2] and not second[2] else second


class _Reader:
    """Reads the day and time expressions of one answer. Each pattern reads what earlier ones
    left: a read expression is blanked in `rest`, so that it is never read twice."""

    def __init__(self, text: str, today: date, day_first: bool) -> None:
        self.text, self.rest = text, text
        self.today, self.day_first = today, day_first
        self.days: List[_Days] = []
        self.times: List[_Times] = []
        self.excluded: Set[int] = set()

    # ------------------------------------------------------------------ plumbing
    def find(self, pattern: str, read: Callable[[re.Match], bool]) -> None:
        for found in list(re.finditer(pattern, self.rest)):
            if BLANK not in self.rest[found.start():found.end()] and read(found):
                self.blank(found.start(), found.end())

    def blank(self, start: int, end: int) -> None:
        self.rest = self.rest[:start] + BLANK * (end - start) + self.rest[end:]

    def day(self, found: re.Match, days: List[date], kind: str = "date", **extra: Any) -> bool:
        self.days.append(_Days(found.start(), found.end(), days, kind, **extra))
        return True

    def time(self, start: int, end: int, first: time, last: time, clock: bool = False) -> bool:
        self.times.append(_Times(start, end, first, last, clock))
        return True

    # ------------------------------------------------------------------ days
    def read_days(self) -> None:
        today = self.today
        if PAST.search(self.text):
            raise PastDateError(self.text)
        self.find(rf"\b(?:in\s+(?:a\s+)?({_NUMBER})\s+(day|week|month)s?(?:'?\s*time)?|({_NUMBER})\s+(day|week|month)s?"
                  rf"\s+from\s+(?:now|today))\b", self.read_relative)
        self.find(r"\b(?:in\s+)?a\s+fortnight(?:'?s\s+time)?\b", lambda f: self.day(f, [today + timedelta(days=14)]))
        self.find(r"\b(?:today|tonight)\b|\bthis\b(?=\s+(?:morning|afternoon|evening)s?\b)", self.read_today)
        self.find(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", lambda f: self.day(f, [today + timedelta(days=2)]))
        self.find(r"\btomorrow\b", lambda f: self.day(f, [today + timedelta(days=1)]))
        self.read_weeks()
        for pattern, holiday in HOLIDAYS:
            self.find(rf"\b(?:{pattern})\b", lambda f, holiday=holiday: self.day(f, [self.holiday(holiday)]))
        self.find(rf"\b(first|1st|second|2nd|third|3rd|fourth|4th|last)\s+week\s+(?:of|in)\s+(?:the\s+)?"
                  rf"(month|{_MONTH_NAMES})\b", self.read_week_of_month)
        self.read_absolute()
        self.find(rf"\b{_PERIOD}?\s*(?:the\s+)?(?:(in|during)\s+)?(next|this|the)?\s*(month|{'|'.join(MONTHS)})\b",
                  self.read_month)
        self.find(rf"\b(?:(next|this|coming|this\s+coming)\s+)?({_WEEKDAY_NAMES})(?:'?s)?\b", self.read_weekday)
        self.find(SOON.pattern, lambda f: self.day(f, [], "soon"))

    def read_today(self, found: re.Match) -> bool:
        if found.group(0) == "tonight":
            self.time(found.start(), found.end(), *DAY_PARTS["evening"])
        return self.day(found, [self.today])

    def read_relative(self, found: re.Match) -> bool:
        count = found.group(1) or found.group(3)
        unit = found.group(2) or found.group(4)
        number = int(count) if count.isdigit() else NUMBER_WORDS[count]
        if unit == "month":
            return self.day(found, [_add_months(self.today, number)])
        return self.day(found, [self.today + timedelta(days=number * (7 if unit == "week" else 1))])

    def read_weeks(self) -> None:
        monday = _monday(self.today)

        def week(found: re.Match, offset: int, first: int = 0, last: int = 6, kind: str = "range") -> bool:
            start = monday + timedelta(days=7 * offset)
            days = [d for d in _clinic_days(start + timedelta(days=first), start + timedelta(days=last))
                    if d >= self.today + timedelta(days=1 if found.group(0).startswith("later") else 0)]
            return self.day(found, days, kind, week=offset)

        def period(found: re.Match) -> bool:
            offset = 1 if found.group(2) in ("next", "following") else 0
            span = {"early": (0, 1), "beginning of": (0, 1), "start of": (0, 1), "mid": (1, 3), "middle of": (1, 3),
                    "late": (3, 4), "end of": (3, 4)}.get(re.sub(r"\s+", " ", found.group(1) or ""), (0, 6))
            kind = "week" if not found.group(1) and found.group(2) else "range"
            if not found.group(1) and not found.group(2):
                return False  # "once a week"
            return week(found, offset, *span, kind=kind)

        self.find(r"\b(?:the\s+)?week\s+after\s+next\b", lambda f: week(f, 2, kind="week"))
        self.find(rf"\b{_PERIOD}?\s*(?:the\s+)?(this|next|following|coming)?\s*week\b(?!\s*(?:end|day))", period)

        def weekend(found: re.Match) -> bool:
            saturday = monday + timedelta(days=5 + (7 if found.group(1) == "next" else 0))
            return self.day(found, [d for d in (saturday, saturday + timedelta(days=1)) if d >= self.today], "range")

        self.find(r"\b(?:(this|next|the|coming)\s+)?weekends?\b", weekend)
        self.find(r"\b(?:any\s+)?weekdays?\b",
                  lambda f: self.day(f, _clinic_days(self.today, self.today + timedelta(days=6)), "range"))

    def holiday(self, holiday: Callable[[int], date]) -> date:
        found = holiday(self.today.year)
        return found if found >= self.today else holiday(self.today.year + 1)

    def read_absolute(self) -> None:
        """Dates written out: 2026-12-10, 12/15, Dec 15th, 15 January, the 10th."""
        def dated(found: re.Match, make: Callable[[], date]) -> bool:
            try:
                return self.day(found, [make()])
            except ValueError:
                return True  # read, but no such date (2/30)

        self.find(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b",
                  lambda f: dated(f, lambda: date(int(f.group(1)), int(f.group(2)), int(f.group(3)))))
        self.find(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", lambda f: dated(f, lambda: self.numeric(f)))
        self.find(rf"\b(?:({_MONTH_NAMES})\.?\s+(?:the\s+)?(\d{{1,2}}){_ORDINAL}?|(\d{{1,2}}){_ORDINAL}?\s+(?:of\s+)?"
                  rf"({_MONTH_NAMES}))\b\.?(?:,?\s+(\d{{4}}))?", self.read_named_date)
        self.find(rf"\b(?:the\s+(\d{{1,2}}){_ORDINAL}?|(\d{{1,2}}){_ORDINAL})\b(?!\s*(?:[:.]\d|a\.?m|p\.?m))",
                  self.read_day_of_month)

    def numeric(self, found: re.Match) -> date:
        first, second = int(found.group(1)), int(found.group(2))
        year = int(found.group(3)) if found.group(3) else None
        orders = [(second, first), (first, second)] if self.day_first else [(first, second), (second, first)]
        for month, day_of_month in orders:  # the region's order, or the other if only that is a date
            try:
                return _next_date(self.today, month, day_of_month, year)
            except ValueError:
                continue
        raise ValueError(found.group(0))

    def read_named_date(self, found: re.Match) -> bool:
        month = MONTH_ALIASES[found.group(1) or found.group(4)]
        year = int(found.group(5)) if found.group(5) else None
        try:
            self.day(found, [_next_date(self.today, month, int(found.group(2) or found.group(3)), year)])
        except ValueError:
            return True
        self.read_more_days(found.end(), lambda day_of_month: _next_date(self.today, month, day_of_month, year))
        return True

    def read_day_of_month(self, found: re.Match) -> bool:
        def this_or_next_month(day_of_month: int) -> date:
            for months in range(3):
                first = _add_months(self.today.replace(day=1), months)
                try:
                    candidate = first.replace(day=day_of_month)
                except ValueError:
                    continue
                if candidate >= self.today:
                    return candidate
            raise ValueError(day_of_month)

        try:
            self.day(found, [this_or_next_month(int(found.group(1) or found.group(2)))])
        except ValueError:
            return True
        self.read_more_days(found.end(), this_or_next_month)
        return True

    def read_more_days(self, end: int, make: Callable[[int], date]) -> None:
        """Further days of the same month: "Dec 15 or 16", "between the 10th and 14"."""
        pattern = re.compile(rf"\s*(?:or|and|&|-|–|to|/|,)\s*(?:the\s+)?(\d{{1,2}}){_ORDINAL}?\b"
                             rf"(?!\s*(?:[:.]\d|a\.?m|p\.?m|{_MONTH_NAMES}))")
        while True:
            more = pattern.match(self.rest, end)
            if not more or BLANK in more.group(0):
                return
            try:
                day = make(int(more.group(1)))
            except ValueError:
                return
            self.days.append(_Days(more.start(1), more.end(), [day]))
            self.blank(more.start(1), more.end())
            end = more.end()

    def read_month(self, found: re.Match) -> bool:
        period, preposition, which, name = found.group(1), found.group(2), found.group(3), found.group(4)
        if name == "month":
            if not (period or which in ("next", "this")):
                return False  # "once a month"
            first = _add_months(self.today.replace(day=1), 1 if which == "next" else 0)
        else:
            if name == "may" and not (period or preposition):
                return False  # the verb
            first = _next_date(self.today.replace(day=1), MONTH_ALIASES[name], 1)
        last = _add_months(first, 1) - timedelta(days=1)
        span = {"early": (1, 10), "beginning of": (1, 10), "start of": (1, 10), "mid": (11, 20),
                "middle of": (11, 20), "late": (21, 31), "end of": (21, 31)}.get(re.sub(r"\s+", " ", period or ""))
        if span:
            first, last = first.replace(day=span[0]), last.replace(day=min(span[1], last.day))
        days = [d for d in _clinic_days(first, last) if d >= self.today]
        return self.day(found, days, "range")

    def read_week_of_month(self, found: re.Match) -> bool:
        name = found.group(2)
        first = (self.today.replace(day=1) if name == "month"
                 else _next_date(self.today.replace(day=1), MONTH_ALIASES[name], 1))
        if found.group(1) == "last":
            start = _add_months(first, 1) - timedelta(days=7)
        else:
            start = first + timedelta(days=7 * ("f1s2t3f4".index(found.group(1)[0]) // 2))
        days = [d for d in _clinic_days(start, start + timedelta(days=6)) if d >= self.today]
        return self.day(found, days, "range")

    def read_weekday(self, found: re.Match) -> bool:
        weekday = WEEKDAY_ALIASES[found.group(2)]
        if re.search(rf"{NEGATION}(?:on\s+)?(?:a\s+)?$", self.text[:found.start()]):
            self.excluded.add(weekday)
            return True
        qualifier = re.sub(r"\s+", " ", found.group(1) or "")
        return self.day(found, [], "weekday", weekday=weekday, qualifier=qualifier)

    # ------------------------------------------------------------------ times
    def read_times(self) -> None:
        self.find(rf"{NEGATION}(?:in\s+the\s+|the\s+)?(morning|afternoon|evening)s?\b",
                  lambda f: self.time(f.start(), f.end(), *PART_COMPLEMENTS[f.group(1)]))
        self.find(rf"\b(?:between|from)\s+{_CLOCK}\s*(?:and|to|till|until|-|–)\s*{_CLOCK}", self.read_clock_range)
        self.find(rf"\b{_MERIDIEM_CLOCK}\s*(?:-|–|to|till|until)\s*{_CLOCK}", self.read_clock_range)
        self.find(rf"\b{_CLOCK}\s*(?:-|–|to|till|until)\s*{_MERIDIEM_CLOCK}", self.read_clock_range)
        self.find(r"\b(half|quarter)\s+(past|to)\s+(\d{1,2})\b", self.read_spoken_clock)
        self.find(rf"\b(?:any\s*time\s+)?(?:after|from)\s+{_CLOCK}(?:\s*on(?:wards?)?)?|\b{_CLOCK}\s*"
                  r"(?:onwards?|or\s+later)\b", self.read_after)
        self.find(rf"\b(?:before|no\s+later\s+than)\s+{_CLOCK}", self.read_before)
        self.find(r"\bafter\s+(?:work|my\s+shift)\b", lambda f: self.time(f.start(), f.end(), *DAY_PARTS["evening"]))
        self.find(r"\bbefore\s+work\b", lambda f: self.time(f.start(), f.end(), OPENING_WINDOW[0], time(9)))
        self.find(r"\bfirst\s+thing(?:\s+in\s+the\s+morning)?\b",
                  lambda f: self.time(f.start(), f.end(), *QUALIFIED_PARTS[("early", "morning")]))
        self.find(r"\b(?:end|close)\s+of\s+(?:the\s+)?(?:day|business)\b",
                  lambda f: self.time(f.start(), f.end(), time(16), CLOSING_TIME))
        self.find(r"\b(?:over\s+)?lunch(?:\s*time|\s+break)?\b",
                  lambda f: self.time(f.start(), f.end(), *DAY_PARTS["lunchtime"]))
        self.find(r"\b(early|mid|late)[\s-]*(morning|afternoon|evening)s?\b",
                  lambda f: self.time(f.start(), f.end(), *QUALIFIED_PARTS[(f.group(1), f.group(2))]))
        self.find(rf"\b({'|'.join(DAY_PARTS)})s?\b", lambda f: self.time(f.start(), f.end(), *DAY_PARTS[f.group(1)]))
        self.find(CLOCK.pattern, self.read_clock)
        # "fri pm", "thurs am": am or pm just after a day (never "I am").
        self.find(rf"(?<={BLANK})\s*\b(a\.?m\.?|p\.?m\.?)(?=\W|$)", lambda f: self.time(
            f.start(), f.end(), *DAY_PARTS["morning" if f.group(1).startswith("a") else "afternoon"]))

    @staticmethod
    def clock_at(found: re.Match, index: int) -> Optional[time]:
        hour, minute = found.group(index), found.group(index + 1)
        return _to_time(int(hour), int(minute or 0), found.group(index + 2)) if hour else None

    def read_spoken_clock(self, found: re.Match) -> bool:
        """"half past 3", "quarter to 4"."""
        hour = _to_time(int(found.group(3)), 0, None)
        if not hour:
            return False
        minutes = {"half past": 30, "quarter past": 15, "quarter to": -15}[f"{found.group(1)} {found.group(2)}"]
        clock = (datetime.combine(date(2000, 1, 2), hour) + timedelta(minutes=minutes)).time()
        return self.time(found.start(), found.end(), clock, _later(clock), clock=True)

    def read_clock_range(self, found: re.Match) -> bool:
        first, last = self.clock_at(found, 1), self.clock_at(found, 4)
        if not first or not last:
            return False
        if found.group(6) and not found.group(3) and first.hour < 12 and (first.hour + 12, first.minute) < (
                last.hour, last.minute):
            first = first.replace(hour=first.hour + 12)  # "2-4pm"
        if last <= first and last.hour < 12:
            last = last.replace(hour=last.hour + 12)  # "10 to 2"
        return last > first and self.time(found.start(), found.end(), first, last)

    def read_after(self, found: re.Match) -> bool:
        first = self.clock_at(found, 1) or self.clock_at(found, 4)
        if not first:
            return False
        # Until closing; a time from the evening on runs to the end of the evening appointments.
        last = CLOSING_TIME if first < DAY_PARTS["evening"][0] else max(LATEST_TIME, _later(first))
        return self.time(found.start(), found.end(), first, last)

    def read_before(self, found: re.Match) -> bool:
        last = self.clock_at(found, 1)
        if not last:
            return False
        first = OPENING_WINDOW[0] if last > OPENING_WINDOW[0] else _later(last, -1)
        return self.time(found.start(), found.end(), first, last)

    def read_clock(self, found: re.Match) -> bool:
        if not (found.group(5) or found.group(1) or found.group(2) or found.group(4)):
            return False  # a bare number is not a time
        clock = _to_time(int(found.group(3)), int(found.group(4) or 0), found.group(5))
        if not clock:
            return False
        self.time(found.start(), found.end(), clock, _later(clock), clock=True)
        # "at 2 or 4": the other times offered.
        end = found.end()
        more = re.compile(rf"\s*(?:or|/|,)\s*(?:at\s+)?{_CLOCK}")
        while True:
            following = more.match(self.rest, end)
            if not following or BLANK in following.group(0):
                return True
            clock = self.clock_at(following, 1)
            if not clock:
                return True
            self.time(following.start(1), following.end(), clock, _later(clock), clock=True)
            self.blank(following.start(1), following.end())
            end = following.end()

    # ------------------------------------------------------------------ putting it together
    def resolve_days(self) -> List[_Days]:
        days = sorted(self.days, key=lambda item: item.start)
        weeks = [item for item in days if item.kind == "week"]
        weekdays = [item for item in days if item.kind == "weekday"]
        if weeks and weekdays:  # "mon-wed next week", "next week tuesday": the week says which
            days = [item for item in days if item.kind != "week"]
        monday = _monday(self.today)
        for item in weekdays:
            if weeks:
                item.days = [monday + timedelta(days=7 * weeks[0].week + item.weekday)]
            else:
                # The first such day after today ("next" included); "this" may be today. A bare
                # weekday that is today is next week's: a patient would say "today".
                ahead = (item.weekday - self.today.weekday()) % 7
                item.days = [self.today + timedelta(days=ahead or (0 if item.qualifier == "this" else 7))]
        days = self.join_dates(days)
        days = [self.around(item) for item in days]
        if any(item.kind != "soon" for item in days):
            days = [item for item in days if item.kind != "soon"]
        else:
            soonest = self.today + timedelta(days=1)
            while soonest.weekday() in self.excluded and soonest < self.today + timedelta(days=8):
                soonest += timedelta(days=1)
            for item in days:
                item.days = [soonest]
        return days

    def join_dates(self, days: List[_Days]) -> List[_Days]:
        """A weekday next to a date is the same day ("Tuesday the 8th"); two days joined by "to" or
        "-" (or "between ... and") are a range."""
        joined: List[_Days] = []
        for item in days:
            previous = joined[-1] if joined else None
            between = self.text[previous.end:item.start] if previous else ""
            if previous and previous.days and item.days and re.fullmatch(r"[\s,]*", between) and {
                    previous.kind, item.kind} == {"weekday", "date"}:
                joined[-1] = previous if previous.kind == "date" else item
                continue
            if previous and previous.days and item.days and previous.kind in ("date", "weekday") and item.kind in (
                    "date", "weekday") and (RANGE_JOINER.fullmatch(between) or (
                    BETWEEN_JOINER.fullmatch(between)
                    and re.search(r"\bbetween\s+(?:the\s+)?$", self.text[:previous.start]))):
                first, last = previous.days[0], item.days[-1]
                if last < first and item.kind == "weekday":
                    last += timedelta(days=7)
                joined[-1] = _Days(previous.start, item.end, _clinic_days(first, last), "range")
                continue
            joined.append(item)
        return joined

    def around(self, item: _Days) -> _Days:
        """"after christmas" is the week after it; "before christmas" every day until it."""
        if item.kind not in ("date", "weekday") or not item.days:
            return item
        before = self.text[:item.start]
        day = item.days[0]
        if re.search(r"\b(?:after|following)\s+(?:the\s+)?$", before):
            item.days, item.kind = _clinic_days(day + timedelta(days=1), day + timedelta(days=7)), "range"
        elif re.search(r"\bbefore\s+(?:the\s+)?$", before) and day > self.today:
            item.days, item.kind = _clinic_days(self.today, day - timedelta(days=1)), "range"
        elif re.search(r"\b(?:by|until|till|up\s+to)\s+(?:the\s+)?$", before):
            item.days, item.kind = _clinic_days(self.today, day), "range"
        elif re.search(r"\bweek\s+(?:of|beginning|starting|commencing)\s+(?:the\s+)?$", before):
            monday = _monday(day)
            days = _clinic_days(monday, monday + timedelta(days=6))
            item.days, item.kind = [d for d in days if d >= self.today], "range"
        elif re.search(r"\bfrom\s+(?:the\s+)?$", before):
            item.days, item.kind = _clinic_days(day, day + timedelta(days=6)), "range"
        return item

    def groups(self) -> List[_Group]:
        """Days with the times said for them. A time said once applies to the days before it
        ("Monday or Wednesday morning"); a time said before any day, to every day."""
        self.read_days()
        self.read_times()
        days = self.resolve_days()
        groups: List[_Group] = []
        leading = _Group([self.today], implicit=True)
        for item in sorted(days + self.times, key=lambda found: found.start):  # type: ignore[operator]
            if isinstance(item, _Days):
                groups.append(_Group(item.days))
                continue
            group = groups[-1] if groups else leading
            if group.last and group.spans and not ALTERNATIVE.search(self.text[group.last.end:item.start]):
                group.spans[-1] = _intersect(group.spans[-1], item.span)
            else:
                group.spans.append(item.span)
            group.last = item
        if not groups:
            return [leading] if leading.spans else []
        carried = leading.spans
        for group in reversed(groups):
            if group.spans:
                carried = group.spans
            elif carried:
                group.spans = list(carried)
        return groups


def parse_preferred_windows(text: Optional[str], now: datetime, region: str = DEFAULT_REGION) -> List[TimeWindow]:
    """Every window in free text such as "next tuesday afternoon", "Monday or Wednesday morning",
    "anytime next week", "12/3 at 10am", "asap": alternatives are one window each and a range one
    window a clinic day, earliest first, at most MAX_WINDOWS. Empty when no day or time can be
    read; PastDateError when every time named has passed."""
    lowered = GREETING_FIRST.sub("", clean_text(text).lower())
    if not lowered or len(lowered) > MAX_FREE_TEXT:
        return []
    reader = _Reader(_fix_words(lowered), now.date(), region not in MONTH_FIRST_REGIONS)
    windows: Set[TimeWindow] = set()
    past = False
    for group in reader.groups():
        for day in group.days:
            for first, last, clock in group.spans or [(*OPENING_WINDOW, False)]:
                start, end = datetime.combine(day, first, now.tzinfo), datetime.combine(day, last, now.tzinfo)
                gone = end <= now or (clock and start <= now)
                if gone and group.implicit:  # "at 3", "afternoon" said after it: the next day
                    start, end, gone = start + timedelta(days=1), end + timedelta(days=1), False
                if gone:
                    past = True
                    continue
                if day.weekday() in reader.excluded and not group.implicit:
                    continue
                windows.add(TimeWindow(max(start, now.replace(second=0, microsecond=0)), end))
    if not windows and past:
        raise PastDateError(lowered)
    return sorted(windows, key=lambda window: (window.start, window.end))[:MAX_WINDOWS]


def parse_preferred_time(text: Optional[str], now: datetime, region: str = DEFAULT_REGION) -> Optional[TimeWindow]:
    """The earliest window of parse_preferred_windows, or None."""
    windows = parse_preferred_windows(text, now, region)
    return windows[0] if windows else None


# ----------------------------------------------------------------------------- reasons

REASONS = {
    "depression": r"depress\w*|low\s+mood|sad",
    "anxiety": r"anxi\w*|panic|worry",
    "PTSD": r"ptsd|trauma\w*|post[\s-]?traumatic",
    "pain": r"pain|fibromyalgia|migraine|crps",
    "other": r"other|something\s+else|ocd|bipolar|addiction",
}


def parse_reason(text: Optional[str]) -> Optional[str]:
    """The reasons a text names, in its order ("anxiety and depression"), or None."""
    lowered = clean_text(text).lower()
    named = sorted((found.start(), reason) for reason, pattern in REASONS.items()
                   for found in [re.search(rf"\b(?:{pattern})", lowered)] if found)
    return spoken_list([reason for _, reason in named], ", ", " and ") or None


def time_slots(text: str, now: datetime, region: str = DEFAULT_REGION) -> Dict[str, Optional[str]]:
    """The booking's time slots for the times a text offers, the text kept as written; nothing when
    it offers none or only past ones (refused at the time question itself, which says why)."""
    try:
        windows = parse_preferred_windows(text, now, region)
    except PastDateError:
        return {}
    return {"preferred_time_text": clean_text(text)[:MAX_FREE_TEXT], **window_slots(windows)} if windows else {}


def prefill_from_message(text: str, now: datetime, region: str = DEFAULT_REGION) -> Dict[str, Optional[str]]:
    """Booking details given up front ("book me for tuesday, I'm Ann"), by slot name."""
    values: Dict[str, Optional[str]] = {}
    name = find_name(text)
    if name:
        values["full_name"] = name
    contact = parse_contact(text, region)
    if contact:
        values.update(contact_slots(contact, region))
    values.update(time_slots(text, now, region))
    reason = parse_reason(text)
    if reason and reason != "other":
        values["reason"] = reason
    return values
