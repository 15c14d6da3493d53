"""Event import and export (xlsx, csv, yaml), matched on ``external_key``.

Times in files are Vietnam local time ("2026-12-03 08:00"); the database keeps UTC. Validation is
per row (bad rows reported, good rows written); an unchanged row writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.events.models import AUDIENCES, KINDS, REGISTRATION_MODES, STATUSES, Event
from bot.staff.accounts import StaffIdentity
from bot.staff.revisions import apply_event, record_change, snapshot_event
from bot.staff.transfer.common import (
    ImportReport,
    RowError,
    RowProblem,
    bool_value,
    text_value,
)
from bot.staff.transfer.tabular import read_rows, write_rows, write_yaml

EVENT_COLUMNS = [
    "external_key", "title", "title_en", "kind", "status", "start_at", "end_at", "all_day",
    "venue", "address", "city", "online_url", "host", "co_hosts", "audiences", "topics",
    "summary", "registration_mode", "registration_deadline", "capacity", "registration_info",
    "contact", "source_url", "is_tentative",
]
_TEXT_LIMITS = {
    "title": 300, "title_en": 300, "host": 300, "venue": 300, "address": 500, "city": 120,
    "online_url": 500, "audiences": 300, "topics": 300, "contact": 300, "source_url": 500,
}
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                     "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def _local_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def _export_row(event: Event) -> dict[str, Any]:
    row = {column: getattr(event, column, None) for column in EVENT_COLUMNS}
    for column in ("start_at", "end_at", "registration_deadline"):
        row[column] = _local_text(getattr(event, column))
    row["co_hosts"] = list(event.co_hosts or [])
    return row


def export_events(session: Session, fmt: str, include_samples: bool = False) -> bytes:
    query = select(Event).order_by(Event.start_at, Event.id)
    if not include_samples:
        query = query.where(Event.is_sample.is_(False))
    events = list(session.execute(query).scalars())
    rows = [_export_row(e) for e in events]
    if fmt == "yaml":
        return write_yaml({"events": rows})
    return write_rows(EVENT_COLUMNS, rows, fmt)


def import_events(
    session: Session, content: bytes, fmt: str, actor: StaffIdentity | str | None = None
) -> ImportReport:
    """Validate and upsert the events of a file (the caller commits)."""
    report = ImportReport()
    seen: dict[str, int] = {}
    for row in read_rows(content, fmt, yaml_list_key="events"):
        try:
            record = validate_event_row(row.values)
        except RowProblem as problem:
            key = row.values.get("external_key")
            report.errors.append(
                RowError(row.number, problem.message, problem.column, key and str(key))
            )
            continue
        key = record["external_key"]
        if key in seen:
            report.errors.append(RowError(
                row.number, f"mã “{key}” đã xuất hiện ở dòng {seen[key]}.", "external_key", key))
            continue
        seen[key] = row.number
        _upsert(session, record, report, actor)
    return report


def _parse_local(value: Any, column: str, end_of_day: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(23, 59) if end_of_day else dt.time(0))
    else:
        text = str(value).strip()
        for fmt in _DATETIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise RowProblem(column, f"“{text}” không phải ngày giờ (dùng 2026-12-03 08:00).")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TIMEZONE)
    return parsed.astimezone(dt.timezone.utc)


def _list_value(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[\n;]", str(value)) if part.strip()]


def _slugs(values: dict[str, Any], column: str, allowed: tuple[str, ...] | None) -> str:
    raw = values.get(column)
    items = raw if isinstance(raw, list) else re.split(r"[,;\n]", str(raw or ""))
    slugs = [str(item).strip() for item in items if str(item).strip()]
    if allowed is not None:
        wrong = [s for s in slugs if s not in allowed]
        if wrong:
            raise RowProblem(column, f"giá trị không hợp lệ: {', '.join(wrong)}.")
    return ",".join(dict.fromkeys(slugs))


def validate_event_row(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("__invalid__"):
        raise RowProblem(None, "mục phải là một bảng khoá: giá trị.")
    record: dict[str, Any] = {
        "external_key": text_value(values, "external_key", required=True, max_length=200),
        "title": text_value(values, "title", required=True, max_length=300),
    }
    for column, limit in _TEXT_LIMITS.items():
        if column not in record and column not in ("audiences", "topics"):
            record[column] = text_value(values, column, max_length=limit)
    for column in ("summary", "registration_info"):
        record[column] = text_value(values, column) or ""
    for column in ("host", "venue", "address", "city", "contact", "source_url"):
        record[column] = record.get(column) or ""
    for column in ("online_url", "source_url"):
        if record.get(column) and not _URL.match(record[column]):
            raise RowProblem(column, "đường dẫn phải bắt đầu bằng http:// hoặc https://")
    kind = (text_value(values, "kind") or "other").lower()
    if kind not in KINDS:
        raise RowProblem("kind", f"phải là một trong: {', '.join(KINDS)}.")
    status = (text_value(values, "status") or "scheduled").lower()
    if status not in STATUSES:
        raise RowProblem("status", f"phải là một trong: {', '.join(STATUSES)}.")
    mode = (text_value(values, "registration_mode") or "none").lower()
    if mode not in REGISTRATION_MODES:
        raise RowProblem("registration_mode", f"phải là một trong: {', '.join(REGISTRATION_MODES)}.")
    all_day = bool_value(values, "all_day")
    if values.get("start_at") in (None, ""):
        raise RowProblem("start_at", "không được để trống.")
    start = _parse_local(values["start_at"], "start_at")
    end_raw = values.get("end_at")
    end = _parse_local(end_raw, "end_at", end_of_day=True) if end_raw not in (None, "") else start
    if end < start:
        raise RowProblem("end_at", "thời gian kết thúc phải sau thời gian bắt đầu.")
    deadline_raw = values.get("registration_deadline")
    deadline = (
        _parse_local(deadline_raw, "registration_deadline", end_of_day=True)
        if deadline_raw not in (None, "") else None
    )
    capacity_raw = values.get("capacity")
    capacity = None
    if capacity_raw not in (None, ""):
        try:
            capacity = int(float(str(capacity_raw).strip()))
        except ValueError as exc:
            raise RowProblem("capacity", "phải là một số nguyên.") from exc
        if capacity < 0:
            raise RowProblem("capacity", "không được âm.")
    record.update(
        kind=kind, status=status, registration_mode=mode, all_day=all_day,
        start_at=start.isoformat(), end_at=end.isoformat(),
        registration_deadline=deadline.isoformat() if deadline else None,
        capacity=capacity,
        audiences=_slugs(values, "audiences", AUDIENCES),
        topics=_slugs(values, "topics", None),
        co_hosts=_list_value(values.get("co_hosts")),
        is_tentative=bool_value(values, "is_tentative"),
    )
    return record


def _same(stored: Any, new: Any) -> bool:
    if isinstance(stored, str) and isinstance(new, str) and "T" in new and len(new) >= 19:
        try:
            return dt.datetime.fromisoformat(stored) == dt.datetime.fromisoformat(new)
        except ValueError:
            return stored == new
    return stored == new


def _upsert(
    session: Session, record: dict[str, Any], report: ImportReport,
    actor: StaffIdentity | str | None,
) -> None:
    key = record["external_key"]
    event = session.execute(select(Event).where(Event.external_key == key)).scalar_one_or_none()
    if event is None:
        event = Event()
        apply_event(session, event, record)  # also refreshes search_text
        session.add(event)
        record_change(session, event, None, "import", actor)
        report.created.append(key)
        return
    before = snapshot_event(event)
    if all(_same(before.get(column), value) for column, value in record.items()):
        report.unchanged.append(key)
        return
    apply_event(session, event, record)
    record_change(session, event, before, "import", actor)
    report.updated.append(key)
