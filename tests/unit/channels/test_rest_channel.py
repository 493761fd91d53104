"""The hardened REST channel (channels/rest.py), in process: its blueprint is registered on a Sanic
app the way Rasa registers input channels, and requests go to the app over ASGI, without a server.
A body it cannot take is refused with a 4xx and a clear error before the assistant sees it; a
failure of the assistant is a 503 with an apology."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels.gate import BUSY_TEXT
from channels.rest import DEFAULT_MAX_MESSAGE_LENGTH, MAX_BODY_BYTES, HardenedRestInput
from clinic.profile import current_profile

WEBHOOK = "/webhooks/rest/webhook"
APP_NAMES = itertools.count()


class FakeAgent:
    """Stands in for Rasa's agent: records each message and answers it, fails, or waits."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.received: List[UserMessage] = []
        self.hold: Optional[asyncio.Event] = None
        self.started = 0

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        self.started += 1
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise ConnectionError("the tracker store is down")
        await message.output_channel.send_text_message(message.sender_id, f"You said: {message.text}")


class Client:
    """An ASGI client for a Sanic app with the REST channel, started through the ASGI lifespan."""

    def __init__(self, channel: HardenedRestInput, agent: FakeAgent) -> None:
        self.app = Sanic(f"rest_channel_test_{next(APP_NAMES)}")
        self.app.ctx.agent = agent
        register([channel], self.app, "/webhooks/")
        self.lifespan: Optional[asyncio.Task] = None

    async def __aenter__(self) -> "Client":
        started = asyncio.Event()
        incoming: asyncio.Queue = asyncio.Queue()
        await incoming.put({"type": "lifespan.startup"})

        async def send(message: Dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        self.lifespan = asyncio.ensure_future(self.app({"type": "lifespan", "asgi": {"version": "3.0"}},
                                                       incoming.get, send))
        waiting = asyncio.ensure_future(started.wait())
        await asyncio.wait({waiting, self.lifespan}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if not started.is_set():
            waiting.cancel()
            await self.__aexit__()
            raise RuntimeError("the app did not start")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # Sanic 21.12 fails after an ASGI lifespan shutdown; there are no shutdown listeners to run.
        self.lifespan.cancel()
        await asyncio.gather(self.lifespan, return_exceptions=True)

    async def request(self, method: str, path: str, body: bytes = b"") -> Tuple[int, Dict[str, str], Any]:
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        sent: List[Dict[str, Any]] = []

        async def receive() -> Dict[str, Any]:
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(message: Dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"assistant.test"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 50000), "server": ("assistant.test", 80)}
        await self.app(scope, receive, send)
        [start] = [m for m in sent if m["type"] == "http.response.start"]
        headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], headers, json.loads(content) if content else None

    async def post(self, body: Any) -> Tuple[int, Any]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        status, _, content = await self.request("POST", WEBHOOK, raw)
        return status, content


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Sanic's own test mode: several apps may start in one process, as its test client allows."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def post(body: Any, channel: Optional[HardenedRestInput] = None, agent: Optional[FakeAgent] = None):
    """One webhook request to a fresh app: (status, decoded JSON reply, the agent)."""
    agent = agent or FakeAgent()

    async def go():
        async with Client(channel or HardenedRestInput(), agent) as client:
            return await client.post(body)

    status, content = asyncio.run(go())
    return status, content, agent


# ------------------------------------------------------------------------------- accepted

def test_a_message_is_handed_to_the_assistant_and_its_replies_are_returned():
    body = {"sender": "visitor-1", "message": "how much is it?", "metadata": {"page": "/pricing"}}
    status, content, agent = post(body)
    assert status == 200
    assert content == [{"recipient_id": "visitor-1", "text": "You said: how much is it?"}]
    [message] = agent.received
    trace_id = message.metadata.pop("trace_id")  # the channel's own, for the logs (clinic/logs.py)
    assert len(trace_id) == 16 and trace_id.isalnum()
    assert (message.text, message.sender_id, message.input_channel, message.metadata) == (
        "how much is it?", "visitor-1", "rest", {"page": "/pricing"})


def test_the_health_check_answers_and_replies_are_json():
    async def go():
        async with Client(HardenedRestInput(), FakeAgent()) as client:
            health = await client.request("GET", "/webhooks/rest/")
            refused = await client.request("POST", WEBHOOK, b"")
            return health, refused

    (status, _, content), (refused_status, headers, _) = asyncio.run(go())
    assert status == 200 and content == {"status": "ok"}
    assert refused_status == 400 and headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("sender", [
    "x" * 128, "visitor 7", "Łukasz-🙂", "<script>alert(1)</script>", "'; DROP TABLE events; --",
])
def test_a_printable_sender_id_is_taken_exactly_as_given(sender):
    status, content, agent = post({"sender": sender, "message": "hi"})
    assert status == 200 and [m.sender_id for m in agent.received] == [sender]
    assert [reply["recipient_id"] for reply in content] == [sender]


def test_a_message_of_the_longest_allowed_length_is_taken():
    status, _, agent = post({"sender": "visitor-1", "message": "a" * DEFAULT_MAX_MESSAGE_LENGTH})
    assert status == 200 and len(agent.received) == 1


@pytest.mark.parametrize("metadata", [None, {}])
def test_missing_metadata_is_an_empty_object(metadata):
    status, _, agent = post({"sender": "visitor-1", "message": "hi", "metadata": metadata})
    assert status == 200 and [sorted(m.metadata) for m in agent.received] == [["trace_id"]]


def test_each_message_gets_its_own_trace_id_over_one_a_client_sends():
    received = [post({"sender": "visitor-1", "message": "hi", "metadata": {"trace_id": "mine"}})[2].received[0]
                for _ in range(2)]
    first, second = [message.metadata["trace_id"] for message in received]
    assert first != second and "mine" not in (first, second)


# -------------------------------------------------------------------------------- refused

def assert_refused(body: Any, status: int, error: str, channel: Optional[HardenedRestInput] = None) -> None:
    got_status, content, agent = post(body, channel)
    assert (got_status, agent.received) == (status, []), content
    assert error in content["error"], content


@pytest.mark.parametrize("body", [
    {"message": "hi"}, {"sender": None, "message": "hi"}, {"sender": "", "message": "hi"},
    {"sender": "   ", "message": "hi"}, {"sender": 42, "message": "hi"}, {"sender": ["visitor-1"], "message": "hi"},
])
def test_without_a_sender_the_message_is_refused_not_filed_under_a_shared_conversation(body):
    assert_refused(body, 400, "'sender' is required")


def test_an_empty_body_is_a_400_that_says_what_is_expected():
    assert_refused(b"", 400, 'the body must be JSON (UTF-8): {"sender": "...", "message": "..."}')


@pytest.mark.parametrize("body", [b'{"sender": "visitor-1", "message": ', b"sender=visitor-1&message=hi",
                                  b'{"sender": "visitor-1", "message": "\xff\xfe"}'])
def test_a_body_that_is_not_json_or_not_utf8_is_a_400(body):
    assert_refused(body, 400, "the body must be JSON")


@pytest.mark.parametrize("body", [["visitor-1", "hi"], "hi", 42, None])
def test_json_that_is_not_an_object_is_a_400(body):
    assert_refused(body, 400, "the body must be a JSON object")


@pytest.mark.parametrize("message", [None, 42, True, ["hi"], {"text": "hi"}])
def test_a_message_that_is_not_text_is_a_400(message):
    assert_refused({"sender": "visitor-1", "message": message}, 400, "'message' is required and must be text")


def test_a_missing_message_is_a_400():
    assert_refused({"sender": "visitor-1"}, 400, "'message' is required and must be text")


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_an_empty_message_is_a_400(message):
    assert_refused({"sender": "visitor-1", "message": message}, 400, "'message' is empty")


def test_an_over_long_message_is_a_413():
    assert_refused({"sender": "visitor-1", "message": "a" * (DEFAULT_MAX_MESSAGE_LENGTH + 1)}, 413,
                   f"'message' is longer than {DEFAULT_MAX_MESSAGE_LENGTH} characters")


def test_the_message_length_limit_comes_from_the_credentials():
    channel = HardenedRestInput.from_credentials({"max_message_length": 10})
    assert_refused({"sender": "visitor-1", "message": "a" * 11}, 413, "longer than 10 characters", channel)
    status, _, agent = post({"sender": "visitor-1", "message": "a" * 10}, channel)
    assert status == 200 and len(agent.received) == 1


def test_an_over_large_body_is_a_413():
    body = json.dumps({"sender": "visitor-1", "message": "hi", "metadata": {"padding": "x" * MAX_BODY_BYTES}})
    assert_refused(body.encode(), 413, "larger than 64 KiB")


@pytest.mark.parametrize("sender", [
    "visitor\n1", "visitor\r\nX-Injected: 1", "visitor\x00", "\x1b[31mred", "tab\there", "del\x7f",
    "x" * 129, " visitor-1", "visitor-1 ",
    # C1 control (a line break to Python's splitlines), line separator, direction override, zero width
    "visitor\x851", "visitor\u20281", "visitor\u202e1", "visi\u200btor",
])
def test_a_hostile_sender_id_is_a_400(sender):
    assert_refused({"sender": sender, "message": "hi"}, 400, "'sender' must be 1 to 128 printable characters")


@pytest.mark.parametrize("metadata", ["page=/pricing", [{"page": "/pricing"}], 5, [], "", 0, False])
def test_metadata_that_is_not_an_object_is_a_400(metadata):
    assert_refused({"sender": "visitor-1", "message": "hi", "metadata": metadata}, 400,
                   "'metadata' must be a JSON object")


def test_deeply_nested_json_is_a_400_not_a_500():
    depth = 30000  # 60 000 bytes: under the body limit
    assert_refused(b"[" * depth + b"]" * depth, 400, "the body must be")


# --------------------------------------------------------------------- the assistant fails or is busy

def test_when_the_assistant_fails_the_answer_is_a_503_with_an_apology():
    status, content, agent = post({"sender": "visitor-1", "message": "hi"}, agent=FakeAgent(fail=True))
    assert status == 503 and len(agent.received) == 1
    assert content["error"] == "the assistant could not process this message; it was not recorded"
    [apology] = content["messages"]
    assert apology["recipient_id"] == "visitor-1" and current_profile().phone in apology["text"]


def test_a_conversation_with_too_many_messages_waiting_is_told_to_wait():
    agent = FakeAgent()

    async def go():
        agent.hold = asyncio.Event()  # the first message waits until the others were sent
        async with Client(HardenedRestInput(max_pending=1), agent) as client:
            first = asyncio.ensure_future(client.post({"sender": "visitor-1", "message": "one"}))
            while agent.started < 1:
                await asyncio.sleep(0.001)
            busy = await client.post({"sender": "visitor-1", "message": "two"})
            other = asyncio.ensure_future(client.post({"sender": "visitor-2", "message": "three"}))
            while agent.started < 2:
                await asyncio.sleep(0.001)
            agent.hold.set()
            return await first, busy, await other

    (first_status, first), (busy_status, busy), (other_status, _) = asyncio.run(asyncio.wait_for(go(), 10))
    assert busy_status == 429 and busy == {"error": BUSY_TEXT}
    assert first_status == 200 and first == [{"recipient_id": "visitor-1", "text": "You said: one"}]
    assert other_status == 200
    assert [m.text for m in agent.received] == ["one", "three"]
