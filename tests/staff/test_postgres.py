"""The same workspace code on PostgreSQL (production): revisions, imports, dashboard SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.db import session_scope
from bot.knowledge.models import FaqEntry, FaqTopic
from bot.staff.accounts import create_user, verify_credentials
from bot.staff.models import Revision
from bot.staff.revisions import restore_revision
from bot.staff.stats import Period, dashboard_data, ensure_tracker_indexes, tracker_engine
from bot.staff.transfer import import_data
from tests.staff.test_dashboard import TODAY, _at, _tracker, _user
from tests.staff.test_transfer import GOOD_ROWS, _csv


@pytest.fixture
def pg_tracker_url(pg_url: str) -> Iterator[str]:
    """A second throw-away PostgreSQL database for Rasa's tracker store.

    It must be separate from the bot's database: both have a table called ``events``.
    """
    from tests.conftest import PG_ADMIN_URL

    name = f"asean_tracker_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        tracker_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_accounts_imports_and_restore_on_postgres(pg_url):
    with session_scope(pg_url) as session:
        session.add(FaqTopic(slug="rules_of_origin", title="Quy tắc xuất xứ"))
        create_user(session, "bientap", "mat-khau-du-dai-1", "editor")
    with session_scope(pg_url) as session:
        assert verify_credentials(session, "bientap", "mat-khau-du-dai-1") is not None
        report = import_data(session, "faq", _csv(GOOD_ROWS), "csv", "bientap")
        assert report.created == ["roo-rvc", "roo-cto"] and report.errors == []
    changed = [dict(GOOD_ROWS[0], answer="Sửa trên PostgreSQL."), GOOD_ROWS[1]]
    with session_scope(pg_url) as session:
        assert import_data(session, "faq", _csv(changed), "csv", "bientap").updated == ["roo-rvc"]
    with session_scope(pg_url) as session:
        first = session.scalars(select(Revision).where(Revision.entity_id == "roo-rvc")
                                .order_by(Revision.id)).first()
        restore_revision(session, first.id, "bientap")
    with session_scope(pg_url) as session:
        assert session.get(FaqEntry, "roo-rvc").answer == GOOD_ROWS[0]["answer"]


def test_dashboard_sql_on_postgres(pg_url, pg_tracker_url):
    _tracker(pg_tracker_url, [
        _user("a", _at(25, 23), "zalo", "ask_knowledge", "RVC là gì"),
        _user("b", _at(26, 9), "socketio", "nlu_fallback", "abc"),
        _user("b", _at(26, 9), "socketio", "ask_knowledge", "rvc la gi"),
    ])
    engine = tracker_engine(pg_tracker_url)
    assert ensure_tracker_indexes(engine)
    with session_scope(pg_url) as session:
        data = dashboard_data(engine, session, Period(dt.date(2026, 11, 25), TODAY), today=TODAY)
    assert data.messages_per_day == {"socketio": [0, 2], "zalo": [1, 0]}
    assert data.total_conversations == 2 and data.fallback_messages == 1
    assert data.top_questions[0] == ("rvc là gì", 2)
    engine.dispose()
