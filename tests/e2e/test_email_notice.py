"""E-mail notices to the clinic staff, with a real SMTP server and the real worker process: one
per request and per crisis flag, with nothing personal in it, over STARTTLS with a log-in,
retried, and never sent twice by two workers or by a worker killed and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, List

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from clinic.delivery import delivery_summary
from clinic.notices import EmailSettings, Notice, compose
from clinic.outbox import (
    DELIVERED, EXPIRED, PENDING, SENT, Outbox, flag_notice_key, notices_table, request_notice_key, utc_iso,
)
from tests.support.project import ROOT
from tests.support.receiver import Receiver, wait_for
from tools.servers import free_port
from tests.support.smtp_server import HOST, Accepted, SmtpServer, self_signed_certificate

STAFF = ("desk@clinic.example", "nurse@clinic.example")
SENDER = "assistant@clinic.example"
CONSOLE = "https://console.clinic.example"
SECRET = "test-secret-not-for-production"
FIELDS = {
    "name": "Quentin Zebulon-Marsh", "phone": "+12025550187", "email": "q.zebulon@example.org",
    "preferred_time": "2026-11-24T12:00:00-05:00", "preferred_time_text": "thursday at noon",
    "reason": "ptsd", "insurance": "Cigna", "message": "my sister knows about the dose",
    "conversation_id": "conv-7f3a9b", "channel": "rest",
}
FLAG_CONVERSATION, FLAG_DETAIL = "rest:visitor-9f8e7d", "rule:self_harm_plan"
PERSONAL = [FIELDS["name"], "Zebulon", FIELDS["phone"], "5550187", FIELDS["email"], FIELDS["message"],
            FIELDS["conversation_id"], FIELDS["preferred_time_text"], FIELDS["insurance"],
            FLAG_CONVERSATION, "visitor-9f8e7d", FLAG_DETAIL, "self_harm"]
SETTINGS = ("BOOKING_WEBHOOK_URL", "BOOKING_WEBHOOK_SECRET", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME",
            "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_CA_FILE", "NOTIFY_EMAIL_TO", "NOTIFY_EMAIL_FROM",
            "STAFF_CONSOLE_URL", "NOTIFY_MAX_AGE_HOURS")


@pytest.fixture()
def outbox(tmp_path) -> Outbox:
    return Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")


def worker_env(outbox: Outbox, smtp_port: int, **settings: str) -> dict:
    inherited = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {
        **inherited, "OUTBOX_DB_URL": outbox.url,
        "SMTP_HOST": HOST, "SMTP_PORT": str(smtp_port), "SMTP_STARTTLS": "off",
        "NOTIFY_EMAIL_TO": ", ".join(STAFF), "NOTIFY_EMAIL_FROM": SENDER, "STAFF_CONSOLE_URL": CONSOLE,
        "DELIVERY_TIMEOUT": "1", "DELIVERY_BACKOFF_BASE": "0.2", "DELIVERY_BACKOFF_MAX": "1",
        "DELIVERY_POLL_INTERVAL": "0.1", **settings,
    }


class Worker:
    """python -m clinic.delivery as a separate process, its output kept in a log file."""

    def __init__(self, outbox: Outbox, smtp_port: int, log: Path, **settings: str) -> None:
        self.env = worker_env(outbox, smtp_port, **settings)
        self.log_file = log
        self.process = None

    def __enter__(self) -> "Worker":
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "clinic.delivery"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def notice(outbox: Outbox, key: str) -> dict:
    return next(n for n in outbox.notices() if n["notice_key"] == key)


def all_sent(outbox: Outbox, count: int) -> bool:
    return [n["status"] for n in outbox.notices()] == [SENT] * count


def workers_moved_on(outbox: Outbox, *workers: Worker, timeout: float = 30) -> List[str]:
    """Stores marker requests until each worker has sent the notice of one; returns the markers' ids.
    A worker sends one notice at a time, oldest first, so by then it has finished every send it had
    begun before, and sent anything still due: a repeat would already be in the mail server's list."""
    markers: List[str] = []

    def sent_by(worker: Worker) -> bool:
        log = worker.log()
        return any(f"sent the e-mail notice for {request_notice_key(m)} " in log for m in markers)

    deadline = time.monotonic() + timeout
    while not all(sent_by(worker) for worker in workers):
        if all(notice(outbox, request_notice_key(m))["status"] == SENT for m in markers):
            markers += [outbox.add("booking", FIELDS)["request_id"] for _ in workers]
        assert time.monotonic() < deadline, f"not every worker sent a marker notice within {timeout:g}s"
        time.sleep(0.05)
    # A marker is marked sent before its log line is written, so one more may have been stored
    # meanwhile: every marker is sent before the caller counts the mail server's messages.
    assert wait_for(lambda: all(notice(outbox, request_notice_key(m))["status"] == SENT for m in markers),
                    timeout=timeout), "a marker notice was not sent"
    return markers


def without(accepted: Iterable[Accepted], markers: Iterable[str]) -> List[Accepted]:
    """The accepted messages other than the markers' notices."""
    return [a for a in accepted if not any(m in a.message["Subject"] for m in markers)]


def server_connections(port: int) -> int:
    """Connections the server listening on `port` still holds: established, or closed by the client only."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if int(local.rsplit(":", 1)[1], 16) == port and state in ("01", "08"):  # ESTABLISHED, CLOSE_WAIT
                    count += 1
    return count


def age(outbox: Outbox, key: str, hours: float) -> None:
    with outbox.engine.begin() as connection:
        connection.execute(update(notices_table).where(notices_table.c.notice_key == key).values(
            created_at=utc_iso(datetime.now(timezone.utc) - timedelta(hours=hours))))


def readable(created_at: str) -> str:
    return created_at.replace("T", " ").replace("Z", " UTC")


def assert_nothing_personal(accepted: Accepted) -> None:
    message = accepted.message
    views = {
        "raw message": accepted.raw.decode("utf-8", "replace"),
        "decoded headers": "\n".join(f"{name}: {value}" for name, value in message.items()),
        "decoded body": message.get_content(),
    }
    for view, text in views.items():
        for value in PERSONAL:
            assert value.lower() not in text.lower(), f"{value!r} is in the notice's {view}"


# Pure helpers


def settings(**environ: str) -> EmailSettings:
    base = {"SMTP_HOST": "mail.clinic.example", "NOTIFY_EMAIL_TO": "desk@clinic.example",
            "NOTIFY_EMAIL_FROM": SENDER}
    return EmailSettings.from_environment({**base, **environ})


def test_settings_defaults_and_several_recipients():
    assert EmailSettings.from_environment({"NOTIFY_EMAIL_TO": "a@b.example", "NOTIFY_EMAIL_FROM": SENDER}) is None
    default = settings()
    assert (default.port, default.starttls, default.username, default.ca_file) == (587, True, "", "")
    assert default.console_url == "http://127.0.0.1:8081" and default.max_age_hours == 72
    several = settings(NOTIFY_EMAIL_TO=" a@b.example, c@d.example ,, ", SMTP_PORT="2525",
                       STAFF_CONSOLE_URL="https://console.example/", NOTIFY_MAX_AGE_HOURS="12")
    assert several.recipients == ("a@b.example", "c@d.example")
    assert (several.port, several.console_url, several.max_age_hours) == (2525, "https://console.example", 12)


@pytest.mark.parametrize("value, starttls", [("0", False), ("false", False), (" No ", False), ("OFF", False),
                                             ("", True), ("1", True), ("yes", True), ("on", True)])
def test_starttls_is_on_unless_turned_off(value, starttls):
    assert settings(SMTP_STARTTLS=value).starttls is starttls


@pytest.mark.parametrize("environ, named", [
    ({"NOTIFY_EMAIL_TO": ""}, ["NOTIFY_EMAIL_TO"]),
    ({"NOTIFY_EMAIL_FROM": " "}, ["NOTIFY_EMAIL_FROM"]),
    ({"NOTIFY_EMAIL_TO": ",", "NOTIFY_EMAIL_FROM": ""}, ["NOTIFY_EMAIL_TO", "NOTIFY_EMAIL_FROM"]),
    ({"SMTP_PORT": "smtp"}, ["SMTP_PORT"]),
    ({"NOTIFY_EMAIL_TO": "desk"}, ["NOTIFY_EMAIL_TO", "'desk'"]),
    ({"SMTP_CA_FILE": "/nonexistent/ca.pem"}, ["SMTP_CA_FILE", "/nonexistent/ca.pem"]),
])
def test_incomplete_settings_say_what_to_set(environ, named):
    with pytest.raises(SystemExit) as stopped:
        settings(**environ)
    for name in named:
        assert name in str(stopped.value)


def test_a_request_notice_has_reference_kind_time_and_link():
    notice_row = Notice("request:CB-ABCD-EFGH", "callback", "CB-ABCD-EFGH", "2026-11-24T17:00:05Z")
    message = compose(notice_row, settings(STAFF_CONSOLE_URL=CONSOLE + "/", NOTIFY_EMAIL_TO=", ".join(STAFF)))
    body = message.get_content()
    assert message["Subject"] == "New call-back request CB-ABCD-EFGH"
    assert (message["From"], message["To"]) == (SENDER, ", ".join(STAFF))
    for line in ("Reference: CB-ABCD-EFGH", "Kind: call-back", "Created: 2026-11-24 17:00:05 UTC",
                 f"Link: {CONSOLE}/requests/CB-ABCD-EFGH"):
        assert line in body.splitlines()
    assert "urgent" not in body.lower() and message["Importance"] is None


def test_a_crisis_flag_notice_says_it_is_urgent():
    message = compose(Notice("flag:12", "crisis", "12", "2026-11-24T17:00:05Z"), settings())
    assert message["Subject"] == "URGENT - Crisis flag 12: please follow up"
    body = message.get_content()
    assert body.startswith("URGENT") and "Kind: crisis flag" in body
    assert "Link: http://127.0.0.1:8081/flags/12" in body.splitlines()
    assert message["Importance"] == "high"


def test_the_message_id_is_fixed_per_notice():
    request = Notice("request:BK-ABCD-EFGH", "booking", "BK-ABCD-EFGH", "2026-11-24T17:00:05Z")
    ids = {compose(request, settings())["Message-ID"] for _ in range(3)}
    assert ids == {"<notice.request.BK-ABCD-EFGH.20261124T170005Z@clinic.example>"}
    flag = Notice("flag:1", "crisis", "1", "2026-11-24T17:00:05Z")
    # A reset outbox numbers its flags from 1 again: the creation time tells the two apart.
    same_number_later = Notice("flag:1", "crisis", "1", "2026-12-01T09:00:00Z")
    assert compose(flag, settings())["Message-ID"] != compose(same_number_later, settings())["Message-ID"]


def test_delivery_summary():
    webhook = {"BOOKING_WEBHOOK_URL": "https://user:pw@clinic.example/bookings?token=abc",
               "BOOKING_WEBHOOK_SECRET": "s"}
    email = {"SMTP_HOST": "mail.clinic.example", "NOTIFY_EMAIL_TO": ", ".join(STAFF), "NOTIFY_EMAIL_FROM": SENDER}
    assert delivery_summary({}) is None
    assert delivery_summary(webhook) == "webhook https://clinic.example/bookings"
    assert delivery_summary(email) == f"e-mail to {', '.join(STAFF)} via mail.clinic.example:587"
    assert delivery_summary({**webhook, **email}) == (f"webhook https://clinic.example/bookings and "
                                                      f"e-mail to {', '.join(STAFF)} via mail.clinic.example:587")
    with pytest.raises(SystemExit, match="NOTIFY_EMAIL_FROM"):
        delivery_summary({**webhook, **email, "NOTIFY_EMAIL_FROM": ""})


def test_every_request_and_flag_is_stored_with_its_notice(outbox):
    payload = outbox.add("booking", FIELDS)
    flag_id = outbox.flag(FLAG_CONVERSATION, "rest", "crisis", FLAG_DETAIL)
    stored = {n["notice_key"]: n for n in outbox.notices()}
    assert set(stored) == {request_notice_key(payload["request_id"]), flag_notice_key(flag_id)}
    request = stored[request_notice_key(payload["request_id"])]
    assert (request["kind"], request["reference"], request["created_at"], request["status"]) == \
        ("booking", payload["request_id"], payload["created_at"], PENDING)
    assert stored[flag_notice_key(flag_id)]["kind"] == "crisis"
    assert stored[flag_notice_key(flag_id)]["created_at"] == outbox.flags()[0]["created_at"]


def test_a_flag_whose_notice_cannot_be_written_is_not_stored_either(outbox):
    first = outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
    with outbox.engine.begin() as connection:  # the next flag's notice key, taken already
        connection.execute(insert(notices_table).values(
            notice_key=flag_notice_key(first + 1), kind="crisis", reference=str(first + 1),
            created_at="2026-01-01T00:00:00Z", status=SENT))
    with pytest.raises(IntegrityError):
        outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
    assert [f["id"] for f in outbox.flags()] == [first], "one transaction: a flag never exists without its notice"


# The real worker and a real SMTP server


def test_one_notice_per_request_and_per_crisis_flag_with_nothing_personal(outbox, tmp_path):
    booking = outbox.add("booking", FIELDS)
    callback = outbox.add("callback", {**FIELDS, "preferred_time": None, "preferred_time_text": None})
    flag_id = outbox.flag(FLAG_CONVERSATION, "rest", "crisis", FLAG_DETAIL)
    flag_created = outbox.flags()[0]["created_at"]
    with SmtpServer() as server, Worker(outbox, server.port, tmp_path / "worker.log") as worker:
        assert wait_for(lambda: all_sent(outbox, 3))
        markers = workers_moved_on(outbox, worker)  # a second send would have come by now
    received = without(server.accepted, markers)
    assert len(received) == 3
    by_subject = {a.message["Subject"]: a for a in received}
    expected = {
        f"New booking request {booking['request_id']}":
            ("booking", booking["request_id"], booking["created_at"], f"/requests/{booking['request_id']}"),
        f"New call-back request {callback['request_id']}":
            ("call-back", callback["request_id"], callback["created_at"], f"/requests/{callback['request_id']}"),
        f"URGENT - Crisis flag {flag_id}: please follow up":
            ("crisis flag", f"flag {flag_id}", flag_created, f"/flags/{flag_id}"),
    }
    assert set(by_subject) == set(expected)
    for subject, (kind, reference, created_at, path) in expected.items():
        accepted = by_subject[subject]
        lines = accepted.message.get_content().splitlines()
        for line in (f"Reference: {reference}", f"Kind: {kind}", f"Created: {readable(created_at)}",
                     f"Link: {CONSOLE}{path}"):
            assert line in lines, (subject, line)
        assert accepted.recipients == list(STAFF) and accepted.mail_from == SENDER
        assert_nothing_personal(accepted)
    assert len({a.message["Message-ID"] for a in received}) == 3


def test_starttls_verified_against_the_clinic_ca_with_a_login(outbox, tmp_path):
    certificate = self_signed_certificate(tmp_path)
    payload = outbox.add("booking", FIELDS)
    key = request_notice_key(payload["request_id"])
    login = {"SMTP_STARTTLS": "", "SMTP_USERNAME": "clinic-staff", "SMTP_PASSWORD": "pass phrase: 7%"}
    with SmtpServer(certificate=certificate, login=("clinic-staff", "pass phrase: 7%")) as server:
        # Without SMTP_CA_FILE the system's CAs are trusted, and they never signed the test certificate.
        with Worker(outbox, server.port, tmp_path / "untrusting.log", **login):
            assert wait_for(lambda: notice(outbox, key)["attempts"] >= 1)
        assert server.accepted == [] and notice(outbox, key)["status"] == PENDING
        assert "CERTIFICATE_VERIFY_FAILED" in notice(outbox, key)["last_error"]
        with Worker(outbox, server.port, tmp_path / "worker.log", SMTP_CA_FILE=str(certificate[0]), **login):
            assert wait_for(lambda: notice(outbox, key)["status"] == SENT)
    [accepted] = server.accepted
    assert accepted.over_tls and accepted.user == "clinic-staff"
    assert accepted.message["Subject"] == f"New booking request {payload['request_id']}"


def test_temporary_refusals_are_retried_and_one_message_is_accepted(outbox, tmp_path):
    payload = outbox.add("booking", FIELDS)
    key = request_notice_key(payload["request_id"])
    with SmtpServer(refuse_first=2) as server, Worker(outbox, server.port, tmp_path / "worker.log") as worker:
        assert wait_for(lambda: notice(outbox, key)["status"] == SENT)
        markers = workers_moved_on(outbox, worker)
    assert server.data_commands == 3 + len(markers) and len(without(server.accepted, markers)) == 1
    assert notice(outbox, key)["attempts"] == 3


def test_a_mail_server_down_for_several_retries_then_up(outbox, tmp_path):
    flag_id = outbox.flag(FLAG_CONVERSATION, "rest", "crisis", FLAG_DETAIL)
    key = flag_notice_key(flag_id)
    port = free_port()
    with Worker(outbox, port, tmp_path / "worker.log") as worker:
        assert wait_for(lambda: notice(outbox, key)["attempts"] >= 3)
        assert notice(outbox, key)["status"] == PENDING and "Connection" in notice(outbox, key)["last_error"]
        with SmtpServer(port=port) as server:
            assert wait_for(lambda: notice(outbox, key)["status"] == SENT)
            markers = workers_moved_on(outbox, worker)
    [accepted] = without(server.accepted, markers)
    assert accepted.message["Subject"] == f"URGENT - Crisis flag {flag_id}: please follow up"


def test_two_workers_at_once_send_each_notice_once(outbox, tmp_path):
    for _ in range(8):
        outbox.add("booking", FIELDS)
    for _ in range(2):
        outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
    with SmtpServer(accept_delay=0.3) as server:
        with Worker(outbox, server.port, tmp_path / "a.log") as first, \
                Worker(outbox, server.port, tmp_path / "b.log") as second:
            assert wait_for(lambda: all_sent(outbox, 10))
            markers = workers_moved_on(outbox, first, second)
    message_ids = [a.message["Message-ID"] for a in without(server.accepted, markers)]
    assert len(message_ids) == 10 == len(set(message_ids))

    def took_part(worker: Worker) -> bool:
        sent = [line for line in worker.log().splitlines() if "sent the e-mail notice for" in line]
        return any(not any(m in line for m in markers) for line in sent)

    assert took_part(first) and took_part(second), "both workers should have taken part"


def test_a_killed_and_restarted_worker_sends_nothing_twice(outbox, tmp_path):
    for _ in range(2):
        outbox.add("booking", FIELDS)
    with SmtpServer(accept_delay=1.0) as server:
        # A timeout longer than the server's delay: the worker waits for each answer.
        with Worker(outbox, server.port, tmp_path / "killed.log", DELIVERY_TIMEOUT="5") as worker:
            # Killed while the server is still taking the second message: it is never accepted.
            assert wait_for(lambda: len(server.accepted) == 1 and server.data_commands == 2)
            worker.kill()
        # The server has let go of the dead worker's connection: it has cancelled that message's handling
        # (or finished it, and accepted the message) before closing its end.
        assert wait_for(lambda: server_connections(server.port) == 0, timeout=10), "the connection stays open"
        assert len(server.accepted) == 1
        assert sorted(n["status"] for n in outbox.notices()) == [PENDING, SENT]
        with outbox.engine.begin() as connection:  # as if the dead worker's lease had run out
            connection.execute(update(notices_table).values(leased_until=0.0))
        outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
        with Worker(outbox, server.port, tmp_path / "restarted.log", DELIVERY_TIMEOUT="5") as restarted:
            assert wait_for(lambda: all_sent(outbox, 3))
            markers = workers_moved_on(outbox, restarted)
    message_ids = [a.message["Message-ID"] for a in without(server.accepted, markers)]
    assert len(message_ids) == 3 == len(set(message_ids))


def test_webhook_and_email_both_deliver(outbox, tmp_path):
    payload = outbox.add("booking", FIELDS)
    flag_id = outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
    with Receiver(SECRET) as receiver, SmtpServer() as server, \
            Worker(outbox, server.port, tmp_path / "worker.log", BOOKING_WEBHOOK_URL=receiver.url,
                   BOOKING_WEBHOOK_SECRET=SECRET) as worker:
        assert wait_for(lambda: outbox.requests()[0]["status"] == DELIVERED and all_sent(outbox, 2))
        # A marker request goes through both: the worker has moved on once it is delivered and notified.
        markers = workers_moved_on(outbox, worker)
        assert wait_for(lambda: {r["status"] for r in outbox.requests()} == {DELIVERED})
    assert receiver.payloads()[0] == payload and [p["request_id"] for p in receiver.payloads()[1:]] == markers
    assert sorted(a.message["Subject"] for a in without(server.accepted, markers)) == sorted([
        f"New booking request {payload['request_id']}", f"URGENT - Crisis flag {flag_id}: please follow up"])
    assert f"delivering to webhook {receiver.url} and e-mail to {', '.join(STAFF)}" in worker.log()


def test_webhook_alone_leaves_the_notices_pending(outbox, tmp_path):
    payload = outbox.add("booking", FIELDS)
    with Receiver(SECRET) as receiver, \
            Worker(outbox, free_port(), tmp_path / "worker.log", SMTP_HOST="", BOOKING_WEBHOOK_URL=receiver.url,
                   BOOKING_WEBHOOK_SECRET=SECRET):
        assert wait_for(lambda: outbox.requests()[0]["status"] == DELIVERED)
    assert receiver.payloads() == [payload]
    assert [(n["status"], n["attempts"]) for n in outbox.notices()] == [(PENDING, 0)]


def test_missing_recipients_stop_the_worker_at_start_with_what_to_set(outbox):
    outbox.add("booking", FIELDS)
    result = subprocess.run([sys.executable, "-m", "clinic.delivery"], cwd=ROOT, capture_output=True, text=True,
                            env=worker_env(outbox, free_port(), NOTIFY_EMAIL_TO=""), timeout=60)
    assert result.returncode != 0
    assert "SMTP_HOST is set but NOTIFY_EMAIL_TO is empty" in result.stderr, result.stderr
    assert [(n["status"], n["attempts"]) for n in outbox.notices()] == [(PENDING, 0)]


def test_pending_notices_older_than_the_limit_are_expired_not_sent(outbox, tmp_path):
    old, recent = outbox.add("booking", FIELDS), outbox.add("callback", FIELDS)
    old_flag = outbox.flag(FLAG_CONVERSATION, "rest", "crisis")
    age(outbox, request_notice_key(old["request_id"]), hours=73)
    age(outbox, flag_notice_key(old_flag), hours=200)
    age(outbox, request_notice_key(recent["request_id"]), hours=71)
    with SmtpServer() as server, Worker(outbox, server.port, tmp_path / "worker.log") as worker:
        assert wait_for(lambda: notice(outbox, request_notice_key(recent["request_id"]))["status"] == SENT)
        markers = workers_moved_on(outbox, worker)
    subjects: List[str] = [a.message["Subject"] for a in without(server.accepted, markers)]
    assert subjects == [f"New call-back request {recent['request_id']}"]
    assert notice(outbox, request_notice_key(old["request_id"]))["status"] == EXPIRED
    assert notice(outbox, flag_notice_key(old_flag))["status"] == EXPIRED
    assert "expired 2 pending e-mail notice(s) older than 72 hours" in worker.log()


def test_postgresql_outbox_when_configured(tmp_path):
    """OUTBOX_DB_URL pointing at a real PostgreSQL server: notices stored with their request and
    flag, and each sent once."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        outbox = Outbox(url)
        payload = outbox.add("booking", FIELDS)
        flag_id = outbox.flag(FLAG_CONVERSATION, "rest", "crisis", FLAG_DETAIL)
        with SmtpServer() as server, Worker(outbox, server.port, tmp_path / "worker.log") as worker:
            assert wait_for(lambda: all_sent(outbox, 2))
            markers = workers_moved_on(outbox, worker)
        assert sorted(a.message["Subject"] for a in without(server.accepted, markers)) == sorted([
            f"New booking request {payload['request_id']}", f"URGENT - Crisis flag {flag_id}: please follow up"])
        outbox.engine.dispose()
