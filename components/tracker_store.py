"""The conversation store. By default Rasa's SQL tracker store on a local SQLite file, tuned for a
single server process: the file is opened in write-ahead-log mode (readers never wait for the
writer; commits need one sync instead of two) and one connection is kept per thread instead of
opening a new one for every read and write, which Rasa's default engine does.

With TRACKER_STORE_URL set (postgresql://user:password@host:5432/db), it is Rasa's SQL tracker
store on that database instead, which several Rasa servers can share. endpoints.yml cannot do
this choice itself: an unset ${VAR} there stops Rasa at start-up."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from sqlalchemy.pool import SingletonThreadPool

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps the database consistent; a power cut can lose the last few
    # conversation events, never corrupt the file. (Booking requests live in the outbox,
    # which keeps SQLite's full sync.)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


TRACKER_STORE_URL_ENV = "TRACKER_STORE_URL"


def external_store_url(environ: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The shared database named by TRACKER_STORE_URL, if any."""
    return ((os.environ if environ is None else environ).get(TRACKER_STORE_URL_ENV) or "").strip() or None


class ClinicTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        db: Text = "var/tracker.db",
        event_broker: Optional[EventBroker] = None,
        host: Optional[Text] = None,
        **kwargs: Any,
    ) -> None:
        url = external_store_url()
        if url:
            parts = sa.engine.make_url(url)
            super().__init__(
                domain=domain, dialect=parts.drivername, host=parts.host, port=parts.port,
                db=parts.database, username=parts.username, password=parts.password,
                event_broker=event_broker, query=dict(parts.query),
            )
            return
        path = Path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Conversations hold health information: the file is for its owner only.
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        super().__init__(domain=domain, dialect="sqlite", db=str(path), event_broker=event_broker)
        self.engine.dispose()
        self.engine = sa.create_engine(f"sqlite:///{path}", poolclass=SingletonThreadPool)
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
