"""Which platform events were already handled, so that a platform's retry is answered once.

With several Rasa servers (LOCK_STORE_URL set, the Redis of the conversation lock store) the
record is kept in Redis, so that a retry reaching another server is recognised: one atomic
SET NX per event, which exactly one server wins. With one server it is kept in this process."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from typing import Mapping, Optional, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from components.lock_store import LOCK_STORE_URL_ENV, redis_settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "clinic:seen-event"  # apart from the lock store's "clinic:lock:"
# Slack retries an event it thinks was missed three times: at once, after 1 minute and after
# 5 minutes. An hour covers every retry with room to spare, and old ids do not pile up in Redis.
REMEMBER_SECONDS = 3600
# Slack wants the webhook answered within 3 seconds; an unreachable Redis must not use them up.
REDIS_TIMEOUT_SECONDS = 1.0
REMEMBERED_IN_MEMORY = 1000


class SeenEvents(Protocol):
    async def first_time(self, event_id: str) -> bool:
        """Records the event id; whether this is the first time it was seen (then handle it)."""


class InMemorySeenEvents:
    """The most recent `capacity` event ids of this process (one Rasa server)."""

    def __init__(self, capacity: int = REMEMBERED_IN_MEMORY) -> None:
        self.capacity = capacity
        self.seen: "OrderedDict[str, None]" = OrderedDict()

    async def first_time(self, event_id: str) -> bool:
        if event_id in self.seen:
            return False
        self.seen[event_id] = None
        while len(self.seen) > self.capacity:
            self.seen.popitem(last=False)
        return True


class RedisSeenEvents:
    """Event ids in Redis for `ttl_seconds`, shared by every server using the same Redis."""

    def __init__(self, url: str, namespace: str, ttl_seconds: int = REMEMBER_SECONDS) -> None:
        self.settings = redis_settings(url)
        self.prefix = f"{KEY_PREFIX}:{namespace}:"
        self.ttl_seconds = ttl_seconds
        self.client: Optional[aioredis.Redis] = None

    def connection(self) -> aioredis.Redis:
        # Made on first use, inside the server's event loop: channels are built before it runs.
        if self.client is None:
            settings = self.settings
            self.client = aioredis.Redis(
                host=settings["host"], port=settings["port"], db=settings["db"], username=settings["username"],
                password=settings["password"], ssl=settings["use_ssl"],
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        return self.client

    async def first_time(self, event_id: str) -> bool:
        try:
            created = await self.connection().set(self.prefix + event_id, 1, nx=True, ex=self.ttl_seconds)
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            # A duplicate answer is better than a lost message: without Redis, handle the event.
            logger.warning("Seen-events store unreachable (%s): handling the event as new", type(error).__name__)
            return True
        return bool(created)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None


def seen_events_store(namespace: str, environ: Optional[Mapping[str, str]] = None) -> SeenEvents:
    """Redis when LOCK_STORE_URL is set (several servers), this process's memory otherwise."""
    url = ((os.environ if environ is None else environ).get(LOCK_STORE_URL_ENV) or "").strip()
    return RedisSeenEvents(url, namespace) if url else InMemorySeenEvents()
