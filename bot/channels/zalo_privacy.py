"""Forget a Zalo user: their Rasa conversation, registrations, reminders and follower row.

Called when a user withdraws consent. Two stores hold data about a conversation:

* Rasa's tracker store (the conversation itself). Rasa 3.6 has no delete API, so this deletes the
  sender's events/keys in the concrete store (SQL, in-memory, Redis, Mongo); other stores are
  reported as not handled.
* The bot's own database. Every table with a ``sender_id`` column belongs to a conversation
  (``event_registrations``, ``event_reminders``, ``zalo_followers``, ...), so rows of this sender
  are deleted there, with rows of other tables that reference them first. A ``channel`` column
  restricts the match to this channel (or rows that name none), so a web-chat session that
  happened to share the id is left alone. Deleting reminder rows is what stops reminders.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table, delete, or_, select
from sqlalchemy.sql.elements import ColumnElement

from bot.db import session_scope
from bot.db.models import load_all_models

logger = logging.getLogger(__name__)

CHANNEL = "zalo"


@dataclass
class ForgetReport:
    """What was deleted, as counts per store/table (never the data itself)."""

    tracker: str = "not attempted"
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _sender_filter(table: Table, sender_id: str, channel: str) -> ColumnElement[bool]:
    condition = table.c.sender_id == sender_id
    if "channel" in table.c:
        condition = condition & or_(
            table.c.channel == channel, table.c.channel.is_(None), table.c.channel == ""
        )
    return condition


def _delete_referencing(
    session: Any, metadata: MetaData, table: Table, condition: ColumnElement[bool], depth: int = 0
) -> dict[str, int]:
    """Delete rows of other tables that point at the rows of ``table`` matching ``condition``."""
    counts: dict[str, int] = {}
    if depth > 3:
        return counts
    for child in metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is not table or child is table:
                continue
            parent_keys = select(fk.column).where(condition).scalar_subquery()
            child_condition = fk.parent.in_(parent_keys)
            counts.update(_delete_referencing(session, metadata, child, child_condition, depth + 1))
            result = session.execute(delete(child).where(child_condition))
            if result.rowcount:
                counts[child.name] = counts.get(child.name, 0) + result.rowcount
    return counts


def delete_sender_rows(
    sender_id: str,
    channel: str = CHANNEL,
    db_url: str | None = None,
    metadata: MetaData | None = None,
) -> dict[str, int]:
    """Delete every row about ``sender_id`` from the bot's database, in one transaction."""
    metadata = metadata if metadata is not None else load_all_models().metadata
    counts: dict[str, int] = {}
    with session_scope(db_url) as session:
        for table in reversed(metadata.sorted_tables):
            if "sender_id" not in table.c:
                continue
            condition = _sender_filter(table, sender_id, channel)
            for name, count in _delete_referencing(session, metadata, table, condition).items():
                counts[name] = counts.get(name, 0) + count
            result = session.execute(delete(table).where(condition))
            if result.rowcount:
                counts[table.name] = counts.get(table.name, 0) + result.rowcount
    return counts


def _unwrap(tracker_store: Any) -> list[Any]:
    """The concrete stores behind Rasa's wrappers (fail-safe, awaitable), fallback included."""
    stores, todo = [], [tracker_store]
    while todo:
        store = todo.pop()
        if store is None:
            continue
        inner = getattr(store, "_tracker_store", None)
        if inner is not None:
            todo.append(inner)
            todo.append(getattr(store, "_fallback_tracker_store", None))
        else:
            stores.append(store)
    return stores


def _delete_in_store(store: Any, sender_id: str) -> bool:
    """Delete the sender's conversation in one concrete tracker store; False if unsupported."""
    kind = type(store).__name__
    if hasattr(store, "SQLEvent") and hasattr(store, "session_scope"):
        with store.session_scope() as session:
            session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender_id).delete(
                synchronize_session=False
            )
            session.commit()
        return True
    if kind == "InMemoryTrackerStore":
        store.store.pop(sender_id, None)
        return True
    if kind == "RedisTrackerStore":
        store.red.delete(store.key_prefix + sender_id)
        return True
    if kind == "MongoTrackerStore":
        store.conversations.delete_many({"sender_id": sender_id})
        return True
    return False


async def delete_conversation(tracker_store: Any, sender_id: str, lock_store: Any = None) -> str:
    """Delete the sender's Rasa conversation; returns a short status for the report."""
    if tracker_store is None:
        return "no tracker store"
    stores = _unwrap(tracker_store)

    def run() -> list[str]:
        return [
            type(s).__name__ if _delete_in_store(s, sender_id) else f"{type(s).__name__}?"
            for s in stores
        ]

    if lock_store is not None:
        # The same per-conversation lock Rasa holds while handling a message.
        async with lock_store.lock(sender_id):
            done = run()
    else:
        done = run()
    unsupported = [d for d in done if d.endswith("?")]
    if unsupported:
        logger.warning("Tracker store(s) %s cannot delete a conversation", unsupported)
    return ", ".join(done) or "no tracker store"


async def forget_sender(
    sender_id: str,
    tracker_store: Any = None,
    lock_store: Any = None,
    db_url: str | None = None,
    channel: str = CHANNEL,
) -> ForgetReport:
    """Delete everything the bot keeps about one conversation of ``channel``."""
    report = ForgetReport()
    report.tracker = await delete_conversation(tracker_store, sender_id, lock_store)
    report.rows = await asyncio.to_thread(delete_sender_rows, sender_id, channel, db_url)
    return report
