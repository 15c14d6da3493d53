"""Dashboard figures from Rasa's tracker store and the bot database, checked against known data."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import create_engine, text

from bot.config import TIMEZONE
from bot.db import session_scope
from bot.events.models import Event, Registration
from bot.knowledge.models import UnansweredQuestion
from bot.staff.bench import build_tracker
from bot.staff.stats import (
    Period,
    dashboard_data,
    ensure_tracker_indexes,
    tracker_engine,
    tracker_events,
)

TODAY = dt.date(2026, 11, 26)


def _at(day: int, hour: int) -> float:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=TIMEZONE).timestamp()


def _user(sender: str, when: float, channel: str, intent: str, words: str) -> dict:
    data = {"event": "user", "timestamp": when, "text": words, "input_channel": channel}
    return {"sender_id": sender, "type_name": "user", "timestamp": when, "intent_name": intent,
            "action_name": None, "data": json.dumps(data, ensure_ascii=False)}


def _tracker(url: str, rows: list[dict]) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        tracker_events.create(conn, checkfirst=True)  # Rasa's layout, on SQLite or PostgreSQL
        conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                          "action_name, data) VALUES (:sender_id, :type_name, :timestamp, "
                          ":intent_name, :action_name, :data)"), rows)
    engine.dispose()


def test_figures_per_day_channel_and_period(db_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    _tracker(url, [
        _user("a", _at(24, 9), "socketio", "ask_knowledge", "C/O mẫu D xin ở đâu"),
        _user("a", _at(24, 9), "socketio", "ask_knowledge", "c/o mau d xin o dau"),
        _user("b", _at(24, 10), "zalo", "nlu_fallback", "abc xyz"),
        _user("b", _at(25, 23), "zalo", "ask_events", "sắp có hội thảo nào"),  # 23:00 local
        _user("c", _at(25, 8), "socketio", "greet", "xin chào"),
        _user("c", _at(23, 8), "socketio", "greet", "ngoài kỳ"),  # outside the period
        {"sender_id": "a", "type_name": "bot", "timestamp": _at(24, 9), "intent_name": None,
         "action_name": None, "data": "{}"},
    ])
    engine = tracker_engine(url)
    with session_scope(db_url) as session:
        session.add(UnansweredQuestion(text="abc xyz", reason="fallback", resolved=False,
                                       created_at=dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)))
        event = Event(external_key="e1", title="Hội thảo RCEP", start_at=dt.datetime(
            2026, 12, 3, 8, tzinfo=TIMEZONE), end_at=dt.datetime(2026, 12, 3, 11, tzinfo=TIMEZONE))
        session.add(event)
        session.flush()
        for code in ("DK-AAAAAA", "DK-BBBBBB"):
            session.add(Registration(event_id=event.id, code=code, name="Người thử",
                                     consent_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
                                     created_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC)))
    with session_scope(db_url) as session:
        data = dashboard_data(engine, session, Period(dt.date(2026, 11, 24), TODAY), today=TODAY)
    assert data.days == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert data.messages_per_day == {"socketio": [2, 1, 0], "zalo": [1, 1, 0]}
    assert data.conversations_per_day == {"socketio": [1, 1, 0], "zalo": [1, 1, 0]}
    assert (data.total_messages, data.total_conversations, data.fallback_messages) == (5, 4, 1)
    assert data.fallback_rate == 0.2
    assert data.top_intents[0] == ("ask_knowledge", 2)
    assert data.top_questions[0] == ("c/o mẫu d xin ở đâu", 2)  # marks/case merged
    assert "xin chào" not in dict(data.top_questions)  # small talk is not a question
    assert data.unanswered == {"fallback": 1} and data.unanswered_open == 1
    assert data.registrations == [("Hội thảo RCEP", 2)]


def test_finished_days_are_cached_and_today_stays_live(db_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    _tracker(url, [_user("a", _at(25, 9), "rest", "ask_knowledge", "hỏi hôm qua"),
                   _user("a", _at(26, 9), "rest", "ask_knowledge", "hỏi hôm nay")])
    engine = tracker_engine(url)
    period = Period(dt.date(2026, 11, 25), TODAY)
    with session_scope(db_url) as session:
        assert dashboard_data(engine, session, period, today=TODAY).total_messages == 2
    _tracker(url, [_user("b", _at(26, 10), "rest", "ask_knowledge", "hỏi tiếp hôm nay"),
                   _user("b", _at(25, 10), "rest", "ask_knowledge", "ghi muộn cho hôm qua")])
    with session_scope(db_url) as session:
        data = dashboard_data(engine, session, period, today=TODAY)
    assert data.messages_per_day == {"rest": [1, 2]}  # yesterday cached, today recounted


def test_missing_tracker_store_is_reported_not_fatal(db_url, tmp_path):
    engine = tracker_engine(f"sqlite:///{tmp_path / 'none.sqlite3'}")
    assert ensure_tracker_indexes(engine) is False
    with session_scope(db_url) as session:
        data = dashboard_data(engine, session, Period(TODAY, TODAY), today=TODAY)
    assert data.tracker_available is False and data.total_messages == 0


def test_dashboard_page_renders_charts_offline(signed_in, staff_settings):
    _tracker(staff_settings.tracker_url,
             [_user("a", _at(26, 9), "zalo", "ask_knowledge", "RVC là gì")])
    page = signed_in("viewer1").get("/admin/dashboard?from=2026-11-20&to=2026-11-26")
    assert page.status_code == 200
    assert 'id="stat-messages">1<' in page.text
    assert "chart.umd.min.js" in page.text and "cdn" not in page.text.lower()
    assert signed_in("viewer1").get("/admin/staff-static/chart.umd.min.js").status_code == 200
    bad = signed_in("viewer1").get("/admin/dashboard?from=hôm-qua&to=<script>")
    assert bad.status_code == 200 and "<script>" not in bad.text.split('id="dashboard-data"')[0]


def test_one_hundred_thousand_messages_are_counted_exactly(db_url, tmp_path):
    """Correctness at scale (the time is measured by bot/staff/bench.py, not asserted here)."""
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    truth = build_tracker(url, 100_000, TODAY)
    engine = tracker_engine(url)
    ensure_tracker_indexes(engine)
    with session_scope(db_url) as session:
        data = dashboard_data(engine, session, Period(TODAY - dt.timedelta(days=29), TODAY),
                              today=TODAY)
    assert data.total_messages == truth["messages"] == 100_000
    assert data.fallback_messages == truth["fallback"]
    assert sum(sum(v) for v in data.messages_per_day.values()) == 100_000
    assert set(data.channels) == {"socketio", "zalo", "rest"}
