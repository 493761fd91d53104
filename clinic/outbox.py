"""The durable outbox: every confirmed booking or call-back request is written here before the
user is told it is confirmed, and stays until the clinic's webhook acknowledges it.

SQLite file by default (var/outbox.db, readable by its owner only); PostgreSQL or any other
SQLAlchemy URL when OUTBOX_DB_URL is set. Each request keeps the exact JSON body that is
posted, so every retry sends, and signs, the same bytes.

Each request and each conversation flag also gets a row in `email_notices`, written in the same
transaction, for the staff's e-mail heads-up (clinic/notices.py): no request or flag can exist
without its notice, whether or not e-mail is configured yet."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from clinic.paths import PROJECT_ROOT


DEFAULT_DB = PROJECT_ROOT / "var" / "outbox.db"
URL_ENV = "OUTBOX_DB_URL"
PENDING, DELIVERED = "pending", "delivered"
SENT, EXPIRED = "sent", "expired"  # e-mail notices: sent, or too old when e-mail was turned on
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


@dataclass(frozen=True)
class RequestKind:
    prefix: str  # of the reference a patient is given ("BK-7QJ2-M4KD")
    label: str  # for people: the console, the notice e-mail


# What a patient can ask the staff for. A change or a cancellation of an existing appointment is a
# request to the staff, never done by the assistant: it cannot see the clinic's calendar.
REQUEST_KINDS = {
    "booking": RequestKind("BK", "booking"),
    "callback": RequestKind("CB", "call-back"),
    "change": RequestKind("CH", "change"),
    "cancel": RequestKind("CX", "cancellation"),
}

metadata = MetaData()


def delivery_state() -> List[Column]:
    """What the delivery worker keeps for each thing it sends: its status, the tries so far, when
    to try next, and the lease that keeps other workers off it meanwhile."""
    return [
        Column("status", String(16), nullable=False, default=PENDING, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", Float, nullable=False, default=0.0),
        Column("leased_until", Float, nullable=False, default=0.0),
        Column("last_error", Text),
    ]


requests_table = Table(
    "outbox_requests",
    metadata,
    Column("request_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    *delivery_state(),
    Column("delivered_at", String(40)),
)
flags_table = Table(
    "conversation_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False),
    Column("channel", String(64)),
    Column("reason", String(64), nullable=False),
    Column("detail", Text),
    Column("created_at", String(40), nullable=False),
)
# Only a reference, a kind and a time: the notice e-mail is composed from this row alone, so it
# cannot carry a patient's details, which stay behind the staff console's login.
notices_table = Table(
    "email_notices",
    metadata,
    Column("notice_key", String(64), primary_key=True),  # request:BK-ABCD-EFGH, flag:12
    Column("kind", String(64), nullable=False),  # booking, callback, or the flag's reason (crisis)
    Column("reference", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    *delivery_state(),
    Column("sent_at", String(40)),
)


def request_notice_key(request_id: str) -> str:
    return f"request:{request_id}"


def flag_notice_key(flag_id: int) -> str:
    return f"flag:{flag_id}"


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    return utc_iso(datetime.now(timezone.utc))


def with_payload(row: Any) -> Dict[str, Any]:
    """A stored request's row with its JSON body decoded as `payload`."""
    return {**dict(row), "payload": json.loads(row["body"])}


def new_request_id(kind: str) -> str:
    prefix = REQUEST_KINDS[kind].prefix
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{code[:4]}-{code[4:]}"


def outbox_url(environ: Optional[Dict[str, str]] = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(URL_ENV, "").strip() or f"sqlite:///{DEFAULT_DB}"


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only, before SQLAlchemy opens it."""
    path = Path(url.split(":///", 1)[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


class Outbox:
    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or outbox_url()
        if self.url.startswith("sqlite:///"):
            _private_sqlite_file(self.url)
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        metadata.create_all(self.engine)

    def add(self, kind: str, fields: Dict[str, Any]) -> Dict[str, Any]:
        """Store a request durably and return its payload (with request_id and created_at)."""
        for _ in range(5):
            payload = {"request_id": new_request_id(kind), "kind": kind, "created_at": utc_now_iso(), **fields}
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(requests_table).values(
                        request_id=payload["request_id"], kind=kind, body=body,
                        created_at=payload["created_at"], status=PENDING, attempts=0,
                        next_attempt_at=0.0, leased_until=0.0,
                    ))
                    self._add_notice(connection, request_notice_key(payload["request_id"]), kind,
                                     payload["request_id"], payload["created_at"])
                return payload
            except IntegrityError:
                continue  # reference collision: draw another
        raise RuntimeError("could not allocate a unique request id")

    def flag(self, conversation_id: str, channel: Optional[str], reason: str, detail: str = "") -> int:
        """Store a conversation flag for staff follow-up; returns its number."""
        created_at = utc_now_iso()
        with self.engine.begin() as connection:
            result = connection.execute(insert(flags_table).values(
                conversation_id=conversation_id, channel=channel, reason=reason,
                detail=detail, created_at=created_at,
            ))
            flag_id = int(result.inserted_primary_key[0])
            self._add_notice(connection, flag_notice_key(flag_id), reason, str(flag_id), created_at)
        return flag_id

    @staticmethod
    def _add_notice(connection: Connection, key: str, kind: str, reference: str, created_at: str) -> None:
        connection.execute(insert(notices_table).values(
            notice_key=key, kind=kind, reference=reference, created_at=created_at,
            status=PENDING, attempts=0, next_attempt_at=0.0, leased_until=0.0,
        ))

    def _claim(self, table: Table, key: Column, columns: List[Column], lease_seconds: float,
               limit: int) -> List[Dict[str, Any]]:
        """Pending rows of `table` due for an attempt, each leased (by a conditional update) so that
        no other worker takes them until the lease ends."""
        now = time.time()
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(*columns)
                .where(table.c.status == PENDING)
                .where(table.c.next_attempt_at <= now)
                .where(table.c.leased_until <= now)
                .order_by(table.c.created_at)
                .limit(limit)
            ).mappings().all()
        claimed = []
        for row in rows:
            with self.engine.begin() as connection:
                result = connection.execute(
                    update(table)
                    .where(key == row[key.name])
                    .where(table.c.status == PENDING)
                    .where(table.c.leased_until <= now)
                    .values(leased_until=now + lease_seconds)
                )
            if result.rowcount == 1:
                claimed.append(dict(row))
        return claimed

    def _retry_later(self, table: Table, key: Column, value: str, error: str, next_attempt_at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(key == value)
                .values(attempts=table.c.attempts + 1, last_error=error[:500],
                        next_attempt_at=next_attempt_at, leased_until=0.0)
            )

    def claim_due(self, lease_seconds: float, limit: int = 20) -> List[Dict[str, Any]]:
        """Pending requests due for an attempt, leased so that no other worker sends them meanwhile."""
        columns = [requests_table.c.request_id, requests_table.c.body, requests_table.c.attempts]
        return self._claim(requests_table, requests_table.c.request_id, columns, lease_seconds, limit)

    def _mark_done(self, table: Table, key: Column, value: str, status: str, done_at: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(key == value)
                .values({"status": status, done_at: utc_now_iso(), "leased_until": 0.0,
                         "attempts": table.c.attempts + 1, "last_error": None})
            )

    def mark_delivered(self, request_id: str) -> None:
        self._mark_done(requests_table, requests_table.c.request_id, request_id, DELIVERED, "delivered_at")

    def mark_failed(self, request_id: str, error: str, next_attempt_at: float) -> None:
        self._retry_later(requests_table, requests_table.c.request_id, request_id, error, next_attempt_at)

    def claim_due_notices(self, lease_seconds: float, limit: int = 1) -> List[Dict[str, Any]]:
        """Pending e-mail notices due for an attempt, leased like requests (claim_due)."""
        columns = [notices_table.c.notice_key, notices_table.c.kind, notices_table.c.reference,
                   notices_table.c.created_at, notices_table.c.attempts]
        return self._claim(notices_table, notices_table.c.notice_key, columns, lease_seconds, limit)

    def mark_notice_sent(self, notice_key: str) -> None:
        self._mark_done(notices_table, notices_table.c.notice_key, notice_key, SENT, "sent_at")

    def mark_notice_failed(self, notice_key: str, error: str, next_attempt_at: float) -> None:
        self._retry_later(notices_table, notices_table.c.notice_key, notice_key, error, next_attempt_at)

    def expire_notices(self, older_than: timedelta) -> int:
        """Mark pending notices created longer ago than `older_than` expired, unsent; returns how many."""
        created_before = utc_iso(datetime.now(timezone.utc) - older_than)
        with self.engine.begin() as connection:
            result = connection.execute(
                update(notices_table)
                .where(notices_table.c.status == PENDING)
                .where(notices_table.c.created_at < created_before)
                .values(status=EXPIRED, leased_until=0.0)
            )
        return int(result.rowcount)

    def notices(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                select(notices_table).order_by(notices_table.c.created_at, notices_table.c.notice_key)
            ).mappings().all()]

    def requests(self, status: Optional[str] = None) -> List[Dict[str, Any]]:
        """Stored requests, newest first, with their payload decoded."""
        query = select(requests_table).order_by(requests_table.c.created_at.desc(), requests_table.c.request_id)
        if status:
            query = query.where(requests_table.c.status == status)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [with_payload(row) for row in rows]

    def request(self, request_id: str) -> Optional[Dict[str, Any]]:
        """One stored request by its reference, with its payload decoded; None if there is none."""
        query = select(requests_table).where(requests_table.c.request_id == request_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return with_payload(row) if row else None

    def waiting_rows(self) -> List[Any]:
        """(queue, (kind, created_at)) of every request ("webhook") and e-mail notice ("email") not
        delivered yet: what the metrics count, without any patient's details."""
        with self.engine.connect() as connection:
            requests = connection.execute(select(requests_table.c.kind, requests_table.c.created_at)
                                          .where(requests_table.c.status == PENDING)).all()
            notices = connection.execute(select(notices_table.c.kind, notices_table.c.created_at)
                                         .where(notices_table.c.status == PENDING)).all()
        return [("webhook", tuple(row)) for row in requests] + [("email", tuple(row)) for row in notices]

    def reachable(self) -> Tuple[bool, str]:
        """Whether the outbox answers now (readiness): its SQLite file still there, or its server up."""
        if self.url.startswith("sqlite:///") and not Path(self.url.split(":///", 1)[1]).exists():
            return False, "the outbox database file is missing"
        try:
            with self.engine.connect() as connection:
                connection.execute(select(requests_table.c.request_id).limit(1)).all()
        except Exception as error:  # noqa: BLE001 (any failure means not ready)
            return False, f"the outbox database is unreachable ({type(error).__name__})"
        return True, "ready"

    def flags(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                select(flags_table).order_by(flags_table.c.id.desc())).mappings().all()]
