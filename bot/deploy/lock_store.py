"""Rasa's Redis lock store, fixed for several Rasa servers and for crashes.

A conversation is handled by one server at a time: each message takes a numbered ticket in Redis
and waits until it is the oldest live ticket. Rasa 3.6's ``RedisLockStore`` has two flaws that
the scale-out test (tests/scale/) runs into:

1. A waiter whose own ticket expires while it waits never gets the lock. After a crash, the dead
   server's ticket and the resent message's ticket expire seconds apart; unless the waiter looks
   in exactly that gap, it sees "not my turn" forever and the user gets a 503 after Sanic's
   60-second response time-out. Here a waiter whose ticket expired takes a new one.
2. Tickets are read, changed and written back without a transaction, so two servers issuing
   tickets for one conversation at the same moment can overwrite each other's and both proceed.
   Here every change is a Redis WATCH/MULTI transaction, and a ticket is recognised by its number
   *and* expiry (Rasa reuses numbers once old tickets have expired).

Use it in the endpoints file (the other keys are those of Rasa's ``type: redis``)::

    lock_store:
      type: bot.deploy.lock_store.ClusterRedisLockStore
      url: ${REDIS_HOST}
      ...
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

logger = logging.getLogger(__name__)
T = TypeVar("T")
TicketId = tuple[int, float]  # (number, expires)
POLL_SECONDS = 0.25  # Rasa polls every second; a queued message waits half as long on average


def _id(ticket: Ticket) -> TicketId:
    return ticket.number, ticket.expires


class ClusterRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with transactional ticket updates and waits that survive expiry."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:  # noqa: ANN401
        if endpoint_config is not None:  # built by Rasa from the endpoints file
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Apply ``change`` to the conversation's lock in one Redis transaction (retried on
        conflict); a lock left without tickets is deleted."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = (TicketLock.from_dict(json.loads(raw)) if raw
                            else TicketLock(conversation_id))
                    lock.remove_expired_tickets()
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another server changed the lock meanwhile: read it again

    def take_ticket(self, conversation_id: str, lifetime: float) -> TicketId:
        def issue(lock: TicketLock) -> TicketId:
            lock.issue_ticket(lifetime)
            return _id(lock.tickets[-1])

        return self._change(conversation_id, issue)

    def turn(self, conversation_id: str, mine: TicketId) -> str:
        """"go" when ``mine`` is the oldest live ticket, "wait" behind others, "lost" if expired."""

        def check(lock: TicketLock) -> str:
            live = [_id(t) for t in lock.tickets]
            if mine not in live:
                return "lost"
            return "go" if live[0] == mine else "wait"

        return self._change(conversation_id, check)

    def give_back(self, conversation_id: str, mine: TicketId) -> None:
        def drop(lock: TicketLock) -> None:
            lock.tickets = deque(t for t in lock.tickets if _id(t) != mine)

        self._change(conversation_id, drop)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock | None]:
        """Hold the conversation's lock for the duration of the ``async with`` block."""
        mine = self.take_ticket(conversation_id, lock_lifetime)
        try:
            while (state := self.turn(conversation_id, mine)) != "go":
                if state == "lost":
                    # The holder outlived our ticket (a crashed server's ticket expires only
                    # after its lifetime): queue again instead of waiting forever.
                    logger.info("Conversation lock ticket expired while waiting; queueing again")
                    mine = self.take_ticket(conversation_id, lock_lifetime)
                    continue
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            yield self.get_lock(conversation_id)
        finally:
            self.give_back(conversation_id, mine)
