"""The staff console in Debian's Chromium (tests/browser/console.test.mjs), with everything real: a
booking made in the chat widget reaches the console's inbox, and the delivery worker sends the
clinic exactly one e-mail notice for it, to an SMTP server on 127.0.0.1, without personal data.
What the front desk did in the browser (attempts, a note, an owner, a status) is then in the store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import insert

from clinic.outbox import PENDING, SENT, Outbox, notices_table, utc_now_iso
from staff.store import StaffStore
from tests.support.project import ROOT
from tests.support.receiver import wait_for
from tests.support.smtp_server import SmtpServer
from tools.servers import HOST, free_port, start_staff_console, stop, wait_until_up

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
STAFF_EMAIL, STAFF_PASSWORD = "frontdesk@clinic.example", "front desk password 1"
OWNER_EMAIL = "nurse.lee@clinic.example"  # a colleague the front desk gives a request to
NOTICE_TIMEOUT = 60


def worker_moved_on(outbox: Outbox) -> None:
    """Stores a marker notice (for no request, so the console shows nothing new) and waits until the
    worker has sent it. The worker sends one notice at a time, oldest first, so by then it has finished
    with every notice stored before: a second one for the booking would already have arrived."""
    key = f"request:MARKER-{uuid.uuid4().hex[:8].upper()}"
    with outbox.engine.begin() as connection:
        connection.execute(insert(notices_table).values(
            notice_key=key, kind="booking", reference=key.split(":", 1)[1], created_at=utc_now_iso(),
            status=PENDING, attempts=0, next_attempt_at=0.0, leased_until=0.0))

    def marker_status() -> str:
        return next(n["status"] for n in outbox.notices() if n["notice_key"] == key)

    assert wait_for(lambda: marker_status() == SENT, NOTICE_TIMEOUT), "the worker did not send the marker notice"


def test_a_widget_booking_reaches_the_console_and_one_e_mail_notice(assistant, demo_page, tmp_path):
    if not shutil.which("node") or not os.path.exists(CHROMIUM):
        pytest.fail("the browser tests need Node.js and Chromium: run `make system-packages widget`")
    outbox_url = assistant.env["OUTBOX_DB_URL"]
    for email in (STAFF_EMAIL, OWNER_EMAIL):
        StaffStore(Outbox(outbox_url)).set_password(email, STAFF_PASSWORD)
    console_port = free_port()
    console_url = f"http://{HOST}:{console_port}"
    review_dir = tmp_path / "review"
    record = ARTIFACTS / "console-booking.json"
    record.unlink(missing_ok=True)
    # The inbox reloads itself every 2 s here, so that a new booking shows within the test's patience.
    env = {"OUTBOX_DB_URL": outbox_url, "REVIEW_DIR": str(review_dir), "STAFF_REFRESH_SECONDS": "2"}
    with SmtpServer() as smtp, open(tmp_path / "console.log", "ab") as console_log, \
            open(tmp_path / "delivery.log", "ab") as delivery_log:
        console = start_staff_console(console_port, assistant.workdir / "endpoints.yml", console_log, env)
        worker = subprocess.Popen(
            [sys.executable, "-m", "clinic.delivery"], cwd=ROOT, stdout=delivery_log, stderr=subprocess.STDOUT,
            env={**os.environ, **env, "SMTP_HOST": HOST, "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "off",
                 "NOTIFY_EMAIL_TO": "desk@clinic.example", "NOTIFY_EMAIL_FROM": "assistant@clinic.example",
                 "STAFF_CONSOLE_URL": console_url, "DELIVERY_POLL_INTERVAL": "0.2"})
        try:
            wait_until_up(f"{console_url}/login", console, timeout=60)
            result = subprocess.run(
                ["node", "--test", "--test-reporter=spec", "--test-concurrency=1", "tests/browser/console.test.mjs"],
                cwd=ROOT, capture_output=True, text=True, timeout=900,
                env={**os.environ, "DEMO_URL": demo_page, "CONSOLE_URL": console_url, "STAFF_EMAIL": STAFF_EMAIL,
                     "STAFF_PASSWORD": STAFF_PASSWORD, "OWNER_EMAIL": OWNER_EMAIL, "PYTHON": sys.executable,
                     "OUTBOX_DB_URL": outbox_url, "ARTIFACTS_DIR": str(ARTIFACTS), "CHROMIUM": CHROMIUM},
            )
            (ARTIFACTS / "console-browser.log").write_text(result.stdout + result.stderr, encoding="utf-8")
            assert result.returncode == 0, f"browser tests failed:\n{result.stdout[-15000:]}\n{result.stderr[-3000:]}"
            reference = json.loads(record.read_text(encoding="utf-8"))["reference"]

            def notices_for(ref: str) -> list:
                return [m for m in smtp.messages() if ref in m["Subject"]]

            assert wait_for(lambda: notices_for(reference), NOTICE_TIMEOUT), "no e-mail notice arrived"
            worker_moved_on(Outbox(outbox_url))
        finally:
            stop(console)
            worker.terminate()
            worker.wait(timeout=30)
        # Exactly one notice for the booking, with its reference and a link into the console, and no
        # personal detail of any stored request anywhere in any notice.
        notices = notices_for(reference)
        assert len(notices) == 1, [m["Subject"] for m in smtp.messages()]
        assert f"{console_url}/requests/{reference}" in notices[0].get_content()
        stored = [r["payload"] for r in Outbox(outbox_url).requests()]
        personal = {str(p[key]) for p in stored for key in ("name", "phone", "email", "message") if p.get(key)}
        assert {"Bea Console", "+12025550164"} <= personal
        for accepted in smtp.accepted:
            raw = accepted.raw.decode("utf-8", errors="replace")
            leaked = [value for value in personal if value in raw]
            assert not leaked, f"an e-mail notice carries personal data: {leaked}"
    # What staff did in the browser is in the store: the new status, and the label as training data.
    store = StaffStore(Outbox(outbox_url))
    assert store.status_history()[reference][-1]["status"] == "contacted"
    assert store.status_history()[reference][-1]["changed_by"] == STAFF_EMAIL
    # Two calls nobody answered before the patient was reached, a note, and the colleague who has it.
    assert [c["status"] for c in store.status_history()[reference]] == ["tried, no answer"] * 2 + ["contacted"]
    assert store.notes(reference)[reference][0]["written_by"] == STAFF_EMAIL
    assert store.owners()[reference] == OWNER_EMAIL
    actions = {(e["action"], e["target"], e["detail"]) for e in store.audit_log()}
    assert {("assign request", reference, OWNER_EMAIL), ("change status", reference, "tried, no answer (attempt 2)"),
            ("add note", reference, "Rang at 10, no answer; will try after lunch.")} <= actions
    assert len([f for f in Outbox(outbox_url).flags() if f["conversation_id"].startswith("console-30-flags-")]) == 30
    labelled = (review_dir / "labelled.yml").read_text(encoding="utf-8")
    assert "- intent: out_of_scope" in labelled and "qwzx blorft vintage wibble" in labelled
    assert any(e["action"] == "read transcript" and e["email"] == STAFF_EMAIL for e in store.audit_log())
    assert (ARTIFACTS / "console-30-flags.png").stat().st_size > 0
    for page in ("login", "inbox", "request-notes", "request", "transcript", "review", "glance", "30-flags"):
        assert (ARTIFACTS / f"console-{page}.png").stat().st_size > 0
        assert json.loads((ARTIFACTS / f"console-{page}-axe.json").read_text())["passes"] > 0
