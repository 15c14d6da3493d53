"""Declarative base, engines and sessions (SQLAlchemy 1.4, 2.0-style API).

SQLite under ``var/`` is the embedded default; PostgreSQL is selected by ``DATABASE_URL``.
Engines are cached per URL so the action server, web app and CLI reuse their connection pools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from bot import config

Base = declarative_base()


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC (stored as UTC; shown in Asia/Ho_Chi_Minh)."""
    return dt.datetime.now(dt.UTC)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: DATABASE_URL as set now), one per URL per process."""
    return _engine_for(url or config.database_url())


_engines_created: list[Engine] = []


@lru_cache(maxsize=32)
def _engine_for(url: str) -> Engine:
    engine = _create_engine(url)
    _engines_created.append(engine)
    return engine


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            # WAL lets the web app write while the action server reads; FKs are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_sessionmaker(url: str | None = None) -> sessionmaker:
    return _sessionmaker_for(url or config.database_url())


@lru_cache(maxsize=32)
def _sessionmaker_for(url: str) -> sessionmaker:
    return sessionmaker(bind=_engine_for(url), future=True, expire_on_commit=False)


def reset_engines() -> None:
    """Dispose every cached engine (tests and tools that drop databases call this)."""
    for engine in list(_engines_created):
        engine.dispose()
    _engines_created.clear()
    _engine_for.cache_clear()
    _sessionmaker_for.cache_clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
