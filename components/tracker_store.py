"""The embedded default tracker store: Rasa's SQLTrackerStore on a local SQLite file, tuned for a
single server process. The file is opened in write-ahead-log mode (readers never wait for the
writer; commits need one sync instead of two) and one connection is kept per thread instead of
opening a new one for every read and write, which Rasa's default engine does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Text

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


class LocalSQLiteTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        db: Text = "var/tracker.db",
        event_broker: Optional[EventBroker] = None,
        host: Optional[Text] = None,
        **kwargs: Any,
    ) -> None:
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
