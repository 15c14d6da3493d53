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
import threading
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
# Small talk and button answers are not "questions" for the top-questions table.
NOT_QUESTIONS = ("greet", "goodbye", "thank", "affirm", "deny", "feedback", "stop")
TOP_LIMIT = 10
TEXTS_PER_DAY = 500  # wordings kept per day; the period's top list is merged from these


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


@dataclass
class DayStats:
    """One local day of conversation figures, aggregated by the database."""

    by_channel: dict[str, list[int]] = field(default_factory=dict)  # [messages, people, fallback]
    intents: Counter = field(default_factory=Counter)
    texts: Counter = field(default_factory=Counter)  # the day's most frequent wordings


class TrackerStats:
    """Per-day aggregates of the tracker store, cached once a day is over.

    A finished day never changes (events are stored with the time they happened), so each past
    day is aggregated in SQL once per process; later dashboard loads only aggregate today, which
    the (type_name, timestamp) index turns into a short range scan.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._days: dict[str, DayStats] = {}
        self._lock = threading.Lock()

    def days(self, period: Period, today: dt.date) -> dict[str, DayStats]:
        wanted = period.days()
        today_text = today.isoformat()
        with self._lock:
            missing = [d for d in wanted if d not in self._days or d >= today_text]
        fresh: dict[str, DayStats] = {}
        if missing:
            first = dt.date.fromisoformat(missing[0])
            last = dt.date.fromisoformat(missing[-1])
            fresh = self._aggregate(Period(first, last))
            with self._lock:
                for day in missing:
                    if day < today_text:  # only finished days are final
                        self._days[day] = fresh.get(day, DayStats())
        with self._lock:
            return {d: fresh.get(d) or self._days.get(d) or DayStats() for d in wanted}

    def _aggregate(self, period: Period) -> dict[str, DayStats]:
        dialect = self.engine.dialect.name
        day = _local_day(dialect).label("day")
        channel = func.coalesce(_json_field(dialect, "input_channel"), "khác").label("channel")
        user_messages = and_(
            tracker_events.c.type_name == "user",
            tracker_events.c.timestamp >= period.start_ts,
            tracker_events.c.timestamp < period.end_ts,
        )
        text_key = func.lower(func.trim(_json_field(dialect, "text"))).label("t")
        counted = (
            select(day, text_key, func.count().label("n"))
            .where(user_messages, tracker_events.c.intent_name.notin_(NOT_QUESTIONS))
            .group_by(literal_column("day"), literal_column("t"))
            .subquery()
        )
        ranked = select(
            counted.c.day, counted.c.t, counted.c.n,
            func.row_number()
            .over(partition_by=counted.c.day, order_by=counted.c.n.desc())
            .label("r"),
        ).subquery()
        with self.engine.connect() as conn:
            per_channel = conn.execute(
                select(
                    day,
                    channel,
                    func.count().label("messages"),
                    func.count(func.distinct(tracker_events.c.sender_id)).label("people"),
                    func.count()
                    .filter(tracker_events.c.intent_name.in_(FALLBACK_INTENTS))
                    .label("fallback"),
                )
                .where(user_messages)
                .group_by(literal_column("day"), literal_column("channel"))
            ).all()
            intents = conn.execute(
                select(day, tracker_events.c.intent_name, func.count().label("n"))
                .where(user_messages, tracker_events.c.intent_name.isnot(None))
                .group_by(literal_column("day"), tracker_events.c.intent_name)
            ).all()
            texts = conn.execute(
                select(ranked.c.day, ranked.c.t, ranked.c.n).where(ranked.c.r <= TEXTS_PER_DAY)
            ).all()
        days: dict[str, DayStats] = {}
        for row in per_channel:
            stats = days.setdefault(row.day, DayStats())
            stats.by_channel[row.channel] = [row.messages, row.people, row.fallback]
        for row in intents:
            days.setdefault(row.day, DayStats()).intents[row.intent_name] += row.n
        for row in texts:
            if row.t:
                days.setdefault(row.day, DayStats()).texts[row.t] += row.n
        return days


_tracker_stats: dict[str, TrackerStats] = {}
_tracker_stats_lock = threading.Lock()


def tracker_stats_for(engine: Engine) -> TrackerStats:
    key = str(engine.url)
    with _tracker_stats_lock:
        if key not in _tracker_stats:
            _tracker_stats[key] = TrackerStats(engine)
        return _tracker_stats[key]


def tracker_stats(engine: Engine, period: Period, data: DashboardData,
                  today: dt.date | None = None) -> None:
    """Fill the conversation figures of ``data`` from the tracker store.

    A conversation is one person (``sender_id``) talking to the bot on one day on one channel,
    so daily figures add up to the period's total.
    """
    if not inspect(engine).has_table("events"):
        data.tracker_available = False
        return
    today = today or dt.datetime.now(TIMEZONE).date()
    per_day = tracker_stats_for(engine).days(period, today)
    channels = sorted({c for stats in per_day.values() for c in stats.by_channel})
    data.channels = channels
    data.messages_per_day = {c: [0] * len(data.days) for c in channels}
    data.conversations_per_day = {c: [0] * len(data.days) for c in channels}
    intents: Counter = Counter()
    texts: Counter = Counter()
    for index, day in enumerate(data.days):
        stats = per_day[day]
        for channel, (messages, people, fallback) in stats.by_channel.items():
            data.messages_per_day[channel][index] = messages
            data.conversations_per_day[channel][index] = people
            data.total_messages += messages
            data.total_conversations += people
            data.fallback_messages += fallback
        intents.update(stats.intents)
        texts.update(stats.texts)
    data.top_intents = intents.most_common(TOP_LIMIT)
    data.top_questions = _merge_wordings(texts.most_common())[:TOP_LIMIT]


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
        # Show the most frequent wording; on a tie, the one typed with Vietnamese marks.
        rank = (count, wording != key)
        if key not in shown or rank > (shown[key][1], shown[key][0] != key):
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


def dashboard_data(tracker: Engine | None, session: Any, period: Period,
                   today: dt.date | None = None) -> DashboardData:
    data = DashboardData(
        period=period, days=period.days(), channels=[], messages_per_day={},
        conversations_per_day={},
    )
    if tracker is not None:
        try:
            tracker_stats(tracker, period, data, today)
        except Exception as exc:  # noqa: BLE001 - an unreachable tracker store must not break the page
            log.warning("Tracker statistics unavailable: %s", exc.__class__.__name__)
            data.tracker_available = False
    else:
        data.tracker_available = False
    bot_db_stats(session, period, data)
    return data
