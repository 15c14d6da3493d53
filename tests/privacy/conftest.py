"""Tracker stores on a fresh SQLite file and on a throw-away PostgreSQL database.

Rasa's tracker store needs a database of its own (the bot's database already has an ``events``
table), so the PostgreSQL database here is created empty rather than by the shared ``pg_url``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def domain():
    """The project's real domain: its slots, form and session expiry (60 minutes)."""
    from rasa.shared.core.domain import Domain

    from bot.config import PROJECT_ROOT

    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
def pg_tracker_db() -> Iterator[dict[str, object]]:
    """Connection settings (the endpoints.yml keys) of an empty, throw-away PostgreSQL database."""
    admin_url = sa.engine.make_url(PG_ADMIN_URL)
    admin = sa.create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)
    name = f"asean_tracker_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield {"dialect": "postgresql", "host": admin_url.host or "127.0.0.1",
               "port": admin_url.port or 5432, "db": name,
               "username": admin_url.username or "postgres", "password": admin_url.password}
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_settings(request, tmp_path) -> dict[str, object]:
    """endpoints.yml-style keys for each database the store must work on."""
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.sqlite3")}
    return request.getfixturevalue("pg_tracker_db")


@pytest.fixture
def store(store_settings, domain):
    from bot.privacy.tracker_store import RedactingSQLTrackerStore

    tracker_store = RedactingSQLTrackerStore(
        domain=domain, personal_data_sweep_minutes=0, **store_settings
    )
    yield tracker_store
    tracker_store.engine.dispose()
