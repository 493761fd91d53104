"""The record of platform events already handled (channels/messaging/seen_events.py): shared by
replicas through a real Redis server, in memory without one, and never losing an event when
Redis is unreachable."""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import urlparse

import pytest
import redis.asyncio as aioredis

from channels.messaging.seen_events import (KEY_PREFIX, REMEMBER_SECONDS, InMemorySeenEvents, RedisSeenEvents,
                                            seen_events_store)
from tools.servers import free_port
from tests.support.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


def test_two_replicas_sharing_redis_handle_an_event_once(redis_url):
    event_id = f"Ev{uuid.uuid4().hex}"

    async def scenario() -> None:
        first_replica, second_replica = RedisSeenEvents(redis_url, "slack"), RedisSeenEvents(redis_url, "slack")
        other_platform = RedisSeenEvents(redis_url, "other")
        raw = aioredis.Redis.from_url(redis_url)
        try:
            assert await first_replica.first_time(event_id) is True
            assert await second_replica.first_time(event_id) is False
            assert await first_replica.first_time(event_id) is False
            # Another platform's event of the same id is a different event.
            assert await other_platform.first_time(event_id) is True
            # Arriving at the same moment on both replicas: exactly one handles it.
            racing = f"Ev{uuid.uuid4().hex}"
            outcomes = await asyncio.gather(*[replica.first_time(racing)
                                              for replica in [first_replica, second_replica] * 5])
            assert sorted(outcomes) == [False] * 9 + [True]
            # Its own key prefix, and an expiry (Slack retries within minutes).
            key = f"{KEY_PREFIX}:slack:{event_id}"
            assert sorted(await raw.keys(f"*{event_id}")) == [f"{KEY_PREFIX}:other:{event_id}".encode(), key.encode()]
            assert 0 < await raw.ttl(key) <= REMEMBER_SECONDS
        finally:
            for store in (first_replica, second_replica, other_platform):
                await store.close()
            await raw.close(close_connection_pool=True)

    asyncio.run(scenario())


def test_unreachable_redis_handles_the_event_and_logs_one_line(caplog):
    store = RedisSeenEvents(f"redis://127.0.0.1:{free_port()}/1", "slack")
    event_id = f"Ev{uuid.uuid4().hex}"

    async def twice() -> list:
        try:
            return [await store.first_time(event_id), await store.first_time(event_id)]
        finally:
            await store.close()

    with caplog.at_level(logging.WARNING, logger="channels.messaging.seen_events"):
        # A duplicate answer rather than a lost message: both deliveries are handled.
        assert asyncio.run(twice()) == [True, True]
    lines = [r.getMessage() for r in caplog.records if r.name == "channels.messaging.seen_events"]
    assert len(lines) == 2 and all("unreachable" in line and "\n" not in line for line in lines)


def test_in_memory_store_remembers_the_most_recent_events():
    store = InMemorySeenEvents(capacity=3)

    async def scenario() -> list:
        return [await store.first_time(event_id) for event_id in ["a", "a", "b", "c", "d", "d", "a"]]

    # "a" is forgotten once three newer events came: memory stays bounded.
    assert asyncio.run(scenario()) == [True, False, True, True, True, False, True]


def test_redis_is_used_exactly_when_lock_store_url_is_set(redis_url):
    assert isinstance(seen_events_store("slack", {}), InMemorySeenEvents)
    assert isinstance(seen_events_store("slack", {"LOCK_STORE_URL": " "}), InMemorySeenEvents)
    shared = seen_events_store("slack", {"LOCK_STORE_URL": redis_url})
    assert isinstance(shared, RedisSeenEvents) and shared.settings["port"] == urlparse(redis_url).port
