"""CSV and .ics imports (row errors, idempotent re-import, history) and the .ics export."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy import func, select

from bot.config import TIMEZONE
from bot.events.ics import calendar_url, event_to_ics
from bot.events.importers import import_csv, import_file, import_ics
from bot.events.models import Event, EventRevision

CSV_VI = """Tiêu đề;Loại;Đơn vị tổ chức;Đối tượng;Bắt đầu;Kết thúc;Địa điểm;Đăng ký;\
Hạn đăng ký;Số lượng;Trạng thái
Hội thảo xuất khẩu tôm sang ASEAN;Hội thảo;Sở Công Thương tỉnh Cà Mau;Doanh nghiệp;\
2027-03-02 08:00;2027-03-02 11:30;Hội trường A;open;2027-03-01 17:00;50;
Tập huấn C/O mẫu D;tập huấn;Sở Công Thương tỉnh Cà Mau;doanh nghiệp, cán bộ;02/04/2027;;\
Hội trường B;;;;
Hội chợ;hội chợ;;;ngày mai;;;;;;
;hội thảo;;;2027-05-01;;;;;;
Giao lưu văn hóa;giao lưu;;robots;2027-05-02;;;;;;
Triển lãm ảnh;triển lãm;;;2027-06-01;2027-06-05;Bảo tàng;;;;Đã hủy
"""

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//vi
BEGIN:VEVENT
UID:abc-123@so-cong-thuong
SUMMARY:Hoi nghi xuc tien thuong mai ASEAN
DTSTART;TZID=Asia/Ho_Chi_Minh:20270310T080000
DTEND;TZID=Asia/Ho_Chi_Minh:20270310T113000
LOCATION:Trung tam Hoi nghi tinh Ca Mau
DESCRIPTION:Ket noi doanh nghiep voi nha nhap khau ASEAN
URL:https://example.org/hoi-nghi
END:VEVENT
BEGIN:VEVENT
UID:day-1@vh
SUMMARY:Trien lam anh ASEAN
DTSTART;VALUE=DATE:20270801
DTEND;VALUE=DATE:20270804
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:broken@x
SUMMARY:Khong co ngay
END:VEVENT
END:VCALENDAR
"""


def test_csv_with_vietnamese_headings_and_row_errors(db_url, session_for):
    session = session_for(db_url)
    report = import_csv(session, CSV_VI.encode("utf-8-sig"))
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert len(report.errors) == 3
    assert report.errors[0].startswith("dòng 4:") and "không đúng định dạng ngày" in \
        report.errors[0]
    assert report.errors[1].startswith("dòng 5:") and "thiếu tiêu đề" in report.errors[1]
    assert report.errors[2].startswith("dòng 6:") and "audience không hợp lệ" in report.errors[2]
    events = {e.title: e for e in session.execute(select(Event)).scalars()}
    first = events["Hội thảo xuất khẩu tôm sang ASEAN"]
    assert (first.kind, first.audiences, first.capacity, first.registration_mode) == (
        "hoi_thao", "doanh_nghiep", 50, "open")
    assert first.local_start == dt.datetime(2027, 3, 2, 8, 0, tzinfo=TIMEZONE)
    second = events["Tập huấn C/O mẫu D"]
    assert second.all_day and second.last_day == dt.date(2027, 4, 2)
    assert second.audiences == "doanh_nghiep,can_bo"
    assert events["Triển lãm ảnh"].status == "cancelled"


def test_csv_reimport_is_idempotent_and_updates_keep_history(db_url, session_for):
    session = session_for(db_url)
    import_csv(session, CSV_VI.encode("utf-8"))
    session.commit()
    again = import_csv(session, CSV_VI.encode("utf-8"))
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = CSV_VI.replace("Hội trường A", "Hội trường C")
    third = import_csv(session, changed.encode("utf-8"))
    session.commit()
    assert (third.created, third.updated) == (0, 1)
    assert session.execute(select(func.count(Event.id))).scalar_one() == 3
    newest_first = select(EventRevision).order_by(EventRevision.id.desc())
    last = session.execute(newest_first).scalars().first()
    assert last.after == {"venue": "Hội trường C"} and last.changed_by == "import:csv"


def test_csv_missing_required_columns(db_url, session_for):
    report = import_csv(session_for(db_url), b"name,date\nX,2027-01-01\n")
    assert report.errors == ["dòng 1: cần có cột title (tiêu đề) và start (bắt đầu)"]


def test_ics_import_is_idempotent(db_url, session_for, tmp_path):
    session = session_for(db_url)
    path = tmp_path / "lich.ics"
    path.write_bytes(ICS)
    report = import_file(session, path)
    session.commit()
    assert (report.created, len(report.errors)) == (2, 1)
    assert "broken@x" in report.errors[0] and "thiếu ngày bắt đầu" in report.errors[0]
    conference = session.execute(
        select(Event).where(Event.external_key == "ics:abc-123@so-cong-thuong")).scalar_one()
    assert conference.kind == "hoi_nghi"
    assert conference.local_start == dt.datetime(2027, 3, 10, 8, 0, tzinfo=TIMEZONE)
    exhibition = session.execute(
        select(Event).where(Event.external_key == "ics:day-1@vh")).scalar_one()
    assert exhibition.all_day and exhibition.status == "cancelled"
    assert (exhibition.local_start.date(), exhibition.last_day) == (
        dt.date(2027, 8, 1), dt.date(2027, 8, 3))
    again = import_ics(session, ICS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_unsupported_file_and_unreadable_ics(db_url, session_for, tmp_path):
    session = session_for(db_url)
    path = tmp_path / "lich.xlsx"
    path.write_bytes(b"x")
    assert "không hỗ trợ định dạng .xlsx" in import_file(session, path).errors[0]
    assert "không đọc được" in import_ics(session, b"not a calendar").errors[0]


def test_event_to_ics_round_trip(demo_db, session_for):
    session = session_for(demo_db)
    timed = session.execute(
        select(Event).where(Event.external_key == "demo-hoi-thao-xuat-xu-2026-12")).scalar_one()
    cal = Calendar.from_ical(event_to_ics(timed))
    item = next(iter(cal.walk("VEVENT")))
    assert str(item["SUMMARY"]) == timed.title
    assert item["DTSTART"].dt == dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    assert "Dữ liệu mẫu" in str(item["DESCRIPTION"])
    all_day = session.execute(
        select(Event).where(Event.external_key == "asean-day-60th-anniversary-2027")).scalar_one()
    item = next(iter(Calendar.from_ical(event_to_ics(all_day)).walk("VEVENT")))
    assert item["DTSTART"].dt == dt.date(2027, 8, 8) and item["DTEND"].dt == dt.date(2027, 8, 9)
    assert str(item["STATUS"]) == "TENTATIVE"
    assert calendar_url(all_day.id).endswith(f"/calendar/{all_day.id}.ics")
    # An exported event imports back as the same event (UID → key), unchanged on re-import.
    report = import_ics(session, event_to_ics(timed))
    assert report.created == 1 and report.errors == []
