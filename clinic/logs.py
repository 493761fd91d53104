"""One-line JSON logs (LOG_FORMAT=json) for every process, and the trace id that follows a patient's
message from the channel to the action server and the outbox.

- The channel gives each message a trace id (`new_trace_id`), sends it in the message's metadata
  (`trace_id`) and handles the message inside `traced(...)`; the action server takes it from the
  tracker's latest message, and a request stored in the outbox keeps it in its body (`trace_id`),
  so the delivery worker logs it too.
- With LOG_FORMAT=json, every handler of the process writes each record as one JSON object per
  line: time (UTC), level, logger, message, trace_id when there is one, and an exception's
  traceback as one string. The records are the code's own: none carries a patient's name, contact
  details or words at INFO level or above, and this adds nothing of theirs (the trace id is random).

It changes `logging.Handler.format` for the whole process, so that handlers Rasa, the SDK and Sanic
set up later write JSON too, and sends Python's warnings through logging. What is not logged through
Python's logging (TensorFlow's native start-up lines; TF_CPP_MIN_LOG_LEVEL=2 silences most) stays
as it is."""

from __future__ import annotations

import json
import logging
import os
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, Optional

FORMAT_ENV = "LOG_FORMAT"
TRACE_KEY = "trace_id"
_trace: ContextVar[str] = ContextVar(TRACE_KEY, default="")
_original_format = logging.Handler.format


def new_trace_id() -> str:
    return secrets.token_hex(8)


def current_trace_id() -> str:
    return _trace.get()


@contextmanager
def traced(trace_id: Optional[str]) -> Iterator[None]:
    """Log records made inside (in this task or thread) carry `trace_id`."""
    token = _trace.set(trace_id if isinstance(trace_id, str) and trace_id.isalnum() and len(trace_id) <= 64 else "")
    try:
        yield
    finally:
        _trace.reset(token)


def trace_id_of(metadata: Any) -> str:
    """The trace id in a message's metadata (or a request's body), "" if none."""
    value = metadata.get(TRACE_KEY) if isinstance(metadata, Mapping) else None
    return value if isinstance(value, str) and value.isalnum() and len(value) <= 64 else ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id = getattr(record, TRACE_KEY, "") or current_trace_id()
        if trace_id:
            entry[TRACE_KEY] = trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


JSON = JsonFormatter()


def _json_format(_handler: logging.Handler, record: logging.LogRecord) -> str:
    return JSON.format(record)


def json_wanted(environ: Optional[Mapping[str, str]] = None) -> bool:
    environ = os.environ if environ is None else environ
    value = (environ.get(FORMAT_ENV) or "").strip().lower()
    if value not in ("", "text", "json"):
        raise SystemExit(f"{FORMAT_ENV} must be 'json' or 'text' (the default), not {value!r}")
    return value == "json"


def configure(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Every log handler of this process, now and later, writes one-line JSON when LOG_FORMAT=json;
    returns whether it does."""
    if json_wanted(environ):
        logging.Handler.format = _json_format  # type: ignore[method-assign]
        logging.captureWarnings(True)  # Python's warnings as log records too, not loose lines
        return True
    logging.Handler.format = _original_format  # type: ignore[method-assign]
    logging.captureWarnings(False)
    return False
