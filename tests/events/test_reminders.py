"""Reminders: subscribe, what is due, sending through a pluggable sender, retries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.events import reminders
from bot.events.models import Event
from tests.events.conftest import NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [("nhắc tôi trước 2 tiếng", dt.timedelta(hours=2)),
     ("nhac minh truoc 1 ngay nha", dt.timedelta(days=1)),
     ("nhắc trước 30 phút", dt.timedelta(minutes=30)),
     ("remind me 3 hours before", dt.timedelta(hours=3)),
     ("nhắc tôi", None)],
)
def test_lead_time(text, expected):
    assert reminders.parse_lead_time(text) == expected


def _event(session, key: str) -> Event:
    return session.execute(select(Event).where(Event.external_key == key)).scalar_one()


def test_subscribe_then_send_once(any_demo_db, session_for):
    session = session_for(any_demo_db)
    event = _event(session, "demo-hoi-thao-xuat-xu-2026-12")  # 02/12/2026 08:00
    outcome = reminders.subscribe(session, event.id, "zalo-user-1", "zalo", NOW)
    assert outcome.status == "ok"
    assert outcome.reminder.remind_at == event.start_at - dt.timedelta(days=1)
    again = reminders.subscribe(session, event.id, "zalo-user-1", "zalo", NOW,
                                dt.timedelta(hours=2))
    assert again.reminder.id == outcome.reminder.id  # moved, not duplicated
    session.commit()

    before = event.start_at - dt.timedelta(hours=3)
    assert reminders.due_reminders(session, before) == []
    due_time = event.start_at - dt.timedelta(hours=1)
    sent: list[tuple[str, str, str]] = []
    report = reminders.send_due_reminders(session, due_time, lambda *msg: sent.append(msg))
    session.commit()
    assert (report.sent, report.failed) == (1, 0)
    channel, sender_id, text = sent[0]
    assert (channel, sender_id) == ("zalo", "zalo-user-1")
    assert "Hội thảo quy tắc xuất xứ" in text and "08:00–11:30" in text
    assert reminders.send_due_reminders(session, due_time, lambda *m: sent.append(m)).sent == 0


def test_failed_push_is_retried_next_run(demo_db, session_for):
    session = session_for(demo_db)
    event = _event(session, "demo-tap-huan-tmdt-2026-12")
    reminders.subscribe(session, event.id, "u2", "zalo", NOW)

    def broken(*_msg):
        raise ConnectionError("zalo down")

    moment = event.start_at - dt.timedelta(hours=1)
    assert reminders.send_due_reminders(session, moment, broken).failed == 1
    assert reminders.send_due_reminders(session, moment, lambda *m: None).sent == 1


def test_past_and_cancelled_events_get_no_reminder(demo_db, real_db, session_for):
    session = session_for(demo_db)
    cancelled = _event(session, "demo-trien-lam-anh-asean-2026-12")
    assert reminders.subscribe(session, cancelled.id, "u", "zalo", NOW).status == "cancelled"
    past = _event(session, "festival-tom-ca-mau-2026")
    assert reminders.subscribe(session, past.id, "u", "zalo", NOW).status == "past"
    assert reminders.subscribe(session, 999999, "u", "zalo", NOW).status == "not_found"


def test_cancelled_reminders_are_not_sent(demo_db, session_for):
    session = session_for(demo_db)
    event = _event(session, "demo-giao-luu-sv-asean-2026-12")
    reminders.subscribe(session, event.id, "u3", "zalo", NOW)
    assert reminders.cancel_reminders(session, "u3") == 1
    assert reminders.due_reminders(session, event.start_at) == []
