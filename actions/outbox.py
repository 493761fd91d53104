"""The durable outbox: every confirmed booking or call-back request is written here before the
user is told it is confirmed, and stays until the clinic's webhook acknowledges it.

SQLite file by default (var/outbox.db, readable by its owner only); PostgreSQL or any other
SQLAlchemy URL when OUTBOX_DB_URL is set. Each request keeps the exact JSON body that is
posted, so every retry sends, and signs, the same bytes."""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

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
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "var" / "outbox.db"
URL_ENV = "OUTBOX_DB_URL"
PENDING, DELIVERED = "pending", "delivered"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone

metadata = MetaData()
requests_table = Table(
    "outbox_requests",
    metadata,
    Column("request_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("status", String(16), nullable=False, default=PENDING, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, default=0.0),
    Column("leased_until", Float, nullable=False, default=0.0),
    Column("last_error", Text),
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


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_request_id(kind: str) -> str:
    prefix = "BK" if kind == "booking" else "CB"
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
                return payload
            except IntegrityError:
                continue  # reference collision: draw another
        raise RuntimeError("could not allocate a unique request id")

    def flag(self, conversation_id: str, channel: Optional[str], reason: str, detail: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(flags_table).values(
                conversation_id=conversation_id, channel=channel, reason=reason,
                detail=detail, created_at=utc_now_iso(),
            ))

    def claim_due(self, lease_seconds: float, limit: int = 20) -> List[Dict[str, Any]]:
        """Pending requests due for an attempt, leased so that no other worker sends them meanwhile."""
        now = time.time()
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(requests_table.c.request_id, requests_table.c.body, requests_table.c.attempts)
                .where(requests_table.c.status == PENDING)
                .where(requests_table.c.next_attempt_at <= now)
                .where(requests_table.c.leased_until <= now)
                .order_by(requests_table.c.created_at)
                .limit(limit)
            ).mappings().all()
        claimed = []
        for row in rows:
            with self.engine.begin() as connection:
                result = connection.execute(
                    update(requests_table)
                    .where(requests_table.c.request_id == row["request_id"])
                    .where(requests_table.c.status == PENDING)
                    .where(requests_table.c.leased_until <= now)
                    .values(leased_until=now + lease_seconds)
                )
            if result.rowcount == 1:
                claimed.append(dict(row))
        return claimed

    def mark_delivered(self, request_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(requests_table).where(requests_table.c.request_id == request_id)
                .values(status=DELIVERED, delivered_at=utc_now_iso(), leased_until=0.0,
                        attempts=requests_table.c.attempts + 1, last_error=None)
            )

    def mark_failed(self, request_id: str, error: str, next_attempt_at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(requests_table).where(requests_table.c.request_id == request_id)
                .values(attempts=requests_table.c.attempts + 1, last_error=error[:500],
                        next_attempt_at=next_attempt_at, leased_until=0.0)
            )

    def requests(self, status: Optional[str] = None) -> List[Dict[str, Any]]:
        """Stored requests, newest first, with their payload decoded."""
        query = select(requests_table).order_by(requests_table.c.created_at.desc(), requests_table.c.request_id)
        if status:
            query = query.where(requests_table.c.status == status)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [{**dict(row), "payload": json.loads(row["body"])} for row in rows]

    def flags(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                select(flags_table).order_by(flags_table.c.id.desc())).mappings().all()]
