"""Dashboard load time with many logged messages: ``python -m bot.staff.bench [--messages N]``.

Builds a synthetic Rasa tracker store (the real ``events`` table layout) with N user messages over
30 days, each followed by an action and a bot utterance as Rasa logs them, then times:
the statistics alone and the whole dashboard page over HTTP (signed in as a viewer), each "cold"
(nothing cached, as after a restart: every day aggregated in SQL) and "warm" (finished days cached,
only today aggregated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.config import TIMEZONE

CHANNELS = ("socketio", "zalo", "rest")
INTENTS = (
    ("ask_knowledge", 50), ("ask_events", 15), ("greet", 10), ("ask_followup", 6),
    ("register_event", 4), ("nlu_fallback", 8), ("thank", 4), ("out_of_scope", 3),
)
QUESTIONS = (
    "C/O mẫu D xin ở đâu", "c/o mau d xin o dau", "RVC 40% là gì",
    "thủ tục xuất khẩu tôm sang Nhật",
    "hiệp định RCEP có hiệu lực khi nào", "sắp tới có hội thảo nào", "đăng ký hội chợ OCOP",
    "ASEAN có bao nhiêu nước", "visa đi Thái Lan", "một cửa quốc gia là gì",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)"""


def build_tracker(url: str, messages: int, end_day: dt.date, days: int = 30, seed: int = 7
                  ) -> dict[str, int]:
    """Fill a tracker store with ``messages`` user messages (plus action and bot events).

    Returns the true totals, for checking what the dashboard reports.
    """
    rng = random.Random(seed)
    engine = create_engine(url, future=True)
    start = dt.datetime.combine(end_day - dt.timedelta(days=days - 1), dt.time(0), TIMEZONE)
    span = days * 86400
    intents, weights = zip(*INTENTS, strict=True)
    rows = []
    totals = {"messages": 0, "fallback": 0}
    senders = max(1, messages // 4)
    for _ in range(messages):
        sender = f"s{rng.randrange(senders)}"
        moment = start.timestamp() + rng.random() * span
        intent = rng.choices(intents, weights)[0]
        channel = rng.choice(CHANNELS)
        question = "xin chào" if intent in ("greet", "thank") else rng.choice(QUESTIONS)
        user = {"event": "user", "timestamp": moment, "text": question,
                "input_channel": channel, "parse_data": {"intent": {"name": intent}}}
        rows.append((sender, "user", moment, intent, None, json.dumps(user, ensure_ascii=False)))
        rows.append((sender, "action", moment + 0.2, None, "action_answer_knowledge",
                     json.dumps({"event": "action", "name": "action_answer_knowledge"})))
        rows.append((sender, "bot", moment + 0.3, None, None,
                     json.dumps({"event": "bot", "text": "…"}, ensure_ascii=False)))
        totals["messages"] += 1
        totals["fallback"] += intent == "nlu_fallback"
    with engine.begin() as conn:
        conn.execute(text(_SCHEMA))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)"))
        conn.exec_driver_sql(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    engine.dispose()
    return totals


def run(messages: int, repeats: int = 5) -> dict[str, float]:
    from argon2 import PasswordHasher
    from starlette.testclient import TestClient

    from bot.db import session_scope
    from bot.db.migrate import upgrade
    from bot.staff import accounts, stats
    from bot.staff.app import standalone_app
    from bot.staff.settings import StaffSettings
    from bot.staff.stats import Period, dashboard_data, ensure_tracker_indexes, tracker_engine

    today = dt.datetime.now(TIMEZONE).date()
    with tempfile.TemporaryDirectory() as tmp:
        tracker_url = f"sqlite:///{Path(tmp) / 'tracker.sqlite3'}"
        db_url = f"sqlite:///{Path(tmp) / 'bot.sqlite3'}"
        started = time.perf_counter()
        build_tracker(tracker_url, messages, today)
        built = time.perf_counter() - started
        upgrade(db_url)
        period = Period(today - dt.timedelta(days=29), today)
        engine = tracker_engine(tracker_url)
        started = time.perf_counter()
        ensure_tracker_indexes(engine)
        indexing = time.perf_counter() - started

        def timed_queries() -> float:
            started = time.perf_counter()
            with session_scope(db_url) as session:
                data = dashboard_data(engine, session, period)
            assert data.total_messages == messages
            return time.perf_counter() - started

        stats._tracker_stats.clear()  # as after a restart: nothing cached
        cold = timed_queries()
        warm = [timed_queries() for _ in range(repeats)]

        accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        with session_scope(db_url) as session:
            accounts.create_user(session, "bench.viewer", "bench-password-1", "viewer")
        settings = StaffSettings(secret_key="bench-" + "x" * 40, tracker_url=tracker_url)
        client = TestClient(standalone_app(db_url, settings))
        page = client.get("/admin/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/admin/login", data={"username": "bench.viewer",
                                          "password": "bench-password-1", "csrf_token": token})

        def timed_page() -> float:
            started = time.perf_counter()
            response = client.get("/admin/dashboard")
            assert response.status_code == 200 and f">{messages}<" in response.text
            return time.perf_counter() - started

        stats._tracker_stats.clear()
        page_cold = timed_page()
        pages = [timed_page() for _ in range(repeats)]
        engine.dispose()
    return {
        "messages": messages,
        "tracker_rows": messages * 3,
        "build_seconds": built,
        "create_index_s": indexing,
        "queries_cold_s": cold,
        "queries_warm_median_s": statistics.median(warm),
        "page_cold_s": page_cold,
        "page_warm_median_s": statistics.median(pages),
        "page_warm_max_s": max(pages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.messages, args.repeats)
    for key, value in result.items():
        print(f"{key:28s} {value:.3f}" if isinstance(value, float) else f"{key:28s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
