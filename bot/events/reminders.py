"""Event reminders: "nhắc tôi" subscribes a conversation; a periodic command sends what is due.

Sending goes through a pluggable ``sender(channel, sender_id, text)`` so each channel that can
push (the Zalo OA channel) provides its own transport; this module only knows what and when.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.events.models import Event, ReminderSubscription
from bot.events.replies import place_text, when_text
from bot.nlp.normalize import search_key

logger = logging.getLogger(__name__)

DEFAULT_LEAD = dt.timedelta(days=1)
# A pushed message: (channel, sender_id, text). Returns normally when delivered, raises otherwise.
Sender = Callable[[str, str, str], object]

_UNITS = {
    "ngay": "days", "hom": "days", "day": "days", "days": "days",
    "tieng": "hours", "gio": "hours", "hour": "hours", "hours": "hours",
    "phut": "minutes", "minute": "minutes", "minutes": "minutes", "tuan": "weeks", "week": "weeks",
}


def parse_lead_time(text: str) -> dt.timedelta | None:
    """How long before the start to remind: "trước 2 tiếng", "1 hour before"."""
    key = search_key(text or "")
    key = re.sub(r"\b(mot|một)\b", "1", key)
    match = re.search(r"\btruoc\s+(\d{1,3})\s+(ngay|hom|tieng|gio|phut|tuan)\b", key) or \
        re.search(r"\b(\d{1,3})\s+(ngay|hom|tieng|gio|phut|tuan|days?|hours?|minutes?|weeks?)"
                  r"\s+(?:truoc|before)\b", key)
    if match:
        return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if re.search(r"\b(the day before|hom truoc|truoc mot ngay)\b", key):
        return dt.timedelta(days=1)
    return None


@dataclass
class SubscribeOutcome:
    """``status``: ok | past | cancelled | not_found."""

    status: str
    reminder: ReminderSubscription | None = None


def subscribe(
    session: Session, event_id: int, sender_id: str, channel: str, now: dt.datetime,
    lead: dt.timedelta | None = None,
) -> SubscribeOutcome:
    """Remind ``sender_id`` ``lead`` before the event starts (now if that moment has passed).

    Asking again for the same event moves the existing reminder instead of adding one.
    """
    event = session.get(Event, event_id)
    if event is None:
        return SubscribeOutcome("not_found")
    if event.status == "cancelled":
        return SubscribeOutcome("cancelled")
    if event.start_at <= now:
        return SubscribeOutcome("past")
    # An all-day event "starts" at 08:00 local for reminders: nobody wants a ping at 22:00.
    start = event.start_at + dt.timedelta(hours=8) if event.all_day else event.start_at
    remind_at = max(start - (lead or DEFAULT_LEAD), now)
    reminder = session.execute(
        select(ReminderSubscription).where(
            ReminderSubscription.event_id == event_id,
            ReminderSubscription.sender_id == sender_id,
            ReminderSubscription.sent_at.is_(None),
            ReminderSubscription.cancelled.is_(False),
        )
    ).scalar_one_or_none()
    if reminder is None:
        reminder = ReminderSubscription(event_id=event_id, sender_id=sender_id,
                                        channel=channel or "", remind_at=remind_at, created_at=now)
        session.add(reminder)
    else:
        reminder.remind_at = remind_at
        reminder.channel = channel or reminder.channel
    session.flush()
    return SubscribeOutcome("ok", reminder)


def cancel_reminders(session: Session, sender_id: str, event_id: int | None = None) -> int:
    stmt = select(ReminderSubscription).where(
        ReminderSubscription.sender_id == sender_id, ReminderSubscription.sent_at.is_(None),
        ReminderSubscription.cancelled.is_(False),
    )
    if event_id is not None:
        stmt = stmt.where(ReminderSubscription.event_id == event_id)
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.cancelled = True
    session.flush()
    return len(rows)


def due_reminders(session: Session, now: dt.datetime) -> list[ReminderSubscription]:
    """Unsent, uncancelled reminders whose time has come, for events that have not ended."""
    stmt = (
        select(ReminderSubscription)
        .join(Event, Event.id == ReminderSubscription.event_id)
        .where(
            ReminderSubscription.remind_at <= now,
            ReminderSubscription.sent_at.is_(None),
            ReminderSubscription.cancelled.is_(False),
            Event.end_at > now,
        )
        .order_by(ReminderSubscription.remind_at, ReminderSubscription.id)
    )
    return list(session.execute(stmt).scalars())


def reminder_text(event: Event) -> str:
    if event.status == "cancelled":
        return f"🔔 Thông báo: sự kiện \"{event.title}\" đã bị HỦY."
    lines = [f"🔔 Nhắc lịch: {event.title}"]
    if event.status == "postponed":
        lines[0] += " (TẠM HOÃN – chờ lịch mới)"
    lines += [f"🗓 {when_text(event)}", f"📍 {place_text(event)}"]
    if event.is_sample:
        lines.append("(Dữ liệu mẫu – không phải sự kiện thật)")
    return "\n".join(lines)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def send_due_reminders(session: Session, now: dt.datetime, sender: Sender) -> SendReport:
    """Push every due reminder through ``sender``; mark each sent one so it never repeats.

    A failed push stays due and is retried on the next run. The caller commits.
    """
    report = SendReport()
    for reminder in due_reminders(session, now):
        try:
            sender(reminder.channel, reminder.sender_id, reminder_text(reminder.event))
        except Exception:  # noqa: BLE001 - one unreachable user must not stop the others
            logger.warning("reminder %s not delivered (channel=%s)", reminder.id, reminder.channel,
                           exc_info=True)
            report.failed += 1
            continue
        reminder.sent_at = now
        report.sent += 1
    session.flush()
    return report
