"""Sign-in: argon2id hashes, throttling per account and per address, expiring sessions, CSRF."""

from __future__ import annotations

import time

from argon2 import PasswordHasher
from sqlalchemy import select

from bot.db import session_scope
from bot.knowledge.models import FaqEntry
from bot.staff.accounts import reset_password, verify_credentials
from bot.staff.models import StaffUser
from tests.staff.conftest import PASSWORDS, StaffClient, faq_form


def test_production_hashes_are_argon2id_with_rfc9106_parameters():
    from bot.staff import accounts

    hasher = PasswordHasher()
    previous = accounts.use_hasher(hasher)
    try:
        digest = accounts.hash_password("mot-mat-khau-du-dai")
    finally:
        accounts.use_hasher(previous)
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "mot-mat-khau" not in digest


def test_passwords_are_stored_hashed_and_checked(staff_db):
    with session_scope(staff_db) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "editor1"))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORDS["editor1"] not in user.password_hash
        assert verify_credentials(session, "editor1", PASSWORDS["editor1"]) is not None
        assert verify_credentials(session, "EDITOR1 ", PASSWORDS["editor1"]) is not None
        assert verify_credentials(session, "editor1", "sai-mat-khau-roi") is None
        assert verify_credentials(session, "khong-co-ai", "sai-mat-khau-roi") is None


def test_wrong_password_is_refused_politely(staff_app):
    client = StaffClient(staff_app)
    response = client.login("editor1", "sai-mat-khau-roi")
    assert response.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
    assert client.get("/admin/dashboard", follow_redirects=False).status_code == 302


def test_login_is_rate_limited_per_account(staff_app):
    attacker = StaffClient(staff_app, client_ip="10.0.0.1")
    for _ in range(5):
        assert attacker.login("editor1", "doan-mat-khau-sai").status_code == 400
    blocked = attacker.login("editor1", PASSWORDS["editor1"])  # even the right password now
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.text
    # From another address the same account stays locked (per-account limit)...
    assert StaffClient(staff_app, client_ip="10.0.0.2").login("editor1").status_code == 429
    # ...while other accounts are unaffected.
    assert StaffClient(staff_app, client_ip="10.0.0.2").login("viewer1").status_code == 302


def test_login_is_rate_limited_per_address(staff_app):
    sprayer = StaffClient(staff_app, client_ip="10.0.0.9")
    for number in range(20):  # one failure each on many accounts: under every per-account limit
        assert sprayer.login(f"nguoi-dung-{number}", "mat-khau-sai-1").status_code == 400
    assert sprayer.login("viewer1").status_code == 429
    assert StaffClient(staff_app, client_ip="10.0.0.10").login("viewer1").status_code == 302


def test_session_cookie_is_strict_and_expires(staff_app, staff_settings):
    client = StaffClient(staff_app)
    response = client.login("editor1")
    cookie = response.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie
    assert f"max-age={staff_settings.session_idle_seconds}" in cookie


def test_sign_in_ends_after_its_absolute_lifetime(staff_db, staff_settings):
    from bot.staff.app import standalone_app

    staff_settings.session_max_seconds = 1
    client = StaffClient(standalone_app(staff_db, staff_settings))
    assert client.login("editor1").status_code == 302
    assert client.get("/admin/dashboard", follow_redirects=False).status_code == 200
    time.sleep(1.2)
    response = client.get("/admin/dashboard", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].endswith("/login")


def test_password_reset_and_deactivation_end_open_sessions(signed_in, staff_db):
    editor = signed_in("editor1")
    assert editor.get("/admin/dashboard", follow_redirects=False).status_code == 200
    with session_scope(staff_db) as session:
        reset_password(session, "editor1", "mat-khau-moi-sau-reset")
    assert editor.get("/admin/dashboard", follow_redirects=False).status_code == 302

    viewer = signed_in("viewer1")
    with session_scope(staff_db) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "viewer1"))
        user.is_active = False
    assert viewer.get("/admin/dashboard", follow_redirects=False).status_code == 302


def test_posts_without_the_csrf_token_are_rejected(signed_in, staff_db):
    editor = signed_in("editor1")
    form = faq_form("csrf-test")
    form.pop("csrf_token", None)
    missing = editor.http.post("/admin/faq-entry/create", data=form, follow_redirects=False)
    assert missing.status_code == 403
    assert "Không thể thực hiện yêu cầu" in missing.text
    forged = editor.http.post("/admin/faq-entry/create", data={**form, "csrf_token": "gia-mao"},
                              follow_redirects=False)
    assert forged.status_code == 403
    bad_delete = editor.http.delete("/admin/faq-entry/delete?pks=x",
                                    headers={"X-CSRF-Token": "gia-mao"})
    assert bad_delete.status_code == 403
    with session_scope(staff_db) as session:
        assert session.get(FaqEntry, "csrf-test") is None
    # The same form with the session's token goes through.
    assert editor.post("/admin/faq-entry/create", form).status_code == 302


def test_another_sessions_token_does_not_work(signed_in):
    editor = signed_in("editor1")
    other = signed_in("viewer1")
    stolen = other.token("/admin/dashboard")
    response = editor.http.post("/admin/faq-entry/create",
                                data={**faq_form("x-token"), "csrf_token": stolen},
                                follow_redirects=False)
    assert response.status_code == 403


def test_login_form_needs_the_token_too(staff_app):
    client = StaffClient(staff_app)
    response = client.http.post("/admin/login", data={"username": "editor1",
                                                      "password": PASSWORDS["editor1"]})
    assert response.status_code == 403
