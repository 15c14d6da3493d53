"""iCalendar (.ics) export of one event, and the public link to it.

The web app serves ``GET /calendar/<id>.ics`` by calling ``event_to_ics``; chat replies link to
``calendar_url(id)``.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from icalendar import Event as IcsEvent

from bot.config import PUBLIC_WEB_URL
from bot.events.models import Event

UID_DOMAIN = "asean-bot.camau"


def calendar_url(event_id: int) -> str:
    return f"{PUBLIC_WEB_URL.rstrip('/')}/calendar/{event_id}.ics"


def event_to_ics(event: Event) -> bytes:
    """A one-event VCALENDAR; all-day events use DATE values (DTEND exclusive, RFC 5545)."""
    cal = Calendar()
    cal.add("prodid", "-//Tro ly ASEAN tinh Ca Mau//vi")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    item = IcsEvent()
    item.add("uid", f"{event.external_key}@{UID_DOMAIN}")
    item.add("summary", event.title)
    if event.all_day:
        item.add("dtstart", event.local_start.date())
        item.add("dtend", event.last_day + dt.timedelta(days=1))
    else:
        item.add("dtstart", event.start_at.astimezone(dt.UTC))
        item.add("dtend", event.end_at.astimezone(dt.UTC))
    item.add("dtstamp", (event.updated_at or event.created_at).astimezone(dt.UTC))
    location = ", ".join(p for p in (event.venue, event.address, event.city) if p)
    if location:
        item.add("location", location)
    description = [event.summary] if event.summary else []
    if event.host:
        description.append(f"Đơn vị tổ chức: {event.host}")
    if event.online_url:
        description.append(f"Trực tuyến: {event.online_url}")
        item.add("url", event.online_url)
    elif event.source_url:
        item.add("url", event.source_url)
    if event.source_url:
        description.append(f"Nguồn: {event.source_url}")
    if event.is_sample:
        description.insert(0, "[Dữ liệu mẫu – không phải sự kiện thật]")
    item.add("description", "\n".join(description))
    status = {"cancelled": "CANCELLED", "postponed": "TENTATIVE"}.get(event.status)
    item.add("status", status or ("TENTATIVE" if event.is_tentative else "CONFIRMED"))
    cal.add_component(item)
    return cal.to_ical()
