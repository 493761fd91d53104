"""Scale-out: two Rasa servers sharing a real PostgreSQL tracker store (TRACKER_STORE_URL) and a
real Redis lock store (LOCK_STORE_URL), with one action server and the outbox in PostgreSQL. One
conversation alternates between the servers through a booking while one of them restarts; nothing
is lost, and concurrent messages of one conversation are handled in the order they arrived. A Slack
event delivered to both servers (Slack's retry reaching the other one) is answered once."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import List

import pytest
import requests
import sqlalchemy as sa

from clinic.outbox import Outbox
from tests.support.chat import texts
from tests.support.postgres import postgres_server
from tests.support.receiver import Receiver, wait_for
from tests.support.redis_server import redis_server
from tests.support.chat import rendered
from tests.support.messaging import SECRETS, slack_message, slack_post, slack_sent
from tools.servers import (HOST, free_port, restart_rasa_server, start_action_server, start_rasa_server, stop,
                           wait_until_up, write_endpoints)


@dataclass
class Cluster:
    urls: List[str]
    rasa: list
    database_url: str
    workdir: Path
    model: Path
    endpoints: Path
    env: dict
    platforms: Receiver  # stands in for Slack's API
    redis_url: str

    def tickets_waiting(self, sender: str) -> int:
        """Messages of the conversation holding or waiting for its lock, from the shared lock store."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            stored = client.get(f"clinic:lock:{sender}")
        finally:
            client.close()
        return len(json.loads(stored)["tickets"]) if stored else 0

    def say(self, server: int, sender: str, message: str) -> List[str]:
        response = requests.post(f"{self.urls[server]}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        return texts(response.json())

    def restart(self, server: int) -> None:
        self.rasa[server] = restart_rasa_server(self.rasa[server], self.model, self.urls[server], self.endpoints,
                                                self.workdir / f"rasa-{server}.log", self.env)

    def user_messages(self, sender: str) -> List[str]:
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(sa.text(
                    "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": sender})
                return [json.loads(row[0])["text"] for row in rows]
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(model_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("scale-out")
    with postgres_server() as database_url, redis_server() as redis_url, ExitStack() as logs, \
            Receiver(secret="") as platforms:
        slack = {name: value for name, value in SECRETS.items() if name.startswith("SLACK_")}
        env = {"TRACKER_STORE_URL": database_url, "LOCK_STORE_URL": redis_url, "OUTBOX_DB_URL": database_url,
               **slack, "SLACK_API_URL": f"http://{HOST}:{platforms.port}"}
        action_port = free_port()
        # The SQLite path is unused: TRACKER_STORE_URL takes precedence.
        endpoints = write_endpoints(workdir / "endpoints.yml", action_port, workdir / "unused.db")
        actions = start_action_server(action_port, logs.enter_context(open(workdir / "actions.log", "ab")), env)
        ports = [free_port(), free_port()]
        servers = [start_rasa_server(model_path, port, endpoints,
                                     logs.enter_context(open(workdir / f"rasa-{i}.log", "ab")), env=env)
                   for i, port in enumerate(ports)]
        running = Cluster([f"http://{HOST}:{port}" for port in ports], servers, database_url, workdir,
                          model_path, endpoints, env, platforms, redis_url)
        try:
            wait_until_up(f"http://{HOST}:{action_port}/health", actions)
            for url, server in zip(running.urls, servers):
                wait_until_up(f"{url}/webhooks/rest/", server)
            yield running
        finally:
            for server in running.rasa:
                stop(server)
            stop(actions)


def test_a_booking_alternating_between_servers_survives_a_restart(cluster):
    sender = f"scale-{uuid.uuid4().hex[:8]}"
    steps = [
        (0, "how much does it cost?", "Demo prices"),
        (1, "i'd like to book a consultation", "What is your full name?"),
        (0, "Ann Scale", "best phone number or e-mail"),
        ("restart 0", None, None),
        (1, "202-555-0161", "When would you like to come in?"),
        (0, "next tuesday afternoon", "What would you like help with?"),
        (1, "depression", "Which health insurance"),
        (0, "skip", "May Demo Ketamine Clinic"),
        (1, "yes", "Here is your booking request"),
        (0, "/affirm", "your request is saved"),
    ]
    sent, confirmation = [], ""
    for server, message, expected in steps:
        if server == "restart 0":
            cluster.restart(0)
            continue
        replies = cluster.say(server, sender, message)
        assert any(expected in r for r in replies), (message, replies)
        sent.append(message)
        confirmation = " ".join(replies)
    # Every message is in the shared store, once, in order.
    assert cluster.user_messages(sender) == sent
    reference = confirmation.split("reference number is ")[1].split(".")[0]
    bookings = [r["payload"] for r in Outbox(cluster.database_url).requests()
                if r["payload"]["conversation_id"] == sender]
    assert [b["request_id"] for b in bookings] == [reference]
    assert bookings[0]["name"] == "Ann Scale" and bookings[0]["phone"] == "+12025550161"


def test_concurrent_messages_of_one_conversation_are_handled_one_at_a_time_in_arrival_order(cluster):
    """Booking answers sent to alternating servers, each as soon as the one before has reached a
    server: each takes longer than that to handle (form validation on the action server), so they
    overlap; answered out of order or at the same time, the form would take the wrong answer for
    the wrong question."""
    sender = f"order-{uuid.uuid4().hex[:8]}"
    messages = ["i'd like to book a consultation", "Ann Order", "202-555-0177", "next tuesday afternoon",
                "depression", "skip"]
    # Both servers warm (one may just have been restarted), so that a cold start's first-message cost
    # does not pile up behind the conversation lock: this test is about order, not start-up.
    for server in (0, 1):
        warm_up = f"warm-{uuid.uuid4().hex[:8]}"
        cluster.say(server, warm_up, "i'd like to book a consultation")
        cluster.say(server, warm_up, "Ann Warm")

    # Each message is sent once the one before it holds a ticket of the conversation's lock, so
    # the order they reach the servers in is the order they are sent in, however busy the machine.
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        pending = []
        for index, message in enumerate(messages):
            pending.append(pool.submit(cluster.say, index % 2, sender, message))
            assert wait_for(lambda: cluster.tickets_waiting(sender) + sum(f.done() for f in pending) >= index + 1,
                            timeout=30, interval=0.005), f"{message!r} did not reach a server within 30 s"
        answers = [f.result() for f in pending]
    elapsed = time.monotonic() - started
    assert all(answers)
    assert cluster.user_messages(sender) == messages
    # One at a time: every message's answers were recorded before the next message was read.
    engine = sa.create_engine(cluster.database_url)
    with engine.connect() as connection:
        kinds = [row[0] for row in connection.execute(sa.text(
            "SELECT type_name FROM events WHERE sender_id = :s AND type_name IN ('user', 'bot') ORDER BY id"),
            {"s": sender})]
    engine.dispose()
    assert "user,user" not in ",".join(kinds)
    summary = " ".join(cluster.say(0, sender, "yes"))
    for detail in ("Ann Order", "(202) 555-0177", "Tuesday", "depression"):
        assert detail in summary
    print(f"6 overlapping booking answers handled in order in {elapsed:.1f}s")


def test_a_slack_event_reaching_both_servers_is_answered_once(cluster, domain):
    """Slack retries an event it thinks was missed, and the retry may reach the other server: the
    event ids are recorded in the shared Redis, so exactly one server handles it."""
    channel = "D" + uuid.uuid4().hex[:8].upper()
    event = slack_message(channel, "how much does it cost?")
    # Both deliveries at the same moment, the closest either server can come to handling it twice.
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda url: slack_post(url, event), cluster.urls))
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["status"] for a in answers) == ["already handled", "received"]
    cost_answer = rendered(domain, "utter_ask_cost")[:60]
    assert wait_for(lambda: any(m["text"].startswith(cost_answer) for m in slack_sent(cluster.platforms, channel)),
                    timeout=30), slack_sent(cluster.platforms, channel)
    # The handling server answered before its webhook returned: nothing more is on its way.
    sent = [m["text"] for m in slack_sent(cluster.platforms, channel)]
    assert len([text for text in sent if text.startswith(cost_answer)]) == 1
    assert len(sent) == len(set(sent)), sent
