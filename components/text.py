"""Text and readings as the pattern-based pipeline steps see them."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from rasa.shared.nlu.constants import INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, no zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    # Zero-width characters are used to dodge filters and never carry meaning here.
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return " ".join(text.split())


def top_reading(message: Message) -> Optional[str]:
    """The first reading in the ranking other than the fallback's: what the classifier put first
    when it was unsure (or what a guard put there, if one overrode it)."""
    return next((e.get("name") for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") != "nlu_fallback"), None)
