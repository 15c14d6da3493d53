"""Answering: source line, English selection, follow-ups, the low path and its log."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot import config
from bot.knowledge.models import FaqEntry, UnansweredQuestion
from bot.knowledge.service import (
    FollowupContext,
    answer_entry,
    answer_question,
    group_key,
    log_unanswered,
    scrub_personal_data,
)

SOURCE_LINE = re.compile(r"^Nguồn: .+ · Cập nhật: \d{2}/\d{2}/\d{4}$")


def test_answer_ends_with_a_source_line(seeded_session):
    answer = answer_question(seeded_session, "ASEAN được thành lập khi nào?", "vi")
    assert answer.kind != "low" and answer.entry_id == "asean-founding"
    assert SOURCE_LINE.match(answer.source_line)
    assert answer.text.endswith(answer.source_line)


def test_english_question_gets_the_english_answer_when_written(seeded_session):
    entry = seeded_session.get(FaqEntry, "asean-founding")
    assert entry.answer_en
    answer = answer_entry(seeded_session, "asean-founding", "en")
    assert answer.text.startswith(entry.answer_en.strip()[:40])
    assert "Source:" in answer.source_line and "Updated:" in answer.source_line


def test_english_question_without_english_entry_gets_vietnamese_and_a_note(seeded_session):
    entry = seeded_session.scalars(
        select(FaqEntry).where(FaqEntry.answer_en.is_(None), FaqEntry.status == "published")
    ).first()
    answer = answer_entry(seeded_session, entry.id, "en")
    assert answer.text.startswith("(This answer is only available in Vietnamese for now.)")
    assert entry.answer.strip()[:30] in answer.text
    assert answer.source_line.startswith("Nguồn:")


def test_follow_up_replaces_the_form_of_the_previous_question(seeded_session):
    first = answer_question(seeded_session, "C/O mẫu D xin ở đâu", "vi")
    follow = answer_question(seeded_session, "còn mẫu E thì sao?", "vi", first.context())
    assert follow.kind != "low"
    about = seeded_session.get(FaqEntry, follow.entry_id)
    assert "E" in {e.value for e in about.entities if e.kind == "co_form"}
    assert follow.entities["co_form"] == ["E"]


def test_follow_up_in_english_replaces_the_country(seeded_session):
    first = answer_question(seeded_session, "Do Vietnamese need a visa for Malaysia?", "en")
    assert first.entry_id == "cit-visa-malaysia"
    follow = answer_question(seeded_session, "what about Singapore?", "en", first.context())
    assert follow.entry_id == "cit-visa-singapore"


def test_export_question_is_routed_to_the_exporter_helper(seeded_session):
    question = "xuất khẩu tôm khô sang Philippines dùng mẫu nào"
    answer = answer_question(seeded_session, question, "vi")
    assert answer.kind == "confident"
    if answer.exporter:  # the helper, unless a curated entry covers that very destination
        assert "mẫu D" in answer.text and "RVC" in answer.text
    follow = answer_question(seeded_session, "còn Ấn Độ thì sao?", "vi", answer.context())
    assert "AI" in follow.text


def test_without_a_cue_a_new_question_is_not_a_follow_up(seeded_session):
    context = FollowupContext(entry_id="co-d-where", entities={"co_form": ["D"]})
    answer = answer_question(seeded_session, "Việt Nam gia nhập ASEAN năm nào?", "vi", context)
    assert answer.entry_id == "vn-accession"


def test_low_answer_names_the_right_office(seeded_session):
    answer = answer_question(seeded_session, "giá vàng hôm nay bao nhiêu", "vi")
    assert answer.kind == "low"
    assert answer.text.startswith("Mình chưa có thông tin chắc chắn")
    assert answer.office in answer.text
    trade = answer_question(seeded_session, "phí thuê kho lạnh cảng cho C/O mẫu AK bao nhiêu", "vi")
    if trade.kind == "low":
        assert trade.office == config.OFFICE_TRADE


def test_logged_question_keeps_no_phone_or_email(seeded_session):
    text = "cho hỏi giá xăng, gọi 0912 345 678 hoặc +84 912345678, mail lan.nguyen@gmail.com nhé"
    answer = answer_question(seeded_session, text, "vi")
    row = log_unanswered(seeded_session, text, "socketio", "low_confidence", answer.candidates)
    seeded_session.commit()
    stored = seeded_session.scalars(select(UnansweredQuestion)).one()
    assert stored.id == row.id and stored.reason == "low_confidence"
    assert "0912" not in stored.text and "912345678" not in stored.text
    assert "gmail" not in stored.text and "[email]" in stored.text
    assert stored.candidates and set(stored.candidates[0]) == {"id", "score"}
    assert stored.group_key and "xang" in stored.group_key


def test_scrub_and_group_key_helpers():
    assert scrub_personal_data("sdt 0283 123 4567") == "sdt [số điện thoại]"
    assert scrub_personal_data("Thông tư 22/2016/TT-BCT") == "Thông tư 22/2016/TT-BCT"
    assert group_key("ASEAN là gì vậy?") == group_key("asean la gi")
