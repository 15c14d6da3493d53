"""Issue 15, the web app's edge: a forged Host never reaches a redirect, impossible calendar ids
are 404 without a database query, and error pages name nothing internal."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.web.app import create_web_app
from bot.web.calendar import make_event_loader

RASA_URL = "https://bot.camau.example:5005"
# A database that cannot be opened: any query against it is a 503, so a 404 proves none was made.
UNREACHABLE_DB = "sqlite:////nonexistent-dir-for-tests/bot.sqlite3"


def _app(db_url: str, **kwargs):  # noqa: ANN202
    return create_web_app(public_rasa_url=RASA_URL, database_url=db_url, **kwargs)


# --- a forged Host ------------------------------------------------------------------------------

# Every route of the web app and the workspace that answers with a redirect.
REDIRECTING = [
    ("GET", "/admin"),
    ("GET", "/admin/"),
    ("GET", "/admin/dashboard"),
    ("GET", "/admin/faq-entry/list"),
    ("GET", "/admin/inbox"),
    ("GET", "/admin/transfer"),
    ("GET", "/admin/logout"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/"),
]


@pytest.mark.parametrize("method,path", REDIRECTING)
def test_a_forged_host_never_appears_in_a_redirect(db_url: str, method: str, path: str) -> None:
    forged = TestClient(_app(db_url), base_url="http://evil.example")
    response = forged.request(method, path, follow_redirects=False,
                              headers={"X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in response.headers.get("location", "")
    assert "evil.example" not in response.text
    assert response.status_code == 400


def test_the_configured_public_host_still_gets_its_redirects(db_url, monkeypatch) -> None:
    monkeypatch.setenv("PUBLIC_WEB_URL", "https://hoidap.camau.example")
    client = TestClient(_app(db_url), base_url="https://hoidap.camau.example")
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] in (
        "https://hoidap.camau.example/admin/login", "/admin/login")
    # A name that merely begins with the public one is refused.
    forged = TestClient(_app(db_url), base_url="https://hoidap.camau.example.evil.example")
    assert forged.get("/admin/", follow_redirects=False).status_code == 400


# --- calendar ids -------------------------------------------------------------------------------

IMPOSSIBLE_IDS = [
    "9" * 30,                   # far beyond any integer column
    str(2**63),                 # one past BIGINT
    "-1", "0",                  # ids start at 1
    "abc", "1e3", "0x10",       # not numbers
    "007", "1_000",             # int() accepts them, but they are not an id's one spelling
    "١٢", "１２", "²",          # Unicode digits
    "a" * 65,                   # longer than any id
]


@pytest.mark.parametrize("event_id", IMPOSSIBLE_IDS)
def test_impossible_calendar_ids_are_404_without_a_query(event_id: str) -> None:
    client = TestClient(_app(UNREACHABLE_DB, mount_staff=False), base_url="http://localhost")
    response = client.get(f"/calendar/{event_id}.ics")
    assert response.status_code == 404
    assert event_id not in response.text


def test_a_plausible_id_does_reach_the_database() -> None:
    """The control for the test above: with this database, a real query is a polite 503."""
    client = TestClient(_app(UNREACHABLE_DB, mount_staff=False), base_url="http://localhost")
    response = client.get("/calendar/12.ics")
    assert response.status_code == 503
    assert "sqlite" not in response.text.lower() and "nonexistent" not in response.text


def test_the_loader_refuses_impossible_ids_itself() -> None:
    load = make_event_loader(UNREACHABLE_DB)
    for event_id in ("9" * 30, "-5", "0", "007", "1_000", "١٢"):
        assert load(event_id) is None, event_id


# --- error pages --------------------------------------------------------------------------------


def test_an_unexpected_error_page_names_nothing_internal(db_url: str) -> None:
    def broken(event_id: str) -> str:
        raise RuntimeError("boom at postgresql://bot:secret@10.0.0.7:5432/bot row 4711")

    app = create_web_app(public_rasa_url=RASA_URL, calendar_loader=broken, mount_staff=False)
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    response = client.get("/calendar/4711.ics")
    assert response.status_code == 500
    for leak in ("Traceback", "RuntimeError", "10.0.0.7", "4711", "postgresql", "secret"):
        assert leak not in response.text, leak


@pytest.mark.parametrize("path", ["/nope/4711", "/calendar/4711", "/static/../../etc/passwd"])
def test_not_found_pages_do_not_echo_the_path(db_url: str, path: str) -> None:
    client = TestClient(_app(db_url, mount_staff=False), base_url="http://localhost")
    response = client.get(path)
    assert response.status_code == 404
    assert "4711" not in response.text and "passwd" not in response.text
