"""Writing events: validate a record (from YAML, CSV or .ics), then create or update by key.

The seed loader and the importers share this, so every path gives the same row-level error
messages, the same idempotency (a stable ``external_key``) and the same change history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.events import vocab
from bot.events.models import (
    AUDIENCES,
    KINDS,
    REGISTRATION_MODES,
    STATUSES,
    Event,
    EventRevision,
    join_slugs,
)
from bot.nlp.normalize import normalize_text, search_key

# Fields compared for "unchanged" and kept in the revision history.
TRACKED_FIELDS = (
    "title", "title_en", "summary", "kind", "host", "co_hosts", "audiences", "topics", "start_at",
    "end_at", "all_day", "venue", "address", "city", "online_url", "registration_mode",
    "registration_deadline", "capacity", "registration_info", "contact", "source_url", "status",
    "is_tentative", "is_sample",
)
_TRUE = {"1", "true", "yes", "y", "co", "x", "dung"}
_FALSE = {"0", "false", "no", "n", "khong", ""}


class RecordError(ValueError):
    """A record that cannot be stored; ``messages`` say what to fix, in Vietnamese."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class WriteReport:
    """Outcome of loading/importing a batch: counts plus row-level errors ("dòng 3: ...")."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        text = (f"{self.created} mới, {self.updated} cập nhật, {self.unchanged} không đổi, "
                f"{len(self.errors)} lỗi")
        return text + "".join(f"\n  - {e}" for e in self.errors)


_TAG = re.compile(r"<[^>]{0,200}>")


def _text(value: Any) -> str:
    """Clean text from a file: NFC, tidy spaces, and no HTML tags (replies are plain text)."""
    if value is None:
        return ""
    return normalize_text(_TAG.sub(" ", str(value)), expand_teencode=False).strip()


def _list(value: Any, separators: str = ",;") -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [_text(v) for v in value if _text(v)]
    text = str(value)
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return [_text(v) for v in text.split(separators[0]) if _text(v)]


def _bool(value: Any, name: str, errors: list[str], default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    key = search_key(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    errors.append(f"{name} phải là có/không (nhận được {value!r})")
    return default


def _moment(value: Any, name: str, errors: list[str]) -> tuple[dt.datetime | None, bool]:
    """(aware datetime, is_date_only). Local time (Asia/Ho_Chi_Minh) unless an offset is given."""
    if value is None or value == "":
        return None, False
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), TIMEZONE), True
    else:
        text = str(value).strip().replace("/", "-")
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text) if text[4] == "-" else dt.datetime.strptime(
                    text, "%d-%m-%Y").date()
                return dt.datetime.combine(day, dt.time(0), TIMEZONE), True
            if text[2] == "-" and text[5] == "-":  # dd-mm-yyyy HH:MM
                moment = dt.datetime.strptime(text[:16], "%d-%m-%Y %H:%M")
            else:
                moment = dt.datetime.fromisoformat(text)
        except (ValueError, IndexError):
            errors.append(f"{name} không đúng định dạng ngày (YYYY-MM-DD hoặc YYYY-MM-DD HH:MM):"
                          f" {value!r}")
            return None, False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    return moment, False


def _choice(value: Any, allowed: tuple[str, ...], table: str | None, name: str,
            errors: list[str], default: str) -> str:
    if value is None or value == "":
        return default
    key = search_key(str(value)).replace(" ", "_")
    if key in allowed:
        return key
    if table:
        mapped = vocab.canonical(table, str(value))
        if mapped in allowed:
            return mapped
    errors.append(f"{name} không hợp lệ: {value!r} (chọn một trong: {', '.join(allowed)})")
    return default


def stable_key(title: str, start: dt.datetime | None) -> str:
    """A key for rows that bring none: same title and start date → same event on re-import."""
    basis = f"{search_key(title)}|{start.astimezone(TIMEZONE).date() if start else ''}"
    return "auto-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def validate_record(raw: dict[str, Any], *, allow_sample: bool = False) -> dict[str, Any]:
    """Field values for an ``Event`` from a loosely typed record, or ``RecordError``."""
    errors: list[str] = []
    record = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
    title = _text(record.get("title"))
    if not title:
        errors.append("thiếu tiêu đề (title)")
    start, start_date_only = _moment(record.get("start"), "start", errors)
    if start is None and not any(e.startswith("start") for e in errors):
        errors.append("thiếu ngày bắt đầu (start)")
    end, end_date_only = _moment(record.get("end"), "end", errors)
    all_day = _bool(record.get("all_day"), "all_day", errors, default=start_date_only)
    if start is not None:
        if all_day:
            first = start.astimezone(TIMEZONE).date()
            last = end.astimezone(TIMEZONE).date() if end else first
            start = dt.datetime.combine(first, dt.time(0), TIMEZONE)
            end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), TIMEZONE)
        elif end is None or end_date_only:
            end = start + dt.timedelta(hours=2)
        if end is not None and end <= start:
            errors.append("ngày kết thúc (end) phải sau ngày bắt đầu (start)")

    kind = _choice(record.get("kind"), KINDS, "kind", "kind", errors, "other")
    audiences = []
    for item in _list(record.get("audience") or record.get("audiences")):
        value = _choice(item, AUDIENCES, "audience", "audience", errors, "")
        if value:
            audiences.append(value)
    topics = [vocab.canonical("topic", t) or t for t in _list(record.get("topics"))]
    status = _choice(record.get("status"), STATUSES, None, "status", errors, "scheduled")
    mode = _choice(record.get("registration") or record.get("registration_mode"),
                   REGISTRATION_MODES, None, "registration", errors, "none")
    deadline, _ = _moment(record.get("registration_deadline"), "registration_deadline", errors)
    capacity = record.get("capacity")
    if capacity in (None, ""):
        capacity = None
    else:
        try:
            capacity = int(str(capacity).strip())
            if capacity < 0:
                raise ValueError
        except ValueError:
            errors.append(f"capacity phải là số nguyên không âm: {record.get('capacity')!r}")
            capacity = None
    source_url = _text(record.get("source_url"))
    online_url = _text(record.get("online_url")) or None
    for name, url in (("source_url", source_url), ("online_url", online_url)):
        if url and not url.startswith(("http://", "https://")):
            errors.append(f"{name} phải bắt đầu bằng http:// hoặc https://: {url!r}")
    is_sample = _bool(record.get("sample"), "sample", errors)
    if is_sample and not allow_sample:
        errors.append("sự kiện mẫu (sample) không được nạp vào cơ sở dữ liệu chính")
    if errors:
        raise RecordError(errors)

    key = _text(record.get("key") or record.get("uid")) or stable_key(title, start)
    values = {
        "external_key": key[:200],
        "title": title,
        "title_en": _text(record.get("title_en")) or None,
        "summary": _text(record.get("summary")),
        "kind": kind,
        "host": _text(record.get("host")),
        "co_hosts": _list(record.get("co_hosts"), ";|"),
        "audiences": join_slugs(audiences),
        "topics": join_slugs(topics),
        "start_at": start.astimezone(dt.UTC),
        "end_at": end.astimezone(dt.UTC),
        "all_day": all_day,
        "venue": _text(record.get("venue")),
        "address": _text(record.get("address")),
        "city": _text(record.get("city")),
        "online_url": online_url,
        "registration_mode": mode,
        "registration_deadline": deadline.astimezone(dt.UTC) if deadline else None,
        "capacity": capacity,
        "registration_info": _text(record.get("registration_info")),
        "contact": _text(record.get("contact")),
        "source_url": source_url,
        "status": status,
        "is_tentative": _bool(record.get("tentative"), "tentative", []),
        "is_sample": is_sample,
    }
    values["search_text"] = build_search_text(values)
    return values


def build_search_text(values: dict[str, Any]) -> str:
    parts = [
        values.get("title"), values.get("title_en"), values.get("host"),
        " ".join(values.get("co_hosts") or []), values.get("venue"), values.get("address"),
        values.get("city"), (values.get("topics") or "").replace(",", " ").replace("_", " "),
        values.get("summary"),
    ]
    return search_key(" ".join(p for p in parts if p))


def _comparable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def snapshot(event: Event) -> dict[str, Any]:
    """JSON-safe field values of an event, for the revision history."""
    return {name: _comparable(getattr(event, name)) for name in TRACKED_FIELDS}


def upsert_event(session: Session, values: dict[str, Any], changed_by: str) -> str:
    """Create or update the event with ``values["external_key"]``; "created"/"updated"/"unchanged".

    Every change writes an ``EventRevision`` with the values before and after.
    """
    event = session.execute(
        select(Event).where(Event.external_key == values["external_key"])
    ).scalar_one_or_none()
    if event is None:
        event = Event(**values)
        session.add(event)
        session.flush()
        session.add(EventRevision(event_id=event.id, changed_by=changed_by, action="create",
                                  before=None, after=snapshot(event)))
        return "created"
    before = snapshot(event)
    changed = {k: v for k, v in values.items() if _comparable(getattr(event, k)) != _comparable(v)}
    if not changed:
        return "unchanged"
    for name, value in changed.items():
        setattr(event, name, value)
    session.flush()
    after = snapshot(event)
    session.add(EventRevision(
        event_id=event.id, changed_by=changed_by, action="update",
        before={k: before[k] for k in after if before[k] != after[k]},
        after={k: after[k] for k in after if before[k] != after[k]},
    ))
    return "updated"


def store_record(session: Session, report: WriteReport, label: str, raw: dict[str, Any], *,
                 changed_by: str, seen: set[str], allow_sample: bool = False) -> None:
    """Validate one record of a file, refuse a key seen earlier in it, and upsert it.

    Problems go into ``report.errors`` prefixed with ``label`` (the seed loader and the CSV/.ics
    importers report row by row the same way).
    """
    try:
        values = validate_record(raw, allow_sample=allow_sample)
    except RecordError as exc:
        report.errors.append(f"{label}: {exc}")
        return
    key = values["external_key"]
    if key in seen:
        report.errors.append(f"{label}: trùng key {key!r} với một bản ghi phía trên")
        return
    seen.add(key)
    report.count(upsert_event(session, values, changed_by=changed_by))
