"""Issue 15: signed Zalo events with wrong types or huge texts never reach Rasa unchecked."""

from __future__ import annotations

from .conftest import USER, text_event


async def test_wrong_types_in_a_signed_event_are_dropped_quietly(webhook, fake_zalo):
    odd = [
        {**text_event("x"), "message": ["not", "an", "object"]},
        {**text_event("x"), "message": {"text": 12345, "msg_id": "m-1"}},
        {**text_event("x"), "message": {"text": {"a": 1}, "msg_id": {"b": 2}}},
        {**text_event("x"), "sender": {"id": "a\x00b"}},
        {**text_event("x"), "sender": {"id": "x" * 500}},
        {**text_event("x"), "sender": "not-an-object"},
    ]
    for event in odd:
        assert (await webhook.post(event)).status_code == 200
    await webhook.channel.wait_idle()
    assert webhook.agent.received == []
    assert (await webhook.post(text_event("Xin chào"))).status_code == 200
    await fake_zalo.wait_for(lambda: fake_zalo.delivered())
    assert [m.text for m in webhook.agent.received] == ["Xin chào"]


async def test_a_huge_text_gets_the_polite_reply_and_never_reaches_rasa(webhook, fake_zalo):
    assert (await webhook.post(text_event("chữ " * 1500))).status_code == 200
    await fake_zalo.wait_for(lambda: fake_zalo.delivered())
    (sent,) = fake_zalo.sent()
    assert sent.body["recipient"] == {"user_id": USER}
    assert "quá dài" in sent.body["message"]["text"]
    assert webhook.agent.received == []


async def test_one_zalo_user_flooding_is_limited(webhook, fake_zalo, settings, tracker_store,
                                                 monkeypatch):
    from .conftest import start_webhook

    monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "3/minute")
    server, channel, agent, url = await start_webhook(settings, tracker_store)
    try:
        webhook.url = url
        for index in range(5):
            assert (await webhook.post(text_event(f"tin {index}", user="flood-1"))).status_code \
                == 200
        await channel.wait_idle()
    finally:
        server.close()
        await server.wait_closed()
    assert len(agent.received) == 3
    texts = [sent.body["message"]["text"] for sent in fake_zalo.sent()]
    assert any("Too many messages" in text for text in texts)
