"""Registration: contact validation, capacity and deadline (also under concurrency), cancel,
export, erase on request, and no personal data in log lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading

import pytest
from sqlalchemy import select

from bot.events import registration as reg
from bot.events.models import Event, Registration
from bot.events.store import upsert_event, validate_record
from tests.events.conftest import NOW

CODE = re.compile(r"DK-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}")


def _event(session, capacity: int | None = 3, deadline: str | None = "2026-12-01 17:00",
           key: str = "test-reg", mode: str = "open") -> Event:
    values = validate_record({
        "key": key, "title": "Hội thảo thử nghiệm", "start": "2026-12-02 08:00",
        "end": "2026-12-02 11:00", "registration": mode, "registration_deadline": deadline,
        "capacity": capacity, "kind": "hoi_thao",
    })
    upsert_event(session, values, changed_by="test")
    session.commit()
    return session.execute(select(Event).where(Event.external_key == key)).scalar_one()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0389-123-456", "0389123456"),
        ("(0290) 3831 234", "02903831234"),
        ("024 3825 1234", "02438251234"),
        ("0123456789", None),  # 01x prefixes were retired
        ("091234567", None),  # 9 digits
        ("09123456789", None),  # 11 digits mobile
        ("12345", None),
        ("0290 383 12", None),
        ("abc", None),
    ],
)
def test_vietnamese_phone_formats(typed, expected):
    assert reg.normalize_phone(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sdt của em là 0912 345 678 nha", ("phone", "0912345678")),
        ("An.Nguyen@Example.vn", ("email", "an.nguyen@example.vn")),
        ("email: an@sct.camau.gov.vn", ("email", "an@sct.camau.gov.vn")),
        ("an@", None),
        ("không có", None),
    ],
)
def test_contact_is_phone_or_email(typed, expected):
    assert reg.parse_contact(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("đồng ý", True), ("dong y", True), ("Tôi đồng ý", True), ("ok", True), ("có", True),
     ("không đồng ý", False), ("không", False), ("ko", False), ("hmm để xem", None)],
)
def test_explicit_consent(typed, expected):
    assert reg.consent_answer(typed) is expected


def test_register_gives_a_code_and_takes_a_seat(db_url, session_for):
    session = session_for(db_url)
    event = _event(session)
    outcome = reg.register(session, event.id, name="Nguyễn Văn An", contact="0912 345 678",
                           now=NOW, organisation="HTX Tôm sạch", sender_id="s1", channel="zalo")
    session.commit()
    assert outcome.status == "ok" and CODE.fullmatch(outcome.code)
    stored = session.execute(select(Registration)).scalar_one()
    assert (stored.phone, stored.email, stored.status) == ("0912345678", None, "active")
    assert stored.consent_at is not None
    assert session.get(Event, event.id).registered_count == 1


def test_capacity_full_and_deadline_passed(db_url, session_for):
    session = session_for(db_url)
    event = _event(session, capacity=2)
    for contact in ("0912000001", "0912000002"):
        assert reg.register(session, event.id, name="Người A", contact=contact, now=NOW).status \
            == "ok"
    assert reg.register(session, event.id, name="Người C", contact="0912000003",
                        now=NOW).status == "full"
    after_deadline = dt.datetime(2026, 12, 1, 17, 1, tzinfo=NOW.tzinfo)
    other = _event(session, capacity=None, key="test-deadline")
    assert reg.register(session, other.id, name="Người D", contact="0912000004",
                        now=after_deadline).status == "closed"
    closed = _event(session, key="test-none", mode="none")
    assert reg.register(session, closed.id, name="Người E", contact="0912000005",
                        now=NOW).status == "not_open"
    session.commit()
    assert session.get(Event, event.id).registered_count == 2


def test_cancel_frees_the_seat(db_url, session_for):
    session = session_for(db_url)
    event = _event(session, capacity=1)
    code = reg.register(session, event.id, name="Người A", contact="a@b.vn", now=NOW).code
    assert reg.register(session, event.id, name="Người B", contact="c@d.vn", now=NOW).status \
        == "full"
    assert reg.cancel_registration(session, code.lower(), NOW, text="a@b.vn").status \
        == "cancelled"
    assert reg.cancel_registration(session, code, NOW, text="A@B.vn").status == "already"
    assert reg.register(session, event.id, name="Người B", contact="c@d.vn", now=NOW).status \
        == "ok"


def test_export_for_the_host_and_delete_on_request(db_url, session_for):
    session = session_for(db_url)
    event = _event(session)
    code = reg.register(session, event.id, name="Trần Thị Bình", contact="+84 912 345 678",
                        now=NOW, organisation="Trường THPT").code
    reg.register(session, event.id, name="Lê Văn Cường", contact="cuong@example.vn", now=NOW)
    session.commit()
    assert code
    assert reg.delete_personal_data(session, phone="0912 345 678") == 1
    session.commit()
    remaining = session.execute(select(Registration)).scalars().all()
    assert [r.name for r in remaining] == ["Lê Văn Cường"]
    assert session.get(Event, event.id).registered_count == 1
    with pytest.raises(ValueError):
        reg.delete_personal_data(session)


def test_no_personal_data_in_logs(db_url, session_for, caplog):
    caplog.set_level(logging.DEBUG)
    session = session_for(db_url)
    event = _event(session, capacity=1)
    code = reg.register(session, event.id, name="Phạm Minh Duy", contact="0987 654 321",
                        now=NOW, organisation="Cty Minh Duy").code
    reg.register(session, event.id, name="Võ Thị Em", contact="em@example.vn", now=NOW)
    reg.cancel_registration(session, code, NOW, text="0987 654 321")
    reg.delete_personal_data(session, email="em@example.vn")
    logged = caplog.text
    assert "registration created" in logged and "registration refused" in logged
    for secret in ("Phạm Minh Duy", "0987654321", "0987 654 321", "Cty Minh Duy", "Võ Thị Em",
                   "em@example.vn"):
        assert secret not in logged
    assert repr(session.execute(select(Registration)).scalars().first()).count("Duy") == 0


def test_concurrent_registrations_never_exceed_capacity(pg_url, session_for):
    from bot.db import get_sessionmaker

    setup = session_for(pg_url)
    event_id = _event(setup, capacity=5).id
    outcomes: list[str] = []
    barrier = threading.Barrier(12)

    def attempt(i: int) -> None:
        session = get_sessionmaker(pg_url)()
        try:
            barrier.wait()
            outcome = reg.register(session, event_id, name=f"Người {i}",
                                   contact=f"09120000{i:02d}", now=NOW)
            session.commit()
            outcomes.append(outcome.status)
        finally:
            session.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["full"] * 7 + ["ok"] * 5
    setup.expire_all()
    assert setup.get(Event, event_id).registered_count == 5
    assert reg.active_registration_count(setup, event_id) == 5


# --- issue 15, finding 6: only the person who registered may cancel, and codes can't be probed ---


def test_only_the_registering_conversation_or_contact_may_cancel(db_url, session_for):
    session = session_for(db_url)
    event = _event(session, capacity=5)
    code = reg.register(session, event.id, name="Người A", contact="0912 345 678", now=NOW,
                        sender_id="owner-conversation").code
    other = reg.register(session, event.id, name="Người B", contact="b@c.vn", now=NOW,
                         sender_id="someone").code
    reg.cancel_registration(session, other, NOW, sender_id="someone")
    outsider = [
        reg.cancel_registration(session, code, NOW, sender_id="attacker").status,  # valid code
        reg.cancel_registration(session, code, NOW, sender_id="attacker",
                                text=f"hủy {code} 0999999999").status,  # wrong contact
        reg.cancel_registration(session, "DK-ZZZZZZ", NOW, sender_id="attacker").status,
        reg.cancel_registration(session, other, NOW, sender_id="attacker").status,  # cancelled
    ]
    assert outsider == ["unconfirmed"] * 4
    assert session.get(Event, event.id).registered_count == 1  # nothing changed for A
    assert reg.cancel_registration(session, code, NOW, sender_id="elsewhere",
                                   text=f"hủy {code} +84 912 345 678").status == "cancelled"
    assert reg.cancel_registration(session, code, NOW,
                                   sender_id="owner-conversation").status == "already"


def test_every_code_gets_the_same_reply_from_an_outsider():
    from bot.events.replies import cancellation_reply

    for lang in ("vi", "en"):
        replies = {cancellation_reply("unconfirmed", "DK-XXXXXX", "", lang)}
        assert len(replies) == 1


# --- issue 15, finding 8: the form's rules, one place; a cleared slot is never an error ---------


def test_a_cleared_slot_is_not_an_answer_and_gets_no_error():
    for check in (reg.check_name, reg.check_organisation, reg.check_contact):
        assert check(None) == reg.FieldCheck(None, None)
    assert reg.check_consent(None, "register_event") == reg.FieldCheck(None, None)


@pytest.mark.parametrize(
    ("check", "typed", "expected"),
    [
        (reg.check_name, "  Nguyễn   Văn An ", reg.FieldCheck("Nguyễn Văn An")),
        (reg.check_name, "0912345678", reg.FieldCheck(None, "name")),
        (reg.check_name, "<b>An</b>", reg.FieldCheck(None, "name")),
        (reg.check_name, "A", reg.FieldCheck(None, "name")),
        (reg.check_organisation, "không", reg.FieldCheck(reg.NO_ORGANISATION)),
        (reg.check_organisation, "HTX Tôm  Sinh Thái", reg.FieldCheck("HTX Tôm Sinh Thái")),
        (reg.check_organisation, "x" * 201, reg.FieldCheck(None, "org_too_long")),
        (reg.check_contact, "+84 912 345 678", reg.FieldCheck("0912345678")),
        (reg.check_contact, "An@Example.VN", reg.FieldCheck("an@example.vn")),
        (reg.check_contact, "12345", reg.FieldCheck(None, "contact")),
    ],
)
def test_each_answer_is_checked_in_one_place(check, typed, expected):
    assert check(typed) == expected


def test_consent_follows_the_intent_then_the_words():
    assert reg.check_consent("whatever", "affirm").value == "yes"
    assert reg.check_consent("whatever", "stop").value == "no"
    assert reg.check_consent("tôi đồng ý", "inform").value == "yes"
    assert reg.check_consent("không đồng ý", "inform").value == "no"
    assert reg.check_consent("để mình nghĩ", "inform").problem == "consent"


def test_may_cancel_needs_the_same_conversation_or_the_registered_contact():
    by_phone = Registration(phone="0912345678", email=None, sender_id="conv-1")
    legacy = Registration(phone=None, email="an@example.vn", sender_id=None)  # no conversation
    assert reg.may_cancel(by_phone, "conv-1", "hủy DK-AAAAAA")
    assert not reg.may_cancel(by_phone, "conv-2", "hủy DK-AAAAAA")
    assert not reg.may_cancel(by_phone, "", "hủy DK-AAAAAA")
    assert reg.may_cancel(by_phone, "conv-2", "hủy DK-AAAAAA sđt 0912.345.678")
    assert not reg.may_cancel(by_phone, "conv-2", "hủy DK-AAAAAA an@example.vn")
    assert not reg.may_cancel(legacy, None, "hủy DK-AAAAAA")
    assert not reg.may_cancel(legacy, "", "hủy DK-AAAAAA 0912345678")
    assert reg.may_cancel(legacy, "conv-9", "cancel DK-AAAAAA AN@example.VN")
