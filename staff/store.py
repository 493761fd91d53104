"""What the console keeps, in the outbox's database beside the requests it describes: staff
accounts, sessions, failed log-ins, the audit log, each request's status history, notes and
owners, the follow-up of crisis flags and the review labels.

Each kind of record is a table of its own, created when missing (`create_all` checks first), so a
database made by an older console gains the newer tables at its next start, on SQLite and
PostgreSQL alike; no existing table has changed shape."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

from sqlalchemy import (
    Column, Float, Integer, MetaData, String, Table, Text, delete, func, insert, select, update,
)
from sqlalchemy.engine import Engine

from clinic.outbox import Outbox, utc_now_iso
from staff.passwords import DUMMY_HASH, check_strength, hash_password, verify_password

# "tried, no answer" may be recorded again and again: each is one more attempt to reach the patient.
NO_ANSWER = "tried, no answer"
STATUSES = ("new", NO_ANSWER, "contacted", "booked", "closed")
MAX_NOTE_LENGTH = 2000
SESSION_IDLE_SECONDS = 8 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60

metadata = MetaData()
users = Table(
    "staff_users", metadata,
    Column("email", String(255), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", String(40), nullable=False),
)
sessions = Table(
    "staff_sessions", metadata,
    # Only a hash of the cookie's value is stored: a copy of the database opens no session.
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(255), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)
failures = Table(
    "staff_login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(255), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False),
)
audit = Table(
    "staff_audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("email", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=False),
    Column("detail", Text),
)
status_changes = Table(
    "staff_request_status", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("changed_by", String(255), nullable=False),
    Column("changed_at", String(40), nullable=False),
)
request_notes = Table(
    "staff_request_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(32), nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("written_by", String(255), nullable=False),
    Column("written_at", String(40), nullable=False),
)
# Who looks after a request: every assignment is kept, the latest counts ("" for nobody).
request_owners = Table(
    "staff_request_owners", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(32), nullable=False, index=True),
    Column("owner", String(255), nullable=False),
    Column("assigned_by", String(255), nullable=False),
    Column("assigned_at", String(40), nullable=False),
)
follow_ups = Table(
    "staff_flag_follow_ups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flag_id", Integer, nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("recorded_by", String(255), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)
review_labels = Table(
    "staff_review_labels", metadata,
    Column("text_key", String(64), primary_key=True),
    Column("text", Text, nullable=False),
    Column("intent", String(64), nullable=False),
    Column("labelled_by", String(255), nullable=False),
    Column("labelled_at", String(40), nullable=False),
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def text_key(text: str) -> str:
    """One review label per message text, however it was spaced or capitalised."""
    return hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).hexdigest()


@dataclass
class Session:
    email: str
    csrf_token: str


class LoginRefused(Exception):
    """Wrong e-mail or password, or too many failures; the message is safe to show."""


class StaffStore:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.engine: Engine = outbox.engine
        metadata.create_all(self.engine)

    # --- accounts and sessions ---------------------------------------------------------------

    def set_password(self, email: str, password: str) -> bool:
        """Creates the account or replaces its password; True when it was created."""
        email = email.strip().lower()
        check_strength(password, email)
        hashed = hash_password(password)
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(users).where(users.c.email == email).values(password_hash=hashed)).rowcount
            if not changed:
                connection.execute(insert(users).values(email=email, password_hash=hashed, created_at=utc_now_iso()))
            # A new password ends every session opened with the old one.
            connection.execute(delete(sessions).where(sessions.c.email == email))
        return not changed

    def wait_seconds(self, email: str, address: str, now: float) -> float:
        """How long log-ins for this account or from this address must wait (0: they may try)."""
        since = now - FAILURE_WINDOW_SECONDS
        with self.engine.connect() as connection:
            waits = []
            for column, value in ((failures.c.email, email), (failures.c.address, address)):
                count, oldest = connection.execute(
                    select(func.count(), func.min(failures.c.at)).where(column == value, failures.c.at > since)
                ).one()
                if count >= MAX_FAILURES:
                    # The window is counted from the oldest failure still in it.
                    waits.append(oldest + FAILURE_WINDOW_SECONDS - now)
        return max(waits, default=0.0)

    def log_in(self, email: str, password: str, address: str, now: Optional[float] = None) -> str:
        """A new session's token, or LoginRefused."""
        now = time.time() if now is None else now
        email = email.strip().lower()
        wait = self.wait_seconds(email, address, now)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            raise LoginRefused(f"Too many failed log-ins. Try again in {minutes} minute(s).")
        with self.engine.connect() as connection:
            stored = connection.execute(select(users.c.password_hash).where(users.c.email == email)).scalar()
        if not verify_password(password, stored or DUMMY_HASH) or stored is None:
            with self.engine.begin() as connection:
                connection.execute(insert(failures).values(email=email, address=address, at=now))
            raise LoginRefused("Wrong e-mail address or password.")
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(delete(failures).where(failures.c.email == email))
            connection.execute(insert(sessions).values(
                token_hash=token_hash(token), email=email, csrf_token=secrets.token_urlsafe(32),
                created_at=now, last_seen=now))
        self.record(email, "log in", email, address)
        return token

    def session(self, token: Optional[str], now: Optional[float] = None) -> Optional[Session]:
        """The live session behind a cookie's token, its idle time renewed; None if unknown or expired."""
        if not token:
            return None
        now = time.time() if now is None else now
        key = token_hash(token)
        with self.engine.begin() as connection:
            row = connection.execute(select(sessions).where(sessions.c.token_hash == key)).mappings().first()
            if row is None:
                return None
            if now - row["last_seen"] > SESSION_IDLE_SECONDS:
                connection.execute(delete(sessions).where(sessions.c.token_hash == key))
                return None
            connection.execute(update(sessions).where(sessions.c.token_hash == key).values(last_seen=now))
        return Session(row["email"], row["csrf_token"])

    def staff_emails(self) -> List[str]:
        """Every staff account's e-mail address, in alphabetical order."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(users.c.email).order_by(users.c.email)).scalars())

    def log_out(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    # --- audit -------------------------------------------------------------------------------

    def record(self, email: str, action: str, target: str, detail: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(audit).values(at=utc_now_iso(), email=email, action=action,
                                                    target=target, detail=detail))

    def audit_log(self, limit: int = 200) -> List[Dict[str, object]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings()]

    # --- requests and flags ------------------------------------------------------------------

    def _grouped(self, table: Table, key: str) -> Dict[object, List[Dict[str, object]]]:
        """The rows of `table` by their `key` column, oldest first."""
        grouped: Dict[object, List[Dict[str, object]]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(select(table).order_by(table.c.id)).mappings():
                grouped.setdefault(row[key], []).append(dict(row))
        return grouped

    def status_history(self) -> Dict[object, List[Dict[str, object]]]:
        """Each request's status changes, oldest first."""
        return self._grouped(status_changes, "request_id")

    def set_status(self, request_id: str, status: str, email: str) -> None:
        """Records a status; "tried, no answer" counts one more attempt each time it is recorded."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.engine.begin() as connection:
            connection.execute(insert(status_changes).values(
                request_id=request_id, status=status, changed_by=email, changed_at=utc_now_iso()))
            tries = connection.execute(select(func.count()).where(
                status_changes.c.request_id == request_id, status_changes.c.status == NO_ANSWER)).scalar()
        self.record(email, "change status", request_id,
                    f"{status} (attempt {tries})" if status == NO_ANSWER else status)

    def notes(self, request_id: Optional[str] = None) -> Dict[object, List[Dict[str, object]]]:
        """Each request's notes (or one request's), newest first."""
        query = select(request_notes).order_by(request_notes.c.id.desc())
        if request_id is not None:
            query = query.where(request_notes.c.request_id == request_id)
        grouped: Dict[object, List[Dict[str, object]]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                grouped.setdefault(row["request_id"], []).append(dict(row))
        return grouped

    def add_note(self, request_id: str, note: str, email: str) -> None:
        note = note.strip()
        if not note or len(note) > MAX_NOTE_LENGTH:
            raise ValueError(f"a note has 1 to {MAX_NOTE_LENGTH} characters")
        with self.engine.begin() as connection:
            connection.execute(insert(request_notes).values(
                request_id=request_id, note=note, written_by=email, written_at=utc_now_iso()))
        self.record(email, "add note", request_id, note)

    def owners(self) -> Dict[object, str]:
        """Each request's owner (the latest assignment); "" when it was given back to nobody."""
        grouped = self._grouped(request_owners, "request_id")
        return {request_id: rows[-1]["owner"] for request_id, rows in grouped.items()}

    def assign(self, request_id: str, owner: str, email: str) -> None:
        """Gives the request to a staff member (their e-mail), or to nobody ("")."""
        owner = owner.strip().lower()
        if owner and owner not in self.staff_emails():
            raise ValueError(f"{owner!r} has no staff account")
        with self.engine.begin() as connection:
            connection.execute(insert(request_owners).values(
                request_id=request_id, owner=owner, assigned_by=email, assigned_at=utc_now_iso()))
        self.record(email, "assign request", request_id, owner or "nobody")

    def follow_ups(self) -> Dict[object, List[Dict[str, object]]]:
        """Each crisis flag's recorded follow-ups, oldest first."""
        return self._grouped(follow_ups, "flag_id")

    def record_follow_up(self, flag_id: int, note: str, email: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(follow_ups).values(
                flag_id=flag_id, note=note, recorded_by=email, recorded_at=utc_now_iso()))
        self.record(email, "record crisis follow-up", f"flag {flag_id}")

    # --- review labels -----------------------------------------------------------------------

    def labels(self) -> Dict[str, Dict[str, str]]:
        with self.engine.connect() as connection:
            return {row["text_key"]: dict(row) for row in connection.execute(
                select(review_labels).order_by(review_labels.c.labelled_at, review_labels.c.text)).mappings()}

    def label(self, text: str, intent: str, email: str) -> None:
        key = text_key(text)
        with self.engine.begin() as connection:
            connection.execute(delete(review_labels).where(review_labels.c.text_key == key))
            connection.execute(insert(review_labels).values(
                text_key=key, text=" ".join(text.split()), intent=intent, labelled_by=email,
                labelled_at=utc_now_iso()))
        self.record(email, "label review message", intent, " ".join(text.split()))
