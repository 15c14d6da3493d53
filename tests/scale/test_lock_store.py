"""The conversation lock shared by Rasa servers (bot.deploy.lock_store), on the real Redis."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.deploy.cluster import RedisSettings
from bot.deploy.lock_store import ClusterRedisLockStore


@pytest.fixture
def redis_settings():
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.RedisError as exc:
        from tests.scale.conftest import _missing_or_fail

        _missing_or_fail(f"Redis not reachable at 127.0.0.1:6379: {exc.__class__.__name__}")
    settings = RedisSettings()
    yield settings
    settings.delete_keys()


def server(settings: RedisSettings) -> ClusterRedisLockStore:
    """One Rasa server's view of the lock store (each server has its own client)."""
    return ClusterRedisLockStore(host=settings.host, port=settings.port, db=settings.db,
                                 key_prefix=settings.key_prefix)


def test_a_waiter_behind_a_crashed_server_gets_the_lock_once_its_ticket_expires(
        redis_settings) -> None:
    crashed, survivor = server(redis_settings), server(redis_settings)
    crashed.take_ticket("conv", 1.0)  # taken, never given back: the server died

    async def resend() -> float:
        began = time.monotonic()
        # The resend's ticket has the same lifetime and expires right after the dead one:
        # Rasa's RedisLockStore waits forever here.
        async with survivor.lock("conv", lock_lifetime=1.0):
            return time.monotonic() - began

    waited = asyncio.run(asyncio.wait_for(resend(), timeout=10))
    assert 0.9 <= waited < 4


def test_the_lock_is_exclusive_across_servers(redis_settings) -> None:
    stores = [server(redis_settings), server(redis_settings)]
    counter = {"value": 0, "inside": 0, "most_inside": 0}

    async def turn(store: ClusterRedisLockStore) -> None:
        async with store.lock("shared", lock_lifetime=10):
            counter["inside"] += 1
            counter["most_inside"] = max(counter["most_inside"], counter["inside"])
            value = counter["value"]
            await asyncio.sleep(0.01)  # a read-modify-write that races without the lock
            counter["value"] = value + 1
            counter["inside"] -= 1

    async def main() -> None:
        await asyncio.gather(*(turn(stores[i % 2]) for i in range(12)))

    asyncio.run(main())
    assert counter["value"] == 12 and counter["most_inside"] == 1
    assert stores[0].get_lock("shared") is None  # released: nothing left in Redis


def test_tickets_taken_at_the_same_moment_by_two_servers_are_all_kept(redis_settings) -> None:
    stores = [server(redis_settings), server(redis_settings)]
    taken: list[tuple[int, float]] = []
    start = threading.Barrier(8)

    def take(store: ClusterRedisLockStore) -> None:
        start.wait()
        for _ in range(5):
            taken.append(store.take_ticket("busy", 30))

    threads = [threading.Thread(target=take, args=(stores[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = {(t.number, t.expires) for t in stores[0].get_lock("busy").tickets}
    assert len(taken) == 40 and set(taken) == kept
