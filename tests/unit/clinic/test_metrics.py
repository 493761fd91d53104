"""The metrics (clinic/metrics.py): what each concern counts, what the scrape-time collectors read,
the private /metrics, /healthz and /readyz server, and that no label ever carries personal data."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clinic import metrics
from clinic.outbox import Outbox
from tests.support.project import ROOT, read_yaml

PERSONAL = re.compile(r"@|\d{4,}|\s")  # an e-mail, a phone number or a reference, words of a message


def scraped() -> dict:
    """(metric sample name, labels) -> value, from the text Prometheus would scrape."""
    samples = {}
    for family in text_string_to_metric_families(metrics.metrics_text().decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(name: str, **labels: str) -> float:
    return scraped().get((name, tuple(sorted(labels.items()))), 0.0)


def user(intent: str, grade: str = "") -> SimpleNamespace:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "text": "Ann Smith 415 555 0199 ann@example.com"}
    if grade:
        parse["crisis_detection"] = {"grade": grade, "rule": "x"}
    return SimpleNamespace(type_name="user", parse_data=parse, text=parse["text"])


@pytest.fixture()
def outbox(tmp_path) -> Outbox:
    return Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")


def exercise_everything(outbox: Outbox) -> None:
    """Every metric with the values the code gives it, and with personal data where a careless
    caller could pass it."""
    intents = read_yaml(ROOT / "domain.yml")["intents"]
    for channel in metrics.CHANNELS + ("+14155550199", "visitor-42"):
        for outcome in metrics.OUTCOMES:
            metrics.message_handled(channel, outcome, 0.2)
    metrics.conversation_events([user("ask_cost"), user("nlu_fallback"), user("crisis", "clear"),
                                 user("distress", "possible"), user("ann@example.com"),
                                 SimpleNamespace(type_name="active_loop", name="booking_form"),
                                 SimpleNamespace(type_name="active_loop", name="callback_form"),
                                 SimpleNamespace(type_name="action", name="action_listen")], intents)
    for form, slots in metrics.FORM_SLOTS.items():
        metrics.slots_filled(f"{form}_form", list(slots) + ["phone", "email", "Ann Smith"])
        for step in ("summary", "submitted", "cancelled", "ann@example.com"):
            metrics.funnel_step(form, step)
    metrics.funnel_step("visitor-42", "cancelled")
    metrics.did_you_mean()
    for target in metrics.TARGETS:
        metrics.delivery_attempt(target, failed=True)
        metrics.delivery_attempt(target, failed=False)
    metrics.login_failed()
    outbox.add("booking", {"name": "Ann Smith", "phone": "+14155550199", "conversation_id": "visitor-42"})
    outbox.flag("visitor-42", "rest", "crisis", "rule")
    metrics.register(metrics.OutboxCollector(outbox))
    metrics.register(metrics.CrisisFlagCollector(lambda: [flag["created_at"] for flag in outbox.flags()]))
    metrics.register(metrics.ReadinessCollector(outbox.reachable))


def test_no_label_carries_a_conversation_id_a_name_a_phone_an_email_or_text(outbox):
    exercise_everything(outbox)
    topics = set(read_yaml(ROOT / "domain.yml")["intents"]) | {"nlu_fallback", metrics.OTHER}
    allowed = {**{name: set(values) for name, values in metrics.LABEL_VALUES.items()}, metrics.TOPIC_LABEL: topics}
    seen = set()
    for (name, labels), _ in scraped().items():
        for label, label_value in labels:
            if label == "le" and name.endswith("_bucket"):
                continue
            assert label in allowed, f"{name} has a label outside the allow-list: {label}"
            assert label_value in allowed[label], f"{name}{{{label}={label_value!r}}} is not an allowed value"
            assert not PERSONAL.search(label_value), f"{name}{{{label}={label_value!r}}} looks personal"
            seen.add(label)
    assert seen >= {"channel", "outcome", "topic", "grade", "form", "step", "target", "queue", "kind"}
    unprefixed = {name for name, _ in scraped() if not name.startswith(("clinic_assistant_", "process_"))}
    assert not unprefixed, f"metrics without the clinic_assistant_ prefix: {unprefixed}"


def test_each_concern_counts_its_metric(outbox):
    before = scraped()

    def rose(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return scraped().get(key, 0.0) - before.get(key, 0.0)

    exercise_everything(outbox)
    assert rose("clinic_assistant_messages_total", channel="rest", outcome="handled") == 1
    assert rose("clinic_assistant_messages_total", channel="other", outcome="handled") == 2
    assert rose("clinic_assistant_reply_seconds_count", channel="rest") == 1
    assert rose("clinic_assistant_readings_total", topic="ask_cost") == 1
    assert rose("clinic_assistant_readings_total", topic="other") == 1
    assert rose("clinic_assistant_not_understood_total") == 1
    assert rose("clinic_assistant_crisis_detections_total", grade="clear") == 1
    assert rose("clinic_assistant_crisis_detections_total", grade="possible") == 1
    assert rose("clinic_assistant_funnel_steps_total", form="booking", step="started") == 1
    assert rose("clinic_assistant_funnel_steps_total", form="callback", step="slot_callback_message") == 1
    assert rose("clinic_assistant_funnel_steps_total", form="booking", step="slot_consent") == 1
    assert rose("clinic_assistant_funnel_steps_total", form="booking", step="cancelled") == 1
    assert rose("clinic_assistant_did_you_mean_total") == 1
    assert rose("clinic_assistant_delivery_failures_total", target="webhook") == 1
    assert rose("clinic_assistant_delivery_attempts_total", target="email") == 2
    assert rose("clinic_assistant_staff_login_failures_total") == 1
    assert value("clinic_assistant_outbox_waiting", queue="webhook", kind="booking") == 1
    assert value("clinic_assistant_outbox_waiting", queue="email", kind="crisis") == 1
    assert value("clinic_assistant_outbox_waiting", queue="webhook", kind="callback") == 0
    assert value("clinic_assistant_crisis_flags_open") == 1
    assert value("clinic_assistant_ready") == 1


def test_waiting_ages_are_computed_when_scraped(outbox):
    outbox.add("callback", {"name": "x"})
    with outbox.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE outbox_requests SET created_at = '2020-01-01T00:00:00Z'")
    metrics.register(metrics.OutboxCollector(outbox))
    assert value("clinic_assistant_outbox_oldest_waiting_seconds", queue="webhook", kind="callback") > 3600 * 24 * 365
    outbox.mark_delivered(outbox.requests()[0]["request_id"])
    assert value("clinic_assistant_outbox_waiting", queue="webhook", kind="callback") == 0
    assert value("clinic_assistant_outbox_oldest_waiting_seconds", queue="webhook", kind="callback") == 0


@pytest.mark.parametrize("open_now, shown", [(True, 1.0), (False, 0.0), (None, None)])
def test_whether_the_clinic_is_open_is_shown_only_when_the_profile_gives_its_hours(open_now, shown):
    metrics.register(metrics.ClinicOpenCollector(lambda: open_now))
    assert scraped().get(("clinic_assistant_clinic_open", ())) == shown


def get(url: str) -> tuple:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_served_only_when_the_port_is_set_on_the_private_host(outbox, tmp_path):
    assert metrics.serve("delivery", outbox.reachable, environ={}) is None
    with pytest.raises(SystemExit, match="DELIVERY_METRICS_PORT"):
        metrics.serve("delivery", outbox.reachable, environ={"DELIVERY_METRICS_PORT": "metrics"})
    server = metrics.serve("delivery", outbox.reachable, environ={"DELIVERY_METRICS_PORT": "0"})
    try:
        assert server.httpd.server_address[0] == "127.0.0.1"
        base = f"http://127.0.0.1:{server.port}"
        status, text = get(f"{base}/metrics")
        assert status == 200 and "clinic_assistant_messages_total" in text and "clinic_assistant_ready 1.0" in text
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/readyz") == (200, "ready\n")
        (tmp_path / "outbox.db").rename(tmp_path / "moved.db")
        status, text = get(f"{base}/readyz")
        assert status == 503 and "missing" in text
        assert "clinic_assistant_ready 0.0" in get(f"{base}/metrics")[1]
        (tmp_path / "moved.db").rename(tmp_path / "outbox.db")
        assert get(f"{base}/readyz")[0] == 200
        assert get(f"{base}/other")[0] == 404
    finally:
        server.close()
