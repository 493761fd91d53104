"""Metrics, health and logs on the real servers, with every metrics port set and LOG_FORMAT=json: a
booking over REST moves the funnel, reading and latency metrics, and its trace id follows it into
the action server's log, the stored request and the delivery worker's log; a webhook answering 500
makes the delivery-failure metric rise (the alert it feeds fires under `promtool test rules`,
tests/repository/test_alert_rules.py); readiness turns false while the tracker database is gone and
true again after; the staff console and the delivery worker answer /healthz and /readyz."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from typing import Dict, Tuple

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clinic.outbox import DELIVERED, Outbox
from tests.support.chat import say, texts
from tests.support.project import ROOT
from tests.support.receiver import Receiver, wait_for
from tools.servers import HOST, free_port, running_assistant, start_staff_console, stop, wait_until_up

SECRET = "test-secret-not-for-production"
Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def get(url: str) -> Tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def scrape(port: int) -> Samples:
    status, text = get(f"http://{HOST}:{port}/metrics")
    assert status == 200, text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def observed(model_path, tmp_path_factory):
    ports = {"RASA_METRICS_PORT": free_port(), "ACTIONS_METRICS_PORT": free_port()}
    env = {**{name: str(port) for name, port in ports.items()}, "LOG_FORMAT": "json"}
    with running_assistant(model_path, tmp_path_factory.mktemp("observed"), env=env) as running:
        yield running, ports


def test_a_booking_over_rest_moves_the_funnel_readings_and_latency(observed):
    assistant, ports = observed
    rasa_port, actions_port = ports["RASA_METRICS_PORT"], ports["ACTIONS_METRICS_PORT"]
    rasa_before, actions_before = scrape(rasa_port), scrape(actions_port)
    sender = f"metrics-{uuid.uuid4().hex[:8]}"
    for message in ("i'd like to book a consultation", "Ann Smith", "(202) 555-0143", "next tuesday afternoon",
                    "depression", "Aetna", "yes"):
        say(assistant, sender, message)
    confirmed = " ".join(texts(say(assistant, sender, "/affirm")))
    assert "BK-" in confirmed
    rasa_after, actions_after = scrape(rasa_port), scrape(actions_port)

    def rose(before: Samples, after: Samples, name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert rose(rasa_before, rasa_after, "clinic_assistant_messages_total", channel="rest", outcome="handled") == 8
    assert rose(rasa_before, rasa_after, "clinic_assistant_reply_seconds_count", channel="rest") == 8
    assert rose(rasa_before, rasa_after, "clinic_assistant_reply_seconds_sum", channel="rest") > 0
    assert rose(rasa_before, rasa_after, "clinic_assistant_readings_total", topic="book_appointment") >= 1
    assert rose(rasa_before, rasa_after, "clinic_assistant_funnel_steps_total", form="booking", step="started") == 1
    for step in ("slot_full_name", "slot_contact_details", "slot_preferred_time_text", "slot_consent", "summary",
                 "submitted"):
        assert rose(actions_before, actions_after, "clinic_assistant_funnel_steps_total",
                    form="booking", step=step) >= 1, step
    assert value(rasa_after, "clinic_assistant_ready") == 1 and value(actions_after, "clinic_assistant_ready") == 1
    # Nothing of the patient's in the metrics.
    for text in (get(f"http://{HOST}:{rasa_port}/metrics")[1], get(f"http://{HOST}:{actions_port}/metrics")[1]):
        assert sender not in text and "Ann" not in text and "0143" not in text

    # The message's trace id, given by the channel, is in the stored request and the action server's log.
    outbox = Outbox(assistant.env["OUTBOX_DB_URL"])
    stored = [r for r in outbox.requests() if r["payload"]["conversation_id"] == sender]
    trace_id = stored[0]["payload"]["trace_id"]
    assert trace_id and trace_id.isalnum()
    logged = [json.loads(line) for line in (assistant.workdir / "actions.log").read_text().splitlines()
              if trace_id in line]
    assert any(entry["message"] == f"stored booking request {stored[0]['request_id']}" for entry in logged), logged
    assert [entry for entry in logged if entry["trace_id"] != trace_id or "Ann" in json.dumps(entry)] == []


def test_readiness_is_false_while_the_tracker_database_is_gone(observed):
    assistant, ports = observed
    database = assistant.workdir / "tracker.db"
    ready_url = f"{assistant.rasa_url}/webhooks/rest/ready"
    metrics_ready = f"http://{HOST}:{ports['RASA_METRICS_PORT']}/readyz"
    assert get(ready_url)[0] == 200 and get(metrics_ready)[0] == 200
    assert get(f"{assistant.rasa_url}/")[0] == 200  # liveness
    database.rename(database.with_suffix(".away"))
    try:
        status, body = get(ready_url)
        assert status == 503 and "tracker database" in body
        assert get(metrics_ready)[0] == 503
        assert value(scrape(ports["RASA_METRICS_PORT"]), "clinic_assistant_ready") == 0
        assert get(f"{assistant.rasa_url}/")[0] == 200, "not ready, but alive"
    finally:
        database.with_suffix(".away").rename(database)
    assert get(ready_url)[0] == 200 and get(metrics_ready)[0] == 200


def test_a_failing_webhook_raises_the_delivery_failure_metric(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")
    trace_id = "0123456789abcdef"
    fields = {"name": "Ann Smith", "phone": "+12025550143", "trace_id": trace_id}
    request_id = outbox.add("booking", fields)["request_id"]
    port = free_port()
    env = {**os.environ, "OUTBOX_DB_URL": outbox.url, "DELIVERY_TIMEOUT": "1", "DELIVERY_BACKOFF_BASE": "0.2",
           "DELIVERY_BACKOFF_MAX": "0.5", "DELIVERY_POLL_INTERVAL": "0.1", "DELIVERY_METRICS_PORT": str(port),
           "BOOKING_WEBHOOK_SECRET": SECRET, "LOG_FORMAT": "json"}
    with Receiver(SECRET, fail_first=3) as receiver:
        env["BOOKING_WEBHOOK_URL"] = receiver.url
        worker = subprocess.Popen([sys.executable, "-m", "clinic.delivery"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "wb"))
        try:
            assert wait_for(lambda: answers(f"http://{HOST}:{port}/healthz")), "no /healthz"
            assert get(f"http://{HOST}:{port}/readyz")[0] == 200
            assert wait_for(lambda: outbox.request(request_id)["status"] == DELIVERED)
            samples = scrape(port)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
    entries = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines()]
    about_it = [entry for entry in entries if request_id in entry["message"]]
    assert len(about_it) == 4 and all(entry["trace_id"] == trace_id for entry in about_it), about_it
    assert value(samples, "clinic_assistant_delivery_failures_total", target="webhook") == 3
    assert value(samples, "clinic_assistant_delivery_attempts_total", target="webhook") == 4
    assert value(samples, "clinic_assistant_outbox_waiting", queue="webhook", kind="booking") == 0
    assert value(samples, "clinic_assistant_outbox_waiting", queue="email", kind="booking") == 1, \
        "its e-mail notice waits: e-mail is not configured"


def test_a_crisis_and_a_question_out_of_scope_are_counted_and_the_rasa_server_logs_json(observed):
    assistant, ports = observed
    before = scrape(ports["RASA_METRICS_PORT"])
    say(assistant, f"metrics-{uuid.uuid4().hex[:8]}", "i want to kill myself")
    say(assistant, f"metrics-{uuid.uuid4().hex[:8]}", "what's the best pizza topping")
    after = scrape(ports["RASA_METRICS_PORT"])
    for name, labels in (("clinic_assistant_crisis_detections_total", {"grade": "clear"}),
                         ("clinic_assistant_not_understood_total", {})):
        assert value(after, name, **labels) - value(before, name, **labels) == 1, name
    # Python's log records are JSON objects (TensorFlow's own C++ lines are not Python logging's).
    lines = (assistant.workdir / "rasa.log").read_text(errors="replace").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and {"time", "level", "logger", "message"} <= set(records[-1])
    text_format = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* +(?:INFO|WARNING|ERROR) ")
    assert [line for line in lines if text_format.match(line)] == []


def test_the_staff_console_answers_health_and_metrics(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox.flag("flagged-1", "rest", "crisis", "rule")
    port, metrics_port = free_port(), free_port()
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{tmp_path / "tracker.db"}"\n')
    env = {"OUTBOX_DB_URL": outbox.url, "STAFF_METRICS_PORT": str(metrics_port)}
    with open(tmp_path / "staff.log", "ab") as log:
        console = start_staff_console(port, endpoints, log, env)
    try:
        wait_until_up(f"http://{HOST}:{port}/healthz", console, timeout=60)
        assert get(f"http://{HOST}:{port}/readyz")[0] == 200
        samples = scrape(metrics_port)
        assert value(samples, "clinic_assistant_crisis_flags_open") == 1
        assert value(samples, "clinic_assistant_outbox_waiting", queue="email", kind="crisis") == 1
        # The demo profile gives its open_hours: whether the clinic is open now, for the follow-up alert.
        assert samples.get(("clinic_assistant_clinic_open", ())) in (0.0, 1.0)
        database = tmp_path / "outbox.db"
        database.rename(tmp_path / "away.db")
        try:
            assert get(f"http://{HOST}:{port}/readyz")[0] == 503
        finally:
            (tmp_path / "away.db").rename(database)
        assert get(f"http://{HOST}:{port}/readyz")[0] == 200
    finally:
        stop(console)
