"""A fake Zalo Open API: a real aiohttp server on 127.0.0.1 (random port) in its own thread.

It behaves like Zalo where the channel depends on it, rather than replaying a script:

* ``POST /v3.0/oa/message/cs`` accepts only the *current* access token (else error -216);
* ``POST /v4/oa/access_token`` checks the ``secret_key`` header, ``app_id`` and the *current*
  refresh token, then issues a new pair and invalidates the old one (rotation, single use).

Faults can be queued per path: ``"http500"``, ``("slow", seconds)``, ``("error", code)``.
Every request is recorded (path, headers, JSON or form body).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeZalo:
    def __init__(self, app_id: str, app_secret_key: str, access_token: str, refresh_token: str):
        self.app_id = app_id
        self.app_secret_key = app_secret_key
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.requests: list[Recorded] = []
        self.faults: dict[str, deque] = {SEND_PATH: deque(), REFRESH_PATH: deque()}
        self.issued = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- control -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, path: str, *faults: Any) -> None:
        self.faults[path].extend(faults)

    def expire_access_token(self) -> None:
        """Zalo-side expiry: the stored access token stops working (refresh token still valid)."""
        self.access_token = f"server-side-{time.monotonic_ns()}"

    def sent(self) -> list[Recorded]:
        """Accepted-or-not message sends, in order."""
        return [r for r in self.requests if r.path == SEND_PATH]

    def delivered(self) -> list[Recorded]:
        """Sends that carried the valid token at that moment (what a user would see)."""
        return [r for r in self.sent() if r.headers.get("x-accepted") == "1"]

    def refreshes(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == REFRESH_PATH]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"fake Zalo: condition not met in {timeout}s: {self.requests}")
            await asyncio.sleep(0.02)

    # -- server --------------------------------------------------------------------------------

    async def _fault(self, path: str) -> web.Response | None:
        if not self.faults[path]:
            return None
        fault = self.faults[path].popleft()
        if fault == "http500":
            return web.Response(status=500, text="Internal Server Error")
        if isinstance(fault, tuple) and fault[0] == "slow":
            await asyncio.sleep(fault[1])
            return None
        if isinstance(fault, tuple) and fault[0] == "error":
            return web.json_response({"error": fault[1], "message": "injected error"})
        raise ValueError(f"unknown fault {fault!r}")

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = Recorded(SEND_PATH, headers, body)
        self.requests.append(record)
        fault = await self._fault(SEND_PATH)
        if fault is not None:
            return fault
        if headers.get("access_token") != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        record.headers["x-accepted"] = "1"
        user_id = body.get("recipient", {}).get("user_id")
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": f"m{len(self.requests)}", "user_id": user_id},
            }
        )

    async def _refresh(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(REFRESH_PATH, headers, form))
        fault = await self._fault(REFRESH_PATH)
        if fault is not None:
            return fault
        if (
            headers.get("secret_key") != self.app_secret_key
            or form.get("app_id") != self.app_id
            or form.get("grant_type") != "refresh_token"
        ):
            return web.json_response({"error": -14002, "error_name": "Invalid app or secret"})
        if form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.issued += 1
        self.access_token = f"access-rotated-{self.issued}-xyz"
        self.refresh_token = f"refresh-rotated-{self.issued}-xyz"
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": "90000",
            }
        )

    def start(self) -> FakeZalo:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_post(SEND_PATH, self._send)
            app.router.add_post(REFRESH_PATH, self._refresh)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-zalo", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Zalo server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
