"""Live edits: a change committed by another session (staff app) counts from the next question."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.db import get_sessionmaker
from bot.knowledge.models import FaqEntry, FaqSource, FaqVariant
from bot.knowledge.service import answer_question

QUESTION = "Lễ hội bánh xèo Cà Mau ASEAN tổ chức ở đâu?"


def staff_session(url: str):
    """A separate session, as the staff web app (another process) would have."""
    return get_sessionmaker(url)()


def test_insert_edit_and_unpublish_are_seen_by_the_very_next_question(seeded_url):
    bot_session = get_sessionmaker(seeded_url)()
    assert answer_question(bot_session, QUESTION, "vi").entry_id != "demo-banh-xeo"

    with staff_session(seeded_url) as staff:
        entry = FaqEntry(
            id="demo-banh-xeo", topic="camau_province", question=QUESTION,
            answer="Lễ hội bánh xèo diễn ra tại quảng trường trung tâm.", status="published",
            updated_by="canbo1",
        )
        entry.variants = [FaqVariant(text="lễ hội bánh xèo ở đâu", lang="vi")]
        entry.sources = [FaqSource(title="Thông báo thử", checked=dt.date(2026, 11, 26))]
        staff.add(entry)
        staff.commit()
    bot_session.rollback()  # a new message starts a new transaction
    first = answer_question(bot_session, QUESTION, "vi")
    assert first.entry_id == "demo-banh-xeo"
    assert "quảng trường trung tâm" in first.text

    with staff_session(seeded_url) as staff:
        staff.get(FaqEntry, "demo-banh-xeo").answer = "Lễ hội bánh xèo dời sang công viên."
        staff.commit()
    bot_session.rollback()
    assert "dời sang công viên" in answer_question(bot_session, QUESTION, "vi").text

    with staff_session(seeded_url) as staff:
        staff.execute(update(FaqEntry).where(FaqEntry.id == "demo-banh-xeo")
                      .values(status="archived"))
        staff.commit()
    bot_session.rollback()
    assert answer_question(bot_session, QUESTION, "vi").entry_id != "demo-banh-xeo"
    bot_session.close()


def test_editing_only_a_variant_is_seen_too(seeded_url):
    bot_session = get_sessionmaker(seeded_url)()
    odd = "zzkiwi hỏi thử biến thể lạ"
    assert answer_question(bot_session, odd, "vi").entry_id != "asean-founding"
    with staff_session(seeded_url) as staff:
        staff.add(FaqVariant(entry_id="asean-founding", text=odd, lang="vi"))
        staff.commit()
    bot_session.rollback()
    assert answer_question(bot_session, odd, "vi").entry_id == "asean-founding"
    bot_session.close()
