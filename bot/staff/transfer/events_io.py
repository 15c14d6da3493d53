"""Event import and export (xlsx, csv, yaml), in the events package's own record format.

Rows are validated and written by ``bot.events.store`` (the seed loader and the .ics/CSV importers
use it too), so a spreadsheet row, a seed record and an import are read by the same rules and
matched on the same ``key``. Times are Vietnam local time ("2026-12-03 08:00"); an all-day event is
written as its first and last day. Exporting and importing the same file changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.events.models import Event, split_slugs
from bot.events.store import RecordError, upsert_event, validate_record
from bot.staff.accounts import StaffIdentity
from bot.staff.revisions import actor_name, record_change, snapshot_event
from bot.staff.transfer.common import ImportReport, RowError
from bot.staff.transfer.tabular import read_rows, write_rows, write_yaml

EVENT_COLUMNS = [
    "key", "title", "title_en", "kind", "status", "start", "end", "all_day", "venue", "address",
    "city", "online_url", "host", "co_hosts", "audience", "topics", "summary", "registration",
    "registration_deadline", "capacity", "registration_info", "contact", "source_url",
    "tentative",
]


def _local(value: Any, date_only: bool = False) -> str | None:
    if value is None:
        return None
    local = value.astimezone(TIMEZONE)
    return local.date().isoformat() if date_only else local.strftime("%Y-%m-%d %H:%M")


def event_record(event: Event) -> dict[str, Any]:
    """An event as the record ``validate_record`` reads back to the same values."""
    return {
        "key": event.external_key,
        "title": event.title,
        "title_en": event.title_en,
        "kind": event.kind,
        "status": event.status,
        "start": _local(event.start_at, date_only=event.all_day),
        "end": event.last_day.isoformat() if event.all_day else _local(event.end_at),
        "all_day": bool(event.all_day),
        "venue": event.venue,
        "address": event.address,
        "city": event.city,
        "online_url": event.online_url,
        "host": event.host,
        "co_hosts": "; ".join(event.co_hosts or []),
        "audience": ", ".join(split_slugs(event.audiences)),
        "topics": ", ".join(split_slugs(event.topics)),
        "summary": event.summary,
        "registration": event.registration_mode,
        "registration_deadline": _local(event.registration_deadline),
        "capacity": event.capacity,
        "registration_info": event.registration_info,
        "contact": event.contact,
        "source_url": event.source_url,
        "tentative": bool(event.is_tentative),
    }


def export_events(session: Session, fmt: str) -> bytes:
    """Every real event (invented demo events never leave a demo database)."""
    events = session.execute(
        select(Event).where(Event.is_sample.is_(False)).order_by(Event.start_at, Event.id)
    ).scalars()
    records = [event_record(e) for e in events]
    if fmt == "yaml":
        for record in records:
            record["co_hosts"] = [h for h in record["co_hosts"].split("; ") if h]
        return write_yaml({"events": records})
    return write_rows(EVENT_COLUMNS, records, fmt)


def import_events(
    session: Session, content: bytes, fmt: str, actor: StaffIdentity | str | None = None
) -> ImportReport:
    """Validate and upsert the events of a file (the caller commits)."""
    report = ImportReport()
    seen: dict[str, int] = {}
    name, _ = actor_name(actor)
    for row in read_rows(content, fmt, yaml_list_key="events"):
        key = row.values.get("key")
        if row.values.get("__invalid__"):
            report.errors.append(RowError(row.number, "mục phải là một bảng khoá: giá trị."))
            continue
        try:
            values = validate_record({k: v for k, v in row.values.items() if v is not None})
        except RecordError as exc:
            for message in exc.messages:
                report.errors.append(RowError(row.number, message, None, key and str(key)))
            continue
        key = values["external_key"]
        if key in seen:
            report.errors.append(RowError(
                row.number, f"mã “{key}” đã xuất hiện ở dòng {seen[key]}.", "key", key))
            continue
        seen[key] = row.number
        event = session.execute(
            select(Event).where(Event.external_key == key)
        ).scalar_one_or_none()
        before = snapshot_event(event) if event is not None else None
        outcome = upsert_event(session, values, changed_by=f"staff:{name}"[:120])
        getattr(report, outcome).append(key)
        if outcome != "unchanged":
            event = session.execute(select(Event).where(Event.external_key == key)).scalar_one()
            record_change(session, event, before, "import", actor, event_log=False)
    return report
