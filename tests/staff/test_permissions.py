"""Roles: viewers change nothing, editors edit content but not accounts and never delete."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import session_scope
from bot.knowledge.models import FaqEntry
from bot.staff.models import StaffUser
from tests.staff.conftest import faq_form


def _count_entries(db_url: str) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count(FaqEntry.id)))


def test_anonymous_visitors_are_sent_to_the_login_page(staff_app):
    from starlette.testclient import TestClient

    client = TestClient(staff_app)
    for path in ("/admin/", "/admin/faq-entry/list", "/admin/dashboard", "/admin/inbox"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"].endswith("/admin/login")


def test_viewer_can_read_but_cannot_save(signed_in, staff_db):
    viewer = signed_in("viewer1")
    assert viewer.get("/admin/faq-entry/list").status_code == 200
    listing = viewer.get("/admin/faq-entry/list").text
    assert "/admin/faq-entry/create" not in listing  # no "add" button

    assert viewer.get("/admin/faq-entry/create").status_code == 403
    response = viewer.post("/admin/faq-entry/create", faq_form("viewer-try"))
    assert response.status_code == 403
    assert _count_entries(staff_db) == 0


def test_viewer_cannot_edit_or_run_actions(signed_in, staff_db):
    editor = signed_in("editor1")
    assert editor.post("/admin/faq-entry/create", faq_form("roo-rvc")).status_code == 302
    viewer = signed_in("viewer1")
    assert viewer.get("/admin/faq-entry/edit/roo-rvc").status_code == 403
    changed = faq_form("roo-rvc", answer="Câu trả lời bị sửa trái phép.")
    assert viewer.post("/admin/faq-entry/edit/roo-rvc", changed).status_code == 403
    assert viewer.get("/admin/faq-entry/action/publish?pks=roo-rvc").status_code == 403
    assert viewer.post("/admin/faq-entry/bulk/publish", {"pks": "roo-rvc"}).status_code == 403
    assert viewer.post("/admin/transfer/import", {"kind": "faq"}).status_code == 403
    with session_scope(staff_db) as session:
        entry = session.get(FaqEntry, "roo-rvc")
        assert entry.status == "draft"
        assert "trái phép" not in entry.answer


def test_editor_cannot_manage_users(signed_in, staff_db):
    editor = signed_in("editor1")
    assert editor.get("/admin/staff-user/list").status_code == 403
    assert editor.get("/admin/staff-user/create").status_code == 403
    form = {"new_username": "intruder", "new_role": "admin", "new_password": "mat-khau-dai-du-1",
            "is_active": "y", "save": "Save"}
    assert editor.post("/admin/staff-user/create", form).status_code == 403
    assert "/admin/staff-user/list" not in editor.get("/admin/dashboard").text  # not in the menu
    with session_scope(staff_db) as session:
        assert session.scalar(select(StaffUser).where(StaffUser.username == "intruder")) is None


def test_editor_cannot_delete_but_can_archive(signed_in, staff_db):
    editor = signed_in("editor1")
    editor.post("/admin/faq-entry/create", faq_form("roo-rvc", status="published"))
    token = editor.token("/admin/faq-entry/list")
    response = editor.http.delete(
        "/admin/faq-entry/delete?pks=roo-rvc", headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 403
    assert _count_entries(staff_db) == 1

    confirm = editor.get("/admin/faq-entry/action/archive?pks=roo-rvc")
    assert confirm.status_code == 200 and "Lưu trữ" in confirm.text
    with session_scope(staff_db) as session:  # the GET only asked for confirmation
        assert session.get(FaqEntry, "roo-rvc").status == "published"
    assert editor.post("/admin/faq-entry/bulk/archive", {"pks": "roo-rvc"}).status_code == 302
    with session_scope(staff_db) as session:
        assert session.get(FaqEntry, "roo-rvc").status == "archived"


def test_admin_manages_users_and_the_new_account_works(signed_in, staff_app, staff_db):
    admin = signed_in("admin1")
    assert admin.get("/admin/staff-user/list").status_code == 200
    form = {"new_username": "canbo2", "new_role": "editor", "new_password": "mat-khau-moi-123",
            "is_active": "y", "save": "Save"}
    assert admin.post("/admin/staff-user/create", form).status_code == 302
    from tests.staff.conftest import StaffClient

    newcomer = StaffClient(staff_app)
    assert newcomer.login("canbo2", "mat-khau-moi-123").status_code == 302
    assert newcomer.get("/admin/faq-entry/create").status_code == 200  # an editor now


def test_admin_cannot_lock_themselves_out(signed_in, staff_db):
    admin = signed_in("admin1")
    with session_scope(staff_db) as session:
        admin_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "admin1"))
    form = {"new_username": "admin1", "new_role": "viewer", "new_password": "", "is_active": "y",
            "save": "Save"}
    response = admin.post(f"/admin/staff-user/edit/{admin_id}", form)
    assert response.status_code == 400
    with session_scope(staff_db) as session:
        assert session.get(StaffUser, admin_id).role == "admin"


def test_registrations_are_hidden_from_viewers(signed_in):
    assert signed_in("viewer1").get("/admin/registration/list").status_code == 403
    assert signed_in("editor1").get("/admin/registration/list").status_code == 200
