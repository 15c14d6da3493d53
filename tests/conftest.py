"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable), a fixed 'today'."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot.config import TIMEZONE  # noqa: E402

TODAY = dt.date(2026, 11, 26)  # a Thursday; matches ../shared/facts.md §9
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TIMEZONE)
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def db_url(tmp_path) -> str:
    """A fresh SQLite database migrated to head through Alembic (as `make run` does)."""
    from bot.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def db_session(db_url):
    from bot.db import get_sessionmaker

    session = get_sessionmaker(db_url)()
    try:
        yield session
    finally:
        session.close()


def _pg_available() -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database (created here, dropped after), migrated to head.

    Skips with a reason on a machine without PostgreSQL; under CI=true it must run.
    """
    import sqlalchemy as sa

    from bot.db.migrate import upgrade

    reason = _pg_available()
    if reason:
        if _in_ci():
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)
    name = f"asean_bot_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        from bot.db.base import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- Trained model and running servers (shared by NLU, conversation, end-to-end and browser tests)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def trained_model():
    """The project's model, trained once per session (Rasa skips training when nothing changed)."""
    from bot.training import train_model

    return train_model()


@pytest.fixture(scope="session")
def stack(trained_model, tmp_path_factory):
    """Action server + Rasa server + web app as `make run` starts them, on a fresh seeded SQLite."""
    from bot.run import Stack
    from bot.seed import seed_default

    var = tmp_path_factory.mktemp("stack")
    database_url = f"sqlite:///{var / 'bot.sqlite3'}"
    seed_default(database_url)
    running = Stack(
        model=trained_model,
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        database_url=database_url,
        tracker_db=str(var / "tracker.sqlite3"),
        log_dir=var / "logs",
    )
    os.environ.setdefault(
        "ACTION_TIMEOUT_SECONDS", "10"
    )  # the "action server down" test waits this
    # Every test talks from 127.0.0.1: the per-address limit would count the whole suite as one
    # client. The per-sender limit stays low enough for tests/hardening to reach it.
    os.environ.setdefault("RATE_LIMIT_PER_ADDRESS", "100000/minute")
    os.environ.setdefault("RATE_LIMIT_PER_SENDER", "40/minute")
    os.environ["CORS_ORIGINS"] = (
        f"http://127.0.0.1:{running.web_port},http://localhost:{running.web_port}"
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()
