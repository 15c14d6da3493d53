"""Usage statistics for the dashboard, aggregated in SQL.

Conversation data come from Rasa's SQL tracker store (table ``events``: one row per tracker event,
``timestamp`` in epoch seconds, ``data`` the event as JSON with ``input_channel`` and ``text`` on
user messages); registrations and unanswered questions from the bot's own database. Every query
filters on ``(type_name, timestamp)``, which ``ensure_tracker_indexes`` indexes, and groups in the
database, so only a few hundred aggregate rows ever reach Python.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Engine

from bot.config import TIMEZONE

log = logging.getLogger(__name__)

_tracker_metadata = MetaData()
# The columns of Rasa 3.6's SQLTrackerStore that we read (declared, not reflected: no round trip).
tracker_events = Table(
    "events",
    _tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
TRACKER_INDEX = "ix_events_type_name_timestamp"
FALLBACK_INTENTS = ("nlu_fallback",)
TOP_LIMIT = 10


@dataclass
class Period:
    """Local calendar days ``start``..``end`` inclusive (Asia/Ho_Chi_Minh)."""

    start: dt.date
    end: dt.date

    @property
    def start_ts(self) -> float:
        return dt.datetime.combine(self.start, dt.time(0), TIMEZONE).timestamp()

    @property
    def end_ts(self) -> float:
        next_day = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time(0), TIMEZONE).timestamp()

    def days(self) -> list[str]:
        count = (self.end - self.start).days + 1
        return [(self.start + dt.timedelta(days=i)).isoformat() for i in range(count)]


@dataclass
class DashboardData:
    period: Period
    days: list[str]
    channels: list[str]
    messages_per_day: dict[str, list[int]]  # channel -> count per day
    conversations_per_day: dict[str, list[int]]
    total_messages: int = 0
    total_conversations: int = 0
    fallback_messages: int = 0
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    unanswered: dict[str, int] = field(default_factory=dict)
    unanswered_open: int = 0
    registrations: list[tuple[str, int]] = field(default_factory=list)
    tracker_available: bool = True

    @property
    def fallback_rate(self) -> float:
        return self.fallback_messages / self.total_messages if self.total_messages else 0.0


@lru_cache(maxsize=4)
def tracker_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
    return create_engine(url, **kwargs)


def ensure_tracker_indexes(engine: Engine) -> bool:
    """Add the (type_name, timestamp) index the dashboard needs, if the table exists.

    Rasa creates only an index on sender_id. Returns False (and logs) when the table is missing
    or the database user may not create indexes; the dashboard then still works, more slowly.
    """
    try:
        if not inspect(engine).has_table("events"):
            return False
        with engine.begin() as conn:
            conn.execute(
                text(f"CREATE INDEX IF NOT EXISTS {TRACKER_INDEX} ON events (type_name, timestamp)")
            )
        return True
    except Exception as exc:  # noqa: BLE001 - statistics must never take the workspace down
        log.warning("Could not index the tracker store: %s", exc.__class__.__name__)
        return False


def _local_day(dialect: str) -> Any:
    """The local (UTC+7, no DST in Vietnam) calendar day of an event as 'YYYY-MM-DD'."""
    offset = int(dt.datetime.now(TIMEZONE).utcoffset().total_seconds())
    if dialect == "sqlite":
        return literal_column(f"date(events.timestamp + {offset}, 'unixepoch')")
    return literal_column(
        f"to_char(to_timestamp(events.timestamp + {offset}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    )


def _json_field(dialect: str, name: str) -> Any:
    if dialect == "sqlite":
        return literal_column(f"json_extract(events.data, '$.{name}')")
    return literal_column(f"(events.data::json ->> '{name}')")


def tracker_stats(engine: Engine, period: Period, data: DashboardData) -> None:
    """Fill the conversation figures of ``data`` from the tracker store."""
    if not inspect(engine).has_table("events"):
        data.tracker_available = False
        return
    dialect = engine.dialect.name
    day = _local_day(dialect).label("day")
    channel = func.coalesce(_json_field(dialect, "input_channel"), "khác").label("channel")
    user_messages = and_(
        tracker_events.c.type_name == "user",
        tracker_events.c.timestamp >= period.start_ts,
        tracker_events.c.timestamp < period.end_ts,
    )
    with engine.connect() as conn:
        per_day = conn.execute(
            select(
                day,
                channel,
                func.count().label("messages"),
                func.count(func.distinct(tracker_events.c.sender_id)).label("conversations"),
            )
            .where(user_messages)
            .group_by(literal_column("day"), literal_column("channel"))
        ).all()
        totals = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(tracker_events.c.sender_id)),
                func.count().filter(tracker_events.c.intent_name.in_(FALLBACK_INTENTS)),
            ).where(user_messages)
        ).one()
        intents = conn.execute(
            select(tracker_events.c.intent_name, func.count().label("n"))
            .where(user_messages, tracker_events.c.intent_name.isnot(None))
            .group_by(tracker_events.c.intent_name)
            .order_by(literal_column("n").desc())
            .limit(TOP_LIMIT)
        ).all()
        message_text = func.lower(func.trim(_json_field(dialect, "text"))).label("t")
        texts = conn.execute(
            select(message_text, func.count().label("n"))
            .where(
                user_messages,
                tracker_events.c.intent_name.notin_(
                    ("greet", "goodbye", "thank", "affirm", "deny", "feedback", "stop")
                ),
            )
            .group_by(literal_column("t"))
            .order_by(literal_column("n").desc())
            .limit(TOP_LIMIT * 20)
        ).all()

    days = data.days
    index = {d: i for i, d in enumerate(days)}
    channels = sorted({row.channel for row in per_day})
    data.channels = channels
    data.messages_per_day = {c: [0] * len(days) for c in channels}
    data.conversations_per_day = {c: [0] * len(days) for c in channels}
    for row in per_day:
        if row.day in index:
            data.messages_per_day[row.channel][index[row.day]] = row.messages
            data.conversations_per_day[row.channel][index[row.day]] = row.conversations
    data.total_messages, data.total_conversations, data.fallback_messages = (
        int(totals[0] or 0), int(totals[1] or 0), int(totals[2] or 0)
    )
    data.top_intents = [(row.intent_name, row.n) for row in intents]
    data.top_questions = _merge_wordings((row.t, row.n) for row in texts if row.t)[:TOP_LIMIT]


def _merge_wordings(rows: Any) -> list[tuple[str, int]]:
    """Merge texts that differ only in marks, case or spacing (the SQL grouped exact texts)."""
    from bot.nlp.normalize import search_key

    counts: Counter = Counter()
    shown: dict[str, tuple[str, int]] = {}
    for wording, count in rows:
        if wording.startswith("/"):  # button payloads, not questions
            continue
        key = search_key(wording)
        counts[key] += count
        if key not in shown or count > shown[key][1]:
            shown[key] = (wording, count)
    return [(shown[key][0], total) for key, total in counts.most_common()]


def bot_db_stats(session: Any, period: Period, data: DashboardData) -> None:
    """Unanswered questions and registrations in the period, from the bot's database."""
    start = dt.datetime.combine(period.start, dt.time(0), TIMEZONE).astimezone(dt.UTC)
    end = dt.datetime.combine(
        period.end + dt.timedelta(days=1), dt.time(0), TIMEZONE
    ).astimezone(dt.UTC)
    try:
        from bot.knowledge.models import UnansweredQuestion
    except ImportError:
        UnansweredQuestion = None  # noqa: N806
    if UnansweredQuestion is not None:
        rows = session.execute(
            select(UnansweredQuestion.reason, func.count())
            .where(UnansweredQuestion.created_at >= start, UnansweredQuestion.created_at < end)
            .group_by(UnansweredQuestion.reason)
        ).all()
        data.unanswered = {reason: count for reason, count in rows}
        data.unanswered_open = session.execute(
            select(func.count()).where(UnansweredQuestion.resolved.is_(False))
        ).scalar_one()
    try:
        from bot.events.models import Event, Registration
    except ImportError:
        return
    rows = session.execute(
        select(Event.title, func.count(Registration.id).label("n"))
        .join(Registration, Registration.event_id == Event.id)
        .where(
            Registration.created_at >= start,
            Registration.created_at < end,
            Registration.status == "active",
        )
        .group_by(Event.id, Event.title)
        .order_by(literal_column("n").desc())
        .limit(20)
    ).all()
    data.registrations = [(title, n) for title, n in rows]


def dashboard_data(tracker: Engine | None, session: Any, period: Period) -> DashboardData:
    data = DashboardData(
        period=period, days=period.days(), channels=[], messages_per_day={},
        conversations_per_day={},
    )
    if tracker is not None:
        try:
            tracker_stats(tracker, period, data)
        except Exception as exc:  # noqa: BLE001 - an unreachable tracker store must not break the page
            log.warning("Tracker statistics unavailable: %s", exc.__class__.__name__)
            data.tracker_available = False
    else:
        data.tracker_available = False
    bot_db_stats(session, period, data)
    return data
