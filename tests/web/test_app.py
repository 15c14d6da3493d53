"""The port-8000 Starlette app: page, static assets, security headers, calendar route."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from bot.web.app import SOCKET_IO_CLIENT, create_web_app
from bot.web.security import content_security_policy, rasa_origins

RASA_URL = "https://bot.camau.example:5005"


@pytest.fixture
def client(db_url: str) -> TestClient:
    app = create_web_app(public_rasa_url=RASA_URL, database_url=db_url, mount_staff=False)
    return TestClient(app, base_url="http://localhost")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_portal_page_embeds_the_widget(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<html lang="vi">' in html
    assert "Cổng thông tin điện tử tỉnh Cà Mau" in html
    assert f'data-rasa-url="{RASA_URL}"' in html
    assert 'data-socket-path="/socket.io/"' in html
    assert f'src="/static/{SOCKET_IO_CLIENT}"' in html
    assert re.search(r'src="/static/widget\.js\?v=[0-9a-f]{12}"', html)
    assert re.search(r'href="/static/widget\.css\?v=[0-9a-f]{12}"', html)
    # The CSP forbids inline code, so the page must not contain any.
    assert "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert re.search(r"\son[a-z]+\s*=", html) is None  # no onclick= and the like


def test_rasa_url_is_escaped_into_the_page(db_url: str) -> None:
    app = create_web_app(
        public_rasa_url='http://x.example/"><script>', database_url=db_url, mount_staff=False
    )
    html = TestClient(app, base_url="http://localhost").get("/").text
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html
    assert '"><script>' not in html


def test_security_headers_on_page(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    csp = csp_directives(headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert sorted(csp["connect-src"]) == sorted(
        ["'self'", "https://bot.camau.example:5005", "wss://bot.camau.example:5005"]
    )


def test_security_headers_on_static_calendar_and_errors(client: TestClient) -> None:
    for path in ("/static/widget.js", "/calendar/1.ics", "/no-such-page"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" in headers, path


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/widget.js", "text/javascript"),
        ("/static/widget.css", "text/css"),
        ("/static/portal.css", "text/css"),
        (f"/static/{SOCKET_IO_CLIENT}", "text/javascript"),
    ],
)
def test_static_assets_are_served_with_caching_headers(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert "max-age=" in response.headers["cache-control"]
    etag = response.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_vendored_client_is_immutable_and_our_assets_revalidate(client: TestClient) -> None:
    vendor = client.get(f"/static/{SOCKET_IO_CLIENT}").headers["cache-control"]
    own = client.get("/static/widget.js").headers["cache-control"]
    assert "immutable" in vendor and "max-age=31536000" in vendor
    assert "immutable" not in own


def test_vendored_socket_io_client_is_a_4x_build_with_its_licence(client: TestClient) -> None:
    body = client.get(f"/static/{SOCKET_IO_CLIENT}").text
    assert re.match(r"/\*!\n \* Socket\.IO v4\.\d+\.\d+", body)
    licence = client.get("/static/vendor/LICENSE-socket.io-client.txt")
    assert licence.status_code == 200 and "MIT" in licence.text


def test_widget_never_uses_html_injection_sinks(client: TestClient) -> None:
    """Message text must reach the page as text: none of the HTML-parsing DOM APIs appear."""
    source = client.get("/static/widget.js").text
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "srcdoc",
    ):
        assert sink not in code, sink


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_page_is_a_polite_vietnamese_404(client: TestClient) -> None:
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert response.text == "Không tìm thấy trang bạn yêu cầu."


@pytest.mark.parametrize("event_id", ["999999", "khong-ton-tai", "x" * 65, "a.b"])
def test_calendar_for_unknown_event_is_a_polite_404(client: TestClient, event_id: str) -> None:
    response = client.get(f"/calendar/{event_id}.ics")
    assert response.status_code == 404
    assert "Không tìm thấy sự kiện" in response.text
    assert "Traceback" not in response.text


def test_calendar_reads_the_event_from_the_bot_database(db_url: str, db_session) -> None:
    pytest.importorskip("bot.events.ics", reason="events capability not written yet")
    import datetime as dt

    from bot.config import TIMEZONE
    from bot.events.models import Event

    start = dt.datetime(2026, 12, 3, 8, 0, tzinfo=TIMEZONE)
    event = Event(
        external_key="web-calendar-test",
        title="Hội thảo quy tắc xuất xứ (thử nghiệm)",
        start_at=start,
        end_at=start + dt.timedelta(hours=3),
        is_sample=True,
    )
    db_session.add(event)
    db_session.commit()

    client = TestClient(
        create_web_app(public_rasa_url=RASA_URL, database_url=db_url, mount_staff=False),
        base_url="http://localhost",
    )
    response = client.get(f"/calendar/{event.id}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.text.replace("\r\n ", "")  # undo iCalendar line folding
    assert body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Hội thảo quy tắc xuất xứ (thử nghiệm)" in body
    assert "DTSTART:20261203T010000Z" in body
    assert client.get(f"/calendar/{event.id + 1}.ics").status_code == 404


def test_calendar_serves_the_events_ics(db_url: str) -> None:
    seen: list[str] = []

    def loader(event_id: str) -> str | None:
        seen.append(event_id)
        return "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" if event_id == "7" else None

    client = TestClient(
        create_web_app(public_rasa_url=RASA_URL, calendar_loader=loader, mount_staff=False),
        base_url="http://localhost",
    )
    response = client.get("/calendar/7.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="su-kien-7.ics"'
    assert response.text.startswith("BEGIN:VCALENDAR")
    assert client.get("/calendar/8.ics").status_code == 404
    assert seen == ["7", "8"]


def test_calendar_database_error_is_a_polite_503(db_url: str) -> None:
    from bot.web.calendar import CalendarUnavailableError

    def broken(_event_id: str) -> str:
        raise CalendarUnavailableError("database down")

    client = TestClient(
        create_web_app(public_rasa_url=RASA_URL, calendar_loader=broken, mount_staff=False),
        base_url="http://localhost",
    )
    response = client.get("/calendar/1.ics")
    assert response.status_code == 503
    assert response.text.startswith("Lịch sự kiện tạm thời chưa tải được")


def test_staff_app_is_mounted_when_installed(db_url: str) -> None:
    pytest.importorskip("bot.staff.app", reason="bot.staff.app not written yet")
    client = TestClient(create_web_app(public_rasa_url=RASA_URL, database_url=db_url),
                        base_url="http://localhost")
    response = client.get("/admin/")  # follows the redirect to the sign-in page
    assert response.status_code == 200
    assert response.url.path == "/admin/login"
    # Our page CSP would break the staff pages; they only get the generic headers.
    assert response.headers.get("content-security-policy") != content_security_policy(RASA_URL)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_rasa_origins_cover_http_and_websocket() -> None:
    assert rasa_origins("http://localhost:5005/") == [
        "http://localhost:5005",
        "ws://localhost:5005",
    ]
    assert rasa_origins("https://bot.example") == ["https://bot.example", "wss://bot.example"]
    with pytest.raises(ValueError):
        rasa_origins("javascript:alert(1)")
    assert "connect-src 'self' https://bot.example wss://bot.example" in content_security_policy(
        "https://bot.example"
    )


# --- issue 15 ------------------------------------------------------------------------------------


def test_a_forged_host_is_refused_not_reflected_in_redirects(db_url: str) -> None:
    app = create_web_app(public_rasa_url=RASA_URL, database_url=db_url)
    forged = TestClient(app, base_url="http://evil.example")
    for path in ("/admin/", "/admin", "/admin/login", "/"):
        response = forged.get(path, follow_redirects=False)
        assert response.status_code == 400
        assert "evil.example" not in response.headers.get("location", "")
    honest = TestClient(app, base_url="http://localhost")
    response = honest.get("/admin/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"].startswith(("http://localhost/", "/"))


@pytest.mark.parametrize("event_id", ["9" * 30, "99999999999999999999", "-1", "0"])
def test_calendar_ids_that_cannot_exist_are_404(db_url: str, event_id: str) -> None:
    client = TestClient(
        create_web_app(public_rasa_url=RASA_URL, database_url=db_url, mount_staff=False),
        base_url="http://localhost",
    )
    assert client.get(f"/calendar/{event_id}.ics").status_code == 404
