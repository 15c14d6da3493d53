"""Database access of the Zalo channel: the token pair, the processed-event ledger, followers.

The methods are synchronous (SQLAlchemy 1.4); the async channel calls them through
``asyncio.to_thread`` so a slow database never blocks the webhook's event loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.channels.models import ZaloFollower, ZaloProcessedEvent, ZaloToken, as_utc
from bot.db import session_scope, utcnow


def fingerprint(secret: str) -> str:
    """A one-way fingerprint of a token, to recognise it again without storing it twice."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    """An OA access token with its refresh token. ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: dt.datetime | None = None

    def expires_within(self, seconds: float, now: dt.datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - (now or utcnow()) <= dt.timedelta(seconds=seconds)


class TokenStore:
    """The stored token pair of one Zalo app (one row per ``app_id``)."""

    def __init__(self, app_id: str, db_url: str | None = None) -> None:
        self.app_id = app_id
        self.db_url = db_url

    def load(self) -> TokenPair | None:
        with session_scope(self.db_url) as session:
            row = session.scalar(select(ZaloToken).where(ZaloToken.app_id == self.app_id))
            if row is None:
                return None
            return TokenPair(row.access_token, row.refresh_token, as_utc(row.access_expires_at))

    def seed(
        self, access_token: str, refresh_token: str, expires_at: dt.datetime | None = None
    ) -> TokenPair:
        """Store the pair from the credentials unless the chain that grew from it is stored.

        A refresh token different from the one last seeded means an administrator re-authorised
        the app: it then replaces the stored (probably dead) chain.
        """
        try:
            return self._seed(access_token, refresh_token, expires_at)
        except IntegrityError:  # another process inserted the row first: its pair stands
            stored = self.load()
            assert stored is not None
            return stored

    def _seed(
        self, access_token: str, refresh_token: str, expires_at: dt.datetime | None
    ) -> TokenPair:
        seed = fingerprint(refresh_token)
        with session_scope(self.db_url) as session:
            row = session.scalar(
                select(ZaloToken).where(ZaloToken.app_id == self.app_id).with_for_update()
            )
            if row is None:
                row = ZaloToken(app_id=self.app_id, refreshed_count=0)
                session.add(row)
            elif row.seed_fingerprint == seed:
                return TokenPair(row.access_token, row.refresh_token, as_utc(row.access_expires_at))
            row.access_token = access_token
            row.refresh_token = refresh_token
            row.access_expires_at = expires_at
            row.seed_fingerprint = seed
            row.updated_at = utcnow()
        return TokenPair(access_token, refresh_token, expires_at)

    def rotate(self, used_refresh_token: str, new: TokenPair) -> bool:
        """Replace the pair in one transaction, only if it still holds ``used_refresh_token``.

        Returns False when another worker rotated first (compare-and-swap), so a stale writer
        can never overwrite a newer refresh token.
        """
        with session_scope(self.db_url) as session:
            row = session.scalar(
                select(ZaloToken).where(ZaloToken.app_id == self.app_id).with_for_update()
            )
            if row is None:
                session.add(
                    ZaloToken(
                        app_id=self.app_id,
                        access_token=new.access_token,
                        refresh_token=new.refresh_token,
                        access_expires_at=new.expires_at,
                        seed_fingerprint="",
                        refreshed_count=1,
                        updated_at=utcnow(),
                    )
                )
                return True
            if row.refresh_token != used_refresh_token:
                return False
            row.access_token = new.access_token
            row.refresh_token = new.refresh_token
            row.access_expires_at = new.expires_at
            row.refreshed_count = (row.refreshed_count or 0) + 1
            row.updated_at = utcnow()
            return True


def event_key(payload: dict) -> str:
    """The idempotency key of a webhook event: its ``msg_id``, else a hash of what identifies it."""
    message = payload.get("message")
    if isinstance(message, dict) and message.get("msg_id"):
        return str(message["msg_id"])[:128]
    parts = [
        str(payload.get("event_name", "")),
        str(payload.get("timestamp", "")),
        str((payload.get("sender") or {}).get("id", "")),
        str((payload.get("follower") or {}).get("id", "")),
        str(payload.get("user_id", "")),
        str(payload.get("user_id_by_app", "")),
    ]
    return "h:" + hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


class EventLedger:
    """Remembers which webhook events were handled, in the database so restarts keep it."""

    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url

    def claim(self, key: str, event_name: str) -> bool:
        """True the first time ``key`` is seen, False for a redelivery (atomic: primary key)."""
        try:
            with session_scope(self.db_url) as session:
                session.add(ZaloProcessedEvent(event_key=key, event_name=event_name[:64]))
        except IntegrityError:
            return False
        return True

    def prune(self, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
        """Forget events older than Zalo's redelivery horizon (about two hours; a week is ample)."""
        with session_scope(self.db_url) as session:
            result = session.execute(
                delete(ZaloProcessedEvent).where(
                    ZaloProcessedEvent.received_at < utcnow() - older_than
                )
            )
            return result.rowcount or 0


class FollowerStore:
    """Follow state and last interaction of the Zalo users the OA has heard from."""

    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url

    def touch(
        self,
        sender_id: str,
        user_id_by_app: str | None = None,
        following: bool | None = None,
        interacted: bool = True,
    ) -> None:
        with session_scope(self.db_url) as session:
            row = session.get(ZaloFollower, sender_id)
            now = utcnow()
            if row is None:
                row = ZaloFollower(sender_id=sender_id, first_seen_at=now, following=False)
                row.last_interaction_at = now
                session.add(row)
            if user_id_by_app:
                row.user_id_by_app = user_id_by_app
            if following is not None:
                row.following = following
            if interacted:
                row.last_interaction_at = now

    def resolve(self, user_id_by_app: str) -> str | None:
        """The OA-scoped id (our ``sender_id``) of an app-scoped user id, if known."""
        with session_scope(self.db_url) as session:
            return session.scalar(
                select(ZaloFollower.sender_id).where(ZaloFollower.user_id_by_app == user_id_by_app)
            )

    def last_interaction(self, sender_id: str) -> dt.datetime | None:
        with session_scope(self.db_url) as session:
            row = session.get(ZaloFollower, sender_id)
            return as_utc(row.last_interaction_at) if row else None
