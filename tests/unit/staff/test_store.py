"""The console's store on SQLite: a request's notes, its owner and the attempts to reach the
patient, each in the audit log; an older database gains the new tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from clinic.outbox import Outbox
from staff import store as staff_store
from staff.store import MAX_NOTE_LENGTH, NO_ANSWER, StaffStore

ALICE, BOB = "alice@clinic.example", "bob@clinic.example"
PASSWORD = "a long staff password"


@pytest.fixture
def store(tmp_path: Path) -> StaffStore:
    made = StaffStore(Outbox(f"sqlite:///{tmp_path / 'outbox.db'}"))
    for email in (ALICE, BOB):
        made.set_password(email, PASSWORD)
    return made


def audited(store: StaffStore) -> list:
    return [(e["email"], e["action"], e["target"], e["detail"]) for e in reversed(store.audit_log())]


def test_notes_are_kept_newest_first_with_their_author_and_audited(store: StaffStore) -> None:
    store.add_note("BK-AAAA-BBBB", "  Left a voicemail.  ", ALICE)
    store.add_note("BK-AAAA-BBBB", "Patient calls back after 3pm <b>today</b>", BOB)
    store.add_note("CB-CCCC-DDDD", "Other request", ALICE)
    notes = store.notes("BK-AAAA-BBBB")["BK-AAAA-BBBB"]
    assert [(n["note"], n["written_by"]) for n in notes] == [
        ("Patient calls back after 3pm <b>today</b>", BOB), ("Left a voicemail.", ALICE)]
    assert notes[0]["written_at"].endswith("Z")
    assert set(store.notes()) == {"BK-AAAA-BBBB", "CB-CCCC-DDDD"}
    assert (ALICE, "add note", "BK-AAAA-BBBB", "Left a voicemail.") in audited(store)
    for refused in ("", "   ", "x" * (MAX_NOTE_LENGTH + 1)):
        with pytest.raises(ValueError):
            store.add_note("BK-AAAA-BBBB", refused, ALICE)
    store.add_note("BK-AAAA-BBBB", "x" * MAX_NOTE_LENGTH, ALICE)


def test_an_owner_is_a_staff_account_or_nobody_and_every_assignment_is_audited(store: StaffStore) -> None:
    assert store.owners() == {} and store.staff_emails() == [ALICE, BOB]
    store.assign("BK-AAAA-BBBB", "Bob@Clinic.example", ALICE)
    assert store.owners() == {"BK-AAAA-BBBB": BOB}
    store.assign("BK-AAAA-BBBB", "", BOB)
    assert store.owners() == {"BK-AAAA-BBBB": ""}
    with pytest.raises(ValueError, match="no staff account"):
        store.assign("BK-AAAA-BBBB", "stranger@example.org", ALICE)
    assert store.owners() == {"BK-AAAA-BBBB": ""}
    entries = audited(store)
    assert (ALICE, "assign request", "BK-AAAA-BBBB", BOB) in entries
    assert (BOB, "assign request", "BK-AAAA-BBBB", "nobody") in entries


def test_each_tried_no_answer_is_one_more_attempt_in_the_history_and_the_audit_log(store: StaffStore) -> None:
    for status in (NO_ANSWER, NO_ANSWER, "contacted"):
        store.set_status("BK-AAAA-BBBB", status, ALICE)
    history = store.status_history()["BK-AAAA-BBBB"]
    assert [c["status"] for c in history] == [NO_ANSWER, NO_ANSWER, "contacted"]
    changes = [e[3] for e in audited(store) if e[1] == "change status"]
    assert changes == ["tried, no answer (attempt 1)", "tried, no answer (attempt 2)", "contacted"]
    with pytest.raises(ValueError):
        store.set_status("BK-AAAA-BBBB", "called", ALICE)


def test_a_database_made_before_notes_and_owners_gains_their_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    outbox = Outbox(url)
    older = [t for name, t in staff_store.metadata.tables.items()
             if name not in ("staff_request_notes", "staff_request_owners")]
    staff_store.metadata.create_all(outbox.engine, tables=older)
    with outbox.engine.begin() as connection:
        connection.execute(sa.insert(staff_store.status_changes).values(
            request_id="BK-AAAA-BBBB", status="contacted", changed_by=ALICE, changed_at="2026-01-01T00:00:00Z"))
    assert "staff_request_notes" not in sa.inspect(outbox.engine).get_table_names()
    upgraded = StaffStore(Outbox(url))
    upgraded.add_note("BK-AAAA-BBBB", "after the upgrade", ALICE)
    assert upgraded.notes("BK-AAAA-BBBB")["BK-AAAA-BBBB"][0]["note"] == "after the upgrade"
    assert upgraded.status_history()["BK-AAAA-BBBB"][0]["status"] == "contacted"
