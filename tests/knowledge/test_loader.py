"""Seed loader: validation messages, idempotence, staff entries left alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.knowledge.loader import KnowledgeValidationError, load_knowledge
from bot.knowledge.models import FaqEntry, FaqVariant
from bot.knowledge.search import data_version
from tests.knowledge.conftest import SEED_DIR

GOOD_ENTRY = """
  - id: demo-one
    question: Câu hỏi thử một?
    variants: [cau hoi thu mot]
    answer: Trả lời một.
    sources:
      - {title: Nguồn thử, url: https://example.org/a, checked: 2026-11-26}
    status: published
"""


def write_topic(directory: Path, name: str, entries: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.yml").write_text(
        f"topic: {name}\ntitle: Chủ đề {name}\nentries:\n" + textwrap.dedent(entries),
        encoding="utf-8",
    )


def test_loading_the_seed_twice_changes_nothing(db_session):
    first = load_knowledge(db_session, SEED_DIR)
    db_session.commit()
    version = data_version(db_session)
    stamps = dict(db_session.execute(select(FaqEntry.id, FaqEntry.updated_at)).all())
    variants = db_session.scalar(select(func.count(FaqVariant.id)))

    second = load_knowledge(db_session, SEED_DIR)
    db_session.commit()

    assert first.created and not first.updated
    assert second.created == [] and second.updated == []
    assert sorted(second.unchanged) == sorted(first.created)
    assert data_version(db_session) == version
    assert dict(db_session.execute(select(FaqEntry.id, FaqEntry.updated_at)).all()) == stamps
    assert db_session.scalar(select(func.count(FaqVariant.id))) == variants


def test_seed_meets_the_content_floor(db_session):
    report = load_knowledge(db_session, SEED_DIR)
    assert sum(report.published_per_topic.values()) >= 180
    english = db_session.scalar(
        select(func.count()).where(FaqEntry.answer_en.is_not(None), FaqEntry.status == "published")
    )
    assert english >= 40


def test_every_problem_is_reported_per_entry_and_nothing_is_written(db_session, tmp_path):
    write_topic(tmp_path, "broken", GOOD_ENTRY + """
  - id: no-answer
    question: Thiếu câu trả lời?
    sources: [{title: X}]
  - id: demo-one
    question: Trùng id?
    answer: Có
    sources: [{title: X}]
  - id: bad-status
    question: Trạng thái lạ?
    answer: Có
    status: live
    sources: [{title: X}]
  - id: no-source
    question: Không nguồn?
    answer: Có
  - id: bad-date
    question: Ngày sai?
    answer: Có
    as_of: hôm qua
    sources: [{title: X}]
""")
    with pytest.raises(KnowledgeValidationError) as error:
        load_knowledge(db_session, tmp_path)
    problems = "\n".join(error.value.problems)
    assert "broken.yml › no-answer: missing answer" in problems
    assert "broken.yml › demo-one: duplicate id" in problems
    assert "broken.yml › bad-status: bad status 'live'" in problems
    assert "broken.yml › no-source: missing source" in problems
    assert "broken.yml › bad-date: as_of is not a date" in problems
    assert db_session.scalar(select(func.count(FaqEntry.id))) == 0


def test_exporter_rules_file_is_not_read_as_faq(db_session, tmp_path):
    write_topic(tmp_path, "demo", GOOD_ENTRY)
    (tmp_path / "exporter_rules.yml").write_text("products: []\n", encoding="utf-8")
    report = load_knowledge(db_session, tmp_path)
    assert report.created == ["demo-one"]


def test_staff_entries_and_staff_edits_survive_a_reload(db_session, tmp_path):
    write_topic(tmp_path, "demo", GOOD_ENTRY)
    load_knowledge(db_session, tmp_path)
    db_session.add(FaqEntry(id="staff-made", topic="demo", question="Q?", answer="A.",
                            status="published", updated_by="canbo1"))
    entry = db_session.get(FaqEntry, "demo-one")
    entry.answer, entry.updated_by = "Trả lời đã sửa bởi cán bộ.", "canbo1"
    db_session.commit()

    report = load_knowledge(db_session, tmp_path)
    db_session.commit()

    assert report.kept_staff_edits == ["demo-one"]
    assert db_session.get(FaqEntry, "demo-one").answer == "Trả lời đã sửa bởi cán bộ."
    assert db_session.get(FaqEntry, "staff-made") is not None


def test_a_changed_seed_file_updates_the_row_and_the_version(db_session, tmp_path):
    write_topic(tmp_path, "demo", GOOD_ENTRY)
    load_knowledge(db_session, tmp_path)
    db_session.commit()
    before = data_version(db_session)

    write_topic(tmp_path, "demo", GOOD_ENTRY.replace("Trả lời một.", "Trả lời mới."))
    report = load_knowledge(db_session, tmp_path)
    db_session.commit()

    assert report.updated == ["demo-one"]
    assert db_session.get(FaqEntry, "demo-one").answer == "Trả lời mới."
    assert data_version(db_session)[0] > before[0]
