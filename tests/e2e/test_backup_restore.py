"""`make backup` / `make restore` on the real servers' state: bookings, a crisis flag, a staff account
and the conversations survive losing var/, and requests that were waiting are delivered once."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing

from clinic.delivery import RetrySettings, WebhookDelivery, WebhookSettings
from clinic.outbox import Outbox
from staff.store import StaffStore
from tests.e2e.test_booking import book_until_summary, new_sender
from tests.support.chat import say
from tests.support.project import ROOT
from tests.support.receiver import Receiver
from tools.servers import running_assistant

STAFF_EMAIL = "desk@clinic.example"
STAFF_PASSWORD = "correct horse battery staple 42"
SECRET = "backup-test-secret"


def backup_tool(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.backup", *args], cwd=ROOT, input=stdin, text=True,
                          capture_output=True, timeout=120)


def conversation_events(tracker_db, sender: str) -> int:
    with closing(sqlite3.connect(tracker_db)) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def book(assistant, sender: str) -> None:
    book_until_summary(assistant, sender)
    say(assistant, sender, "/affirm")


def test_backup_and_restore_bring_everything_back(model_path, tmp_path):
    state = tmp_path / "state"
    backups = tmp_path / "backups"
    senders = [new_sender("backup"), new_sender("backup")]
    with running_assistant(model_path, state) as assistant:
        outbox_url = assistant.env["OUTBOX_DB_URL"]
        for sender in senders:
            book(assistant, sender)
        say(assistant, senders[0], "i want to kill myself")
        StaffStore(Outbox(outbox_url)).set_password(STAFF_EMAIL, STAFF_PASSWORD)
        before = {r["request_id"] for r in Outbox(outbox_url).requests()}
        # Taken while both servers run: the online backup reads a consistent snapshot.
        made = backup_tool("create", "--state-dir", str(state), "--to", str(backups))
        assert made.returncode == 0, made.stderr
        later = new_sender("after-backup")
        book(assistant, later)

    archive = next(backups.glob("clinic-state-*.tar.gz"))
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert sorted(tarfile.open(archive).getnames()) == ["manifest.json", "outbox.db", "tracker.db"]
    assert len(before) == 2 and "2 requests" in made.stdout and "1 staff accounts" in made.stdout, made.stdout

    for database in state.glob("*.db"):
        database.unlink()
    # Nobody to confirm (no terminal, no --yes): nothing is restored.
    refused = backup_tool("restore", str(archive), "--state-dir", str(state))
    assert refused.returncode == 1 and not (state / "outbox.db").exists(), refused.stdout + refused.stderr
    restored = backup_tool("restore", str(archive), "--state-dir", str(state), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "from the backup 2 requests, 1 flags, 1 staff accounts" in restored.stdout, restored.stdout

    outbox = Outbox(f"sqlite:///{state / 'outbox.db'}")
    requests = {r["request_id"]: r for r in outbox.requests()}
    assert set(requests) == before  # the booking made after the backup is not in it
    assert {r["payload"]["conversation_id"] for r in requests.values()} == set(senders)
    assert [f["conversation_id"] for f in outbox.flags()] == [senders[0]]
    assert StaffStore(outbox).log_in(STAFF_EMAIL, STAFF_PASSWORD, "127.0.0.1")
    assert conversation_events(state / "tracker.db", senders[1]) > 10
    assert conversation_events(state / "tracker.db", later) == 0

    # Requests waiting at the time of the backup are waiting again, and each is delivered once.
    with Receiver(SECRET) as receiver:
        delivery = WebhookDelivery(outbox, WebhookSettings(receiver.url, SECRET), RetrySettings(timeout=10))
        assert delivery.deliver_due() == 2
        assert delivery.deliver_due() == 0
    assert sorted(receiver.acknowledged) == sorted(before)
    assert oct((state / "outbox.db").stat().st_mode & 0o777) == "0o600"


def test_a_damaged_archive_is_refused_and_changes_nothing(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    Outbox(f"sqlite:///{state / 'outbox.db'}").add("booking", {"name": "Kept Here"})
    made = backup_tool("create", "--state-dir", str(state), "--to", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    archive = next((tmp_path / "backups").glob("*.tar.gz"))
    # The same names, other contents: the manifest no longer matches.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w:gz") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name == "outbox.db":
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    result = backup_tool("restore", str(damaged), "--state-dir", str(state), "--yes")
    assert result.returncode == 2 and "does not match its manifest" in result.stderr, result.stderr
    assert [r["payload"]["name"] for r in Outbox(f"sqlite:///{state / 'outbox.db'}").requests()] == ["Kept Here"]
    assert not [p for p in os.listdir(state) if p.endswith(".restoring")]
