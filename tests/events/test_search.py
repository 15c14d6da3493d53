"""Searching events on SQLite and PostgreSQL, and the wording of the replies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.events.models import Event
from bot.events.query import EventQuery, parse_event_question
from bot.events.replies import format_detail, format_search_reply
from bot.events.search import search_events
from bot.events.timeexpr import DateRange
from tests.events.conftest import NOW


def _keys(result) -> list[str]:
    return [e.external_key for e in result.events]


def _search(session, text: str):
    return search_events(session, parse_event_question(text, NOW), NOW)


def test_next_week_workshops(any_demo_db, session_for):
    result = _search(session_for(any_demo_db), "tuần sau có hội thảo gì?")
    assert _keys(result) == ["demo-hoi-thao-xuat-xu-2026-12"]


def test_results_are_sorted_by_date_and_paged_by_five(any_demo_db, session_for):
    session = session_for(any_demo_db)
    query = parse_event_question("sắp tới có sự kiện gì", NOW)
    first = search_events(session, query, NOW)
    assert len(first.events) == 5 and first.total > 5 and first.has_more
    starts = [e.start_at for e in first.events]
    assert starts == sorted(starts)
    query.offset = 5
    second = search_events(session, query, NOW)
    assert not set(_keys(first)) & set(_keys(second))
    assert second.events[0].start_at >= first.events[-1].start_at
    text, buttons = format_search_reply(first, NOW)
    assert "xem thêm" in text and buttons == [{"title": "Xem thêm", "payload": "/show_more"}]


def test_filters_kind_audience_topic_place(any_demo_db, session_for):
    session = session_for(any_demo_db)
    assert _keys(_search(session, "có cuộc thi nào cho học sinh không")) == [
        "demo-cuoc-thi-tim-hieu-asean-2026", "demo-cuoc-thi-sv-khoi-nghiep-2027-04"]
    teachers = _search(session, "tập huấn cho giáo viên")
    assert _keys(teachers) == ["demo-tap-huan-giao-vien-2027-02"]
    origin = _search(session, "có hội thảo về quy tắc xuất xứ không")
    assert _keys(origin) == ["demo-hoi-thao-xuat-xu-2026-12", "demo-hoi-thao-rcep-2027-07"]
    bac_lieu = _search(session, "năm sau có hội thảo ở Bạc Liêu không")
    assert _keys(bac_lieu) == ["demo-hoi-thao-bac-lieu-2027-10"]
    online = search_events(session, EventQuery(place="online", kind="hoi_thao"), NOW)
    assert _keys(online) == ["demo-hoi-thao-kinh-te-so-2027-03"]


def test_cancelled_and_postponed_are_labelled_never_scheduled(any_demo_db, session_for):
    session = session_for(any_demo_db)
    result = _search(session, "tháng 12 có triển lãm hay hội nghị gì")
    text, _ = format_search_reply(_search(session, "tháng 12 có triển lãm không"), NOW)
    assert "[Dữ liệu mẫu; ĐÃ HỦY]" in text
    assert "Thêm vào lịch" not in text  # no calendar link for a cancelled event
    conference = _search(session, "tháng 12 có hội nghị gì")
    assert _keys(conference) == ["demo-hoi-nghi-ca-mau-trat-2026-12"]
    assert "TẠM HOÃN" in format_search_reply(conference, NOW)[0]
    assert result is not None


def test_past_events_only_for_past_questions(any_demo_db, session_for):
    session = session_for(any_demo_db)
    upcoming = _search(session, "tháng này còn sự kiện nào")
    assert all(e.end_at > NOW for e in upcoming.events)
    assert "festival-tom-ca-mau-2026" not in _keys(upcoming)
    last_week = _search(session, "tuần trước có sự kiện gì")
    assert last_week.past and _keys(last_week) == ["festival-tom-ca-mau-2026"]
    text, _ = format_search_reply(last_week, NOW)
    assert text.startswith("Các sự kiện đã diễn ra")
    assert "chưa có xác nhận đã tổ chức" in text  # planned dates, never confirmed as held


def test_when_was_a_named_event(real_db, session_for):
    session = session_for(real_db)
    result = _search(session, "Ngày hội Cua Cà Mau diễn ra khi nào?")
    assert _keys(result) == ["ngay-hoi-cua-ca-mau-2025"] and result.past
    assert "16/11 – 22/11/2025" in format_search_reply(result, NOW)[0]
    festivals = _search(session, "festival tôm cà mau tổ chức khi nào")
    assert _keys(festivals) == ["festival-tom-ca-mau-2026", "festival-tom-ca-mau-2023"]


def test_nothing_found_offers_nearest_upcoming_and_offices(real_db, session_for):
    session = session_for(real_db)
    result = _search(session, "tháng 12 có hội chợ nào ở Cà Mau không")
    assert result.events == [] and result.total == 0
    assert [e.external_key for e in result.nearest] == ["asean-day-60th-anniversary-2027"]
    text, _ = format_search_reply(result, NOW)
    assert "không tìm thấy sự kiện phù hợp tháng 12/2026" in text
    assert "Ngày ASEAN 8/8/2027" in text and "lịch dự kiến, chưa được xác nhận" in text
    assert "Sở Công Thương tỉnh Cà Mau" in text and "Văn phòng UBND tỉnh Cà Mau" in text


def test_no_upcoming_event_at_all_says_there_is_no_confirmed_schedule(real_db, session_for):
    session = session_for(real_db)
    later = dt.datetime(2027, 9, 1, 9, 0, tzinfo=NOW.tzinfo)
    result = search_events(session, EventQuery(range=DateRange(dt.date(2027, 9, 1),
                                                               dt.date(2027, 9, 30))), later)
    text, _ = format_search_reply(result, later)
    assert result.nearest == []
    assert "chưa có lịch sự kiện nào được xác nhận" in text
    assert "Sở Công Thương tỉnh Cà Mau" in text


def test_detail_has_place_host_registration_calendar_and_source(demo_db, session_for):
    session = session_for(demo_db)
    event = session.execute(
        select(Event).where(Event.external_key == "demo-hoi-thao-xuat-xu-2026-12")).scalar_one()
    text = format_detail(event, NOW)
    for part in ("08:00–11:30, Thứ Tư 02/12/2026", "Hội trường Sở Công Thương",
                 "Sở Công Thương tỉnh Cà Mau", "đang mở đăng ký, hạn 17:00 01/12/2026",
                 "còn 80 chỗ", f"/calendar/{event.id}.ics", "Dữ liệu mẫu",
                 "Dành cho: doanh nghiệp"):
        assert part in text


def test_english_question_gets_english_labels(demo_db, session_for):
    session = session_for(demo_db)
    result = _search(session, "Is there any conference next month?")
    text, _ = format_search_reply(result, NOW, lang="en")
    assert text.startswith("Upcoming events December 2026")
    assert "POSTPONED" in text
