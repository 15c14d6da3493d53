"""End to end through real sockets: signed Zalo event → webhook → echo agent → fake Zalo server."""

from __future__ import annotations

import time

from .conftest import (
    ACCESS,
    APP_SECRET,
    OA_SECRET,
    OTHER_USER,
    REFRESH,
    USER,
    now_ms,
    start_webhook,
    text_event,
)
from sqlalchemy import select
from .zalo_fake_server import SEND_PATH

from bot.channels.models import ZaloFollower, ZaloToken
from bot.db import session_scope


async def test_text_is_answered_to_the_right_recipient(webhook, fake_zalo):
    started = time.monotonic()
    response = await webhook.post(text_event("Xin chào"))
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0

    await fake_zalo.wait_for(lambda: fake_zalo.delivered())
    (sent,) = fake_zalo.sent()
    assert sent.body == {
        "recipient": {"user_id": USER},
        "message": {"text": "Bạn vừa nói: Xin chào"},
    }
    assert sent.headers["access_token"] == ACCESS
    (message,) = webhook.agent.received
    assert (message.sender_id, message.input_channel) == (USER, "zalo")


async def test_webhook_answers_at_once_while_zalo_is_slow(webhook, fake_zalo):
    fake_zalo.fail(SEND_PATH, ("slow", 0.45))  # under the client timeout: one slow success
    started = time.monotonic()
    response = await webhook.post(text_event("chậm"))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    # The 200 came back before Zalo had even answered the reply: processing is in the background.
    assert fake_zalo.delivered() == []
    assert elapsed < 1.5, f"webhook took {elapsed:.2f}s; Zalo allows about 2s"
    await fake_zalo.wait_for(lambda: fake_zalo.delivered())


async def test_duplicate_msg_id_is_answered_once_even_after_restart(
    webhook, fake_zalo, settings, tracker_store
):
    event = text_event("một lần thôi", msg_id="msg-dup-1")
    assert (await webhook.post(event)).status_code == 200
    assert (await webhook.post(event)).status_code == 200  # Zalo's redelivery
    await webhook.channel.wait_idle()

    # A restarted server (new channel object) still knows the event from the database.
    server, channel, agent, url = await start_webhook(settings, tracker_store)
    try:
        webhook.url = url
        assert (await webhook.post(event)).status_code == 200
        await channel.wait_idle()
    finally:
        server.close()
        await server.wait_closed()
    assert len(fake_zalo.delivered()) == 1
    assert len(webhook.agent.received) + len(agent.received) == 1


async def test_long_answer_is_merged_and_split_on_sentences(webhook, fake_zalo):
    await webhook.post(text_event("dài"))
    await webhook.channel.wait_idle()
    texts = [r.body["message"]["text"] for r in fake_zalo.delivered()]
    # Three bot messages (~2,640 characters) fit in two Zalo messages, not three.
    assert len(texts) == 2
    assert all(len(t) <= 2000 for t in texts)
    assert all(t.endswith(".") for t in texts), "split inside a sentence"
    assert texts[-1].endswith("Hết.")
    sentence = "Hội chợ thương mại ASEAN diễn ra tại Cà Mau với nhiều gian hàng."
    assert " ".join(texts).count(sentence) == 40


async def test_buttons_become_a_zalo_button_template(webhook, fake_zalo):
    await webhook.post(text_event("nút"))
    await webhook.channel.wait_idle()
    (sent,) = fake_zalo.delivered()
    message = sent.body["message"]
    assert message["text"] == "Bạn thấy câu trả lời có hữu ích không?"
    assert message["attachment"]["payload"]["buttons"] == [
        {"title": "👍", "type": "oa.query.hide", "payload": '/feedback{"feedback_value":"up"}'},
        {
            "title": "Xem nguồn",
            "type": "oa.open.url",
            "payload": {"url": "https://example.org/nguon"},
        },
    ]


async def test_non_text_message_gets_a_polite_text_only_answer(webhook, fake_zalo):
    event = text_event("")
    event["event_name"] = "user_send_sticker"
    event["message"] = {"msg_id": "sticker-1", "attachments": [{"type": "sticker"}]}
    assert (await webhook.post(event)).status_code == 200
    await webhook.channel.wait_idle()
    (sent,) = fake_zalo.delivered()
    assert sent.body["recipient"] == {"user_id": USER}
    assert sent.body["message"]["text"].startswith("Hiện mình chỉ đọc được tin nhắn chữ")
    assert webhook.agent.received == []


async def test_follow_greets_through_rasa(webhook, fake_zalo):
    event = {
        "app_id": "x",
        "oa_id": "oa-42",
        "event_name": "follow",
        "timestamp": str(now_ms()),
        "follower": {"id": OTHER_USER},
        "user_id_by_app": "app-other",
        "source": "oa_profile",
    }
    assert (await webhook.post(event)).status_code == 200
    await webhook.channel.wait_idle()
    (message,) = webhook.agent.received
    assert (message.text, message.sender_id) == ("/greet", OTHER_USER)
    assert fake_zalo.delivered()[0].body["recipient"] == {"user_id": OTHER_USER}
    with session_scope(webhook.channel.settings.db_url) as session:
        assert session.get(ZaloFollower, OTHER_USER).following is True


async def test_expired_token_is_refreshed_once_and_rotated_pair_stored(webhook, fake_zalo):
    fake_zalo.expire_access_token()
    await webhook.post(text_event("token"))
    await webhook.channel.wait_idle()

    sends = fake_zalo.sent()
    assert [s.headers["access_token"] for s in sends] == [ACCESS, "access-rotated-1-xyz"]
    assert len(fake_zalo.delivered()) == 1
    (refresh,) = fake_zalo.refreshes()
    assert refresh.headers["secret_key"] == APP_SECRET
    assert refresh.body == {
        "refresh_token": REFRESH,
        "app_id": webhook.channel.settings.app_id,
        "grant_type": "refresh_token",
    }
    with session_scope(webhook.channel.settings.db_url) as session:
        row = session.scalar(select(ZaloToken))
        assert (row.access_token, row.refresh_token) == (
            "access-rotated-1-xyz",
            "refresh-rotated-1-xyz",
        )
        assert row.access_expires_at is not None

    # The next message uses the stored pair: no second refresh.
    await webhook.post(text_event("lần hai"))
    await webhook.channel.wait_idle()
    assert len(fake_zalo.refreshes()) == 1
    assert len(fake_zalo.delivered()) == 2


async def test_secrets_never_reach_the_logs(webhook, fake_zalo, caplog):
    caplog.set_level("DEBUG")
    fake_zalo.expire_access_token()
    fake_zalo.fail(SEND_PATH, "http500")
    await webhook.post(text_event("bí mật"))
    await webhook.post(text_event("sai chữ ký"), signature="mac=" + "0" * 64)
    await webhook.channel.wait_idle()
    assert fake_zalo.delivered()
    logged = caplog.text
    assert "refreshed" in logged and "retry" in logged  # the paths that could leak did run
    for secret in (
        APP_SECRET,
        OA_SECRET,
        ACCESS,
        REFRESH,
        "access-rotated-1-xyz",
        "refresh-rotated-1-xyz",
    ):
        assert secret not in logged
    # Rasa's own debug lines name the conversation; the channel's lines never name the user.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.channels"))
    assert ours and USER not in ours
