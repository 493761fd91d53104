"""Talking to a running assistant, as the end-to-end tests do."""

from __future__ import annotations

import asyncio
import uuid
from typing import List

import requests
import socketio

from clinic.profile import DEFAULT_PROFILE, load_profile


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
