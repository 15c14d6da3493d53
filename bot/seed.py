"""Bring a database to the newest schema and load the real seed content (idempotent).

Used by ``make run``, the CLI (``python -m bot seed``) and the end-to-end tests. Only sourced,
real content goes in here: demo events are loaded by ``make demo`` into their own database.
"""

from __future__ import annotations

from bot import config
from bot.db import session_scope
from bot.db.migrate import upgrade

KNOWLEDGE_DIR = config.PROJECT_ROOT / "data" / "knowledge"
EVENTS_FILE = config.PROJECT_ROOT / "data" / "events" / "real.yml"


def seed_default(database_url: str | None = None) -> dict[str, object]:
    """Migrate, then load data/knowledge and data/events/real.yml; returns what each loader said."""
    from bot.events.seed import load_events
    from bot.knowledge.loader import load_knowledge

    upgrade(database_url)
    with session_scope(database_url) as session:
        knowledge = load_knowledge(session, KNOWLEDGE_DIR)
    with session_scope(database_url) as session:
        events = load_events(session, EVENTS_FILE)
    return {"knowledge": knowledge, "events": events}
