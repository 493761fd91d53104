"""Replies that the servers send on their own when part of the assistant fails, and the log line
that goes with them. Both channels and the Rasa server launcher use these, so a patient hears the
same thing whatever broke."""

from __future__ import annotations

import logging

from clinic.profile import ProfileError, current_profile

FALLBACK_PHONE = "the clinic"
# Without a readable profile the clinic's country is unknown: no country's number is safe to give.
FALLBACK_DANGER = "call your local emergency number"


def service_problem_text() -> str:
    """Something failed on our side: say so, and give a way to reach people now."""
    try:
        profile = current_profile()
        reach = f"call us at {profile.phone} ({profile.hours})"
        danger = profile.crisis.reminder
    except ProfileError:
        reach = f"call {FALLBACK_PHONE}"
        danger = FALLBACK_DANGER
    return (
        f"Sorry, something went wrong on our side and I couldn't finish that. Please try again in a "
        f"moment, or {reach}. If you are in danger, {danger}."
    )


def log_failure(logger: logging.Logger, what: str, conversation_id: str, error: BaseException) -> None:
    """One clear line without user text: exception messages can quote it (SQL parameters do)."""
    reason = getattr(error, "orig", None) or ""
    detail = f"{type(error).__name__}" + (f" ({type(reason).__name__}: {str(reason)[:120]})" if reason else "")
    logger.error("%s failed for conversation %s: %s; the user was told to try again or call", what,
                 conversation_id, detail)
