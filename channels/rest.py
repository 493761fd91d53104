"""The REST channel, hardened. Rasa's own files every message without a `sender` under one shared
conversation ("default"), answers a body it cannot read with a 500, and returns an empty list when
handling fails. This one keeps the same URL and reply format
(POST /webhooks/rest/webhook {"sender": "...", "message": "..."} -> [{"recipient_id", "text", ...}])
and answers:

- 400 with {"error": "..."} for a body that is not a JSON object, a missing or malformed `sender`,
  a `message` that is not text or is empty, or `metadata` that is not an object;
- 413 for a message longer than `max_message_length` characters (or a body over 64 KiB);
- 429 when the conversation already has `max_pending_per_conversation` messages waiting
  (channels/gate.py);
- 503 with {"error": "...", "messages": [apology]} when the assistant could not process the
  message (its conversation store is down, say), after a log line that says so.

GET /webhooks/rest/ready is the Rasa server's readiness: 200 once the model is loaded and while the
conversation store answers, 503 with the reason otherwise (`GET /` is its liveness). The same
check answers /readyz on RASA_METRICS_PORT (tools/rasa_server.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.gate import (BUSY_TEXT, DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_PENDING, ConversationGate, Outcome,
                           hand_over, input_limits, with_trace_id)
from clinic.replies import service_problem_text

MAX_BODY_BYTES = 64 * 1024
# Printable, no whitespace other than inner spaces: the sender id names a conversation in logs
# and in the tracker store. Unicode control, format (zero-width, direction overrides) and line or
# paragraph separator characters are refused too (is_printable_id).
SENDER = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
NOT_PRINTABLE = {"Cc", "Cf", "Zl", "Zp"}


def is_printable_id(sender: str) -> bool:
    return bool(SENDER.match(sender)) and not any(unicodedata.category(ch) in NOT_PRINTABLE for ch in sender)


# The Sanic app serving the channels, once it has started: the readiness check reads its agent.
SERVING: Dict[str, Any] = {}


def assistant_ready() -> Tuple[bool, str]:
    """Whether the Rasa server can answer now: its model loaded and its conversation store
    reachable (the project's store checks itself; Rasa wraps it, hence the unwrapping)."""
    app = SERVING.get("app")
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None or not agent.is_ready():
        return False, "the model is not loaded yet"
    store = agent.tracker_store
    while not hasattr(store, "reachable") and hasattr(store, "_tracker_store"):
        store = store._tracker_store
    check = getattr(store, "reachable", None)
    return check() if check else (True, "ready")


class RequestError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_request(body: bytes, max_message_length: int) -> Dict[str, Any]:
    """The sender, message and metadata of a webhook body, or a RequestError saying what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(413, f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        raise RequestError(400, 'the body must be JSON (UTF-8): {"sender": "...", "message": "..."}') from None
    if not isinstance(data, dict):
        raise RequestError(400, 'the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise RequestError(400, "'sender' is required: a text id of the conversation, one per visitor")
    if not is_printable_id(sender) or sender != sender.strip():
        raise RequestError(400, "'sender' must be 1 to 128 printable characters without surrounding spaces")
    message = data.get("message")
    if not isinstance(message, str):
        raise RequestError(400, "'message' is required and must be text")
    if len(message) > max_message_length:
        raise RequestError(413, f"'message' is longer than {max_message_length} characters")
    if not message.strip():
        raise RequestError(400, "'message' is empty")
    metadata = {} if data.get("metadata") is None else data["metadata"]
    if not isinstance(metadata, dict):
        raise RequestError(400, "'metadata' must be a JSON object")
    return {"sender": sender, "message": message, "metadata": metadata}


class HardenedRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "HardenedRestInput":
        return cls(**input_limits(credentials or {}))

    def __init__(self, max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.max_message_length = max_message_length
        self.gate = ConversationGate(max_pending, channel=self.name())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("hardened_rest_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.listener("after_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            SERVING["app"] = app

        @blueprint.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            SERVING.setdefault("app", request.app)
            ok, why = await asyncio.get_running_loop().run_in_executor(None, assistant_ready)
            return response.json({"ready": ok, "status": why}, status=200 if ok else 503)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                parsed = read_request(request.body or b"", self.max_message_length)
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            collector = CollectingOutputChannel()

            def message() -> UserMessage:
                return UserMessage(parsed["message"], collector, parsed["sender"],
                                   input_channel=self.name(), metadata=with_trace_id(parsed["metadata"]))

            outcome = await self.gate.handle(parsed["sender"], lambda: hand_over(on_new_message, message()),
                                             "handling a REST message")
            if outcome is Outcome.BUSY:
                return response.json({"error": BUSY_TEXT}, status=429)
            if outcome is Outcome.FAILED:
                apology = {"recipient_id": parsed["sender"], "text": service_problem_text()}
                return response.json(
                    {"error": "the assistant could not process this message; it was not recorded",
                     "messages": [apology]},
                    status=503,
                )
            return response.json(collector.messages)

        return blueprint
