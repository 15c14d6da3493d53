"""Bring a database to the newest schema and load the seed content (idempotent).

Used by ``make run``/``make demo``, the CLI (``python -m bot seed``) and the end-to-end tests.
The default database gets only sourced, real content; ``demo=True`` adds the invented sample
events, and only into a database other than ``DATABASE_URL`` (bot.events.loader refuses otherwise).
"""

from __future__ import annotations

from bot import config
from bot.db import session_scope

KNOWLEDGE_DIR = config.PROJECT_ROOT / "data" / "knowledge"


def seed_default(database_url: str | None = None, demo: bool = False) -> dict[str, object]:
    """Migrate, load data/events/real.yml (+ demo events) and data/knowledge; report each loader."""
    from bot.events.loader import seed_database
    from bot.knowledge.loader import load_knowledge

    events = seed_database(database_url, demo=demo)  # runs the Alembic migrations first
    with session_scope(database_url) as session:
        knowledge = load_knowledge(session, KNOWLEDGE_DIR)
    return {"knowledge": knowledge, "events": events}
