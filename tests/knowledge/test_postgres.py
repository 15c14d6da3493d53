"""The same migration, loader and live-edit path on PostgreSQL (skipped where none runs)."""

from __future__ import annotations

from bot.db import get_sessionmaker
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import FaqEntry
from bot.knowledge.search import data_version
from bot.knowledge.service import answer_question, log_unanswered
from tests.knowledge.conftest import SEED_DIR


def test_seed_search_and_live_edit_on_postgresql(pg_url):
    session = get_sessionmaker(pg_url)()
    load_knowledge(session, SEED_DIR)
    session.commit()
    version = data_version(session)
    load_knowledge(session, SEED_DIR)
    session.commit()
    assert data_version(session) == version

    answer = answer_question(session, "c/o mau d xin o dau", "vi")
    assert answer.entry_id == "co-d-where"

    with get_sessionmaker(pg_url)() as staff:
        staff.get(FaqEntry, "co-d-where").status = "archived"
        staff.commit()
    session.rollback()
    assert answer_question(session, "c/o mau d xin o dau", "vi").entry_id != "co-d-where"

    row = log_unanswered(session, "hỏi thử, email a@b.vn", "zalo", "low_confidence",
                         answer.candidates)
    session.commit()
    assert row.id and "[email]" in row.text and row.candidates
    session.close()
