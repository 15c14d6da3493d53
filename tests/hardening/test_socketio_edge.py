"""Issue 15 regressions through the socket.io channel, over a real socket.io client.

Against the stack `make run` starts (trained bot): a session cannot join a conversation it was
not given, what a client sends is checked before it reaches Rasa's tracker, oversize packets close
only that connection. The per-address rate limit runs against the fake Rasa of tests/web (a low
limit must not slow the stack's other tests down).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.web.conftest import FakeRasa, free_port

SIGNED_ID = re.compile(r"[0-9a-f]{32}-[0-9a-f]{32}")
QUESTION = "ASEAN hiện có bao nhiêu nước thành viên?"


class Client:
    """One browser tab speaking the widget's protocol; records what the server sends it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.bot: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.sio.on("bot_uttered", self.bot.put_nowait)

    async def connect(self, url: str, origin: str) -> Client:
        await self.sio.connect(url, headers={"Origin": origin}, transports=["polling"],
                               wait_timeout=30)
        return self

    async def session(self, proposed: Any = None) -> str:
        await self.sio.emit("session_request", {"session_id": proposed})
        return await asyncio.wait_for(self.confirmed.get(), timeout=30)

    async def say(self, text: Any, session_id: Any, metadata: Any = None) -> None:
        payload = {"message": text, "session_id": session_id}
        if metadata is not None:
            payload["metadata"] = metadata
        await self.sio.emit("user_uttered", payload)

    async def replies(self, quiet: float = 4.0) -> list[str]:
        """Every bot message until the server has been quiet for ``quiet`` seconds."""
        texts: list[str] = []
        try:
            while True:
                texts.append((await asyncio.wait_for(self.bot.get(), timeout=quiet))["text"])
        except TimeoutError:
            return texts

    async def close(self) -> None:
        if self.sio.connected:
            # A polite disconnect waits for the pending long-poll (up to 25 s); drop it instead.
            await self.sio.eio.disconnect(abort=True)


@pytest.fixture
async def clients():  # noqa: ANN201
    made: list[Client] = []
    yield lambda: made.append(Client()) or made[-1]
    for client in made:
        await client.close()


def user_events(stack, sender: str) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{stack.tracker_db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select data from events where sender_id = :s and "
                                    "type_name = 'user'"), {"s": sender}).all()
    engine.dispose()
    return [json.loads(row[0]) for row in rows]


def rasa(stack) -> tuple[str, str]:
    return f"http://127.0.0.1:{stack.rasa_port}", f"http://127.0.0.1:{stack.web_port}"


@pytest.mark.stack
async def test_another_conversations_id_gets_a_fresh_one_and_none_of_its_replies(stack, clients):
    url, origin = rasa(stack)
    owner = await clients().connect(url, origin)
    token = await owner.session()
    assert SIGNED_ID.fullmatch(token)
    await owner.say(QUESTION, token)
    assert any("11" in text for text in await owner.replies())

    rest_sender = f"rest-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"sender": rest_sender, "message": "xin chào"}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        assert response.status == 200
    flipped = token[:33] + ("0" if token[33] != "0" else "1") + token[34:]
    intruder = await clients().connect(url, origin)
    # The owner's random part alone, a forged signature, a REST and a Zalo-style sender id.
    for proposed in (token[:32], flipped, token.upper(), rest_sender, "4321098765432109876"):
        fresh = await intruder.session(proposed)
        assert SIGNED_ID.fullmatch(fresh) and fresh not in (proposed, token)
        # Sending into the owner's conversation anyway is dropped; it never reaches the tracker.
        await intruder.say("Tôi tên là Kẻ Gian", token)
    before = len(user_events(stack, token))

    await owner.say("Tuần sau có hội thảo nào không?", token)
    assert await owner.replies()
    assert await intruder.replies(quiet=2) == []
    events = user_events(stack, token)
    assert len(events) == before + 1
    assert not any("Kẻ Gian" in (event.get("text") or "") for event in events)
    assert user_events(stack, rest_sender)  # the REST conversation exists; it was not joined


@pytest.mark.stack
async def test_wrong_payloads_never_reach_the_tracker_and_the_server_still_answers(
    stack, clients
):
    url, origin = rasa(stack)
    pid = stack.processes["rasa"].pid
    client = await clients().connect(url, origin)
    token = await client.session()
    for payload in (None, 7, "text", ["a"], {"message": 5, "session_id": token},
                    {"message": {"x": 1}, "session_id": token},
                    {"message": "a\ud800b", "session_id": token},
                    {"message": "hi", "session_id": token, "metadata": "zalo"},
                    {"message": "hi", "session_id": token, "metadata": {"pad": "x" * 20_000}},
                    {"message": "hi", "session_id": ["a"]}):
        await client.sio.emit("user_uttered", payload)
    for odd in (None, 5, "x", [token], {"session_id": {"a": 1}}):
        await client.sio.emit("session_request", odd)
    await client.say("chữ " * 5000, token)  # 20,000 characters: polite, bilingual
    replies = await client.replies()
    assert len(replies) == 1 and "quá dài" in replies[0] and "too long" in replies[0]
    assert user_events(stack, token) == []

    # The client cannot name the channel; the tracker records socketio.
    await client.sio.emit("session_request", {"session_id": token})
    await client.say(QUESTION, token, metadata={"input_channel": "zalo", "message_id": "m-1234567"})
    assert any("11" in text for text in await client.replies())
    events = user_events(stack, token)
    assert [event["input_channel"] for event in events] == ["socketio"]
    assert stack.processes["rasa"].pid == pid and stack.processes["rasa"].poll() is None


@pytest.mark.stack
async def test_an_oversize_packet_closes_only_that_connection(stack, clients):
    url, origin = rasa(stack)
    client = await clients().connect(url, origin)
    token = await client.session()
    bystander = await clients().connect(url, origin)
    other = await bystander.session()
    # Over the 256 KiB transport cap; the server may cut the request short, either is fine.
    with contextlib.suppress(Exception):
        await client.say("a" * 400_000, token)
    for _ in range(50):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.2)
    assert not client.sio.connected
    assert user_events(stack, token) == []
    await bystander.say(QUESTION, other)
    assert any("11" in text for text in await bystander.replies())
    # The same browser reconnects with its token and keeps its conversation.
    again = await clients().connect(url, origin)
    assert await again.session(token) == token
    await again.say(QUESTION, token)
    assert any("11" in text for text in await again.replies())


async def test_one_address_over_many_sessions_is_limited(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clients
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS", "6/minute")
    port = free_port()
    origin = f"http://127.0.0.1:{free_port()}"
    fake = FakeRasa(port, origin, tmp_path / "fake_rasa.log")
    await asyncio.to_thread(fake.start)
    try:
        answered = limited = 0
        for _ in range(3):  # three sessions of four messages: each well under 20 per session
            client = await clients().connect(fake.url, origin)
            token = await client.session()
            for _ in range(4):
                await client.say("Tuần sau có hội thảo nào không?", token)
                await asyncio.sleep(0.05)
            texts = await client.replies(quiet=3)
            answered += sum("Hội thảo" in text for text in texts)
            limited += sum("Too many messages" in text for text in texts)
            await client.close()
        assert answered == 6 and limited == 6, (answered, limited)
    finally:
        await asyncio.to_thread(fake.stop)
