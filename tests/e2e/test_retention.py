"""Retention: conversations idle for longer than the limit are deleted whole from the real tracker
store (the embedded SQLite one), and nothing else is touched."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.tracker_store import ClinicTrackerStore
from tests.support.project import ROOT

DAY = 86400


def store_conversation(store: ClinicTrackerStore, sender: str, days_ago: list) -> None:
    events = []
    for age in days_ago:
        stamp = time.time() - age * DAY
        events += [UserUttered("my phone is 202-555-0143", timestamp=stamp),
                   ActionExecuted("action_listen", timestamp=stamp)]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def senders(db: Path) -> set:
    with sa.create_engine(f"sqlite:///{db}").connect() as connection:
        return {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT sender_id FROM events")}


def test_purge_deletes_idle_conversations_whole(tmp_path):
    db = tmp_path / "tracker.db"
    store = ClinicTrackerStore(Domain.empty(), db=str(db))
    store_conversation(store, "old", [45, 40])
    store_conversation(store, "old-then-recent", [60, 2])  # active lately: kept whole
    store_conversation(store, "recent", [1])
    store.engine.dispose()
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: components.tracker_store.ClinicTrackerStore\n  db: "{db}"\n')
    command = [sys.executable, "-m", "tools.retention", "--endpoints", str(endpoints), "--days", "30"]

    dry = subprocess.run(command + ["--dry-run"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "would delete 1 conversation(s) (4 events)" in dry.stdout
    assert senders(db) == {"old", "old-then-recent", "recent"}

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "deleted 1 conversation(s) (4 events)" in done.stdout
    assert senders(db) == {"old-then-recent", "recent"}
    # Really gone from the file (vacuumed), not only from the table: 3 user messages kept, each
    # stored twice (its event and its parse data).
    assert db.read_bytes().count(b"202-555-0143") == 6


def test_retention_refuses_nonsense_and_unsupported_stores(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n  url: localhost\n")
    base = [sys.executable, "-m", "tools.retention", "--endpoints", str(endpoints)]
    assert "only SQL tracker stores" in subprocess.run(
        base + ["--days", "30"], cwd=ROOT, capture_output=True, text=True).stderr
    assert "at least 1" in subprocess.run(base + ["--days", "0"], cwd=ROOT, capture_output=True, text=True).stderr
