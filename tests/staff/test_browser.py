"""The staff workspace in a real browser (Debian Chromium driven by Playwright).

An editor signs in, adds an FAQ entry with a phrasing and publishes it; the bot's knowledge
service, in this test process, answers that phrasing with the new entry at once — no retraining —
while the workspace runs as a separate uvicorn process, as in production. A viewer cannot save.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.db import session_scope
from tests.staff.conftest import PASSWORDS, TOPIC

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
QUESTION = "Mã kiểm thử XB-42 của trình duyệt dùng để làm gì?"
VARIANT = "XB-42 dùng làm gì"
ANSWER = "Đây là câu trả lời dùng riêng cho bài kiểm thử trình duyệt XB-42."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def knowledge_db(staff_db: str) -> str:
    """The accounts database plus the real knowledge seed (retrieval needs a real corpus)."""
    from bot.knowledge.loader import load_knowledge

    with session_scope(staff_db) as session:
        load_knowledge(session)
    return staff_db


@pytest.fixture
def workspace(knowledge_db: str, tmp_path: Path) -> Iterator[str]:
    """The staff app served by uvicorn in its own process; yields its base URL."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=knowledge_db, STAFF_SECRET_KEY="browser-test-" + "k" * 40,
               TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
               RASA_TELEMETRY_ENABLED="false")
    log = (tmp_path / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bot.staff.app:standalone_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--ws", "none"],  # no websockets here; uvicorn's auto-detection trips on rasa's pin
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/admin/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("the staff app did not start: " + (tmp_path / "uvicorn.log").read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _sign_in(browser, base: str, username: str):  # noqa: ANN001, ANN202
    from playwright.sync_api import expect

    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/admin/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base}/admin/dashboard")
    return context, page, errors


def _bot_answer(db_url: str, text: str):  # noqa: ANN202
    from bot.knowledge.service import answer_question

    with session_scope(db_url) as session:
        return answer_question(session, text)


def test_editor_publishes_and_the_bot_answers_at_once(browser, workspace, knowledge_db):
    staff_db = knowledge_db
    from playwright.sync_api import expect

    before = _bot_answer(staff_db, VARIANT)  # the bot's index is built and cached now
    assert before.entry_id != "xb-42-kiem-thu"

    context, page, errors = _sign_in(browser, workspace, "editor1")
    page.get_by_role("link", name="Câu hỏi thường gặp (FAQ)").click()
    page.get_by_role("link", name="+ Thêm câu hỏi").click()
    page.locator("#id").fill("xb-42-kiem-thu")
    page.locator("#topic").select_option(TOPIC)
    page.locator("#question").fill(QUESTION)
    page.locator("#answer").fill(ANSWER)
    page.locator("#variants_vi").fill(f"{VARIANT}\nmã XB-42 là gì")
    page.locator("#sources_text").fill("Tài liệu kiểm thử | https://example.gov.vn/xb42")
    page.locator("#status").select_option("published")
    page.get_by_role("button", name="Lưu", exact=True).click()
    published_at = time.perf_counter()
    expect(page).to_have_url(f"{workspace}/admin/faq-entry/list")
    expect(page.get_by_text("xb-42-kiem-thu")).to_be_visible()

    answer = _bot_answer(staff_db, VARIANT)
    latency = time.perf_counter() - published_at
    assert answer.entry_id == "xb-42-kiem-thu"
    assert ANSWER in answer.text
    started = time.perf_counter()
    _bot_answer(staff_db, VARIANT)  # nothing changed since: the cached index is reused
    unchanged = time.perf_counter() - started
    print(f"\npublish → bot answers with the new entry: {latency * 1000:.0f} ms "
          f"(the same question with nothing changed: {unchanged * 1000:.0f} ms)")

    # A bad edit, then "restore this version" from the history: the bot follows both.
    page.goto(f"{workspace}/admin/faq-entry/edit/xb-42-kiem-thu")
    expect(page.locator("#variants_vi")).to_have_value(f"{VARIANT}\nmã XB-42 là gì")
    page.locator("#answer").fill("Một câu trả lời sai.")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page).to_have_url(f"{workspace}/admin/faq-entry/list")
    assert "Một câu trả lời sai." in _bot_answer(staff_db, VARIANT).text
    page.goto(f"{workspace}/admin/revision/history?type=faq_entry&id=xb-42-kiem-thu")
    expect(page.get_by_role("cell", name="editor1").first).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Khôi phục phiên bản này").last.click()  # the first version
    expect(page.get_by_text("Đã khôi phục phiên bản")).to_be_visible()
    assert ANSWER in _bot_answer(staff_db, VARIANT).text
    context.close()
    assert errors == []


def test_viewer_cannot_save(browser, workspace, staff_db):
    from playwright.sync_api import expect

    context, page, errors = _sign_in(browser, workspace, "viewer1")
    page.goto(f"{workspace}/admin/faq-entry/list")
    expect(page.get_by_role("link", name="+ Thêm câu hỏi")).to_have_count(0)
    page.goto(f"{workspace}/admin/faq-entry/create")
    expect(page.get_by_text("không có quyền")).to_be_visible()
    # Even a hand-made request with the viewer's own valid CSRF token is refused.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.post(
        f"{workspace}/admin/faq-entry/create",
        form={"csrf_token": token, "id": "viewer-entry", "topic": TOPIC, "question": "x",
              "answer": "y", "status": "published", "save": "Save"},
        max_redirects=0,
    )
    assert response.status == 403
    with session_scope(staff_db) as session:
        from bot.knowledge.models import FaqEntry

        assert session.get(FaqEntry, "viewer-entry") is None
    context.close()
    assert errors == []
