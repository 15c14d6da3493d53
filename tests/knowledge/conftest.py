"""Knowledge fixtures: real SQLite databases migrated by Alembic and seeded from data/knowledge."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import config

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_DIR = config.PROJECT_ROOT / "data" / "knowledge"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """One migrated database holding the real seed content, built once per test run."""
    from bot.db import get_sessionmaker
    from bot.db.migrate import upgrade
    from bot.knowledge.loader import load_knowledge

    path = tmp_path_factory.mktemp("kb-template") / "bot.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    with get_sessionmaker(url)() as session:
        load_knowledge(session, SEED_DIR)
        session.commit()
    from bot.db import get_engine

    get_engine(url).dispose()
    return path


@pytest.fixture
def seeded_url(seeded_template: Path, tmp_path: Path) -> str:
    """A private copy of the seeded database (tests may change it freely)."""
    copy = tmp_path / "seeded.sqlite3"
    shutil.copy(seeded_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def seeded_session(seeded_url: str) -> Iterator:
    from bot.db import get_sessionmaker

    session = get_sessionmaker(seeded_url)()
    try:
        yield session
    finally:
        session.close()
