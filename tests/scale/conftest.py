"""Fixtures of the scale-out tests: nginx, PostgreSQL databases of our own, a Redis key prefix.

The set-up needs nginx (Debian's nginx-light: ``make system-deps``), PostgreSQL on
127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379 (``make services``). Without
them the tests skip with the reason; under CI=true they fail instead, so CI cannot silently skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.deploy.cluster import RedisSettings, nginx_binary, temporary_pg_database

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scale: starts nginx, two Rasa servers and action servers on PostgreSQL/Redis"
    )


def _missing_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + " (CI=true requires it)")
    pytest.skip(reason)


def _services_reason() -> str | None:
    try:
        import redis
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, future=True)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at 127.0.0.1:6379: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="module")
def nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        _missing_or_fail("nginx is not installed (make system-deps)")
    return binary


@pytest.fixture(scope="module")
def services() -> None:
    reason = _services_reason()
    if reason:
        _missing_or_fail(reason)


@pytest.fixture(scope="module")
def scale_model(request: pytest.FixtureRequest) -> Path:
    """The model the servers load: BOT_TEST_MODEL when set (no training), else the project's."""
    given = os.environ.get("BOT_TEST_MODEL")
    if given:
        return Path(given)
    return request.getfixturevalue("trained_model")


@pytest.fixture(scope="module")
def bot_database(services) -> Iterator[str]:
    """The bot's own database on PostgreSQL: real seed plus the demo events (throw-away)."""
    from bot.bench import seed_bench_database

    with temporary_pg_database(PG_ADMIN_URL, "asean_scale_bot") as url:
        seed_bench_database(url)
        yield url


@pytest.fixture(scope="module")
def tracker_database(services) -> Iterator[str]:
    """An empty PostgreSQL database for Rasa's tracker store (Rasa creates the table)."""
    with temporary_pg_database(PG_ADMIN_URL, "asean_scale_tracker") as url:
        yield url


@pytest.fixture(scope="module")
def lock_store(services) -> Iterator[RedisSettings]:
    """A Redis key prefix of our own; its keys are deleted afterwards (and only those)."""
    settings = RedisSettings()
    try:
        yield settings
    finally:
        settings.delete_keys()
