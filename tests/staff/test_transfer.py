"""Import/export: bad rows are reported by row and column, good rows are kept, and importing the
same file again changes nothing — for Excel, CSV and YAML."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.db import session_scope
from bot.events.models import Event
from bot.knowledge.models import FaqEntry
from bot.staff.models import Revision
from bot.staff.transfer import export_data, import_data
from bot.staff.transfer.faq_io import FAQ_COLUMNS
from tests.staff.conftest import TOPIC

SOURCE = "Thông tư 05/2018/TT-BCT | https://example.gov.vn/tt05 | 2026-11-26"
GOOD_ROWS = [
    {"id": "roo-rvc", "topic": TOPIC, "status": "published",
     "question": "RVC là gì?", "answer": "RVC là hàm lượng giá trị khu vực.",
     "variants": "hàm lượng giá trị khu vực là gì\nrvc la gi", "sources": SOURCE,
     "entities": "agreement: ATIGA, RCEP"},
    {"id": "roo-cto", "topic": TOPIC, "status": "draft", "question": "CTC là gì?",
     "answer": "", "variants": "chuyển đổi mã số hàng hoá", "sources": "", "entities": ""},
]
BAD_ROWS = [
    {"id": "Sai Ma", "topic": TOPIC, "question": "x", "answer": "y"},            # bad id
    {"id": "roo-topic", "topic": "khong-co", "question": "x", "answer": "y"},    # unknown topic
    {"id": "roo-pub", "topic": TOPIC, "status": "published", "question": "Hỏi?",
     "answer": "Đáp.", "sources": ""},                                           # no source
    {"id": "roo-date", "topic": TOPIC, "question": "Hỏi?", "answer": "Đáp.",
     "as_of": "31/02/2026"},                                                     # bad date
    {"id": "roo-ent", "topic": TOPIC, "question": "Hỏi?", "answer": "Đáp.",
     "entities": "hiep_dinh: ATIGA"},                                            # bad entity kind
    {"id": "roo-rvc", "topic": TOPIC, "question": "trùng", "answer": "trùng"},   # duplicate id
]


def _csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FAQ_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _xlsx(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(FAQ_COLUMNS)
    for row in rows:
        sheet.append([row.get(c) for c in FAQ_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(db_url: str, kind: str, content: bytes, fmt: str):
    with session_scope(db_url) as session:
        return import_data(session, kind, content, fmt, "editor1")


@pytest.mark.parametrize("fmt,build", [("csv", _csv), ("xlsx", _xlsx)])
def test_bad_rows_reported_good_rows_kept(staff_db, fmt, build):
    report = _import(staff_db, "faq", build(GOOD_ROWS + BAD_ROWS), fmt)
    assert report.created == ["roo-rvc", "roo-cto"]
    by_row = {error.row: error for error in report.errors}
    assert sorted(by_row) == [4, 5, 6, 7, 8, 9]  # header is row 1; good rows are 2 and 3
    assert by_row[4].column == "id"
    assert by_row[5].column == "topic" and "khong-co" in by_row[5].message
    assert by_row[6].column == "sources"
    assert by_row[7].column == "as_of"
    assert by_row[8].column == "entities"
    assert by_row[9].column == "id" and "dòng 2" in by_row[9].message
    assert str(by_row[5]).startswith("Dòng 5, cột “topic”:")
    with session_scope(staff_db) as session:
        entry = session.get(FaqEntry, "roo-rvc")
        assert entry.status == "published"
        assert [v.text for v in entry.variants] == ["hàm lượng giá trị khu vực là gì", "rvc la gi"]
        assert [(e.kind, e.value) for e in entry.entities] == [
            ("agreement", "ATIGA"), ("agreement", "RCEP")]
        assert entry.sources[0].checked.isoformat() == "2026-11-26"
        assert session.scalar(select(func.count(FaqEntry.id))) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "yaml"])
def test_export_then_reimport_is_idempotent(staff_db, fmt):
    _import(staff_db, "faq", _csv(GOOD_ROWS), "csv")
    with session_scope(staff_db) as session:
        exported = export_data(session, "faq", fmt)
        revisions_before = session.scalar(select(func.count(Revision.id)))
    report = _import(staff_db, "faq", exported, fmt)
    assert report.created == [] and report.updated == [] and report.errors == []
    assert sorted(report.unchanged) == ["roo-cto", "roo-rvc"]
    again = _import(staff_db, "faq", exported, fmt)
    assert again.written == 0
    with session_scope(staff_db) as session:
        assert session.scalar(select(func.count(Revision.id))) == revisions_before


def test_edited_spreadsheet_updates_only_changed_rows_with_revisions(staff_db):
    _import(staff_db, "faq", _csv(GOOD_ROWS), "csv")
    with session_scope(staff_db) as session:
        book = load_workbook(io.BytesIO(export_data(session, "faq", "xlsx")))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = dict(zip(header, row, strict=False))
        if values["id"].value == "roo-rvc":
            values["answer"].value = "RVC (Regional Value Content) là hàm lượng giá trị khu vực."
    buffer = io.BytesIO()
    book.save(buffer)
    report = _import(staff_db, "faq", buffer.getvalue(), "xlsx")
    assert report.updated == ["roo-rvc"] and report.unchanged == ["roo-cto"]
    with session_scope(staff_db) as session:
        revision = session.scalars(select(Revision).where(Revision.action == "import")
                                   .order_by(Revision.id.desc())).first()
        assert revision.entity_id == "roo-rvc" and revision.actor == "editor1"
        assert revision.before["answer"] == "RVC là hàm lượng giá trị khu vực."


def test_seed_shaped_yaml_is_accepted(staff_db):
    document = {
        "topic": TOPIC, "title": "Quy tắc xuất xứ",
        "entries": [{
            "id": "roo-yaml", "question": "Mẫu D dùng cho nước nào?",
            "variants": ["c/o mau d", "form D"], "answer": "Mẫu D dùng trong ATIGA.",
            "entities": {"co_form": ["D"], "agreement": ["ATIGA"]},
            "sources": [{"title": "Thông tư 22/2016/TT-BCT", "url": "https://example.gov.vn/22",
                         "checked": "2026-11-26"}],
            "status": "published",
        }, "not a mapping"],
    }
    report = _import(staff_db, "faq", yaml.safe_dump(document, allow_unicode=True).encode(), "yaml")
    assert report.created == ["roo-yaml"]
    assert [e.row for e in report.errors] == [2]


def test_unreadable_files_are_refused_with_a_clear_message(signed_in):
    editor = signed_in("editor1")
    response = editor.post("/admin/transfer/import", {"kind": "faq"},
                           files={"file": ("faq.xlsx", b"this is not excel", "application/zip")})
    assert response.status_code == 400
    assert "Không đọc được tệp Excel" in response.text
    response = editor.post("/admin/transfer/import", {"kind": "faq"},
                           files={"file": ("faq.pdf", b"%PDF", "application/pdf")})
    assert "Chỉ nhận tệp .xlsx, .csv hoặc .yaml" in response.text


def test_import_page_reports_rows(signed_in, staff_db):
    editor = signed_in("editor1")
    upload = ("faq.csv", _csv(GOOD_ROWS + BAD_ROWS[:2]), "text/csv")
    response = editor.post("/admin/transfer/import", {"kind": "faq"}, files={"file": upload})
    assert response.status_code == 200
    assert "Tạo mới <strong>2</strong>" in response.text
    assert "lỗi <strong>2</strong>" in response.text
    assert "khong-co" in response.text
    download = editor.get("/admin/transfer/export/faq/xlsx")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert signed_in("viewer1").get("/admin/transfer/export/faq/csv").status_code == 200


EVENT_CSV = "\n".join([
    "key,title,kind,start,end,venue,audience,registration,capacity,status",
    "rcep-2026,Hội thảo RCEP,hoi_thao,2026-12-03 08:00,2026-12-03 11:30,Cà Mau,doanh_nghiep,"
    "open,100,scheduled",
    'hoi-cho-2026,Hội chợ OCOP,hoi_cho,2026-12-10,2026-12-12,Cà Mau,"nguoi_dan, doanh_nghiep",'
    "none,,scheduled",
    "sai-ngay,Sự kiện lỗi,hoi_thao,ngày mai,,Cà Mau,,none,,scheduled",
    "sai-loai,Sự kiện lỗi 2,tiec_tra,2026-12-03,,Cà Mau,,none,-5,scheduled",
]) + "\n"


def test_events_import_reports_rows_and_is_idempotent(staff_db):
    report = _import(staff_db, "events", EVENT_CSV.encode(), "csv")
    assert report.created == ["rcep-2026", "hoi-cho-2026"]
    assert {e.row for e in report.errors} == {4, 5}
    assert any("kind" in e.message for e in report.errors if e.row == 5)
    with session_scope(staff_db) as session:
        fair = session.scalar(select(Event).where(Event.external_key == "hoi-cho-2026"))
        assert fair.all_day and fair.last_day.isoformat() == "2026-12-12"
        for fmt in ("csv", "xlsx", "yaml"):
            exported = export_data(session, "events", fmt)
            with session_scope(staff_db) as inner:
                again = import_data(inner, "events", exported, fmt, "editor1")
            assert again.written == 0 and again.errors == [], (fmt, again.errors)
            assert sorted(again.unchanged) == ["hoi-cho-2026", "rcep-2026"]
