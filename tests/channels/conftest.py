"""Fixtures for the Zalo channel: a fake Zalo server, a signed-webhook helper and a webhook server.

The webhook runs on a real Sanic server on 127.0.0.1 (random port), registered through Rasa's
own ``register()`` exactly as ``rasa run`` does; ``app.ctx.agent`` is a tiny echo agent with a
real Rasa SQL tracker store, so no model is trained or loaded.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from .zalo_fake_server import FakeZalo

from bot.channels.zalo import ZaloInput
from bot.channels.zalo_api import RetryPolicy
from bot.channels.zalo_settings import ZaloSettings

APP_ID = "1234567890123456789"
APP_SECRET = "app-secret-Qw7pL2xZ9v"
OA_SECRET = "oa-secret-Jk3mN8bV1c"
ACCESS = "access-initial-Zp5Xq"
REFRESH = "refresh-initial-Hr6Ty"
USER = "7700112233445566778"
OTHER_USER = "7700999988887777666"
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def now_ms() -> int:
    return int(time.time() * 1000)


def sign(body: bytes, timestamp: str, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    """Zalo's documented MAC, computed here independently of the channel's code."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def text_event(text: str, user: str = USER, msg_id: str | None = None, **extra: Any) -> dict:
    return {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user}",
        "event_name": "user_send_text",
        "timestamp": str(now_ms()),
        "sender": {"id": user},
        "recipient": {"id": "oa-42"},
        "message": {"text": text, "msg_id": msg_id or uuid.uuid4().hex},
        **extra,
    }


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@pytest.fixture
def fake_zalo():
    server = FakeZalo(APP_ID, APP_SECRET, ACCESS, REFRESH).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(db_url, fake_zalo) -> ZaloSettings:
    return ZaloSettings.from_credentials(
        {
            "app_id": APP_ID,
            "app_secret_key": APP_SECRET,
            "oa_secret_key": OA_SECRET,
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "api_base": fake_zalo.base_url,
            "oauth_base": fake_zalo.base_url,
            "database_url": db_url,
            "send_timeout_seconds": 0.5,
        }
    )


class EchoAgent:
    """Stands in for ``rasa.core.agent.Agent``: stores the turn in a real tracker store, echoes.

    ``dài`` asks for a long multi-message answer, ``nút`` for buttons; anything else is echoed.
    """

    def __init__(self, tracker_store: Any, lock_store: Any) -> None:
        self.tracker_store = tracker_store
        self.lock_store = lock_store
        self.received: list[Any] = []

    async def handle_message(self, message: Any) -> None:
        from rasa.shared.core.events import BotUttered, UserUttered

        self.received.append(message)
        replies = self.replies(message.text)
        async with self.lock_store.lock(message.sender_id):
            tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
            tracker.update(UserUttered(message.text, input_channel=message.input_channel))
            for reply in replies:
                tracker.update(BotUttered(reply.get("text")))
            await self.tracker_store.save(tracker)
        for reply in replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))

    @staticmethod
    def replies(text: str) -> list[dict[str, Any]]:
        if text == "dài":
            sentence = "Hội chợ thương mại ASEAN diễn ra tại Cà Mau với nhiều gian hàng. "
            return [{"text": sentence * 20}, {"text": sentence * 20}, {"text": "Hết."}]
        if text == "nút":
            return [
                {
                    "text": "Bạn thấy câu trả lời có hữu ích không?",
                    "buttons": [
                        {"title": "👍", "payload": '/feedback{"feedback_value":"up"}'},
                        {"title": "Xem nguồn", "payload": "https://example.org/nguon"},
                    ],
                },
            ]
        return [{"text": f"Bạn vừa nói: {text}"}]


@dataclass
class Webhook:
    url: str
    channel: ZaloInput
    agent: EchoAgent
    http: httpx.AsyncClient

    async def post(
        self,
        payload: dict | None = None,
        body: bytes | None = None,
        signature: str | None | bool = True,
        prefix: str = "mac=",
    ) -> httpx.Response:
        body = encode(payload) if body is None else body
        headers = {"Content-Type": "application/json"}
        if signature is True:
            signature = prefix + sign(body, str(payload["timestamp"]))
        if signature:
            headers["X-ZEvent-Signature"] = signature
        return await self.http.post(self.url, content=body, headers=headers)


@pytest.fixture
async def tracker_store(tmp_path):
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tr.db"))
    yield FailSafeTrackerStore(store)  # wrapped as rasa.core.agent.Agent wraps it
    store.engine.dispose()


async def start_webhook(settings: ZaloSettings, tracker_store: Any):
    """A real Sanic server with the channel registered the way ``rasa run`` registers it."""
    from rasa.core.channels.channel import register
    from rasa.core.lock_store import InMemoryLockStore
    from sanic import Sanic

    # Test mode lets Sanic build several apps in one process (its touch-up rewrites methods once).
    Sanic.test_mode = True
    channel = ZaloInput(settings, retry=FAST_RETRY)
    app = Sanic(f"zalo_test_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = EchoAgent(tracker_store, InMemoryLockStore())
    register([channel], app, "/webhooks/")
    # Sanic treats port 0 as "unset" (8000): bind a random free port ourselves.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    return server, channel, app.ctx.agent, f"http://127.0.0.1:{port}/webhooks/zalo/webhook"


@pytest.fixture
async def webhook(settings, tracker_store):
    server, channel, agent, url = await start_webhook(settings, tracker_store)
    async with httpx.AsyncClient(timeout=10) as http:
        yield Webhook(url, channel, agent, http)
        await channel.wait_idle()
    if channel._client is not None:
        await channel._client.aclose()
    server.close()
    await server.wait_closed()
