"""Crisis and emergency lines for the clinic's country, from one table (clinic/crisis_lines.yml).

Every response that names a crisis number reads it from the `clinic_crisis_*` and
`clinic_emergency_number` slots built here, so the crisis answer, the check-in, the reminders and
the error replies agree, and a clinic in the United Kingdom never shows a US number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from clinic.paths import PROJECT_ROOT

CRISIS_LINES_FILE = PROJECT_ROOT / "clinic" / "crisis_lines.yml"
LINK_SCHEMES = ("tel:", "sms:")
CHECKED_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CrisisLinesError(ValueError):
    """The table is malformed, or has no entry for the clinic's country."""


@dataclass(frozen=True)
class CrisisLines:
    country: str
    emergency: str
    first_line: str
    lines: Tuple[str, ...]
    # (text as it appears in a line, tel:/sms: address) for the widget's tappable numbers.
    links: Tuple[Tuple[str, str], ...]

    @property
    def listed(self) -> str:
        """The crisis answer's list, one per line: the emergency number first (danger now comes
        before anything else), then every crisis line."""
        danger = (f"If you or someone else is in immediate danger, call {self.emergency} or go to the "
                  f"nearest emergency department.")
        return "\n".join(f"- {line}" for line in (danger, *self.lines))

    @property
    def reminder(self) -> str:
        """The short form the other answers end with, danger first: "call 911, or call or text 988"."""
        return f"call {self.emergency}, or {self.first_line}"

    def link_list(self) -> List[Dict[str, str]]:
        """The numbers the widget makes tappable, the emergency number first."""
        emergency = {"text": self.emergency, "href": f"tel:{self.emergency}"}
        return [emergency] + [{"text": text, "href": href} for text, href in self.links]


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CrisisLinesError(f"{where}: '{key}' must be a non-empty text")
    return " ".join(value.split())


def parse_country(country: str, entry: object, source: Path) -> CrisisLines:
    where = f"{source.name}, {country}"
    if not isinstance(entry, dict):
        raise CrisisLinesError(f"{where}: expected emergency, first_line, lines, source and checked")
    if not CHECKED_DATE.match(str(entry.get("checked", ""))):
        raise CrisisLinesError(f"{where}: 'checked' must be the date the numbers were checked, YYYY-MM-DD")
    _text(entry, "source", where)
    raw_lines = entry.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise CrisisLinesError(f"{where}: 'lines' must list at least one crisis line")
    lines, links = [], []
    for number, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, dict):
            raise CrisisLinesError(f"{where}, line {number}: expected 'says' and 'links'")
        says = _text(raw, "says", f"{where}, line {number}")
        for link in raw.get("links") or []:
            text, href = str(link.get("text", "")), str(link.get("href", ""))
            if not text or text not in says:
                raise CrisisLinesError(f"{where}, line {number}: link text {text!r} is not in what the line says")
            if not href.startswith(LINK_SCHEMES):
                raise CrisisLinesError(f"{where}, line {number}: link {href!r} must start with tel: or sms:")
            links.append((text, href))
        lines.append(says)
    return CrisisLines(country, _text(entry, "emergency", where), _text(entry, "first_line", where),
                       tuple(lines), tuple(links))


@lru_cache(maxsize=4)
def crisis_table(path: Path = CRISIS_LINES_FILE) -> Dict[str, CrisisLines]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CrisisLinesError(f"cannot read the crisis lines table {path}: {error}") from error
    if not isinstance(raw, dict):
        raise CrisisLinesError(f"{path}: expected countries (US, GB, ...) as keys")
    return {str(country): parse_country(str(country), entry, path) for country, entry in raw.items()}


def crisis_lines_for(country: str, path: Path = CRISIS_LINES_FILE) -> CrisisLines:
    table = crisis_table(path)
    if country not in table:
        raise CrisisLinesError(f"{path.name} has no crisis lines for the clinic's country {country!r} (it has "
                               f"{', '.join(sorted(table))}); add them, checked against the services' own "
                               f"pages, with the date")
    return table[country]
