"""FAQ tables: entries with phrasings, sources and entities; unanswered questions; data version.

The staff web app and the action server are separate processes sharing one database, so a live edit
must be visible to the next message without any message passing. Every flush that inserts, changes
or deletes an FAQ row bumps the single-row counter in ``kb_data_version`` inside the same
transaction; readers compare that counter (one indexed row) before each query and rebuild their
in-process index only when it moved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    event,
    insert,
    update,
)
from sqlalchemy.orm import Session, relationship

from bot.db import Base, utcnow

STATUSES = ("draft", "published", "archived")
UNANSWERED_REASONS = ("fallback", "low_confidence", "thumbs_down")
KNOWLEDGE_VERSION_NAME = "knowledge"


class FaqTopic(Base):
    """A topic (one seed file): its slug and the titles shown to staff and in topic buttons."""

    __tablename__ = "faq_topics"

    slug = Column(String(64), primary_key=True)
    title = Column(String(200), nullable=False)
    title_en = Column(String(200), nullable=True)


class FaqEntry(Base):
    """One question with its answer.

    ``id`` is the stable slug from the seed file (or chosen by staff). ``answer_en``/``question_en``
    are optional; an English question without them gets the Vietnamese answer and a note.
    ``as_of`` marks facts that may change (chair, agreement status); ``updated_by`` is "seed" for
    rows written by the loader, otherwise the staff account that last changed the entry.
    """

    __tablename__ = "faq_entries"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="ck_faq_status"),
    )

    id = Column(String(80), primary_key=True)
    topic = Column(String(64), nullable=False, index=True)
    question = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    question_en = Column(Text, nullable=True)
    answer_en = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="draft", index=True)
    as_of = Column(Date, nullable=True)
    updated_by = Column(String(80), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    variants = relationship(
        "FaqVariant", back_populates="entry", cascade="all, delete-orphan", order_by="FaqVariant.id"
    )
    sources = relationship(
        "FaqSource", back_populates="entry", cascade="all, delete-orphan", order_by="FaqSource.id"
    )
    entities = relationship(
        "FaqEntity", back_populates="entry", cascade="all, delete-orphan", order_by="FaqEntity.id"
    )

    def __str__(self) -> str:  # shown by the staff app
        return f"{self.id}: {self.question}"


class FaqVariant(Base):
    """An alternative phrasing of the entry's question (``lang`` "vi" or "en")."""

    __tablename__ = "faq_variants"

    id = Column(Integer, primary_key=True, autoincrement=True)
    entry_id = Column(
        String(80), ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text = Column(Text, nullable=False)
    lang = Column(String(8), nullable=False, default="vi")

    entry = relationship("FaqEntry", back_populates="variants")


class FaqSource(Base):
    """Where the answer comes from: legal text or page title, URL, and the date it was checked."""

    __tablename__ = "faq_sources"

    id = Column(Integer, primary_key=True, autoincrement=True)
    entry_id = Column(
        String(80), ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title = Column(Text, nullable=False)
    url = Column(Text, nullable=True)
    checked = Column(Date, nullable=True)

    entry = relationship("FaqEntry", back_populates="sources")


class FaqEntity(Base):
    """An entity the entry is about (kind ∈ agreement, co_form, country, product, hs_code).

    Drives retrieval boosts ("mẫu E" prefers entries about Form E) and follow-ups.
    """

    __tablename__ = "faq_entities"

    id = Column(Integer, primary_key=True, autoincrement=True)
    entry_id = Column(
        String(80), ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = Column(String(32), nullable=False)
    value = Column(String(120), nullable=False)

    entry = relationship("FaqEntry", back_populates="entities")


class UnansweredQuestion(Base):
    """A question the bot could not answer well, kept for staff (no personal data).

    ``text`` is normalised and scrubbed of phone numbers and e-mail addresses before it is
    stored; ``candidates`` holds the best retrieval candidates as ``[{"id", "score"}]``;
    ``entry_id`` is the answer a user rated 👎; ``group_key`` lets the inbox group near-duplicates.
    """

    __tablename__ = "unanswered_questions"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('fallback', 'low_confidence', 'thumbs_down')", name="ck_unanswered_reason"
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    text = Column(Text, nullable=False)
    channel = Column(String(32), nullable=True)
    reason = Column(String(24), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    candidates = Column(JSON, nullable=True)
    entry_id = Column(
        String(80), ForeignKey("faq_entries.id", ondelete="SET NULL"), nullable=True, index=True
    )
    resolved = Column(Boolean, nullable=False, default=False, index=True)
    group_key = Column(String(200), nullable=True, index=True)


class DataVersion(Base):
    """A named counter bumped whenever the data it covers changes (one row per name)."""

    __tablename__ = "kb_data_version"

    name = Column(String(32), primary_key=True)
    version = Column(Integer, nullable=False, default=0)
    changed_at = Column(DateTime(timezone=True), nullable=True)


FAQ_MODELS = (FaqTopic, FaqEntry, FaqVariant, FaqSource, FaqEntity)
_CHILD_MODELS = (FaqVariant, FaqSource, FaqEntity)


def _changed_faq_objects(session: Session) -> list[Any]:
    """FAQ rows this flush will insert, delete, or really modify (not just touch)."""
    changed = [obj for obj in session.new if isinstance(obj, FAQ_MODELS)]
    changed += [obj for obj in session.deleted if isinstance(obj, FAQ_MODELS)]
    changed += [
        obj
        for obj in session.dirty
        if isinstance(obj, FAQ_MODELS) and session.is_modified(obj, include_collections=False)
    ]
    return changed


@event.listens_for(Session, "before_flush")
def _touch_parent_entry(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Editing a phrasing, source or entity counts as editing its entry (updated_at moves)."""
    for obj in _changed_faq_objects(session):
        if not isinstance(obj, _CHILD_MODELS):
            continue
        entry = obj.entry
        if entry is not None and entry not in session.deleted:
            entry.updated_at = utcnow()


@event.listens_for(Session, "after_flush")
def _bump_on_faq_change(session: Session, _flush_context: Any) -> None:
    # session.new/dirty/deleted still describe what was just flushed at this point.
    if _changed_faq_objects(session):
        bump_data_version(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_faq_statement(orm_execute_state: Any) -> None:
    """Bulk ``update(FaqEntry)``/``delete(...)`` statements bypass the flush; count them too."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_mapper
    if mapper is not None and mapper.class_ in FAQ_MODELS:
        bump_data_version(orm_execute_state.session)


def bump_data_version(session: Session, name: str = KNOWLEDGE_VERSION_NAME) -> None:
    """Increment the counter in the session's current transaction (creating the row if absent)."""
    connection = session.connection()
    now = utcnow()
    result = connection.execute(
        update(DataVersion.__table__)
        .where(DataVersion.__table__.c.name == name)
        .values(version=DataVersion.__table__.c.version + 1, changed_at=now)
    )
    if result.rowcount == 0:  # the migration seeds the row; tables made by create_all do not
        connection.execute(
            insert(DataVersion.__table__).values(name=name, version=1, changed_at=now)
        )


def as_date(value: dt.date | dt.datetime | None) -> dt.date | None:
    """A date from a date or datetime column value (SQLite returns what it stored)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value
