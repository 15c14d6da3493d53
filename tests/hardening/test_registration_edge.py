"""Issue 15, findings 6 and 8, through the REST channel of the stack `make run` starts.

- The registration form asks name → organisation → contact → consent, one question at a time,
  with no validation error before the person has answered anything.
- Only the registering conversation, or someone who gives the contact used at registration, may
  cancel; everyone else gets the same reply whatever the code (unknown, cancelled, someone else's).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.events.models import Event, Registration
from bot.events.registration import find_code
from bot.events.replies import field_problem_reply
from bot.events.store import upsert_event, validate_record

pytestmark = pytest.mark.stack

TITLE = "Hội thảo kiểm thử đăng ký Năm Căn"
# Every message the form may send when an answer is not accepted, in both languages.
VALIDATION_ERRORS = [field_problem_reply(p, lang) for p in ("name", "org_too_long", "contact",
                                                            "consent") for lang in ("vi", "en")]


def say(stack, sender: str, text: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        assert response.status == 200
        return "\n".join(m.get("text") or "" for m in json.loads(response.read()))


@pytest.fixture(scope="module")
def open_event(stack) -> int:
    """An event taking registrations (the real calendar has none open), a month from now."""
    start = dt.datetime.now() + dt.timedelta(days=30)
    values = validate_record({
        "key": "edge-registration", "title": TITLE, "kind": "hoi_thao", "capacity": 50,
        "start": start.strftime("%Y-%m-%d 08:00"), "end": start.strftime("%Y-%m-%d 11:00"),
        "registration": "open", "registration_deadline": None, "venue": "Hội trường",
    })
    with session_scope(stack.database_url) as session:
        upsert_event(session, values, changed_by="test")
    with session_scope(stack.database_url) as session:
        return session.execute(
            select(Event.id).where(Event.external_key == "edge-registration")).scalar_one()


def register(stack, sender: str, name: str, contact: str) -> tuple[list[str], str]:
    """Walks the form; returns every reply (in order) and the confirmation code."""
    replies = [say(stack, sender, f"tôi muốn đăng ký tham gia {TITLE.lower()}")]
    for answer in (name, "Hợp tác xã Tôm Sinh Thái", contact, "đồng ý"):
        replies.append(say(stack, sender, answer))
    code = find_code(replies[-1])
    assert code, replies
    return replies, code


def test_the_form_asks_each_question_once_in_order_with_no_early_error(stack, open_event):
    sender = f"edge-form-{uuid.uuid4().hex[:8]}"
    replies, code = register(stack, sender, "Trần Thị Bình", "0912 345 678")
    start, after_name, after_org, after_contact, done = replies
    for reply in replies:
        assert not any(error in reply for error in VALIDATION_ERRORS), reply
    assert TITLE in start and re.search(r"họ (và )?tên", start, re.IGNORECASE), start
    assert re.search(r"đơn vị|tổ chức|cơ quan", after_name, re.IGNORECASE), after_name
    assert re.search(r"điện thoại|email", after_org, re.IGNORECASE), after_org
    assert re.search(r"đồng ý", after_contact, re.IGNORECASE), after_contact
    assert "Đăng ký thành công" in done
    with session_scope(stack.database_url) as session:
        stored = session.execute(select(Registration).where(Registration.code == code)).scalar_one()
        assert (stored.name, stored.organisation, stored.phone, stored.sender_id) == (
            "Trần Thị Bình", "Hợp tác xã Tôm Sinh Thái", "0912345678", sender)


def _status(stack, code: str) -> str:
    with session_scope(stack.database_url) as session:
        return session.execute(
            select(Registration.status).where(Registration.code == code)).scalar_one()


def test_only_the_owner_may_cancel_and_every_code_looks_the_same_to_others(stack, open_event):
    owner = f"edge-owner-{uuid.uuid4().hex[:8]}"
    _, code = register(stack, owner, "Lê Văn Cường", "cuong.le@example.vn")
    other = f"edge-other-{uuid.uuid4().hex[:8]}"
    _, gone = register(stack, other, "Phạm Thu Hà", "0987 654 321")
    assert f"Đã hủy đăng ký {gone}" in say(stack, other, f"hủy đăng ký {gone}")
    outsider = f"edge-outsider-{uuid.uuid4().hex[:8]}"
    say(stack, outsider, "xin chào")  # the first reply of a conversation carries a greeting
    unknown = "DK-ZZZZZ2" if code != "DK-ZZZZZ2" else "DK-ZZZZZ3"

    def outsider_reply(probe: str) -> str:
        # The code itself is echoed back (the person typed it): compare with it masked.
        return say(stack, outsider, f"hủy đăng ký {probe}").replace(probe, "DK-?")

    answers = {outsider_reply(code), outsider_reply(unknown), outsider_reply(gone)}
    assert len(answers) == 1, answers
    (answer,) = answers
    assert "Đã hủy" not in answer and "Lê Văn Cường" not in answer and TITLE not in answer
    assert _status(stack, code) == "active"
    # The wrong contact changes nothing either, and gets the same reply.
    assert say(stack, outsider, f"hủy đăng ký {code} 0999 888 777").replace(code, "DK-?") \
        == answer
    assert _status(stack, code) == "active"
    # The contact used at registration proves it is theirs; the stored contact is not echoed.
    done = say(stack, outsider, f"hủy đăng ký {code} CUONG.LE@example.vn")
    assert f"Đã hủy đăng ký {code}" in done and "cuong.le" not in done.lower()
    assert _status(stack, code) == "cancelled"
    # The owner's conversation is told plainly that it was already cancelled.
    assert "đã được hủy trước đó" in say(stack, owner, f"hủy đăng ký {code}")
