"""The unanswered inbox groups near-identical questions and turns a group into knowledge."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.db import session_scope
from bot.knowledge.models import DataVersion, FaqEntry, UnansweredQuestion
from bot.staff.inbox import InboxQuestion, group_questions
from bot.staff.models import Revision
from tests.staff.conftest import TOPIC, faq_form

QUESTIONS = [
    # the same question, typed five ways (marks, no marks, teencode-ish, word order, typo)
    "thủ tục xin C/O mẫu D ở đâu",
    "thu tuc xin c/o mau d o dau",
    "xin C/O mẫu D ở đâu vậy",
    "ở đâu xin c/o mẫu D",
    "thủ tục xin C/O mẩu D ở đâu ạ",
    # a different question, three ways
    "visa đi Thái Lan có cần không",
    "đi thái lan có cần visa không",
    "di thai lan co can visa khong",
    # alone
    "giá vé xe buýt Cà Mau bao nhiêu",
]


def _questions() -> list[InboxQuestion]:
    return [InboxQuestion(id=i + 1, text=t, reason="fallback") for i, t in enumerate(QUESTIONS)]


def test_near_identical_questions_form_one_group_with_counts():
    groups = group_questions(_questions())
    sizes = [g.count for g in groups]
    assert sizes == [5, 3, 1]
    assert set(groups[0].question_ids) == {1, 2, 3, 4, 5}
    assert set(groups[1].question_ids) == {6, 7, 8}
    assert groups[2].texts == ["giá vé xe buýt Cà Mau bao nhiêu"]


def test_identical_wordings_count_and_lead_the_group():
    questions = _questions() + [
        InboxQuestion(id=100 + i, text="di thai lan co can visa khong", reason="low_confidence")
        for i in range(4)
    ]
    groups = group_questions(questions)
    assert groups[0].count == 7
    assert groups[0].representative == "di thai lan co can visa khong"
    assert groups[0].reasons == {"fallback": 3, "low_confidence": 4}


def test_thumbs_down_entry_is_the_first_suggestion():
    questions = [
        InboxQuestion(id=1, text="RVC tính sao", reason="thumbs_down", entry_id="roo-rvc",
                      candidates=("roo-ctc",)),
        InboxQuestion(id=2, text="rvc tinh sao", reason="low_confidence",
                      candidates=("roo-ctc", "roo-rvc")),
    ]
    (group,) = group_questions(questions)
    assert group.suggested_entries[:2] == ["roo-rvc", "roo-ctc"]


def test_empty_and_single_inputs():
    assert group_questions([]) == []
    (group,) = group_questions([InboxQuestion(id=7, text="?", reason="fallback")])
    assert group.question_ids == [7]


def _log(db_url: str, texts: list[str], reason: str = "fallback") -> list[int]:
    with session_scope(db_url) as session:
        rows = [UnansweredQuestion(text=t, reason=reason, channel="rest", resolved=False,
                                   created_at=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
                for t in texts]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_group_becomes_a_variant_of_an_existing_entry(signed_in, staff_db):
    editor = signed_in("editor1")
    editor.post("/admin/faq-entry/create", faq_form("roo-rvc", status="published"))
    ids = _log(staff_db, QUESTIONS[:5])
    other = _log(staff_db, QUESTIONS[5:8])
    page = editor.get("/admin/inbox")
    assert page.status_code == 200
    assert page.text.count('class="card inbox-group"') == 2
    with session_scope(staff_db) as session:
        version = session.get(DataVersion, "knowledge").version

    response = editor.post("/admin/inbox/resolve", {
        "action": "variant", "ids": ",".join(map(str, ids)), "entry_id": "roo-rvc",
        "text": "thủ tục xin C/O mẫu D ở đâu"})
    assert response.status_code == 302
    with session_scope(staff_db) as session:
        entry = session.get(FaqEntry, "roo-rvc")
        assert "thủ tục xin C/O mẫu D ở đâu" in [v.text for v in entry.variants]
        assert all(session.get(UnansweredQuestion, i).resolved for i in ids)
        assert not any(session.get(UnansweredQuestion, i).resolved for i in other)
        assert session.get(DataVersion, "knowledge").version > version  # the bot sees it
        revision = session.scalars(select(Revision).order_by(Revision.id.desc())).first()
        assert revision.entity_id == "roo-rvc" and revision.actor == "editor1"
    assert editor.get("/admin/inbox").text.count('class="card inbox-group"') == 1


def test_group_starts_a_draft_entry(signed_in, staff_db):
    editor = signed_in("editor1")
    ids = _log(staff_db, QUESTIONS[5:8], reason="thumbs_down")
    response = editor.post("/admin/inbox/resolve", {
        "action": "new", "ids": ",".join(map(str, ids)), "topic": TOPIC,
        "text": "Đi Thái Lan có cần visa không?"})
    assert response.status_code == 302
    assert "/admin/faq-entry/edit/" in response.headers["location"]
    with session_scope(staff_db) as session:
        entry = session.scalars(select(FaqEntry)).one()
        assert entry.status == "draft" and entry.question == "Đi Thái Lan có cần visa không?"
        assert entry.id.startswith("rules-of-ori-di-thai-lan")
        assert len(entry.variants) >= 1  # the other wordings
        assert all(session.get(UnansweredQuestion, i).resolved for i in ids)


def test_viewer_sees_the_inbox_but_cannot_act(signed_in, staff_db):
    ids = _log(staff_db, QUESTIONS[:2])
    viewer = signed_in("viewer1")
    page = viewer.get("/admin/inbox")
    assert page.status_code == 200 and "Thêm cách hỏi" not in page.text
    response = viewer.post("/admin/inbox/resolve", {"action": "dismiss", "ids": f"{ids[0]}"})
    assert response.status_code == 403


def test_unknown_entry_is_a_polite_error(signed_in, staff_db):
    editor = signed_in("editor1")
    ids = _log(staff_db, QUESTIONS[:1])
    response = editor.post("/admin/inbox/resolve", {
        "action": "variant", "ids": str(ids[0]), "entry_id": "khong-ton-tai", "text": "abc"})
    assert response.status_code == 302
    page = editor.get("/admin/inbox")
    assert "Không có câu hỏi mã “khong-ton-tai”" in page.text
    with session_scope(staff_db) as session:
        assert not session.get(UnansweredQuestion, ids[0]).resolved


def test_grouping_also_works_on_the_stored_group_keys():
    from bot.knowledge.service import group_key

    questions = [InboxQuestion(id=q.id, text=q.text, reason=q.reason, key=group_key(q.text))
                 for q in _questions()]
    assert [g.count for g in group_questions(questions)] == [5, 3, 1]
