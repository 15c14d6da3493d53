"""Push messages the user did not just ask for (event reminders) through the Zalo OA.

The reminders command gives ``send_due_reminders(session, now, sender)`` a ``sender`` callable
taking ``(channel, sender_id, text)``; a ``ZaloPusher`` is such a callable::

    pusher = ZaloPusher.from_credentials_file()      # credentials.yml + ZALO_* environment
    try:
        await send_due_reminders(session, now, pusher)
    finally:
        await pusher.aclose()

It sends only to conversations of the ``zalo`` channel and returns False for others (the web
widget has no way to receive a message while closed). Zalo accepts customer-service messages only
within a window after the user's last message (errors -230/-232 outside it); such failures are
logged with Zalo's code and reported as False so the caller can keep the reminder unsent.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.channels.zalo_api import RetryPolicy, ZaloApiError, ZaloClient
from bot.channels.zalo_messages import compose_turn
from bot.channels.zalo_settings import ZaloSettings, protect_secrets, read_credentials_block
from bot.channels.zalo_stores import TokenStore

logger = logging.getLogger(__name__)

CHANNEL = "zalo"


class ZaloPusher:
    """Sends plain texts to Zalo users with the channel's stored, self-refreshing token."""

    def __init__(self, settings: ZaloSettings, retry: RetryPolicy | None = None) -> None:
        if settings.missing:
            raise ValueError(f"Zalo is not configured: missing {', '.join(settings.missing)}")
        protect_secrets(settings)
        self.settings = settings
        self.tokens = TokenStore(settings.app_id, settings.db_url)
        self.client = ZaloClient(
            settings.app_id,
            settings.app_secret_key,
            self.tokens,
            api_base=settings.api_base,
            oauth_base=settings.oauth_base,
            timeout=settings.send_timeout_seconds,
            retry=retry,
        )
        self._seeded = False

    @classmethod
    def from_credentials_file(cls, path: str | Path | None = None) -> ZaloPusher:
        """Settings from the ``bot.channels.zalo.ZaloInput`` block of ``credentials.yml``."""
        return cls(ZaloSettings.from_credentials(read_credentials_block(path)))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send_text(self, user_id: str, text: str) -> bool:
        """Send ``text`` (split if longer than Zalo's limit); True when every part was accepted."""
        if not self._seeded and self.settings.refresh_token:
            await asyncio.to_thread(
                self.tokens.seed, self.settings.access_token, self.settings.refresh_token
            )
        self._seeded = True
        for message in compose_turn([{"text": text}], self.settings.text_limit):
            try:
                await self.client.send_message(user_id, message)
            except ZaloApiError as error:
                logger.warning("Zalo push failed: %s", error)
                return False
        return True

    @staticmethod
    def supports(channel: str | None) -> bool:
        """Whether a conversation of ``channel`` can receive a push (only Zalo's can)."""
        return channel == CHANNEL

    async def __call__(self, channel: str, sender_id: str, text: str) -> bool:
        """The reminders ``sender``: push to Zalo conversations, refuse others."""
        if not self.supports(channel):
            logger.info("Cannot push to a %r conversation; only Zalo supports it", channel)
            return False
        return await self.send_text(sender_id, text)


def send_text(user_id: str, text: str, settings: Any = None) -> bool:
    """Synchronous one-off push (for a CLI without an event loop)."""

    async def run() -> bool:
        pusher = ZaloPusher(settings or ZaloSettings.from_credentials(read_credentials_block()))
        try:
            return await pusher.send_text(user_id, text)
        finally:
            await pusher.aclose()

    return asyncio.run(run())
