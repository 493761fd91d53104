"""Every metric of the assistant, in Prometheus' format, defined here once; each concern counts in
one place (the channels' gate, the tracker store, the actions, the delivery worker, the console).

Each process serves them only when its port variable is set (RASA_METRICS_PORT,
ACTIONS_METRICS_PORT, DELIVERY_METRICS_PORT, STAFF_METRICS_PORT), on METRICS_HOST (127.0.0.1 by
default: the port is for Prometheus, never public), with /healthz (alive) and /readyz (ready to
work) beside /metrics.

No label carries a conversation id, a name, a phone number, an e-mail address or a message's text:
only the bounded values of LABEL_VALUES (tests/unit/clinic/test_metrics.py scrapes every metric
against them). Topics are intent names of the domain, anything else reads "other"."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector

logger = logging.getLogger(__name__)

PREFIX = "clinic_assistant"
HOST_ENV = "METRICS_HOST"
DEFAULT_HOST = "127.0.0.1"
PORT_ENVS = {"rasa": "RASA_METRICS_PORT", "actions": "ACTIONS_METRICS_PORT",
             "delivery": "DELIVERY_METRICS_PORT", "staff": "STAFF_METRICS_PORT"}

CHANNELS = ("rest", "socketio", "twilio", "whatsapp", "messenger", "telegram", "slack")
OUTCOMES = ("handled", "busy", "failed")
GRADES = ("clear", "possible")
FORMS = {"booking_form": "booking", "callback_form": "callback"}
FORM_SLOTS = {"booking": ("full_name", "contact_details", "preferred_time_text", "reason", "insurance_plan",
                          "consent"),
              "callback": ("full_name", "contact_details", "callback_message")}
FUNNEL_STEPS = ("started", "summary", "submitted", "cancelled") + tuple(
    sorted({f"slot_{slot}" for slots in FORM_SLOTS.values() for slot in slots}))
TARGETS = ("webhook", "email")
QUEUES = ("webhook", "email")
# What waits in the outbox: the request kinds (clinic/outbox.py) and, for e-mail notices, a flag's reason.
WAITING_KINDS = ("booking", "callback", "change", "cancel", "crisis", "other")
OTHER = "other"
# The readings counted as not understood (tools/review.py lists the same messages for review).
NOT_UNDERSTOOD_INTENTS = ("nlu_fallback", "out_of_scope", "ask_not_covered")
CRISIS_DETECTION_KEY = "crisis_detection"  # components/crisis_detector.py, in the parse data

# Every label a metric may carry, with its values; "topic" takes the domain's intent names (or "other").
LABEL_VALUES: Dict[str, Tuple[str, ...]] = {
    "channel": CHANNELS + (OTHER,), "outcome": OUTCOMES, "grade": GRADES, "form": tuple(FORM_SLOTS),
    "step": FUNNEL_STEPS, "target": TARGETS, "queue": QUEUES, "kind": WAITING_KINDS,
}
TOPIC_LABEL = "topic"

disable_created_metrics()  # the *_created series: noise for these counters
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

MESSAGES = Counter(f"{PREFIX}_messages", "Patients' messages handled, by channel and outcome",
                   ["channel", "outcome"], registry=REGISTRY)
REPLY_SECONDS = Histogram(f"{PREFIX}_reply_seconds", "Time from a message's arrival to its reply, by channel",
                          ["channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=REGISTRY)
READINGS = Counter(f"{PREFIX}_readings", "Patients' messages by the topic (intent) they were read as",
                   [TOPIC_LABEL], registry=REGISTRY)
NOT_UNDERSTOOD = Counter(f"{PREFIX}_not_understood", "Messages read as not understood (fallback, out of scope, "
                         "a question the sources do not cover)", registry=REGISTRY)
DID_YOU_MEAN = Counter(f"{PREFIX}_did_you_mean", "'Did you mean' suggestions shown after a low-confidence reading",
                       registry=REGISTRY)
CRISIS_DETECTIONS = Counter(f"{PREFIX}_crisis_detections", "Messages read as a crisis (clear) or possible risk",
                            ["grade"], registry=REGISTRY)
FUNNEL = Counter(f"{PREFIX}_funnel_steps", "Booking and call-back funnel steps: started, each slot filled, "
                 "summary shown, submitted, cancelled", ["form", "step"], registry=REGISTRY)
DELIVERY_ATTEMPTS = Counter(f"{PREFIX}_delivery_attempts", "Attempts to deliver a request or notice, by target",
                            ["target"], registry=REGISTRY)
DELIVERY_FAILURES = Counter(f"{PREFIX}_delivery_failures", "Failed delivery attempts (retried later), by target",
                            ["target"], registry=REGISTRY)
LOGIN_FAILURES = Counter(f"{PREFIX}_staff_login_failures", "Refused staff console log-ins", registry=REGISTRY)

for _channel in CHANNELS:  # every channel's series exist from the start, so that rate() sees the first one
    REPLY_SECONDS.labels(_channel)
for _target in TARGETS:
    DELIVERY_ATTEMPTS.labels(_target)
    DELIVERY_FAILURES.labels(_target)


def known(value: Optional[str], allowed: Iterable[str]) -> str:
    return value if value in set(allowed) else OTHER


# --- what each concern counts ------------------------------------------------------------------

def message_handled(channel: str, outcome: str, seconds: float) -> None:
    channel = known(channel, CHANNELS)
    MESSAGES.labels(channel, known(outcome, OUTCOMES)).inc()
    if outcome == "handled":
        REPLY_SECONDS.labels(channel).observe(seconds)


def conversation_events(events: Iterable[Any], intents: Iterable[str]) -> None:
    """New events of conversations, as the tracker store saves them: each patient message's reading
    (topic, not understood, crisis grade) and each form started. Payloads typed by buttons count too:
    they are the patient's choice of topic."""
    intents = set(intents)
    for event in events:
        kind = getattr(event, "type_name", None)
        if kind == "user":
            parse = getattr(event, "parse_data", None) or {}
            name = (parse.get("intent") or {}).get("name") or "nlu_fallback"
            READINGS.labels(name if name in intents or name == "nlu_fallback" else OTHER).inc()
            if name in NOT_UNDERSTOOD_INTENTS:
                NOT_UNDERSTOOD.inc()
            grade = (parse.get(CRISIS_DETECTION_KEY) or {}).get("grade")
            if grade in GRADES:
                CRISIS_DETECTIONS.labels(grade).inc()
        elif kind == "active_loop" and getattr(event, "name", None) in FORMS:
            FUNNEL.labels(FORMS[event.name], "started").inc()


def funnel_step(form: Optional[str], step: str) -> None:
    """A step of the booking or call-back funnel; `form` is "booking", "callback" or a form's name."""
    form = FORMS.get(form or "", form)
    if form in FORM_SLOTS and step in FUNNEL_STEPS:
        FUNNEL.labels(form, step).inc()


def slots_filled(form: Optional[str], slots: Iterable[str]) -> None:
    form = FORMS.get(form or "", form)
    for slot in slots:
        if slot in FORM_SLOTS.get(form or "", ()):
            funnel_step(form, f"slot_{slot}")


def did_you_mean() -> None:
    DID_YOU_MEAN.inc()


def delivery_attempt(target: str, failed: bool) -> None:
    DELIVERY_ATTEMPTS.labels(target).inc()
    if failed:
        DELIVERY_FAILURES.labels(target).inc()


def login_failed() -> None:
    LOGIN_FAILURES.inc()


# --- computed when scraped ---------------------------------------------------------------------

def _age_seconds(stamp: object, now: datetime) -> float:
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return max(0.0, (now - moment).total_seconds())


class OutboxCollector:
    """Requests (queue "webhook") and e-mail notices of requests and crisis flags (queue "email")
    not delivered yet: how many, and the age of the oldest, by kind. Read from the outbox at each
    scrape (delivery worker and staff console)."""

    def __init__(self, outbox: Any) -> None:
        self.outbox = outbox

    def waiting(self) -> Dict[Tuple[str, str], List[float]]:
        now = datetime.now(timezone.utc)
        ages: Dict[Tuple[str, str], List[float]] = {}
        for queue, (kind, created_at) in self.outbox.waiting_rows():
            ages.setdefault((queue, known(kind, WAITING_KINDS)), []).append(_age_seconds(created_at, now))
        return ages

    def collect(self) -> Iterator[GaugeMetricFamily]:
        count = GaugeMetricFamily(f"{PREFIX}_outbox_waiting", "Requests and notices not delivered yet",
                                  labels=["queue", "kind"])
        oldest = GaugeMetricFamily(f"{PREFIX}_outbox_oldest_waiting_seconds",
                                   "Age of the oldest request or notice not delivered yet", labels=["queue", "kind"])
        try:
            ages = self.waiting()
        except Exception:  # the outbox is unreachable: readiness says so; no made-up zeros
            logger.warning("could not read the outbox for metrics", exc_info=True)
            return
        for queue in QUEUES:
            for kind in WAITING_KINDS:
                found = ages.get((queue, kind), [])
                count.add_metric([queue, kind], len(found))
                oldest.add_metric([queue, kind], max(found, default=0.0))
        yield count
        yield oldest


class CrisisFlagCollector:
    """Crisis flags without a recorded follow-up (staff console): how many, and the oldest's age."""

    def __init__(self, open_flags: Callable[[], Iterable[object]]) -> None:
        self.open_flags = open_flags  # the created_at of each open crisis flag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stamps = list(self.open_flags())
        except Exception:
            logger.warning("could not read the crisis flags for metrics", exc_info=True)
            return
        now = datetime.now(timezone.utc)
        ages = [_age_seconds(stamp, now) for stamp in stamps]
        yield GaugeMetricFamily(f"{PREFIX}_crisis_flags_open", "Crisis flags without a recorded follow-up",
                                value=len(ages))
        yield GaugeMetricFamily(f"{PREFIX}_crisis_flag_oldest_open_seconds",
                                "Age of the oldest crisis flag without a recorded follow-up",
                                value=max(ages, default=0.0))


class ClinicOpenCollector:
    """Whether the clinic is open now (1 or 0), from the profile's `open_hours`; nothing without
    them, and the alerts then treat every hour as open (deploy/prometheus/alerts.yml)."""

    def __init__(self, is_open_now: Callable[[], Optional[bool]]) -> None:
        self.is_open_now = is_open_now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        open_now = self.is_open_now()
        if open_now is not None:
            yield GaugeMetricFamily(f"{PREFIX}_clinic_open", "1 while the clinic is open (the profile's open_hours)",
                                    value=int(open_now))


class ReadinessCollector:
    """clinic_assistant_ready: 1 when the process can work (the same check as /readyz), else 0."""

    def __init__(self, ready: Callable[[], Tuple[bool, str]]) -> None:
        self.ready = ready

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(f"{PREFIX}_ready", "1 when this process is ready to work, else 0",
                                value=1.0 if check(self.ready)[0] else 0.0)


def check(ready: Optional[Callable[[], Tuple[bool, str]]]) -> Tuple[bool, str]:
    """A readiness check's answer; an exception is "not ready", named by its type only."""
    if ready is None:
        return True, "ready"
    try:
        return ready()
    except Exception as error:  # noqa: BLE001
        return False, f"check failed: {type(error).__name__}"


_registered: List[object] = []


def register(collector: object) -> object:
    """Adds a scrape-time collector once per process (a second server in the same process, as in
    the tests, replaces the first's)."""
    for old in [c for c in _registered if type(c) is type(collector)]:
        REGISTRY.unregister(old)
        _registered.remove(old)
    REGISTRY.register(collector)
    _registered.append(collector)
    return collector


# --- serving -----------------------------------------------------------------------------------

def metrics_text() -> bytes:
    return generate_latest(REGISTRY)


class MetricsServer:
    """/metrics, /healthz and /readyz on a private port, in a daemon thread."""

    def __init__(self, host: str, port: int, ready: Optional[Callable[[], Tuple[bool, str]]] = None) -> None:
        self.ready = ready

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self.answer(200, metrics_text(), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self.answer(200, b"ok\n")
                elif path == "/readyz":
                    ok, why = check(server.ready)
                    self.answer(200 if ok else 503, f"{why}\n".encode())
                else:
                    self.answer(404, b"not found\n")

            def answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = self
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(process: str, ready: Optional[Callable[[], Tuple[bool, str]]] = None,
          environ: Optional[Mapping[str, str]] = None) -> Optional[MetricsServer]:
    """Serves this process's metrics when its port variable is set (PORT_ENVS); None otherwise."""
    environ = os.environ if environ is None else environ
    variable = PORT_ENVS[process]
    raw = (environ.get(variable) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SystemExit(f"{variable} must be a port number, not {raw!r}")
    host = (environ.get(HOST_ENV) or "").strip() or DEFAULT_HOST
    register(ReadinessCollector(lambda: check(ready)))
    server = MetricsServer(host, int(raw), ready)
    logger.info("metrics, /healthz and /readyz on http://%s:%d", host, server.port)
    return server


def timer() -> float:
    return time.monotonic()
