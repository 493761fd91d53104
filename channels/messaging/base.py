"""What the messaging channels share: verify the platform's signature (403 otherwise), read the
messages out of its webhook, answer within its length limit, and show buttons as numbered options
where it has none ("2" then picks the second option of the last message)."""

from __future__ import annotations

import asyncio
import logging
import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.gate import BUSY_TEXT, ConversationGate, Outcome, hand_over, with_trace_id
from clinic.replies import service_problem_text

logger = logging.getLogger(__name__)

BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
NUMBERED_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
API_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass
class Incoming:
    sender: str  # the platform's id of the person (or chat) to answer
    text: str


def split_text(text: str, limit: int) -> List[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line, sentence or word ends."""
    text = text.strip()
    pieces: List[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        # The strongest break in the second half of the window; a hard cut only without spaces.
        cut = next((window.rfind(mark) + len(mark) for mark in BREAKS if window.rfind(mark) > limit // 2), 0)
        if cut <= 0:
            space = window.rfind(" ")
            cut = space + 1 if space > 0 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    return pieces + ([text] if text else [])


def numbered_options(text: str, buttons: List[Dict[str, Any]]) -> str:
    options = "\n".join(f"{number}. {button['title']}" for number, button in enumerate(buttons, start=1))
    return f"{text.strip()}\n\nReply with a number:\n{options}"


def last_buttons(events: List[Any]) -> List[Dict[str, Any]]:
    """The buttons of the assistant's last message, if it had any."""
    for event in reversed(events):
        if isinstance(event, BotUttered):
            return list(event.data.get("buttons") or [])
    return []


def picked_button(text: str, buttons: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The button a reply such as "2" (or "2.", " 2) ") picks among numbered options; None for any
    other text, or a number with no option."""
    found = NUMBERED_REPLY.match(text)
    number = int(found.group(1)) if found else 0
    return buttons[number - 1] if 1 <= number <= len(buttons) else None


class MessagingOutput(OutputChannel):
    """Answers through the platform's API, shaped by the channel's limits."""

    def __init__(self, channel: "MessagingInput") -> None:
        self.channel = channel

    def name(self) -> Text:  # type: ignore[override]
        return self.channel.name()

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for piece in split_text(text, self.channel.max_length):
            await self.channel.deliver(self.channel.platform_id(recipient_id), piece, [])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        platform_id = self.channel.platform_id(recipient_id)
        if not self.channel.native_buttons(buttons):
            for piece in split_text(numbered_options(text, buttons), self.channel.max_length):
                await self.channel.deliver(platform_id, piece, [])
            return
        pieces = split_text(text, self.channel.max_length) or [""]
        for piece in pieces[:-1]:
            await self.channel.deliver(platform_id, piece, [])
        await self.channel.deliver(platform_id, pieces[-1], buttons)


class MessagingInput(InputChannel):
    """A platform's webhook at /webhooks/<name>/webhook."""

    channel_name: str = ""
    max_length: int = 1600
    # Whether the platform shows buttons at all; `native_buttons` may refuse a particular set.
    has_buttons: bool = False

    @classmethod
    def name(cls) -> Text:
        return cls.channel_name

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.gate = ConversationGate(channel=self.name())
        # The event loop holds tasks only weakly: calls running beside the handling are kept here.
        self.calls_in_flight: Set["asyncio.Task[None]"] = set()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "MessagingInput":
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(**{key: str(value) for key, value in credentials.items() if value is not None})

    def native_buttons(self, buttons: List[Dict[str, Any]]) -> bool:
        return self.has_buttons

    def conversation_id(self, platform_id: str) -> str:
        # Conversations of different channels never share an id.
        return f"{self.name()}:{platform_id}"

    def platform_id(self, conversation_id: str) -> str:
        return conversation_id.split(":", 1)[1] if conversation_id.startswith(f"{self.name()}:") else conversation_id

    @abstractmethod
    def is_authentic(self, request: Request) -> bool:
        """Whether the request carries the platform's valid signature (or secret)."""

    @abstractmethod
    def incoming(self, request: Request) -> List[Incoming]:
        """The messages in a verified webhook request (none for events that are not messages)."""

    @abstractmethod
    async def deliver(self, platform_id: str, text: str, buttons: List[Dict[str, Any]]) -> None:
        """Sends one message (with buttons, when the platform shows them) through its API."""

    def handshake(self, request: Request) -> HTTPResponse:
        """A GET on the webhook (a platform's subscription check)."""
        return response.json({"error": "use POST"}, status=405)

    async def early_answer(self, request: Request) -> Optional[HTTPResponse]:
        """An answer the platform expects instead of message handling (Slack's URL check, or a
        retry of an event already handled)."""
        return None

    def acknowledge_on_platform(self, request: Request) -> Optional[Awaitable[None]]:
        """The API call, if the platform wants one, that acknowledges a verified request apart
        from the webhook's HTTP answer (Telegram's answerCallbackQuery). None by default."""
        return None

    def run_beside(self, call: Awaitable[None]) -> None:
        """Runs an acknowledgement beside the message handling: it does not delay the answer and,
        failing, does not stop it."""
        task = asyncio.create_task(self.await_logging_failure(call))
        self.calls_in_flight.add(task)
        task.add_done_callback(self.calls_in_flight.discard)

    async def await_logging_failure(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as error:  # noqa: BLE001 (the message is handled whatever this call met)
            # The exception's text is left out: aiohttp's quotes the URL, which can hold a token.
            status = getattr(error, "status", None)
            logger.error("%s API: acknowledging a request failed (%s%s)", self.name(), type(error).__name__,
                         f" {status}" if status else "")

    def acknowledgement(self) -> HTTPResponse:
        return response.json({"status": "received"})

    async def post_json(self, url: str, payload: Dict[str, Any], headers: Optional[Dict[str, str]] = None,
                        auth: Optional[aiohttp.BasicAuth] = None, form: bool = False,
                        log_errors: bool = True) -> None:
        """POSTs to the platform's API; an error status raises (and is logged, unless the caller
        logs failures itself)."""
        async with aiohttp.ClientSession(timeout=API_TIMEOUT) as session:
            send = {"data": payload} if form else {"json": payload}
            async with session.post(url, headers=headers, auth=auth, **send) as answer:
                if answer.status >= 300:
                    if log_errors:
                        logger.error("%s API answered %s when sending a message", self.name(), answer.status)
                    answer.raise_for_status()

    async def resolve_numbered_reply(self, request: Request, conversation_id: str, text: str) -> str:
        """"2" after numbered options means the second option's payload."""
        if self.has_buttons or not NUMBERED_REPLY.match(text):
            return text
        tracker = await request.app.ctx.agent.tracker_store.retrieve(conversation_id)
        picked = picked_button(text, last_buttons(list(tracker.events)) if tracker else [])
        return picked["payload"] if picked else text

    def get_output_channel(self) -> OutputChannel:
        return MessagingOutput(self)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            return self.handshake(request)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.is_authentic(request):
                logger.warning("%s webhook: request without a valid signature refused", self.name())
                return response.json({"error": "invalid or missing signature"}, status=403)
            platform_acknowledgement = self.acknowledge_on_platform(request)
            if platform_acknowledgement is not None:
                self.run_beside(platform_acknowledgement)
            early = await self.early_answer(request)
            if early is not None:
                return early
            try:
                messages = self.incoming(request)
            except (ValueError, KeyError, TypeError, AttributeError):
                return response.json({"error": "unreadable webhook body"}, status=400)
            output = self.get_output_channel()
            for message in messages:
                conversation = self.conversation_id(message.sender)

                async def resolve_and_hand_over(conversation: str = conversation, typed: str = message.text) -> None:
                    text = await self.resolve_numbered_reply(request, conversation, typed)
                    await hand_over(on_new_message, UserMessage(text, output, conversation, input_channel=self.name(),
                                                     metadata=with_trace_id(None)))

                outcome = await self.gate.handle(conversation, resolve_and_hand_over,
                                                 f"handling a {self.name()} message")
                if outcome is Outcome.BUSY:
                    await output.send_text_message(conversation, BUSY_TEXT)
                elif outcome is Outcome.FAILED:
                    try:
                        await output.send_text_message(conversation, service_problem_text())
                    except Exception:  # noqa: BLE001 (the platform itself is unreachable)
                        pass
            return self.acknowledgement()

        return blueprint
