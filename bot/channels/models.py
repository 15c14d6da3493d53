"""Tables of the Zalo Official Account channel: its OAuth tokens, processed events, followers.

Nothing here holds personal data: Zalo user ids are per-OA pseudonyms, and message texts are never
stored by the channel (Rasa's tracker store keeps the conversation).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Text

from bot.db import Base, utcnow


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite drops the offset of ``DateTime(timezone=True)``; everything is stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class ZaloToken(Base):
    """The OA access/refresh token pair of one Zalo app, rotated in one transaction.

    Zalo's refresh token is single use: every refresh returns a new pair, and losing the new refresh
    token means an administrator must authorise the app again. ``seed_fingerprint`` is a hash of
    the refresh token the pair was first seeded from (credentials), so a re-authorised token put
    into the credentials replaces the stored chain instead of being ignored.
    """

    __tablename__ = "zalo_tokens"

    id = Column(Integer, primary_key=True)
    app_id = Column(String(64), nullable=False, unique=True)
    access_token = Column(Text, nullable=False, default="")
    refresh_token = Column(Text, nullable=False)
    access_expires_at = Column(DateTime(timezone=True))
    seed_fingerprint = Column(String(64), nullable=False, default="")
    refreshed_count = Column(Integer, nullable=False, default=0)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    def __repr__(self) -> str:  # never include the tokens
        return f"<ZaloToken app={self.app_id} refreshed={self.refreshed_count}>"


class ZaloProcessedEvent(Base):
    """One webhook event already handled: Zalo retries deliveries, we answer each once.

    ``event_key`` is the message's ``msg_id`` or, for events without one (follow, withdrawal), a
    hash of name, user and timestamp. No user id is kept, so this table needs no privacy deletion.
    """

    __tablename__ = "zalo_processed_events"

    event_key = Column(String(128), primary_key=True)
    event_name = Column(String(64), nullable=False)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class ZaloFollower(Base):
    """A Zalo user the OA has heard from: follow state and last interaction.

    ``user_id_by_app`` lets a withdrawal event that names only the app-scoped id find the
    conversation (whose ``sender_id`` is the OA-scoped id). ``last_interaction_at`` tells pushes
    (reminders) whether the user is still inside Zalo's customer-service window.
    """

    __tablename__ = "zalo_followers"

    sender_id = Column(String(64), primary_key=True)
    user_id_by_app = Column(String(64), index=True)
    following = Column(Boolean, nullable=False, default=False)
    first_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_interaction_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
