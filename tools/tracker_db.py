"""Direct access to the conversation store (the tracker store's `events` table) for staff tools:
retention now, conversation review later. Reads endpoints.yml the way the Rasa server does, so
both always look at the same database: the embedded SQLite file by default, any SQL tracker store
(PostgreSQL, say) when endpoints.yml configures one."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple, Union

import sqlalchemy as sa

from clinic.paths import PROJECT_ROOT as ROOT

CLINIC_STORE = "components.tracker_store.ClinicTrackerStore"


class UnsupportedStore(ValueError):
    """The configured tracker store is not an SQL database these tools can read."""


def tracker_db_url(endpoints: Path = ROOT / "endpoints.yml") -> Union[str, Any]:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(str(endpoints), "tracker_store")
    store_type = (config.type if config else None) or "in_memory"
    kwargs = dict(config.kwargs) if config else {}
    if store_type == CLINIC_STORE:
        from components.tracker_store import external_store_url

        shared = external_store_url()
        if shared:
            return shared
        path = Path(kwargs.get("db", "var/tracker.db"))
        return f"sqlite:///{path if path.is_absolute() else ROOT / path}"
    if store_type.lower() == "sql":
        return SQLTrackerStore.get_db_url(
            dialect=kwargs.get("dialect", "sqlite"), host=config.url, port=kwargs.get("port"),
            db=kwargs.get("db", "rasa.db"), username=kwargs.get("username"),
            password=kwargs.get("password"), login_db=kwargs.get("login_db"), query=kwargs.get("query"),
        )
    raise UnsupportedStore(f"the tracker store in {endpoints} is '{store_type}'; only SQL tracker stores "
                           "(the default SQLite file or PostgreSQL) can be read by this tool")


@contextmanager
def events_table(url: Union[str, Any]) -> Iterator[Tuple[sa.engine.Engine, Optional[sa.Table]]]:
    """The store's engine and its `events` table (None before Rasa created it); disposed after."""
    engine = sa.create_engine(url)
    try:
        try:
            table: Optional[sa.Table] = sa.Table("events", sa.MetaData(), autoload_with=engine)
        except sa.exc.NoSuchTableError:
            table = None
        yield engine, table
    finally:
        engine.dispose()


@dataclass
class PurgeResult:
    conversations: int
    events: int


def purge_conversations(url: Union[str, Any], days: float, dry_run: bool = False,
                        now: float | None = None) -> PurgeResult:
    """Deletes every conversation whose last event is more than `days` days old, whole."""
    cutoff = (time.time() if now is None else now) - days * 86400
    with events_table(url) as (engine, events):
        if events is None:
            return PurgeResult(0, 0)
        stale = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
                 .having(sa.func.max(events.c.timestamp) < cutoff))
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(stale)]
            count = connection.execute(
                sa.select(sa.func.count()).select_from(events).where(events.c.sender_id.in_(stale))
            ).scalar_one()
            if not dry_run and senders:
                connection.execute(events.delete().where(events.c.sender_id.in_(stale)))
        if not dry_run and senders and engine.dialect.name == "sqlite":
            # Deleted rows stay readable in the file's free pages until it is rewritten.
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.exec_driver_sql("VACUUM")
        return PurgeResult(len(senders), count)
