"""The Socket.IO channel of the website chat widget.

Rasa's own socketio channel accepts connections from any web page, trusts whatever a client
sends, and (on python-socketio 5.10 and later) silently never joins the persistent session's room
because it calls `enter_room` without awaiting it. This channel keeps Rasa's protocol
(`session_request` / `session_confirm`, `user_uttered` / `bot_uttered`) and adds:

- an allow-list of web page origins (`cors_allowed_origins`; `WIDGET_ALLOWED_ORIGINS`, comma
  separated, overrides it);
- room joins that work on every python-socketio version, repeated on each message so that an
  answer never goes to a room the sender has not joined yet;
- checks on what clients send: malformed events are dropped, overlong messages get an answer,
  a message the assistant could not process gets an apology with the clinic's phone, and a burst
  beyond `max_pending_per_conversation` waiting messages gets a notice (channels/gate.py);
- the widget itself (`GET /webhooks/socketio/widget.js`) and its branding from the clinic profile
  (the `widget_config` event).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from clinic.parsing import normalise_phone
from clinic.profile import ProfileError, current_profile
from channels.gate import (BUSY_TEXT, DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_PENDING, ConversationGate, Outcome,
                           hand_over, input_limits, with_trace_id)
from clinic.replies import service_problem_text
from clinic.paths import PROJECT_ROOT

logger = logging.getLogger(__name__)

WIDGET_BUNDLE = PROJECT_ROOT / "widget" / "dist" / "clinic-chat.js"
ORIGINS_ENV_VAR = "WIDGET_ALLOWED_ORIGINS"
# Session ids are chosen by the widget (32 hex characters); anything else gets a fresh one.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def allowed_origins(configured: Optional[List[str]], environ: Optional[Dict[str, str]] = None) -> List[str]:
    """The web page origins that may connect: the environment's list, else the configured one."""
    environ = os.environ if environ is None else environ
    override = environ.get(ORIGINS_ENV_VAR, "").strip()
    origins = override.split(",") if override else list(configured or [])
    cleaned = [str(origin).strip().rstrip("/") for origin in origins if str(origin).strip()]
    if "*" in cleaned:
        raise ValueError(f"{ORIGINS_ENV_VAR}: '*' would let any web site talk to the assistant; list the origins")
    if not cleaned:
        raise ValueError(
            "the widget channel needs at least one allowed origin (cors_allowed_origins in "
            f"credentials.yml or {ORIGINS_ENV_VAR}), such as https://www.your-clinic.example"
        )
    return cleaned


def valid_session_id(candidate: Any) -> Optional[str]:
    return candidate if isinstance(candidate, str) and SESSION_ID.match(candidate) else None


def widget_branding() -> Dict[str, Any]:
    """What the widget shows before anyone types: the clinic's name and colours, the safety note
    with the crisis lines of the clinic's country, and the numbers it makes tappable in answers
    (those lines, and the clinic's own phone)."""
    try:
        profile = current_profile()
    except ProfileError as error:
        logger.error("widget branding unavailable: %s", error)
        return {}
    links = profile.crisis.link_list()
    clinic_phone = normalise_phone(profile.phone, profile.phone_region)
    if clinic_phone:
        links.append({"text": profile.phone, "href": f"tel:{clinic_phone}"})
    return {
        "clinic_name": profile.name,
        "colours": dict(profile.widget_colours),
        "safety_note": f"In an emergency call {profile.crisis.emergency}, or {profile.crisis.first_line}.",
        "phone_links": links,
    }


async def join_room(sio: AsyncServer, sid: str, room: str, namespace: Optional[str]) -> None:
    # python-socketio made enter_room a coroutine in 5.10; awaiting only when needed works on both.
    joined = sio.enter_room(sid, room, namespace=namespace)
    if inspect.isawaitable(joined):
        await joined


# What a form's question asks for (domain.yml, a response's `metadata: {input: ...}`): the widget
# fits its input's placeholder and keyboard to it.
INPUT_KINDS = frozenset({"name", "contact", "time", "reason", "insurance", "message", "choice"})


def input_hint(kwargs: Dict[Text, Any]) -> Dict[Text, Any]:
    metadata = kwargs.get("metadata")
    kind = metadata.get("input") if isinstance(metadata, dict) else None
    return {"input": kind} if kind in INPUT_KINDS else {}


class WidgetSocketIOOutput(SocketIOOutput):
    """Sends each bot message whole: Rasa splits text at blank lines into separate messages,
    which breaks a booking summary into six bubbles and detaches buttons from their question.
    A form's question carries what it asks for (`input`)."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip(), **input_hint(kwargs)})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        quick_replies = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
        ]
        await self._send_message(recipient_id, {"text": text.strip(), "quick_replies": quick_replies,
                                                **input_hint(kwargs)})


class WidgetSocketIOInput(SocketIOInput):
    """Rasa's socketio channel with origin checks, safe room joins and input checks."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WidgetSocketIOInput":
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            session_persistence=bool(credentials.get("session_persistence", False)),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            metadata_key=credentials.get("metadata_key", "metadata"),
            cors_allowed_origins=allowed_origins(credentials.get("cors_allowed_origins")),
            **input_limits(credentials),
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        namespace: Optional[Text] = None,
        session_persistence: bool = False,
        socketio_path: Optional[Text] = "/socket.io",
        metadata_key: Optional[Text] = "metadata",
        cors_allowed_origins: Optional[List[str]] = None,
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        super().__init__(
            user_message_evt, bot_message_evt, namespace, session_persistence, socketio_path,
            metadata_key=metadata_key,
        )
        self.cors_allowed_origins = cors_allowed_origins or allowed_origins(None)
        self.max_message_length = max_message_length
        self.gate = ConversationGate(max_pending, channel=self.name())

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WidgetSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)
        self.sio = sio
        blueprint = SocketBlueprint(sio, self.socketio_path, "widget_socketio_webhook", __name__)
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/widget.js", methods=["GET"])
        async def widget_script(_: Request) -> HTTPResponse:
            if not WIDGET_BUNDLE.exists():
                return response.json({"error": "the widget is not built; run `make widget`"}, status=503)
            return await response.file(
                WIDGET_BUNDLE,
                mime_type="application/javascript; charset=utf-8",
                headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
            )

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            logger.debug("widget client %s connected", sid)
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text) -> None:
            logger.debug("widget client %s disconnected", sid)

        @sio.on("widget_config", namespace=namespace)
        async def widget_config(sid: Text, _: Any = None) -> Dict[str, Any]:
            return widget_branding()

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            requested = valid_session_id(data.get("session_id")) if isinstance(data, dict) else None
            session_id = requested or uuid.uuid4().hex
            if self.session_persistence:
                await join_room(sio, sid, session_id, namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def reply(room: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=room, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("widget client %s sent a malformed %s event; dropped", sid, self.user_message_evt)
                return
            if self.session_persistence:
                sender_id = valid_session_id(data.get("session_id"))
                if sender_id is None:
                    logger.warning("widget client %s sent a message without a valid session id; dropped", sid)
                    return
                await join_room(sio, sid, sender_id, namespace)
            else:
                sender_id = sid
            text = data["message"]
            if not text.strip():
                return
            if len(text) > self.max_message_length:
                await reply(sender_id, f"That message is too long for me. Please keep it to "
                                       f"{self.max_message_length} characters or fewer.")
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            def message() -> UserMessage:
                return UserMessage(text, WidgetSocketIOOutput(sio, self.bot_message_evt), sender_id,
                                   input_channel=self.name(),
                                   metadata=with_trace_id(metadata if isinstance(metadata, dict) else {}))

            outcome = await self.gate.handle(sender_id, lambda: hand_over(on_new_message, message()),
                                             "handling a widget message")
            if outcome is Outcome.BUSY:
                await reply(sender_id, BUSY_TEXT)
            elif outcome is Outcome.FAILED:
                await reply(sender_id, service_problem_text())

        return blueprint
