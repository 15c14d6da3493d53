"""``PortalSocketIOInput`` over a real socket.io connection (the fake Rasa of fake_rasa.py)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
import pytest
import socketio

from bot.web.socketio_channel import PortalSocketIOInput, parse_origins
from tests.web.conftest import FakeRasa

pytestmark = pytest.mark.timeout(120)


class Conversation:
    """A socket.io client speaking the widget's protocol, recording what the server sends."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.bot: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.on("session_confirm", self.confirmed.put_nowait)
        self.client.on("bot_uttered", self.bot.put_nowait)

    async def connect(self, url: str, origin: str) -> None:
        await self.client.connect(url, headers={"Origin": origin}, transports=["polling"])

    async def session(self, proposed: str | None) -> str:
        await self.client.emit("session_request", {"session_id": proposed})
        return await asyncio.wait_for(self.confirmed.get(), timeout=10)

    async def say(self, text: str, session_id: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})

    async def next_bot_message(self, timeout: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self.bot.get(), timeout=timeout)


@pytest.fixture
async def conversation():  # noqa: ANN201
    talk = Conversation()
    yield talk
    if talk.client.connected:
        # A polite disconnect waits for the pending long-poll (up to 25 s); drop it instead.
        await talk.client.eio.disconnect(abort=True)


def allowed_origin(fake_rasa: FakeRasa) -> str:
    return fake_rasa.cors_origins.split(",")[0]


async def test_portal_origin_gets_answers_in_its_session(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    session_id = await conversation.session(None)
    assert re.fullmatch(r"[0-9a-f]{32}-[0-9a-f]{32}", session_id)

    await conversation.say("ASEAN là gì?", session_id)
    first = await conversation.next_bot_message()
    assert first["text"].startswith("ASEAN là Hiệp hội")
    # Rasa splits paragraphs; the buttons ride on the last part as quick_replies.
    parts = [first] + [await conversation.next_bot_message() for _ in range(2)]
    assert parts[-1]["text"].startswith("Nguồn:")
    assert [reply["title"] for reply in parts[-1]["quick_replies"]] == ["👍", "👎"]


def namespace_connect_reply(base_url: str, origin: str) -> str:
    """Engine.IO handshake + Socket.IO connect over long-polling; the server's reply packet.

    Spoken by hand so that a refusal is seen at once ("44..." = CONNECT_ERROR, "40..." = OK);
    python-socketio's client takes 30 s to report one over polling.
    """
    headers = {"Origin": origin}
    endpoint = f"{base_url}/socket.io/?EIO=4&transport=polling"
    with httpx.Client(timeout=10, headers=headers) as http:
        open_packet = http.get(endpoint).text
        sid = json.loads(open_packet[1:])["sid"]
        assert http.post(f"{endpoint}&sid={sid}", content="40").text.lower() == "ok"
        return http.get(f"{endpoint}&sid={sid}").text


def test_other_origins_are_refused(fake_rasa: FakeRasa) -> None:
    assert namespace_connect_reply(fake_rasa.url, allowed_origin(fake_rasa)).startswith("40{")
    refused = namespace_connect_reply(fake_rasa.url, "https://evil.example")
    assert refused.startswith("44")
    assert "rejected" in refused


async def test_an_issued_session_id_is_kept_and_any_other_replaced(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    stored = await conversation.session(None)  # what the widget keeps in localStorage
    assert await conversation.session(stored) == stored
    forged = stored[:33] + ("0" if stored[33] != "0" else "1") + stored[34:]
    # Made up, another channel's kind of id (a Zalo user id, a REST sender), a bad signature.
    for proposed in ("1", uuid.uuid4().hex, "4321098765432109876", forged):
        replaced = await conversation.session(proposed)
        assert replaced != proposed and re.fullmatch(r"[0-9a-f]{32}-[0-9a-f]{32}", replaced)


async def test_messages_for_a_session_not_joined_are_ignored(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    session_id = await conversation.session(None)
    await conversation.say("ASEAN là gì?", uuid.uuid4().hex)  # somebody else's session
    with pytest.raises(asyncio.TimeoutError):
        await conversation.next_bot_message(timeout=2.5)
    await conversation.say("Tuần sau có hội thảo nào không?", session_id)
    answer = await conversation.next_bot_message()
    assert "Hội thảo" in answer["text"]
    assert answer["quick_replies"][0]["payload"] == "/show_more"


def test_origins_come_from_one_comma_separated_setting() -> None:
    assert parse_origins(" http://a.vn ,https://b.vn/,, ") == {"http://a.vn", "https://b.vn"}
    channel = PortalSocketIOInput.from_credentials(
        {"session_persistence": True, "allowed_origins": "https://cong.camau.example"}
    )
    assert channel.session_persistence is True
    assert channel.origin_allowed("https://cong.camau.example")
    assert channel.origin_allowed("https://cong.camau.example/")
    assert not channel.origin_allowed("http://cong.camau.example")
    assert channel.origin_allowed(None)  # not a browser: no Origin header to judge


def test_default_origins_are_bot_config_cors_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import config

    monkeypatch.setattr(config, "CORS_ORIGINS", "https://portal.example,https://www.portal.example")
    channel = PortalSocketIOInput.from_credentials({"session_persistence": True})
    assert channel.allowed_origins == {"https://portal.example", "https://www.portal.example"}


# --- issue 15: what a socket.io client sends is checked at the edge ----------------------------


async def test_malformed_payloads_are_dropped_and_the_server_still_answers(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    session_id = await conversation.session(None)
    for payload in (None, [], 123, "x", {"message": 5, "session_id": session_id},
                    {"message": ["a"], "session_id": session_id},
                    {"message": "x\ud800", "session_id": session_id},
                    {"message": "hi", "session_id": session_id, "metadata": [1]},
                    {"message": "hi", "session_id": {"a": 1}}):
        await conversation.client.emit("user_uttered", payload)
    await conversation.client.emit("session_request", [1, 2])
    await conversation.confirmed.get()
    with pytest.raises(asyncio.TimeoutError):
        await conversation.next_bot_message(timeout=2)
    await conversation.say("Tuần sau có hội thảo nào không?", session_id)
    assert "Hội thảo" in (await conversation.next_bot_message())["text"]


async def test_a_long_message_gets_the_polite_reply_and_never_reaches_rasa(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    session_id = await conversation.session(None)
    await conversation.say("chữ " * 2000, session_id)  # 8,000 characters, under the packet cap
    assert "too long" in (await conversation.next_bot_message())["text"]


async def test_one_session_flooding_is_limited(
    fake_rasa: FakeRasa, conversation: Conversation
) -> None:
    await conversation.connect(fake_rasa.url, allowed_origin(fake_rasa))
    session_id = await conversation.session(None)
    for _ in range(25):
        await conversation.say("Tuần sau có hội thảo nào không?", session_id)
        await asyncio.sleep(0.05)  # engine.io refuses more than 16 packets in one long-poll
    texts = []
    with pytest.raises(asyncio.TimeoutError):
        while True:
            texts.append((await conversation.next_bot_message(timeout=3))["text"])
    assert any("Too many messages" in text for text in texts), texts
    assert sum("Hội thảo" in text for text in texts) <= 20
