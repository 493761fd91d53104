"""Text as the pattern-based pipeline steps read it."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, no zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    # Zero-width characters are used to dodge filters and never carry meaning here.
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return " ".join(text.split())
