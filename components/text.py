"""Text and readings as the pattern-based pipeline steps see them."""

from __future__ import annotations

import unicodedata
from typing import Any, Collection, Dict, List, Optional

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def without_accents(text: str) -> str:
    """Latin letters without their accents ("chcę umrzeć" -> "chce umrzec"), so that a pattern
    matches however a phone typed them; other scripts come back as they were."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def top_reading(message: Message) -> Optional[str]:
    """The first reading in the ranking other than the fallback's: what the classifier put first
    when it was unsure (or what a guard put there, if one overrode it)."""
    return next((e.get("name") for e in message.get(INTENT_RANKING_KEY) or []
                 if e.get("name") != FALLBACK_INTENT), None)


def left_alone(message: Message, kept_intents: Collection[str], unsure_crisis_too: bool = True) -> bool:
    """Whether a guard leaves the reading as it is: a request or conversation intent, a button's
    payload, and (unless told otherwise) an unsure crisis reading, for the crisis detector that
    runs last."""
    unsure_crisis = unsure_crisis_too and top_reading(message) == "crisis"
    return ((message.get(INTENT) or {}).get("name") in kept_intents or unsure_crisis
            or (message.get(TEXT) or "").startswith("/"))


def override_reading(message: Message, intent: str, detection_key: str, detection: Dict[str, Any]) -> None:
    """Puts `intent` first with certainty, the classifier's ranking below it, and records why."""
    reading = {"name": intent, "confidence": 1.0}
    ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") != intent]
    message.set(INTENT, reading, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [reading] + ranking, add_to_output=True)
    message.set(detection_key, detection, add_to_output=True)


def hand_back(message: Message, dropped: Collection[str], threshold: float) -> None:
    """Drops readings a step did not confirm: the next reading takes their place if it is sure enough
    (at least the fallback's threshold), "did you mean" otherwise."""
    ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") not in dropped]
    if ranking and (ranking[0].get("confidence") or 0) >= threshold:
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    else:
        mark_unsure(message, threshold, ranking)


def mark_unsure(message: Message, confidence: float, ranking: List[Dict[str, Any]]) -> None:
    """Puts the fallback ("did you mean") first, as the FallbackClassifier does, the readings of
    `ranking` below it."""
    unsure = {"name": FALLBACK_INTENT, "confidence": confidence}
    message.set(INTENT, unsure, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [unsure, *ranking], add_to_output=True)
