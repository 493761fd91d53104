"""Delivery to the clinic's webhook with a real HTTP receiver and the real worker process:
signed, retried with backoff, exactly once from the receiver's point of view, and nothing
lost when the receiver, the worker or the action server goes away."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

from clinic.delivery import backoff_seconds, sign
from clinic.outbox import DELIVERED, Outbox
from tests.support.chat import say, texts
from tests.support.project import ROOT
from tests.support.receiver import Receiver, wait_for
from tools.servers import free_port

SECRET = "test-secret-not-for-production"
FIELDS = {
    "name": "Ann Smith", "phone": "+12025550143", "email": None,
    "preferred_time": "2026-11-24T12:00:00-05:00", "preferred_time_text": "next tuesday afternoon",
    "reason": "depression", "insurance": "Aetna", "message": None,
    "conversation_id": "c-1", "channel": "rest",
}


@pytest.fixture()
def outbox(tmp_path) -> Outbox:
    return Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")


class Worker:
    """python -m clinic.delivery as a separate process."""

    def __init__(self, outbox: Outbox, url: str, timeout: float = 1.0) -> None:
        self.env = {
            **os.environ, "OUTBOX_DB_URL": outbox.url, "BOOKING_WEBHOOK_URL": url,
            "BOOKING_WEBHOOK_SECRET": SECRET, "DELIVERY_TIMEOUT": str(timeout),
            "DELIVERY_BACKOFF_BASE": "0.2", "DELIVERY_BACKOFF_MAX": "1", "DELIVERY_POLL_INTERVAL": "0.1",
        }
        self.process = None

    def __enter__(self) -> "Worker":
        self.process = subprocess.Popen([sys.executable, "-m", "clinic.delivery"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)


def status(outbox: Outbox, request_id: str) -> dict:
    return next(r for r in outbox.requests() if r["request_id"] == request_id)


def worker_moved_on(outbox: Outbox) -> str:
    """Stores a marker request and waits until the worker has delivered it; returns its id. The worker
    sends one request at a time, oldest first, so by then it has finished every send it had begun
    before the marker, and sent anything still due: a repeat would already be at the receiver."""
    marker = outbox.add("booking", {**FIELDS, "name": "Marker"})["request_id"]
    assert wait_for(lambda: status(outbox, marker)["status"] == DELIVERED), "the marker request was not delivered"
    return marker


def keys(receiver: Receiver) -> list:
    return [r["headers"]["Idempotency-Key"] for r in receiver.requests]


def test_signature_and_backoff_schedule():
    assert sign(b'{"a": 1}', "k") == sign(b'{"a": 1}', "k") != sign(b'{"a": 2}', "k")
    delays = [backoff_seconds(n, base=2, cap=300) for n in range(1, 12)]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8 and 6.4 <= delays[2] <= 9.6
    assert max(delays) <= 360 and delays[-1] >= 240


def test_delivered_once_with_a_valid_signature(outbox):
    payload = outbox.add("booking", FIELDS)
    with Receiver(SECRET) as receiver, Worker(outbox, receiver.url):
        assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
        marker = worker_moved_on(outbox)  # a second send would have come by now
    assert keys(receiver) == [payload["request_id"], marker]
    request = receiver.requests[0]
    assert receiver.signature_is_valid(request)
    assert request["headers"]["Idempotency-Key"] == payload["request_id"]
    body = json.loads(request["body"])
    assert body == payload
    for key in ("request_id", "kind", "name", "phone", "email", "preferred_time", "preferred_time_text",
                "reason", "insurance", "message", "conversation_id", "channel", "created_at"):
        assert key in body


def test_receiver_down_for_several_retries_then_up(outbox):
    payload = outbox.add("callback", {**FIELDS, "message": "please call"})
    port = free_port()
    with Worker(outbox, f"http://127.0.0.1:{port}/bookings"):
        assert wait_for(lambda: status(outbox, payload["request_id"])["attempts"] >= 3)
        assert status(outbox, payload["request_id"])["status"] != DELIVERED
        with Receiver(SECRET, port=port) as receiver:
            assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
            marker = worker_moved_on(outbox)
    assert keys(receiver) == receiver.acknowledged == [payload["request_id"], marker]


def test_500_answers_are_retried(outbox):
    payload = outbox.add("booking", FIELDS)
    with Receiver(SECRET, fail_first=2) as receiver, Worker(outbox, receiver.url):
        assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
    assert len(receiver.requests) == 3 and receiver.acknowledged == [payload["request_id"]]
    assert all(receiver.signature_is_valid(r) for r in receiver.requests)
    assert len({r["body"] for r in receiver.requests}) == 1, "every retry sends the same bytes"


def test_a_hanging_receiver_is_retried_after_the_timeout(outbox):
    payload = outbox.add("booking", FIELDS)
    with Receiver(SECRET, hang_first=1, hang_seconds=3) as receiver, Worker(outbox, receiver.url, timeout=1):
        assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
        assert status(outbox, payload["request_id"])["attempts"] >= 2
    # The receiver may see the request twice; the Idempotency-Key lets it keep one.
    assert receiver.unique_keys() == {payload["request_id"]}


def test_restarted_worker_never_resends_an_acknowledged_request(outbox):
    payload = outbox.add("booking", FIELDS)
    with Receiver(SECRET) as receiver:
        with Worker(outbox, receiver.url):
            assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
        second = outbox.add("booking", {**FIELDS, "name": "Bo Li"})
        with Worker(outbox, receiver.url):
            assert wait_for(lambda: status(outbox, second["request_id"])["status"] == DELIVERED)
            marker = worker_moved_on(outbox)
    assert keys(receiver) == [payload["request_id"], second["request_id"], marker]


def test_hostile_values_are_stored_and_delivered_intact(outbox):
    hostile = {
        **FIELDS,
        "name": "A" * 10_240,
        "message": '<script>alert("x")</script> \' " ; DROP TABLE outbox; -- \u202e émoji 😀\nnew line',
        "insurance": "{\"json\": [1, 2]}",
    }
    payload = outbox.add("callback", hostile)
    with Receiver(SECRET) as receiver, Worker(outbox, receiver.url):
        assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
    [delivered] = receiver.payloads()
    for key, value in hostile.items():
        assert delivered[key] == value


def test_booking_survives_the_action_server_being_killed_after_confirming(model_path, tmp_path):
    from tools.servers import running_assistant

    with running_assistant(model_path, tmp_path / "servers") as assistant:
        sender = f"kill-{uuid.uuid4().hex[:8]}"
        for message in ("i'd like to book a consultation", "Ann Smith", "(202) 555-0143",
                        "next tuesday afternoon", "skip", "skip", "yes"):
            say(assistant, sender, message)
        confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
        os.killpg(assistant.actions.pid, signal.SIGKILL)  # right after confirming to the user
        outbox = Outbox(assistant.env["OUTBOX_DB_URL"])
        [row] = [r for r in outbox.requests() if r["payload"]["conversation_id"] == sender]
        assert row["request_id"] in confirmed
        with Receiver(SECRET) as receiver, Worker(outbox, receiver.url):
            assert wait_for(lambda: status(outbox, row["request_id"])["status"] == DELIVERED)
        assert receiver.payloads()[0]["name"] == "Ann Smith"
        assert receiver.payloads()[0]["preferred_time_text"] == "next tuesday afternoon"


def test_postgresql_outbox_when_configured():
    """OUTBOX_DB_URL pointing at a real PostgreSQL server: stored, delivered once, listed."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        outbox = Outbox(url)
        payload = outbox.add("booking", {**FIELDS, "name": "Zoë O'Brien"})
        assert outbox.requests()[0]["payload"] == payload
        with Receiver(SECRET) as receiver, Worker(outbox, receiver.url):
            assert wait_for(lambda: status(outbox, payload["request_id"])["status"] == DELIVERED)
        assert receiver.payloads() == [payload]
        outbox.engine.dispose()
