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
