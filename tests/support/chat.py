"""Talking to a running assistant, as the end-to-end tests do."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any, Callable, List, Optional

import requests
import socketio

from clinic.profile import DEFAULT_PROFILE, load_profile

# Wording that would claim the assistant changed the clinic's calendar itself.
CLAIMS_DONE = re.compile(r"\b(?:i'?ve|i have|has been|is now|it'?s)\s+(?:cancell?ed|moved|rescheduled|changed)\b",
                         re.IGNORECASE)

TURN_TIMEOUT = 30.0  # seconds for the server to finish handling one message


def say(assistant, sender: str, message: str) -> List[dict]:
    """One message to the REST channel; the bot's replies."""
    response = requests.post(
        assistant.rest_webhook, json={"sender": sender, "message": message}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies: List[dict]) -> List[str]:
    return [r.get("text") or "" for r in replies]


def rendered(domain: dict, response_name: str, profile=None) -> str:
    slots = (profile or load_profile(DEFAULT_PROFILE)).slot_values()
    return domain["responses"][response_name][0]["text"].format(**slots)


def opening(domain: dict, response_name: str, words: int = 5) -> str:
    """The first words of an answer: enough to recognise it, without copying wording that staff may
    rewrite into each test."""
    return " ".join(rendered(domain, response_name).split()[:words])


async def wait_until(condition: Callable[[], bool], what: str, timeout: float,
                     arrived: Callable[[], Any] = lambda: None) -> None:
    """Checks `condition` every 50 ms until it holds; after `timeout` seconds fails, naming what it
    waited for and what did arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g}s; arrived: {arrived()!r}")
        await asyncio.sleep(0.05)


class SocketChat:
    """One connection to the widget's Socket.IO channel with a confirmed session, recording every
    bot message in order of arrival.

    The end of a turn is the server's acknowledgement of the `user_uttered` event: Socket.IO sends it
    when the channel's handler returns, and the handler returns only after it has answered, dropped
    or refused the message, having awaited Rasa and every bot message sent meanwhile. The
    acknowledgement follows those messages on this connection, and the handler here records each as it
    arrives, so when `send` returns the replies to that message are all in `received`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: List[dict] = []
        self.session_id: Optional[str] = None
        self.client.on("bot_uttered", self.received.append)
        self.client.on("session_confirm", self._confirmed)

    def _confirmed(self, session_id: Any = None) -> None:
        self.session_id = session_id

    async def __aenter__(self) -> "SocketChat":
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["websocket"])
        try:
            await self.request_session(uuid.uuid4().hex)
        except BaseException:
            await self.client.disconnect()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.disconnect()

    async def request_session(self, session_id: Any, timeout: float = 10) -> None:
        """Asks for a session, as the widget does on connecting, and waits for its confirmation."""
        self.session_id = None
        await self.client.emit("session_request", {"session_id": session_id})
        await wait_until(lambda: self.session_id is not None, "the session's confirmation", timeout,
                         lambda: self.received)

    async def send(self, message: str, timeout: float = TURN_TIMEOUT) -> List[dict]:
        """One message in this session; returns every bot message that answers it."""
        return await self.handled({"message": message, "session_id": self.session_id}, timeout)

    async def handled(self, event: Any, timeout: float = TURN_TIMEOUT) -> List[dict]:
        """Emits `event` as a `user_uttered` event, well-formed or not, and waits until the server has
        finished handling it; returns the bot messages that arrived meanwhile."""
        start = len(self.received)
        try:
            await self.client.call("user_uttered", event, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            raise AssertionError(f"the server did not finish handling {str(event)[:200]!r} within {timeout:g}s; "
                                 f"arrived meanwhile: {self.received[start:]!r}") from None
        return self.received[start:]


async def converse(url: str, messages: List[str], timeout: float = TURN_TIMEOUT) -> List[List[dict]]:
    """Sends each message in one session; returns, for each, every bot message that answers it."""
    async with SocketChat(url) as chat:
        return [await chat.send(message, timeout) for message in messages]
