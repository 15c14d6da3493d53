"""Migration 0001_knowledge matches the models and seeds the data-version row."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from bot.db import get_engine
from bot.db.models import load_all_models
from bot.knowledge.models import DataVersion

KNOWLEDGE_TABLES = {"faq_topics", "faq_entries", "faq_variants", "faq_sources", "faq_entities",
                    "unanswered_questions", "kb_data_version"}


def _table_of(diff) -> str | None:
    item = diff[1] if isinstance(diff, tuple) else diff[0][1]
    table = getattr(item, "table", item)
    return getattr(table, "name", None) if not isinstance(table, str) else table


def test_migration_matches_the_knowledge_models(db_url):
    metadata = load_all_models().metadata
    with get_engine(db_url).connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), metadata)
    ours = [d for d in diffs if _table_of(d) in KNOWLEDGE_TABLES]
    assert ours == []


def test_data_version_row_exists_after_migration(db_session):
    assert db_session.scalar(select(DataVersion.version).where(DataVersion.name == "knowledge")) \
        == 0
