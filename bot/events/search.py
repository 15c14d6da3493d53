"""Finding events for an ``EventQuery``: SQL filters, date order, paging, name look-ups.

Rules that protect citizens: a question without a past time frame only ever gets events that have
not ended yet; past events appear only when the question is about the past (a range that has
ended, or a named event with no upcoming edition) and are then marked as past by the replies.
Cancelled and postponed events are returned (and labelled), never hidden or shown as scheduled.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.events import vocab
from bot.events.models import Event
from bot.events.query import EventQuery

PAGE_SIZE = 5
NAME_MATCH_RATIO = 0.6


@dataclass
class SearchResult:
    """One page of events plus what the reply needs to explain it."""

    events: list[Event]
    total: int
    query: EventQuery
    past: bool = False  # the page lists past events (the question was about the past)
    by_name: bool = False  # events were found by their name
    nearest: list[Event] = field(default_factory=list)  # offered when nothing matched

    @property
    def has_more(self) -> bool:
        return self.query.offset + len(self.events) < self.total


def _slug_filter(column, slug: str):  # noqa: ANN001, ANN202 - SQLAlchemy expressions
    """``slug`` is one of the comma-separated values in ``column`` (portable LIKE)."""
    return (literal(",") + column + literal(",")).like(f"%,{slug},%")


def _phrase_filter(phrases: tuple[str, ...] | list[str]):  # noqa: ANN202
    return or_(*(Event.search_text.like(f"%{p}%") for p in phrases))


def _filters(query: EventQuery) -> list:
    conditions = []
    if query.kind:
        conditions.append(Event.kind == query.kind)
    if query.audience:
        conditions.append(_slug_filter(Event.audiences, query.audience))
    if query.topic:
        phrases = list(vocab.TOPIC_PHRASES.get(query.topic, ())) or [query.topic]
        conditions.append(or_(_slug_filter(Event.topics, query.topic), _phrase_filter(phrases)))
    if query.place:
        if query.place == "online":
            conditions.append(or_(Event.online_url.isnot(None),
                                  _phrase_filter(vocab.PLACE_PHRASES["online"])))
        else:
            conditions.append(_phrase_filter(vocab.PLACE_PHRASES.get(query.place, (query.place,))))
    if query.open_registration:
        conditions.append(Event.registration_mode == "open")
    return conditions


def _range_filter(query: EventQuery, now: dt.datetime) -> tuple[list, bool]:
    """Time conditions and whether the question is about the past."""
    if query.range is None:
        return [Event.end_at > now], False
    start, end = query.range.start_utc, query.range.end_utc
    if end <= now:  # "tuần trước", "tháng 11 năm ngoái": a past frame, past events are the answer
        return [Event.start_at < end, Event.end_at > start], True
    return [Event.start_at < end, Event.end_at > max(start, now)], False


def _order(stmt, past: bool):  # noqa: ANN001, ANN202
    return stmt.order_by(Event.start_at.desc() if past else Event.start_at, Event.id)


def _title_tokens(event: Event) -> set[str]:
    from bot.nlp.normalize import search_key

    return set(re.findall(r"[a-z0-9]+", search_key(f"{event.title} {event.title_en or ''}")))


def find_by_name(session: Session, query: EventQuery, now: dt.datetime) -> list[Event]:
    """Events whose title contains most of ``query.name_terms``: upcoming ones first (by date),
    then past ones (latest first), so "Festival tôm diễn ra khi nào?" shows every edition.
    """
    terms = query.name_terms
    if not terms or (len(terms) == 1 and len(terms[0]) < 5):
        return []
    conditions = _filters(query)
    if query.range is not None:
        conditions += [Event.start_at < query.range.end_utc, Event.end_at > query.range.start_utc]
    needed = min(2, len(terms))
    # Count term hits in SQL first, so only plausible rows are loaded and scored on their title.
    at_least = max(needed, math.ceil(NAME_MATCH_RATIO * len(terms)))
    hits = sum(case((Event.search_text.like(f"%{t}%"), 1), else_=0) for t in terms)
    stmt = select(Event).where(hits >= at_least, *conditions)
    matches = []
    for event in session.execute(stmt).scalars():
        overlap = len(set(terms) & _title_tokens(event))
        if overlap >= needed and overlap / len(terms) >= NAME_MATCH_RATIO:
            matches.append(event)
    upcoming = sorted((e for e in matches if e.end_at > now), key=lambda e: (e.start_at, e.id))
    past = sorted((e for e in matches if e.end_at <= now), key=lambda e: (e.start_at, e.id),
                  reverse=True)
    return upcoming + past


def nearest_upcoming(session: Session, now: dt.datetime, limit: int = 3) -> list[Event]:
    """The next events that have not ended, whatever their kind (for "nothing found")."""
    stmt = select(Event).where(Event.end_at > now, Event.status != "cancelled")
    return list(session.execute(_order(stmt, False).limit(limit)).scalars())


def search_events(
    session: Session, query: EventQuery, now: dt.datetime, limit: int = PAGE_SIZE
) -> SearchResult:
    """One page (``query.offset``, ``limit``) of events matching ``query``, by date.

    Args:
        session: database session.
        query: filters; ``offset`` selects the page ("xem thêm").
        now: current moment (timezone-aware), which decides what is upcoming.
        limit: page size (5 in chat replies).
    """
    named = find_by_name(session, query, now)
    if named:
        page = named[query.offset: query.offset + limit]
        past = all(e.end_at <= now for e in named)
        return SearchResult(page, len(named), query, past=past, by_name=True)

    time_conditions, past = _range_filter(query, now)
    where = and_(*time_conditions, *_filters(query))
    # One scan gives the page and the total (window count), instead of a COUNT plus a SELECT.
    stmt = _order(select(Event, func.count().over()).where(where), past)
    rows = session.execute(stmt.offset(query.offset).limit(limit)).all()
    events = [row[0] for row in rows]
    if rows:
        total = rows[0][1]
    else:
        total = session.execute(select(func.count(Event.id)).where(where)).scalar_one()
    result = SearchResult(events, total, query, past=past)
    if total == 0:
        result.nearest = nearest_upcoming(session, now)
    return result


def get_event(session: Session, event_id: int | str | None) -> Event | None:
    try:
        return session.get(Event, int(event_id)) if event_id not in (None, "") else None
    except (TypeError, ValueError):
        return None
