"""The conversation lock store: Rasa's in-memory one by default (one Rasa server), Rasa's Redis one
when LOCK_STORE_URL is set (redis://[:password@]host:6379/1), so that several Rasa servers sharing
a tracker store still handle each conversation's messages one at a time and in order.
endpoints.yml cannot make this choice itself: an unset ${VAR} there stops Rasa at start-up."""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar
from urllib.parse import urlparse

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

LOCK_STORE_URL_ENV = "LOCK_STORE_URL"
Result = TypeVar("Result")


def redis_settings(url: str) -> Dict[str, Any]:
    parts = urlparse(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"{LOCK_STORE_URL_ENV} must be a redis:// or rediss:// URL")
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 1),
        "username": parts.username or None,
        "password": parts.password or None,
        "use_ssl": parts.scheme == "rediss",
        "key_prefix": "clinic",
    }


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with every change to a conversation's lock made atomically.

    Rasa reads a conversation's lock, changes it in Python and writes it back. When two servers
    change one conversation's lock at the same moment, one change is lost: a ticket finished on one
    server comes back with the other's new ticket, nobody finishes it again, and every later message
    of the conversation waits out its lifetime (60 s; the channel has answered 503 by then). Here
    each change is one Redis transaction (WATCH, then MULTI/EXEC), tried again if the lock changed
    in between."""

    def _change(self, conversation_id: str,
                change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Result]]) -> Result:
        """Applies `change` (the lock or None -> the lock to store, or None to delete it, and a
        result) atomically; returns the result."""
        from redis.exceptions import WatchError

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as transaction:
            while True:
                try:
                    transaction.watch(key)
                    stored = transaction.get(key)
                    lock, result = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
                    transaction.multi()
                    if lock is None:
                        transaction.delete(key)
                    else:
                        transaction.set(key, lock.dumps())
                    transaction.execute()
                    return result
                except WatchError:
                    continue  # another server changed the lock meanwhile: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's: the channel answers that the message was not taken
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes the ticket, and the lock with it when no other ticket waits."""
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)


class ClinicLockStore:
    """Not a lock store itself: Rasa instantiates it from endpoints.yml and gets the right one."""

    def __new__(  # type: ignore[misc]
        cls, endpoint_config: Any = None, environ: Optional[Dict[str, str]] = None
    ) -> LockStore:
        url = ((os.environ if environ is None else environ).get(LOCK_STORE_URL_ENV) or "").strip()
        return AtomicRedisLockStore(**redis_settings(url)) if url else InMemoryLockStore()
