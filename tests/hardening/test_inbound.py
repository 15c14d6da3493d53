"""The one inbound check every channel runs (bot/channels/inbound.py) and the rate limiter."""

from __future__ import annotations

import pytest

from bot.channels.inbound import InboundRejected, MessageTooLong, check_inbound
from bot.ratelimit import RateLimiter, client_address


@pytest.mark.parametrize(
    "body",
    [None, [], 123, "x", {}, {"sender": "", "message": "hi"}, {"sender": "   ", "message": "hi"},
     {"sender": 5, "message": "hi"}, {"sender": "a\ud800b", "message": "xin chào"},
     {"sender": "a", "message": 5}, {"sender": "a", "message": ["x"]},
     {"sender": "a", "message": "x\udfff"}, {"sender": "a" * 500, "message": "hi"},
     {"sender": "a\x00b", "message": "hi"}, {"sender": "a", "message": "hi", "metadata": []},
     {"sender": "a", "message": "hi", "metadata": {"x": "y" * 10_000}}],
)
def test_malformed_bodies_are_rejected_with_a_short_reason(body):
    with pytest.raises(InboundRejected) as raised:
        check_inbound(body)
    assert 0 < len(raised.value.reason) < 80


def test_a_long_text_is_too_long_not_malformed():
    with pytest.raises(MessageTooLong) as raised:
        check_inbound({"sender": "a", "message": "chữ " * 30_000})
    assert "quá dài" in raised.value.reply and "too long" in raised.value.reply


def test_good_messages_pass_cleaned_and_the_channel_name_is_not_the_clients():
    inbound = check_inbound({
        "sender": " user-1 ", "message": "xin chào\x07 😀\nASEAN?",
        "metadata": {"message_id": "abc12345", "input_channel": "zalo"},
    })
    assert inbound.sender == "user-1"
    assert inbound.text == "xin chào 😀\nASEAN?"
    assert inbound.metadata == {"message_id": "abc12345"}


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(monkeypatch):
    assert client_address("203.0.113.9", "1.2.3.4") == "203.0.113.9"
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.2")
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert client_address("10.0.0.2", "not-an-ip") == "10.0.0.2"
    assert client_address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_the_limiter_counts_per_key():
    limiter = RateLimiter("test-scope", "3/minute", storage_url="memory://")
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("b")


def test_the_limiter_shares_counts_through_redis():
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        reason = f"Redis not reachable at 127.0.0.1:6379: {exc.__class__.__name__}"
        import os

        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)
    import uuid

    key = uuid.uuid4().hex
    one = RateLimiter("test-shared", "2/minute", storage_url="redis://127.0.0.1:6379/0")
    two = RateLimiter("test-shared", "2/minute", storage_url="redis://127.0.0.1:6379/0")
    assert one.hit(key) and two.hit(key)
    assert not one.hit(key)
