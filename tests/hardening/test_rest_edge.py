"""Issue 15 regressions through the REST channel of the stack `make run` starts."""

from __future__ import annotations

import concurrent.futures
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.stack


def post(stack, body: bytes, query: str = "", content_type: str = "application/json",
         timeout: float = 60) -> tuple[int, str]:
    url = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook{query}"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def ask(stack, text: str, sender: str | None = None) -> tuple[int, str]:
    body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
    return post(stack, body)


def assert_still_answers(stack) -> None:
    status, payload = ask(stack, "ASEAN hiện có bao nhiêu nước thành viên?")
    assert status == 200 and "11" in payload


def test_a_lone_surrogate_in_the_sender_is_refused_and_the_server_lives(stack):
    pid = stack.processes["rasa"].pid
    body = b'{"sender":"a\\ud800b","message":"xin ch\\u00e0o"}'
    assert len(body) <= 48
    for _ in range(3):
        status, payload = post(stack, body)
        assert status == 400, payload
    assert stack.processes["rasa"].poll() is None and stack.processes["rasa"].pid == pid
    assert_still_answers(stack)


@pytest.mark.parametrize("body", [b"null", b"[]", b"123", b'"x"', b"{not json", b"",
                                  b'{"message": "hi"}', b'{"sender": "", "message": "hi"}',
                                  b'{"sender": "a", "message": 5}'])
def test_malformed_bodies_get_400_with_a_reason(stack, body):
    status, payload = post(stack, body)
    assert status == 400
    assert "error" in json.loads(payload)


def test_stream_with_a_non_string_message_is_refused_at_once(stack):
    started = time.monotonic()
    status, _ = post(stack, b'{"sender": "s-1", "message": {"a": 1}}', query="?stream=true",
                     timeout=10)
    assert status == 400 and time.monotonic() - started < 5


def test_the_body_cannot_claim_to_be_the_zalo_channel(stack):
    import sqlalchemy as sa

    sender = "claims-to-be-zalo"
    body = json.dumps({"sender": sender, "message": "xin chào", "input_channel": "zalo",
                       "metadata": {"input_channel": "zalo"}}).encode()
    assert post(stack, body)[0] == 200
    engine = sa.create_engine(f"sqlite:///{stack.tracker_db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select data from events where sender_id = :s and "
                                    "type_name = 'user'"), {"s": sender}).all()
    engine.dispose()
    assert rows and all(json.loads(row[0]).get("input_channel") == "rest" for row in rows)


def test_a_100000_character_message_gets_a_polite_reply_and_others_are_not_held_up(stack):
    huge = json.dumps({"sender": uuid.uuid4().hex, "message": "a@" * 50_000}).encode()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        long_one = pool.submit(post, stack, huge)
        time.sleep(0.05)
        started = time.monotonic()
        status, payload = ask(stack, "xin chào")
        other_latency = time.monotonic() - started
        long_status, long_payload = long_one.result()
    print(f"\nanother user's reply during a 100,000-character message: {other_latency:.3f}s")
    assert status == 200 and other_latency < 1.0, other_latency
    assert long_status == 200 and "too long" in long_payload


def test_one_sender_flooding_is_limited(stack):
    sender = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        flood = [pool.submit(ask, stack, "hi", sender) for _ in range(45)]
        time.sleep(0.2)
        started = time.monotonic()
        other_status, _ = ask(stack, "xin chào")
        other_latency = time.monotonic() - started
        statuses = [future.result()[0] for future in flood]
    print(f"\nanother user's reply during a 45-message flood: {other_latency:.3f}s")
    assert other_status == 200 and other_latency < 2.0
    assert statuses.count(429) >= 1
    assert set(statuses) <= {200, 429}
    assert_still_answers(stack)


@pytest.mark.parametrize("sender", ["4321098765432109876", "0" * 32 + "-" + "f" * 32])
def test_a_rest_client_cannot_name_a_zalo_or_widget_conversation(stack, sender):
    status, payload = ask(stack, "xin chào", sender=sender)
    assert status == 400 and "another channel" in payload
