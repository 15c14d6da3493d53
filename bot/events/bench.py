"""Query latency with 10,000 events: p50/p99 of parse + search for typical questions.

Builds a throw-away database (SQLite by default, or ``--database-url`` e.g. a PostgreSQL test
database), fills it with generated events (marked sample) and times the same path the action
server runs: ``parse_event_question`` then ``search_events`` (one page of 5).

Run: ``python -m bot.events.bench [--events 10000] [--queries 500] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bot.config import TIMEZONE
from bot.events.models import AUDIENCES, KINDS, Event
from bot.events.query import parse_event_question
from bot.events.search import search_events
from bot.events.store import build_search_text
from bot.events.vocab import KIND_LABELS_VI

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TIMEZONE)
QUESTIONS = (
    "tuần sau có hội thảo gì?", "thang 12 co hoi cho nao o Ca Mau khong",
    "có cuộc thi tìm hiểu ASEAN cho học sinh không?", "sắp tới có sự kiện gì",
    "quý 1 năm 2027 có triển lãm nào", "từ 1/12 đến 15/12 có tọa đàm nào",
    "cuối tuần này có gì ở Cà Mau", "tháng sau có tập huấn cho doanh nghiệp về xuất xứ không",
    "năm sau có hội nghị nào cho cán bộ", "Festival tôm Cà Mau diễn ra khi nào",
    "hôm nay có livestream không", "tuần trước có sự kiện gì",
)
CITIES = ("Cà Mau", "Bạc Liêu, tỉnh Cà Mau", "Cần Thơ", "Hà Nội", "TP Hồ Chí Minh", "")
TOPICS = ("rules_of_origin", "ecommerce", "tourism", "export", "seafood", "rice", "culture")


def _rows(count: int, rng: random.Random) -> list[dict]:
    rows = []
    base = dt.datetime(2025, 1, 1, 8, 0, tzinfo=TIMEZONE)
    for i in range(count):
        kind = rng.choice(KINDS)
        start = base + dt.timedelta(days=rng.randrange(0, 365 * 3), hours=rng.randrange(0, 10))
        values = {
            "external_key": f"bench-{i}",
            "title": f"{KIND_LABELS_VI[kind].capitalize()} số {i} về "
                     f"{rng.choice(['ASEAN', 'xuất khẩu', 'du lịch', 'tôm', 'gạo'])}",
            "summary": "Sự kiện sinh tự động để đo tốc độ truy vấn.",
            "kind": kind,
            "host": rng.choice(["Sở Công Thương tỉnh Cà Mau", "Văn phòng UBND tỉnh Cà Mau"]),
            "co_hosts": [],
            "audiences": ",".join(rng.sample(AUDIENCES, rng.randint(1, 3))),
            "topics": ",".join(rng.sample(TOPICS, rng.randint(0, 2))),
            "start_at": start.astimezone(dt.UTC),
            "end_at": (start + dt.timedelta(hours=rng.choice([2, 4, 8, 48]))).astimezone(
                dt.UTC),
            "all_day": False, "venue": "Hội trường", "address": "", "city": rng.choice(CITIES),
            "online_url": None, "registration_mode": rng.choice(["none", "open"]),
            "registration_deadline": None, "capacity": None, "registered_count": 0,
            "registration_info": "", "contact": "", "source_url": "",
            "status": rng.choice(["scheduled"] * 8 + ["postponed", "cancelled"]),
            "is_tentative": False, "is_sample": True,
            "created_at": NOW, "updated_at": NOW,
        }
        values["search_text"] = build_search_text(values)
        rows.append(values)
    return rows


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(url: str, events: int, queries: int, seed: int = 7) -> dict[str, float]:
    from bot.db import get_sessionmaker
    from bot.db.migrate import upgrade

    upgrade(url)
    rng = random.Random(seed)
    session = get_sessionmaker(url)()
    try:
        session.execute(insert(Event), _rows(events, rng))
        session.commit()
        for question in QUESTIONS:  # warm-up: caches, dateparser, connection pool
            search_events(session, parse_event_question(question, NOW), NOW)
        timings = []
        for i in range(queries):
            question = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            search_events(session, parse_event_question(question, NOW), NOW)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        session.close()
    return {
        "events": events, "queries": queries,
        "p50_ms": statistics.median(timings), "p99_ms": _percentile(timings, 0.99),
        "max_ms": max(timings),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY database to fill (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        figures = run(url, args.events, args.queries)
    print(f"event search ({url.split(':', 1)[0]}, {figures['events']} events, "
          f"{figures['queries']} queries): p50 {figures['p50_ms']:.1f} ms, "
          f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
