"""Fixtures for the staff workspace: a migrated SQLite database with one account per role, the
real app behind Starlette's TestClient, and a helper that signs in and sends CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from bot.db import session_scope
from bot.knowledge.models import FaqTopic
from bot.staff.accounts import create_user
from bot.staff.settings import StaffSettings

PASSWORDS = {
    "admin1": "quan-tri-mat-khau-1",
    "editor1": "bien-tap-mat-khau-1",
    "viewer1": "chi-xem-mat-khau-1",
}
ROLES = {"admin1": "admin", "editor1": "editor", "viewer1": "viewer"}
TOPIC = "rules_of_origin"
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def staff_db(db_url: str) -> str:
    """The Alembic-migrated database with a topic and the three accounts."""
    with session_scope(db_url) as session:
        session.add(FaqTopic(slug=TOPIC, title="Quy tắc xuất xứ"))
        for username, password in PASSWORDS.items():
            create_user(session, username, password, ROLES[username])
    return db_url


@pytest.fixture
def staff_settings(tmp_path) -> StaffSettings:
    return StaffSettings(
        secret_key="test-secret-" + "x" * 40,
        tracker_url=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    )


@pytest.fixture
def staff_app(staff_db: str, staff_settings: StaffSettings):
    from bot.staff.app import standalone_app

    return standalone_app(staff_db, staff_settings)


class StaffClient:
    """A browser-like client: keeps the session cookie and adds the CSRF token to forms."""

    def __init__(self, app, client_ip: str = "testclient") -> None:
        self.http = TestClient(app, client=(client_ip, 50000))

    def token(self, path: str = "/admin/login") -> str:
        page = self.http.get(path)
        match = _META_TOKEN.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def login(self, username: str, password: str | None = None):
        token = self.token("/admin/login")
        return self.http.post(
            "/admin/login",
            data={"username": username, "password": password or PASSWORDS[username],
                  "csrf_token": token},
            follow_redirects=False,
        )

    def post(self, path: str, data: dict | None = None, files: dict | None = None, **kwargs):
        form = dict(data or {})
        form.setdefault("csrf_token", self.token("/admin/dashboard"))
        return self.http.post(path, data=form, files=files, follow_redirects=False, **kwargs)

    def get(self, path: str, **kwargs):
        return self.http.get(path, **kwargs)


@pytest.fixture
def signed_in(staff_app) -> Callable[[str], StaffClient]:
    def make(username: str) -> StaffClient:
        client = StaffClient(staff_app)
        response = client.login(username)
        assert response.status_code == 302, response.text[:500]
        return client

    return make


def faq_form(entry_id: str, **overrides: str) -> dict[str, str]:
    form = {
        "id": entry_id,
        "topic": TOPIC,
        "question": "Hàm lượng giá trị khu vực (RVC) là gì?",
        "answer": "RVC là tỉ lệ giá trị nguyên liệu có xuất xứ trong giá FOB của hàng hoá.",
        "question_en": "",
        "answer_en": "",
        "status": "draft",
        "as_of": "",
        "variants_vi": "RVC là gì\ncách tính hàm lượng giá trị khu vực",
        "variants_en": "",
        "sources_text": "Thông tư 05/2018/TT-BCT | https://example.gov.vn/tt05 | 2026-11-26",
        "entities_text": "agreement: ATIGA",
        "save": "Save",
    }
    form.update(overrides)
    return form


@pytest.fixture(autouse=True)
def cheap_password_hashing():
    """argon2id with small parameters: the same code path, without 64 MiB/0.7 s per hash here.

    test_accounts.py checks the production parameters separately.
    """
    from argon2 import PasswordHasher

    from bot.staff import accounts

    previous = accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    accounts.use_hasher(previous)
