"""Settings from a `.env` file (KEY=VALUE lines), as `make run` reads them.

The format is the common subset of docker compose and python-dotenv: `#` comments and blank
lines are skipped, `export ` before a name is allowed, one pair of matching single or double
quotes around a value is removed, and nothing is expanded (`$HOME` stays `$HOME`). A value
without quotes ends at ` #` (a comment after it).

Two rules keep a copy of .env.example harmless: a variable already set (to a non-empty value) in
the environment wins, and an empty value leaves the variable unset instead of setting it to "".
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, List, MutableMapping, Optional, Tuple

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUOTES = ("'", '"')


class EnvFileError(ValueError):
    """A line that is not KEY=VALUE."""


def parse_value(raw: str) -> Optional[str]:
    """The value after `=`, without its quotes or trailing comment; None when it is malformed."""
    raw = raw.strip()
    if raw[:1] in QUOTES:
        end = raw.find(raw[0], 1)
        rest = raw[end + 1:].strip() if end > 0 else ""
        if end < 0 or (rest and not rest.startswith("#")):
            return None
        return raw[1:end]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def parse_line(line: str) -> Optional[Tuple[str, str]]:
    """(name, value) of one line; None for a blank or comment line. Raises EnvFileError otherwise."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("export "):
        text = text[len("export "):].lstrip()
    name, equals, raw = text.partition("=")
    name = name.strip()
    value = parse_value(raw) if equals else None
    if not NAME.fullmatch(name) or value is None:
        raise EnvFileError(f"expected KEY=VALUE, got {line.strip()!r}")
    return name, value


def parse_env_text(text: str, source: str = ".env") -> Dict[str, str]:
    """Every KEY=VALUE of the text, empty values included; a later line for a name wins."""
    settings: Dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            pair = parse_line(line)
        except EnvFileError as error:
            raise EnvFileError(f"{source}, line {number}: {error}") from None
        if pair:
            settings[pair[0]] = pair[1]
    return settings


def apply_settings(settings: Dict[str, str], environ: MutableMapping[str, str]) -> List[str]:
    """Sets the non-empty settings the environment does not already set; returns their names."""
    applied = []
    for name, value in settings.items():
        if value and not environ.get(name):
            environ[name] = value
            applied.append(name)
    return applied


def load_env_file(path: Path, environ: Optional[MutableMapping[str, str]] = None) -> Optional[List[str]]:
    """Applies the file to the environment (os.environ by default): the names it set, or None
    when there is no such file."""
    if not path.is_file():
        return None
    settings = parse_env_text(path.read_text(encoding="utf-8"), str(path))
    return apply_settings(settings, os.environ if environ is None else environ)
