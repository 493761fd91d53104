"""End to end over Socket.IO (the website widget's channel), against the real servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import List

import socketio


async def converse(url: str, messages: List[str], settle: float = 1.5) -> List[List[dict]]:
    """Send each message in one session; collect the bot messages that answer each."""
    client = socketio.AsyncClient(reconnection=False)
    received: List[dict] = []
    confirmed = asyncio.Event()
    client.on("bot_uttered", lambda data: received.append(data))
    client.on("session_confirm", lambda *_: confirmed.set())
    session_id = uuid.uuid4().hex
    await client.connect(url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        answers = []
        for message in messages:
            start = len(received)
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            deadline = asyncio.get_running_loop().time() + 20
            # Wait for the first reply, then a short quiet period for any that follow.
            while len(received) == start and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(settle)
            answers.append(received[start:])
        return answers
    finally:
        await client.disconnect()


def test_crisis_answer_reaches_the_socketio_channel(assistant):
    [replies] = asyncio.run(converse(assistant.rasa_url, ["i don't want to be alive anymore"]))
    text = " ".join(r.get("text", "") for r in replies)
    for resource in ("988", "741741", "911"):
        assert resource in text


def test_faq_and_buttons_over_socketio(assistant, domain):
    [replies] = asyncio.run(converse(assistant.rasa_url, ["is ketamine therapy safe?"]))
    answer = next(r for r in replies if r.get("text", "").startswith("Ketamine therapy is generally safe"))
    assert answer.get("quick_replies") or answer.get("buttons")
