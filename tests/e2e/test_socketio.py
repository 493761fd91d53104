"""End to end over Socket.IO (the website widget's channel), against the real servers."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

import socketio

from tests.support.chat import SocketChat, converse, opening

TOO_LONG = "That message is too long for me. Please keep it to 2000 characters or fewer."


def test_crisis_answer_reaches_the_socketio_channel(assistant):
    [replies] = asyncio.run(converse(assistant.rasa_url, ["i don't want to be alive anymore"]))
    text = " ".join(r.get("text", "") for r in replies)
    for resource in ("988", "741741", "911"):
        assert resource in text


def test_faq_and_buttons_over_socketio(assistant, domain):
    [replies] = asyncio.run(converse(assistant.rasa_url, ["is ketamine therapy safe?"]))
    answer = next(r for r in replies if r.get("text", "").startswith(opening(domain, "utter_ask_safety")))
    assert answer.get("quick_replies") or answer.get("buttons")


async def connect_from(url: str, origin: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, socketio_path="/socket.io", transports=["websocket"], headers={"Origin": origin})
    return client


def test_only_allowed_web_pages_may_connect(assistant, demo_port):
    async def attempt(origin: str) -> bool:
        try:
            client = await connect_from(assistant.rasa_url, origin)
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    assert asyncio.run(attempt(f"http://127.0.0.1:{demo_port}")) is True
    assert asyncio.run(attempt("https://evil.example")) is False
    assert asyncio.run(attempt(f"http://127.0.0.1:{demo_port + 1}")) is False


def test_widget_asks_for_the_clinics_branding(assistant):
    async def ask() -> dict:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(assistant.rasa_url, socketio_path="/socket.io", transports=["websocket"])
        try:
            return await client.call("widget_config", None, timeout=10)
        finally:
            await client.disconnect()

    assert asyncio.run(ask()) == {
        "clinic_name": "Demo Ketamine Clinic (sample profile)",
        "colours": {"primary": "#0b5d66", "on_primary": "#ffffff"},
        "safety_note": "In an emergency call 911, or call or text 988.",
        # The numbers the widget makes tappable: the US crisis lines and the clinic's phone.
        "phone_links": [{"text": "911", "href": "tel:911"}, {"text": "988", "href": "tel:988"},
                        {"text": "741741", "href": "sms:741741?body=HOME"},
                        {"text": "(202) 555-0123", "href": "tel:+12025550123"}],
    }


def test_widget_script_is_served_by_the_assistant(assistant):
    import requests

    response = requests.get(f"{assistant.rasa_url}/webhooks/socketio/widget.js", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert "window.ClinicChat" in response.text and "Socket.IO" in response.text


def test_malformed_and_overlong_messages_are_handled_and_the_server_keeps_answering(assistant, domain):
    async def run() -> Tuple[List[List[dict]], List[dict], List[dict], List[dict]]:
        async with SocketChat(assistant.rasa_url) as chat:
            session_id = chat.session_id
            # Each is handled once the server acknowledges it: any reply would have arrived by then.
            dropped = [await chat.handled(bad) for bad in (
                "a bare string", [1, 2], {"message": 5, "session_id": session_id}, {"message": "is it safe?"},
                {"message": "is it safe?", "session_id": "../../x"}, {"message": "   ", "session_id": session_id},
                None)]
            too_long = await chat.send("x" * 2001)
            # A marker: the conversation's replies come in order, so a late reply to anything above
            # would arrive before the marker's answer.
            answer = await chat.send("is ketamine therapy safe?")
            return dropped, too_long, answer, chat.received

    dropped, too_long, answer, received = asyncio.run(run())
    assert dropped == [[]] * 7
    assert [r["text"] for r in too_long] == [TOO_LONG]
    assert any(r.get("text", "").startswith(opening(domain, "utter_ask_safety")) for r in answer), answer
    assert received == too_long + answer
