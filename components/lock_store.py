"""The conversation lock store: Rasa's in-memory one by default (one Rasa server), Rasa's Redis one
when LOCK_STORE_URL is set (redis://[:password@]host:6379/1), so that several Rasa servers sharing
a tracker store still handle each conversation's messages one at a time and in order.
endpoints.yml cannot make this choice itself: an unset ${VAR} there stops Rasa at start-up."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

LOCK_STORE_URL_ENV = "LOCK_STORE_URL"


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


class ClinicLockStore:
    """Not a lock store itself: Rasa instantiates it from endpoints.yml and gets the right one."""

    def __new__(cls, endpoint_config: Any = None, environ: Optional[Dict[str, str]] = None) -> LockStore:  # type: ignore[misc]
        url = ((os.environ if environ is None else environ).get(LOCK_STORE_URL_ENV) or "").strip()
        return RedisLockStore(**redis_settings(url)) if url else InMemoryLockStore()
