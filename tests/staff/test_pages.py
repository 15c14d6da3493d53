"""Every page renders for every role that may see it, in Vietnamese, without raw markup echoed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from bot.db import session_scope
from bot.events.models import Event
from bot.staff.models import Revision
from tests.staff.conftest import faq_form

XSS = '<script>alert("x")</script>'


@pytest.fixture
def content(signed_in, staff_db) -> dict[str, str]:
    editor = signed_in("editor1")
    form = faq_form("roo-page", question=f"Câu hỏi có ký tự lạ {XSS}")
    assert editor.post("/admin/faq-entry/create", form).status_code == 302
    event_form = {
        "external_key": "su-kien-1", "title": "Hội nghị xúc tiến thương mại", "title_en": "",
        "summary": "", "kind": "hoi_nghi", "host": "Sở Công Thương", "co_hosts": "[]",
        "audiences": "doanh_nghiep", "topics": "", "start_at": "2026-12-05 08:00:00",
        "end_at": "2026-12-05 11:00:00", "venue": "Cà Mau", "address": "", "city": "",
        "online_url": "", "registration_mode": "open", "registration_deadline": "",
        "capacity": "50", "registration_info": "", "contact": "", "source_url": "",
        "status": "scheduled", "save": "Save",
    }
    response = editor.post("/admin/event/create", event_form)
    assert response.status_code == 302, response.text[:2000]
    with session_scope(staff_db) as session:
        event = session.scalar(select(Event))
        assert event.start_at == dt.datetime(2026, 12, 5, 8, tzinfo=TIMEZONE)
        revision = session.scalar(select(Revision).order_by(Revision.id))
        return {"event": str(event.id), "revision": str(revision.id)}


@pytest.mark.parametrize("username", ["admin1", "editor1", "viewer1"])
def test_pages_render(signed_in, content, username):
    client = signed_in(username)
    pages = [
        "/admin/dashboard", "/admin/inbox", "/admin/transfer", "/admin/faq-entry/list",
        "/admin/faq-entry/details/roo-page", "/admin/event/list",
        f"/admin/event/details/{content['event']}", "/admin/revision/list",
        f"/admin/revision/details/{content['revision']}",
        "/admin/revision/history?type=faq_entry&id=roo-page",
        f"/admin/revision/history?type=event&id={content['event']}",
        "/admin/unanswered-question/list", "/admin/faq-entry/list?search=RVC",
    ]
    if username != "viewer1":
        pages += ["/admin/faq-entry/edit/roo-page", "/admin/faq-entry/create",
                  f"/admin/event/edit/{content['event']}", "/admin/registration/list"]
    if username == "admin1":
        pages += ["/admin/staff-user/list", "/admin/staff-user/create"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert '<html lang="vi">' in response.text
        assert XSS not in response.text, path


def test_edit_form_shows_the_current_phrasings_and_sources(signed_in, content):
    page = signed_in("editor1").get("/admin/faq-entry/edit/roo-page").text
    assert "cách tính hàm lượng giá trị khu vực" in page
    assert "https://example.gov.vn/tt05 | 2026-11-26" in page
    assert "agreement: ATIGA" in page


def test_details_page_lists_children_and_history_link(signed_in, content):
    page = signed_in("viewer1").get("/admin/faq-entry/details/roo-page").text
    assert "Các cách hỏi khác" in page and "RVC là gì" in page
    assert "Lịch sử thay đổi" in page


def test_unknown_pages_answer_politely(signed_in):
    response = signed_in("editor1").get("/admin/faq-entry/details/khong-co")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text
