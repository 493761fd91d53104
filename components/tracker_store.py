"""The conversation store. By default Rasa's SQL tracker store on a local SQLite file, tuned for a
single server process: the file is opened in write-ahead-log mode (readers never wait for the
writer; commits need one sync instead of two) and one connection is kept per thread instead of
opening a new one for every read and write, which Rasa's default engine does.

With TRACKER_STORE_URL set (postgresql://user:password@host:5432/db), it is Rasa's SQL tracker
store on that database instead, which several Rasa servers can share. endpoints.yml cannot do
this choice itself: an unset ${VAR} there stops Rasa at start-up.

A message's cost does not grow with the conversation: the store keeps the trackers of recently
active conversations in process (ConversationTracker, which carries its own computations on
from message to message) and reads from the database only the events written since, by this
server or another one sharing the database. The database stays the source of truth: every
event is written before a reply goes out, a tracker changed but not saved (a failed message)
is read again in full, and a restart loses only the cache. RECENT_CONVERSATIONS bounds the
cache (see DEFAULT_RECENT_CONVERSATIONS).

The events it saves are those a message added, once each: the readings (topic, not understood,
crisis grade) and forms started are counted here (clinic/metrics.py). `reachable()` is the
readiness check of the Rasa server (channels/rest.py)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, Optional, Text, Tuple

import sqlalchemy as sa
from sqlalchemy.pool import SingletonThreadPool

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from clinic import metrics
from components.conversation_tracker import ConversationTracker


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps the database consistent; a power cut can lose the last few
    # conversation events, never corrupt the file. (Booking requests live in the outbox,
    # which keeps SQLite's full sync.)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


TRACKER_STORE_URL_ENV = "TRACKER_STORE_URL"
RECENT_CONVERSATIONS_ENV = "RECENT_CONVERSATIONS"
# Conversations kept in process. Measured (tracemalloc, BENCHMARKS.md): about 120 KB for a
# conversation of 8 messages, 400 KB for one of 40. The cache only has to hold the conversations
# active at the moment (a patient answering within minutes): 200 of them stay within about 80 MB
# at worst, well above the few dozen chats a clinic has at once; a conversation pushed out is read
# from the database once on its next message.
DEFAULT_RECENT_CONVERSATIONS = 200


def external_store_url(environ: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The shared database named by TRACKER_STORE_URL, if any."""
    return ((os.environ if environ is None else environ).get(TRACKER_STORE_URL_ENV) or "").strip() or None


def recent_conversations_setting(environ: Optional[Dict[str, str]] = None) -> int:
    raw = ((os.environ if environ is None else environ).get(RECENT_CONVERSATIONS_ENV) or "").strip()
    if not raw:
        return DEFAULT_RECENT_CONVERSATIONS
    if not raw.isdigit():
        raise ValueError(f"{RECENT_CONVERSATIONS_ENV} must be a whole number of conversations "
                         f"(0 turns the cache off), not {raw!r}")
    return int(raw)


@dataclass
class Kept:
    """A conversation kept in process: its tracker, how many of its events are in the database
    and the database id of the last one."""

    tracker: ConversationTracker
    stored: int
    last_id: int


class RecentConversations:
    """Least recently used first out, at most `capacity` conversations."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._kept: "OrderedDict[str, Kept]" = OrderedDict()

    def get(self, sender_id: str) -> Optional[Kept]:
        kept = self._kept.get(sender_id)
        if kept is not None:
            self._kept.move_to_end(sender_id)
        return kept

    def keep(self, sender_id: str, kept: Kept) -> None:
        if self.capacity <= 0:
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._kept.pop(sender_id, None)

    def __len__(self) -> int:
        return len(self._kept)


class ClinicTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        db: Text = "var/tracker.db",
        event_broker: Optional[EventBroker] = None,
        host: Optional[Text] = None,
        **kwargs: Any,
    ) -> None:
        self.recent = RecentConversations(recent_conversations_setting())
        self.sqlite_path: Optional[Path] = None
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
        self.sqlite_path = path
        self.engine.dispose()
        self.engine = sa.create_engine(f"sqlite:///{path}", poolclass=SingletonThreadPool)
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def init_tracker(self, sender_id: Text) -> DialogueStateTracker:
        return ConversationTracker(sender_id, self.domain.slots, max_event_history=self.max_event_history)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        kept = self.recent.get(sender_id)
        if kept is not None and len(kept.tracker.events) == kept.stored:
            with self.session_scope() as session:
                rows = (session.query(self.SQLEvent)
                        .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > kept.last_id)
                        .order_by(self.SQLEvent.id).all())
                newer = [event for row in rows
                         for event in [Event.from_parameters(json.loads(row.data))] if event is not None]
            if not any(isinstance(event, SessionStarted) for event in newer):
                for event in newer:
                    kept.tracker.update(event)
                kept.stored += len(newer)
                kept.last_id = rows[-1].id if rows else kept.last_id
                return kept.tracker
        # Not kept, changed without being saved, or a new session begun elsewhere: read it as
        # Rasa does, the events of the latest session.
        self.recent.forget(sender_id)
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            if not rows or not self.domain:
                return None
            tracker = ConversationTracker.from_dict(
                sender_id, [json.loads(row.data) for row in rows], self.domain.slots)
            self.recent.keep(sender_id, Kept(tracker, len(tracker.events), rows[-1].id))
            return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        kept = self.recent.get(tracker.sender_id)
        if kept is None or kept.tracker is not tracker or len(tracker.events) < kept.stored:
            # A tracker this store did not hand out: Rasa's way of finding what is new.
            self.recent.forget(tracker.sender_id)
            await super().save(tracker)
            if isinstance(tracker, ConversationTracker):
                with self.session_scope() as session:
                    last_id = session.query(sa.func.max(self.SQLEvent.id)).filter(
                        self.SQLEvent.sender_id == tracker.sender_id).scalar()
                self._keep_as_read(tracker, int(last_id or 0))
            return
        events = list(tracker.events)
        new_events = events[kept.stored:]
        self._count(new_events)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()
            last_id = max((row.id for row in rows), default=kept.last_id)
            session.commit()
        kept.stored, kept.last_id = len(events), last_id
        # Only the new events can start a new session: the earlier ones were looked at before.
        if self._begins_a_new_session(new_events, first_index=len(events) - len(new_events)):
            self._keep_as_read(tracker, last_id)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Rasa's way of finding the events to write (a tracker this store did not hand out), counted."""
        events = list(super()._additional_events(session, tracker))
        self._count(events)
        return iter(events)

    def _count(self, events: Iterable[Event]) -> None:
        metrics.conversation_events(events, self.domain.intents if self.domain else ())

    def reachable(self) -> Tuple[bool, str]:
        """Whether the conversation store answers now: its SQLite file is there and opens for writing
        (a new connection: an open one keeps working on a file renamed or removed), or its server
        answers."""
        try:
            if self.sqlite_path is not None:
                if not self.sqlite_path.is_file():
                    return False, "the tracker database file is missing"
                connection = sqlite3.connect(f"file:{self.sqlite_path}?mode=rw", uri=True, timeout=2)
                try:
                    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
                finally:
                    connection.close()
            else:
                with self.engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 (any failure means not ready)
            return False, f"the tracker database is unreachable ({type(error).__name__})"
        return True, "ready"

    def _keep_as_read(self, tracker: ConversationTracker, last_id: int) -> None:
        """Keeps the conversation as the next read would give it: Rasa reads only the latest
        session's events. A conversation's first save holds Rasa's `action_session_start` before its
        SessionStarted; without this, every conversation's second message was read from the
        database in full."""
        events = list(tracker.events)
        starts = [index for index, event in enumerate(events) if isinstance(event, SessionStarted)]
        if starts and starts[-1] > 0 and self.domain is not None:
            # Through JSON, as the database holds them, so the kept copy is what a read would build.
            stored = [json.loads(json.dumps(event.as_dict())) for event in events[starts[-1]:]]
            tracker = ConversationTracker.from_dict(tracker.sender_id, stored, self.domain.slots)
        self.recent.keep(tracker.sender_id, Kept(tracker, len(tracker.events), last_id))

    @staticmethod
    def _begins_a_new_session(events: Iterable[Event], first_index: int = 0) -> bool:
        """Whether a session starts after other events (`events` begin at `first_index` of the
        conversation): then the next read keeps only the new session's events, as Rasa's does
        (once per conversation and per new session)."""
        return any(isinstance(event, SessionStarted) for index, event in enumerate(events, first_index) if index > 0)

    def _row(self, sender_id: Text, event: Event) -> Any:
        """The database row of an event, as SQLTrackerStore.save writes it."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"), data=json.dumps(data),
        )
