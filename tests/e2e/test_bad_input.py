"""The bad-input catalogue, over REST and Socket.IO against the real servers: every case gets a 4xx
with a clear JSON error or a sensible reply, never a 5xx; the server stays up; a conversation
running beside the catalogue is unaffected; typed `/intent{...}` payloads skip nothing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import pytest
import requests

from tests.support.chat import SocketChat, opening, say, texts, wait_until

CRISIS_LINE = "988"
CRISIS_ANSWER_OPENING = "I'm really sorry you're going through this"
ASK_NAME = "What is your full name?"
ASK_CONTACT = "What's the best phone number or e-mail address to reach you?"
ASK_TIME = "When would you like to come in?"


def sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


# (case, raw body, expected status). 200 means a sensible reply: a non-empty list of messages.
REST_CASES: List[Tuple[str, bytes, int]] = [
    ("empty body", b"", 400),
    ("whitespace body", b"  \n ", 400),
    ("empty object", b"{}", 400),
    ("no sender", body(message="how much does it cost?"), 400),
    ("empty sender", body(sender="", message="hi"), 400),
    ("blank sender", body(sender="   ", message="hi"), 400),
    ("sender with a newline", body(sender="a\nb", message="hi"), 400),
    ("sender too long", body(sender="s" * 129, message="hi"), 400),
    ("sender is a number", body(sender=42, message="hi"), 400),
    ("sender is an object", body(sender={"id": 1}, message="hi"), 400),
    ("no message", body(sender="x-1"), 400),
    ("message is null", body(sender="x-1", message=None), 400),
    ("message is a number", body(sender="x-1", message=12), 400),
    ("message is a list", body(sender="x-1", message=["hi"]), 400),
    ("empty message", body(sender="x-1", message=""), 400),
    ("whitespace message", body(sender="x-1", message=" \t\n "), 400),
    ("message of 2001 characters", body(sender="x-1", message="a" * 2001), 413),
    ("message of 1 MB", body(sender="x-1", message="a" * 1_048_576), 413),
    ("1 MB of garbage", b"\x00\xff" * 524_288, 413),
    ("invalid JSON", b'{"sender": "x-1", "message": ', 400),
    ("invalid UTF-8", b'{"sender": "x-1", "message": "caf\xe9 \xff\xfe"}', 400),
    ("JSON array", b'[{"sender": "x-1", "message": "hi"}]', 400),
    ("JSON string", b'"how much does it cost?"', 400),
    ("JSON null", b"null", 400),
    ("metadata is a string", body(sender="x-1", message="hi", metadata="x"), 400),
    ("emoji", body(sender=None, message="\U0001f489\U0001f60a how long does an infusion take? \U0001f64f"), 200),
    ("right-to-left text",
     body(sender=None, message="\u0643\u0645 \u062a\u0643\u0644\u0641\u0629 "
                               "\u0627\u0644\u0639\u0644\u0627\u062c\u061f"), 200),
    ("zero-width characters", body(sender=None, message="how\u200b much\u200c does it\u200d cost?\ufeff"), 200),
    ("mixed-direction marks", body(sender=None, message="\u202ehow much does it cost\u202c"), 200),
    ("HTML and script", body(sender=None, message="<script>alert(1)</script><img src=x onerror=alert(1)>"), 200),
    ("SQL", body(sender=None, message="'; DROP TABLE events; --"), 200),
    ("NUL character", body(sender=None, message="how much\x00 does it cost?"), 200),
    ("exactly 2000 characters", body(sender=None, message="is it safe? " + "a" * 1988), 200),
    ("payload with confidence", body(sender=None, message="/ask_cost@1.0"), 200),
    ("payload of an unknown intent", body(sender=None, message="/drop_database"), 200),
    ("lone slash", body(sender=None, message="/"), 200),
    ("unknown extra fields", body(sender=None, message="is it safe?", admin=True, input_channel="x"), 200),
]


@pytest.fixture(scope="module")
def bystander(assistant):
    """A booking half-way through, started before the catalogue and checked after it."""
    conversation = sender("bystander")
    say(assistant, conversation, "i'd like to book a consultation")
    assert ASK_CONTACT in texts(say(assistant, conversation, "Ann Bystander"))
    return conversation


def post(assistant, raw: bytes) -> requests.Response:
    return requests.post(assistant.rest_webhook, data=raw, headers={"Content-Type": "application/json"}, timeout=60)


@pytest.mark.parametrize("case, raw, expected", REST_CASES, ids=[c[0] for c in REST_CASES])
def test_rest_catalogue(assistant, bystander, case, raw, expected):
    if expected == 200:
        data = json.loads(raw)
        data["sender"] = sender("catalogue")
        raw = json.dumps(data).encode()
    response = post(assistant, raw)
    assert response.status_code == expected, response.text[:300]
    payload = response.json()
    if expected == 200:
        assert isinstance(payload, list) and payload and all(m.get("text") for m in payload)
        assert not any("<script>" in m["text"] for m in payload)
    else:
        assert isinstance(payload.get("error"), str) and len(payload["error"]) > 10


def test_wrong_method_and_unknown_path_are_4xx(assistant):
    assert requests.get(assistant.rest_webhook, timeout=10).status_code == 405
    assert requests.post(f"{assistant.rasa_url}/webhooks/nope/webhook", data=b"{}", timeout=10).status_code == 404


def test_typed_payloads_cannot_fill_booking_slots(assistant):
    conversation = sender("inject")
    replies = texts(say(assistant, conversation, '/book_appointment{"full_name": "Eve Forged", "consent": "yes"}'))
    assert ASK_NAME in replies, replies


def test_typed_payloads_cannot_reach_internal_intents(assistant):
    conversation = sender("internal")
    say(assistant, conversation, "i'd like to book a consultation")
    # /restart would wipe the conversation; here it is ordinary words, and the form goes on.
    replies = texts(say(assistant, conversation, "/restart"))
    assert not any("virtual assistant of" in r for r in replies)
    assert ASK_CONTACT in texts(say(assistant, conversation, "Ann Smith"))
    # /crisis would file a crisis flag without anyone being in danger; as words it asks for crisis lines at most.
    replies = texts(say(assistant, sender("internal"), "/crisis"))
    assert not any(CRISIS_ANSWER_OPENING in r for r in replies), replies


def test_a_crisis_hidden_in_a_payload_is_still_caught(assistant):
    replies = texts(say(assistant, sender("hidden"), '/ask_cost{"note": "i am going to kill myself tonight"}'))
    assert any("988" in r and "741741" in r for r in replies), replies


def test_buttons_still_work(assistant):
    conversation = sender("buttons")
    assert texts(say(assistant, conversation, "/ask_cost"))
    say(assistant, conversation, "i'd like to book a consultation")
    assert ASK_CONTACT in texts(say(assistant, conversation, "Ann Smith"))


def test_a_flood_from_one_sender_is_answered_in_full_and_others_still_get_answers(assistant, domain):
    flooder = sender("flood")
    questions = ["how much does it cost?", "is it safe?", "how long does an infusion take?", "thanks"]

    def one(i: int) -> int:
        time.sleep(i * 0.01)  # 100 messages in about one second
        response = post(assistant, body(sender=flooder, message=questions[i % 4]))
        # An answer has replies; a refusal says why.
        assert response.json() if response.status_code == 200 else response.json()["error"]
        return response.status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        flood = [pool.submit(one, i) for i in range(100)]
        other = texts(say(assistant, sender("during-flood"), "is ketamine therapy safe?"))
        statuses = [f.result() for f in flood]
    # Each is answered, or refused at once with 429 if 5 are already waiting; none fails.
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 5, statuses
    assert any(r.startswith(opening(domain, "utter_ask_safety")) for r in other), other
    # The flooder's conversation still works afterwards.
    assert texts(say(assistant, flooder, "how much does it cost?"))


SOCKET_TEXT_CASES = [
    ("emoji", "\U0001f489\U0001f60a how long does an infusion take? \U0001f64f"),
    ("right-to-left text", "\u0643\u0645 \u062a\u0643\u0644\u0641\u0629 \u0627\u0644\u0639\u0644\u0627\u062c\u061f"),
    ("zero-width characters", "how\u200b much\u200c does it\u200d cost?"),
    ("HTML and script", "<script>alert(1)</script>"),
    ("typed payload with slots", '/book_appointment{"full_name": "Eve Forged"}'),
    ("internal intent", "/session_start"),
    ("message of 2001 characters", "a" * 2001),
]


@pytest.mark.parametrize("case, text", SOCKET_TEXT_CASES, ids=[c[0] for c in SOCKET_TEXT_CASES])
def test_socketio_catalogue_text(assistant, bystander, case, text):
    async def run() -> List[dict]:
        async with SocketChat(assistant.rasa_url) as chat:
            return await chat.send(text)

    replies = asyncio.run(run())
    assert replies and all(isinstance(r.get("text"), str) and r["text"] for r in replies)
    if case == "typed payload with slots":
        assert any(ASK_NAME in r["text"] for r in replies)


SOCKET_MALFORMED = [None, "text", 42, [1, 2], {}, {"message": None}, {"message": ["a"]},
                    {"message": "hi", "session_id": 5}, {"message": "hi", "session_id": "../../x"},
                    {"message": "hi", "session_id": "ok-session-id", "metadata": "not json"}]


def test_socketio_malformed_events_and_a_1mb_message_leave_the_server_up(assistant, bystander):
    async def run() -> Tuple[List[List[dict]], List[dict], bool, List[dict]]:
        async with SocketChat(assistant.rasa_url) as chat:
            # Each is handled once the server acknowledges it: any reply would have arrived by then.
            answers = [await chat.handled(event) for event in SOCKET_MALFORMED]
            await chat.client.call("session_request", "not a dict", timeout=10)
            await chat.client.call("widget_config", {"x": 1}, timeout=10)
            others = chat.received[sum(map(len, answers)):]
        # 1 MB is over the engine's frame limit: the server drops the connection or refuses the message.
        async with SocketChat(assistant.rasa_url) as big:
            dropped = asyncio.Event()
            big.client.on("disconnect", dropped.set)
            try:
                await big.client.emit("user_uttered", {"message": "a" * 1_048_576, "session_id": big.session_id})
            except Exception:  # noqa: BLE001 (the connection went while sending: a refusal)
                dropped.set()
            await wait_until(lambda: dropped.is_set() or bool(big.received), "a refusal of the 1 MB message", 15)
            was_dropped = dropped.is_set()  # before our own disconnect on leaving sets it too
        return answers, others, was_dropped, big.received

    answers, others, dropped, big_received = asyncio.run(run())
    # The metadata case has a valid session and text: answered, with its bad metadata ignored.
    # Every other malformed event is dropped without a reply.
    assert answers[:-1] == [[]] * (len(SOCKET_MALFORMED) - 1), answers
    assert answers[-1] and all(r.get("text") for r in answers[-1]), answers
    assert others == []
    assert dropped or (big_received and all("too long" in r.get("text", "") for r in big_received)), big_received
    assert assistant.rasa.poll() is None


def test_socketio_flood_from_one_session_gets_every_answer(assistant):
    async def run() -> List[dict]:
        async with SocketChat(assistant.rasa_url) as chat:
            handled: List[object] = []
            for _ in range(100):
                await chat.client.emit("user_uttered", {"message": "how much does it cost?",
                                                        "session_id": chat.session_id},
                                       callback=lambda *_: handled.append(1))
                await asyncio.sleep(0.01)  # the flood: 100 messages in about a second
            # Every message handled (acknowledged): all its replies have arrived.
            await wait_until(lambda: len(handled) == 100, "acknowledgements of all 100 messages", 90,
                             lambda: f"{len(handled)} acknowledged, {len(chat.received)} replies")
            return chat.received

    received = asyncio.run(run())
    # Every message gets an answer or, past 5 waiting, a notice to slow down.
    assert len(received) >= 100
    busy = [r for r in received if "faster than I can answer" in r.get("text", "")]
    answers = [r for r in received if "Demo prices" in r.get("text", "")]
    assert len(busy) < 100 and len(answers) >= 5


def test_after_the_catalogue_the_server_is_up_and_the_bystander_unaffected(assistant, bystander):
    # Named to run last in this module: the booking started before the catalogue goes on.
    assert assistant.rasa.poll() is None and assistant.actions.poll() is None
    assert any(ASK_TIME in r for r in texts(say(assistant, bystander, "202-555-0143")))
