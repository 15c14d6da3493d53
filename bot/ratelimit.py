"""Rate limits for the public endpoints, and the one rule for "which address is this client".

Counters live in the storage ``config.rate_limit_storage_url()`` names: memory on one machine,
Redis when several servers must share them (the scale-out set-up). A storage that fails lets the
request through and logs once: a broken Redis must not take the chat down with it.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from bot import config

logger = logging.getLogger(__name__)


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address: the peer's, or the proxy's X-Forwarded-For if the peer is trusted.

    Only a configured proxy (``TRUSTED_PROXIES``) may say who the client is; from anyone else the
    header is ignored, so a client cannot pick a fresh address for every try. Behind a trusted
    proxy the right-most address the proxy did not add itself is the client.
    """
    peer = (peer or "").strip() or "unknown"
    trusted = config.trusted_proxies()
    if not forwarded_for or peer not in trusted:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop in trusted:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer
    return peer


@lru_cache(maxsize=4)
def _storage(url: str) -> Storage:
    return storage_from_string(url)


class RateLimiter:
    """A moving-window limit per key, e.g. ``RateLimiter("rest-sender", "30/minute")``."""

    def __init__(self, scope: str, limit: str, storage_url: str | None = None) -> None:
        self.scope = scope
        self.item = parse(limit)
        self._storage_url = storage_url
        self._warned = False

    def _limiter(self) -> MovingWindowRateLimiter:
        url = self._storage_url or config.rate_limit_storage_url()
        return MovingWindowRateLimiter(_storage(url))

    def hit(self, key: str) -> bool:
        """Count one request for ``key``; False when it is over the limit."""
        try:
            return self._limiter().hit(self.item, self.scope, key)
        except Exception:  # noqa: BLE001 - the limiter must never be the outage
            if not self._warned:
                logger.warning("Rate-limit storage unavailable; %s not limited", self.scope)
                self._warned = True
            return True


def message_limiters(channel: str) -> tuple[RateLimiter, RateLimiter]:
    """The per-sender and per-address limiters of a channel, at today's settings."""
    return (
        RateLimiter(f"{channel}-sender", config.rate_limit_per_sender()),
        RateLimiter(f"{channel}-address", config.rate_limit_per_address()),
    )
