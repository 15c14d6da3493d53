"""Webhook authentication: Zalo's MAC, the ``mac=`` prefix, replays and malformed bodies."""

from __future__ import annotations

import hashlib
import json

import pytest
from .conftest import APP_ID, OA_SECRET, encode, now_ms, sign, text_event

from bot.channels.zalo import expected_signature, is_fresh, signature_matches


def test_expected_signature_is_sha256_of_the_documented_concatenation():
    body = b'{"event_name":"user_send_text","timestamp":"1700000000000"}'
    manual = hashlib.sha256(
        (APP_ID + body.decode() + "1700000000000" + OA_SECRET).encode()
    ).hexdigest()
    assert expected_signature(APP_ID, body, "1700000000000", OA_SECRET) == manual


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (sign(b"{}", "1"), True),
        ("mac=" + sign(b"{}", "1"), True),
        ("MAC=" + sign(b"{}", "1").upper(), True),
        (None, False),
        ("", False),
        ("mac=", False),
        ("mac=" + "0" * 64, False),
        (sign(b"{}", "1", secret="another-oa-secret"), False),
        (sign(b"{}", "2"), False),
        ("mac=ĐĐĐ", False),
    ],
)
def test_signature_matches(header, ok):
    assert signature_matches(header, APP_ID, b"{}", "1", OA_SECRET) is ok


def test_is_fresh_in_milliseconds_both_directions():
    now = 1_700_000_000_000
    assert is_fresh(str(now - 299_000), 300, now_ms=now)
    assert is_fresh(str(now + 60_000), 300, now_ms=now)
    assert not is_fresh(str(now - 301_000), 300, now_ms=now)
    assert not is_fresh(str(now + 3_600_000), 300, now_ms=now)
    assert not is_fresh("yesterday", 300, now_ms=now)


async def test_valid_signature_with_and_without_prefix(webhook, fake_zalo):
    assert (await webhook.post(text_event("một"), prefix="mac=")).status_code == 200
    assert (await webhook.post(text_event("hai"), prefix="")).status_code == 200
    await webhook.channel.wait_idle()
    assert len(fake_zalo.delivered()) == 2


async def _assert_nothing_processed(webhook, fake_zalo):
    await webhook.channel.wait_idle()
    assert webhook.agent.received == []
    assert fake_zalo.requests == []
    assert webhook.channel._tasks == set()


async def test_invalid_signature_is_401(webhook, fake_zalo):
    response = await webhook.post(text_event("giả mạo"), signature="mac=" + "a" * 64)
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "invalid signature"}
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_missing_signature_is_401(webhook, fake_zalo):
    assert (await webhook.post(text_event("không ký"), signature=None)).status_code == 401
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_tampered_body_is_401(webhook, fake_zalo):
    payload = text_event("chuyển 1 triệu")
    signature = "mac=" + sign(encode(payload), payload["timestamp"])
    payload["message"]["text"] = "chuyển 100 triệu"
    assert (await webhook.post(payload, signature=signature)).status_code == 401
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_signature_from_another_app_id_is_401(webhook, fake_zalo):
    payload = text_event("app khác")
    signature = sign(encode(payload), payload["timestamp"], app_id="999")
    assert (await webhook.post(payload, signature=signature)).status_code == 401
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_stale_timestamp_is_rejected_even_when_signed(webhook, fake_zalo):
    payload = text_event("phát lại")
    payload["timestamp"] = str(now_ms() - 10 * 60 * 1000)  # ten minutes old, properly signed
    response = await webhook.post(payload)
    assert response.status_code == 401
    assert response.json()["message"] == "stale event"
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_numeric_timestamp_is_signed_as_written(webhook, fake_zalo):
    payload = text_event("số")
    payload["timestamp"] = now_ms()
    assert (await webhook.post(payload)).status_code == 200
    await webhook.channel.wait_idle()
    assert len(fake_zalo.delivered()) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "request body is not valid JSON"),
        (b"\xff\xfe", "request body is not valid JSON"),
        (b"[1, 2]", "request body must be a JSON object"),
        (b"", "request body is not valid JSON"),
        (b"[" * 50_000, "request body is not valid JSON"),
        (json.dumps({"x": "a" * 70_000}).encode(), "request body too large"),
    ],
)
async def test_malformed_or_oversized_body_is_400_without_a_trace(
    webhook, fake_zalo, body, message
):
    response = await webhook.post(body=body, signature="mac=" + "0" * 64)
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": message}
    assert "Traceback" not in response.text
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_missing_timestamp_is_401(webhook, fake_zalo):
    payload = text_event("không giờ")
    del payload["timestamp"]
    body = encode(payload)
    response = await webhook.post(body=body, signature="mac=" + sign(body, ""))
    assert response.status_code == 401
    await _assert_nothing_processed(webhook, fake_zalo)


async def test_unconfigured_channel_answers_503(tracker_store):
    from .conftest import start_webhook

    from bot.channels.zalo_settings import ZaloSettings

    server, channel, agent, url = await start_webhook(ZaloSettings(), tracker_store)
    try:
        import httpx

        async with httpx.AsyncClient() as http:
            response = await http.post(url, content=encode(text_event("x")))
        assert response.status_code == 503
        assert channel.get_output_channel() is None
    finally:
        server.close()
        await server.wait_closed()
