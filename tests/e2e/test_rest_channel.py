"""End to end: the servers as `make run` starts them, talked to through Rasa's REST channel."""

from __future__ import annotations

import concurrent.futures
import json
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.stack


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def say(stack, text: str, sender: str | None = None) -> list[dict]:
    url = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook"
    body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
    status, payload = post(url, body)
    assert status == 200, payload
    return json.loads(payload)


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_greeting_introduces_the_bot(stack) -> None:
    reply = texts(say(stack, "xin chào"))
    assert "trợ lý ASEAN" in reply


def test_knowledge_question_is_answered_with_a_source(stack) -> None:
    reply = texts(say(stack, "ASEAN hiện có bao nhiêu nước thành viên?"))
    assert "11" in reply
    assert "Nguồn" in reply


def test_no_diacritics_question_reaches_the_same_answer(stack) -> None:
    reply = texts(say(stack, "asean hien co bao nhieu nuoc thanh vien"))
    assert "11" in reply


def test_event_question_gets_an_answer(stack) -> None:
    reply = texts(say(stack, "tháng 12 có sự kiện gì về ASEAN ở Cà Mau không?"))
    assert reply.strip()
    assert "Traceback" not in reply


def test_out_of_scope_is_refused_politely(stack) -> None:
    reply = texts(say(stack, "cho mình hỏi kết quả xổ số hôm nay"))
    assert "ngoài phạm vi" in reply


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "x" * 5000, "<script>alert('x')</script>", "<img src=x onerror=alert(1)>",
     "อาเซียนคืออะไร", "东盟有多少个成员国"],
    ids=["empty", "spaces", "emoji", "huge", "script", "img", "thai", "chinese"],
)
def test_bad_input_gets_a_polite_answer_and_no_markup(stack, message: str) -> None:
    replies = say(stack, message)
    reply = texts(replies)
    assert "<script" not in reply and "onerror" not in reply and "Traceback" not in reply
    if message.strip():
        assert reply.strip(), "a non-empty message must get an answer"


def test_foreign_script_gets_the_language_notice(stack) -> None:
    assert "tiếng Việt và tiếng Anh" in texts(say(stack, "อาเซียนคืออะไร"))


def test_burst_of_the_same_message_is_answered_every_time(stack) -> None:
    sender = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(pool.map(lambda _: say(stack, "ASEAN là gì?", sender), range(10)))
    assert all(texts(r).strip() for r in replies)


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"sender": 5}', b"[]", b'{"sender": "a", "message": 12}'],
    ids=["broken", "no-message", "list", "number"],
)
def test_malformed_webhook_body_is_rejected_without_a_stack_trace(stack, body: bytes) -> None:
    url = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook"
    status, payload = post(url, body)
    assert status < 500 or "Traceback" not in payload
    assert "Traceback" not in payload


def test_action_server_down_gives_a_polite_answer(stack) -> None:
    """With the action server frozen, the user still gets the 'busy' answer, not silence."""
    import os
    import signal

    actions = stack.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)
    try:
        reply = texts(say(stack, "C/O mẫu D xin ở đâu?"))
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    assert "hệ thống đang bận" in reply
