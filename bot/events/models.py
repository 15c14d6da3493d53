"""Event tables: events with their change history, registrations and reminder subscriptions.

Times are stored in UTC (``UTCDateTime``) and shown in Asia/Ho_Chi_Minh. List-valued fields that
queries filter on (audiences, topics) are stored as comma-separated canonical slugs so the same
``LIKE`` filter works on SQLite and PostgreSQL and staff can edit them as plain text.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import relationship

from bot.config import TIMEZONE
from bot.db import Base, utcnow

KINDS = (
    "hoi_nghi", "hoi_thao", "tap_huan", "toa_dam", "trien_lam", "hoi_cho", "cuoc_thi", "giao_luu",
    "livestream", "other",
)
AUDIENCES = (
    "doanh_nghiep", "hoc_sinh_sinh_vien", "giao_vien", "can_bo", "nguoi_dan", "nguoi_nuoc_ngoai",
)
STATUSES = ("scheduled", "postponed", "cancelled")
REGISTRATION_MODES = ("none", "open")


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC; SQLite (which drops the offset) reads back UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def split_slugs(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def join_slugs(values: list[str] | tuple[str, ...] | None) -> str:
    return ",".join(dict.fromkeys(v.strip() for v in values or () if v and v.strip()))


class Event(Base):
    """One activity people can ask about.

    ``external_key`` is the stable identity used by the seed loader and the importers, so loading
    the same file twice updates rows instead of duplicating them. ``search_text`` is the folded
    (no diacritics, lower-case) text of title, host, place, topics and summary for free-text
    matching. ``is_tentative`` marks dates announced as planned/unconfirmed in the source;
    ``is_sample`` marks invented demo events, which never belong in the default database.
    ``registered_count`` is changed only by a conditional UPDATE so capacity holds under
    concurrent registrations.
    """

    __tablename__ = "events"

    id = Column(Integer, primary_key=True)
    external_key = Column(String(200), nullable=False, unique=True)
    title = Column(String(300), nullable=False)
    title_en = Column(String(300))
    summary = Column(Text, nullable=False, default="")
    kind = Column(String(20), nullable=False, default="other", index=True)
    host = Column(String(300), nullable=False, default="")
    co_hosts = Column(JSON, nullable=False, default=list)
    audiences = Column(String(300), nullable=False, default="")
    topics = Column(String(300), nullable=False, default="")
    start_at = Column(UTCDateTime, nullable=False, index=True)
    end_at = Column(UTCDateTime, nullable=False, index=True)
    all_day = Column(Boolean, nullable=False, default=False)
    venue = Column(String(300), nullable=False, default="")
    address = Column(String(500), nullable=False, default="")
    city = Column(String(120), nullable=False, default="")
    online_url = Column(String(500))
    registration_mode = Column(String(10), nullable=False, default="none")
    registration_deadline = Column(UTCDateTime)
    capacity = Column(Integer)
    registered_count = Column(Integer, nullable=False, default=0)
    registration_info = Column(Text, nullable=False, default="")
    contact = Column(String(300), nullable=False, default="")
    source_url = Column(String(500), nullable=False, default="")
    status = Column(String(12), nullable=False, default="scheduled", index=True)
    is_tentative = Column(Boolean, nullable=False, default=False)
    is_sample = Column(Boolean, nullable=False, default=False)
    search_text = Column(Text, nullable=False, default="")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    revisions = relationship(
        "EventRevision", back_populates="event", cascade="all, delete-orphan",
        order_by="EventRevision.id",
    )
    registrations = relationship(
        "Registration", back_populates="event", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_events_start_end", "start_at", "end_at"),)

    @property
    def audience_list(self) -> list[str]:
        return split_slugs(self.audiences)

    @property
    def topic_list(self) -> list[str]:
        return split_slugs(self.topics)

    @property
    def local_start(self) -> dt.datetime:
        return self.start_at.astimezone(TIMEZONE)

    @property
    def local_end(self) -> dt.datetime:
        return self.end_at.astimezone(TIMEZONE)

    @property
    def last_day(self) -> dt.date:
        """Last calendar day (local): all-day events store an exclusive midnight end."""
        end = self.local_end
        if self.all_day or (end.time() == dt.time(0) and end > self.local_start):
            return (end - dt.timedelta(seconds=1)).date()
        return end.date()

    def is_past(self, now: dt.datetime) -> bool:
        return self.end_at <= now

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.external_key!r}>"


def _event_fk() -> ForeignKey:
    return ForeignKey("events.id", ondelete="CASCADE")


class EventRevision(Base):
    """Change history of an event: who changed it, when, and the field values before and after."""

    __tablename__ = "event_revisions"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, _event_fk(), nullable=False, index=True)
    changed_at = Column(UTCDateTime, nullable=False, default=utcnow)
    changed_by = Column(String(120), nullable=False)
    action = Column(String(10), nullable=False)  # create | update
    before = Column(JSON)
    after = Column(JSON)

    event = relationship("Event", back_populates="revisions")


class Registration(Base):
    """A person's registration for an event. The only table holding personal data.

    ``code`` (DK-XXXXXX) is what the person uses to cancel; ``consent_at`` records the explicit
    consent to store the data. ``sender_id``/``channel`` identify the conversation, not the person.
    """

    __tablename__ = "event_registrations"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, _event_fk(), nullable=False, index=True)
    code = Column(String(9), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    organisation = Column(String(300))
    phone = Column(String(20))
    email = Column(String(254))
    consent_at = Column(UTCDateTime, nullable=False)
    status = Column(String(10), nullable=False, default="active")  # active | cancelled
    sender_id = Column(String(200))
    channel = Column(String(40))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    cancelled_at = Column(UTCDateTime)

    event = relationship("Event", back_populates="registrations")

    def __repr__(self) -> str:  # never include personal data
        return f"<Registration {self.id} {self.code} event={self.event_id} {self.status}>"


class ReminderSubscription(Base):
    """A conversation asked to be reminded of an event at ``remind_at`` (UTC)."""

    __tablename__ = "event_reminders"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, _event_fk(), nullable=False, index=True)
    sender_id = Column(String(200), nullable=False)
    channel = Column(String(40), nullable=False, default="")
    remind_at = Column(UTCDateTime, nullable=False, index=True)
    sent_at = Column(UTCDateTime)
    cancelled = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    event = relationship("Event")
