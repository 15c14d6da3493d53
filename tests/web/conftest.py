"""Fixtures for the web app and the browser tests: a fake Rasa, the web app on a real port, and
headless Chromium (the Debian package, driven by Playwright; never `playwright install`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from starlette.types import ASGIApp

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
FAKE_RASA_SCRIPT = Path(__file__).with_name("fake_rasa.py")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"server exited with code {process.returncode} before {url} answered"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


class FakeRasa:
    """``tests/web/fake_rasa.py`` in a subprocess; can be stopped and restarted on its port."""

    def __init__(self, port: int, cors_origins: str, log_path: Path) -> None:
        self.port = port
        self.cors_origins = cors_origins
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        # Shared across restarts, as every Rasa server of a deployment shares it: a browser's
        # conversation id stays valid when the server comes back.
        self.session_secret = uuid.uuid4().hex

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), RASA_TELEMETRY_ENABLED="false",
                   RATE_LIMIT_PER_SENDER="20/minute", SOCKETIO_SESSION_SECRET=self.session_secret)
        command = [
            sys.executable,
            str(FAKE_RASA_SCRIPT),
            "--port",
            str(self.port),
            "--cors",
            self.cors_origins,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_for_http(self.url + "/", timeout=90, process=self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class ThreadedUvicorn:
    """An ASGI app served by uvicorn on a real port, in a background thread."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="web-app", daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ThreadedUvicorn:
        self.thread.start()
        wait_for_http(self.url + "/healthz", timeout=30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def web_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def fake_rasa(web_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeRasa]:
    """Fake Rasa allowing the web app's origin only (as `rasa run --cors` would)."""
    log_path = tmp_path_factory.mktemp("fake_rasa") / "fake_rasa.log"
    rasa = FakeRasa(free_port(), f"http://127.0.0.1:{web_port}", log_path)
    rasa.start()
    try:
        yield rasa
    finally:
        rasa.stop()


@pytest.fixture(scope="module")
def widget_site(fake_rasa: FakeRasa, web_port: int) -> Iterator[str]:
    """The web app (portal page + widget) talking to the fake Rasa; yields its base URL."""
    from bot.web.app import create_web_app

    app = create_web_app(public_rasa_url=fake_rasa.url, mount_staff=False)
    with ThreadedUvicorn(app, web_port) as server:
        yield server.url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR
