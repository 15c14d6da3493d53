"""Event fixtures: migrated databases (SQLite, and PostgreSQL when reachable) with seed data."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import TIMEZONE

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TIMEZONE)


def _load(url: str, demo: bool) -> str:
    from bot.db import session_scope
    from bot.events.loader import DEMO_FIXTURE, REAL_SEED, load_events

    with session_scope(url) as session:
        report = load_events(session, REAL_SEED)
        assert not report.errors, report.errors
        if demo:
            report = load_events(session, DEMO_FIXTURE, allow_sample=True)
            assert not report.errors, report.errors
    return url


@pytest.fixture
def real_db(db_url) -> str:
    """What the default database holds: the real, sourced events only."""
    return _load(db_url, demo=False)


@pytest.fixture
def demo_db(db_url) -> str:
    """Real events plus the invented demo fixture (SQLite)."""
    return _load(db_url, demo=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_demo_db(request) -> str:
    """The demo database on SQLite and on PostgreSQL (skipped when no server is reachable)."""
    url = request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
    return _load(url, demo=True)


@pytest.fixture
def session_for():
    """Open sessions on a URL; all closed at teardown."""
    from bot.db import get_sessionmaker

    opened = []

    def _open(url: str):
        session = get_sessionmaker(url)()
        opened.append(session)
        return session

    yield _open
    for session in opened:
        session.close()
