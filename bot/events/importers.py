"""Import event files that staff receive: CSV (Excel "CSV UTF-8") and iCalendar (.ics).

Every row is validated on its own: good rows are stored, bad rows are reported with their line
number and what to fix. Re-importing the same file changes nothing (stable keys: the ``key``
column, the .ics ``UID``, or a hash of title and start date).

CLI: ``python -m bot.events.importers FILE.csv|FILE.ics [--database-url URL]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

from icalendar import Calendar
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.events import vocab
from bot.events.store import WriteReport, store_record
from bot.nlp.normalize import search_key

# Vietnamese column headings staff are likely to use (folded) → record field.
HEADER_ALIASES = {
    "ma": "key", "ma su kien": "key", "tieu de": "title", "ten su kien": "title", "ten": "title",
    "tom tat": "summary", "mo ta": "summary", "loai": "kind", "hinh thuc": "kind",
    "don vi to chuc": "host", "don vi chu tri": "host", "phoi hop": "co_hosts",
    "doi tuong": "audience", "chu de": "topics", "bat dau": "start", "ngay bat dau": "start",
    "ket thuc": "end", "ngay ket thuc": "end", "ca ngay": "all_day", "dia diem": "venue",
    "dia chi": "address", "tinh thanh": "city", "thanh pho": "city",
    "link truc tuyen": "online_url",
    "dang ky": "registration", "han dang ky": "registration_deadline", "so luong": "capacity",
    "ghi chu dang ky": "registration_info", "lien he": "contact", "nguon": "source_url",
    "trang thai": "status", "du kien": "tentative",
}
_STATUS_ALIASES = {"da huy": "cancelled", "huy": "cancelled", "hoan": "postponed",
                   "tam hoan": "postponed", "dien ra": "scheduled", "binh thuong": "scheduled"}


def _column(name: str) -> str:
    key = search_key(name or "").strip().replace("_", " ")
    return HEADER_ALIASES.get(key, key.replace(" ", "_"))


def _read_text(source: str | Path | bytes) -> str:
    if isinstance(source, bytes):
        return source.decode("utf-8-sig")
    return Path(source).read_text(encoding="utf-8-sig")


def _store(session: Session, report: WriteReport, label: str, record: dict[str, Any],
           changed_by: str, seen: set[str]) -> None:
    status = search_key(str(record.get("status") or ""))
    if status in _STATUS_ALIASES:
        record["status"] = _STATUS_ALIASES[status]
    store_record(session, report, label, record, changed_by=changed_by, seen=seen)


def import_csv(session: Session, source: str | Path | bytes, changed_by: str = "import:csv"
               ) -> WriteReport:
    """Import a CSV with a header row (English field names or Vietnamese headings).

    Lists (audience, topics) are separated by commas or semicolons inside the cell.
    """
    report = WriteReport()
    try:
        text = _read_text(source)
    except UnicodeDecodeError:
        report.errors.append("tệp không phải UTF-8: hãy lưu lại dạng \"CSV UTF-8\"")
        return report
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        report.errors.append("tệp trống")
        return report
    columns = [_column(h) for h in header]
    if "title" not in columns or "start" not in columns:
        report.errors.append("dòng 1: cần có cột title (tiêu đề) và start (bắt đầu)")
        return report
    seen: set[str] = set()
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            report.errors.append(
                f"dòng {line_no}: nhiều ô hơn tiêu đề ({len(row)}/{len(columns)})")
            continue
        cells = zip(columns, row, strict=False)
        record = {col: cell.strip() for col, cell in cells if cell.strip()}
        _store(session, report, f"dòng {line_no}", record, changed_by, seen)
    return report


def _ics_value(component: Any, name: str) -> Any:
    value = component.get(name)
    if value is None:
        return None
    if hasattr(value, "dt"):
        return value.dt
    return str(value)


def _ics_moment(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=TIMEZONE)  # "floating" times: local to Cà Mau
    return value


def _organizer(component: Any) -> str:
    organizer = component.get("ORGANIZER")
    return str(organizer.params.get("CN", "")) if organizer is not None else ""


def import_ics(session: Session, source: str | Path | bytes, changed_by: str = "import:ics"
               ) -> WriteReport:
    """Import the VEVENTs of an iCalendar file (UID is the stable key)."""
    report = WriteReport()
    try:
        calendar = Calendar.from_ical(_read_text(source))
    except (ValueError, UnicodeDecodeError) as exc:
        report.errors.append(f"tệp .ics không đọc được: {exc.__class__.__name__}")
        return report
    seen: set[str] = set()
    for index, component in enumerate(calendar.walk("VEVENT"), start=1):
        uid = _ics_value(component, "UID")
        title = _ics_value(component, "SUMMARY") or ""
        start = _ics_moment(_ics_value(component, "DTSTART"))
        end = _ics_moment(_ics_value(component, "DTEND"))
        all_day = isinstance(start, dt.date) and not isinstance(start, dt.datetime)
        if all_day and isinstance(end, dt.date):
            end = end - dt.timedelta(days=1)  # DTEND of a DATE event is exclusive
        categories = component.get("CATEGORIES")
        category_text = " ".join(str(c) for c in getattr(categories, "cats", []) or [])
        kind = vocab.find_first("kind", search_key(f"{category_text} {title}")) or "other"
        status = {"CANCELLED": "cancelled", "TENTATIVE": "scheduled"}.get(
            str(_ics_value(component, "STATUS") or "").upper(), "scheduled")
        url = _ics_value(component, "URL")
        record = {
            "key": f"ics:{uid}" if uid else None,
            "title": title,
            "summary": _ics_value(component, "DESCRIPTION") or "",
            "kind": kind,
            "host": _organizer(component),
            "start": start,
            "end": end,
            "all_day": all_day,
            "venue": _ics_value(component, "LOCATION") or "",
            "source_url": url if url and str(url).startswith("http") else "",
            "status": status,
            "tentative": str(_ics_value(component, "STATUS") or "").upper() == "TENTATIVE",
        }
        _store(session, report, f"sự kiện {index} ({uid or title or '?'})", record, changed_by,
               seen)
    return report


def import_file(session: Session, path: str | Path) -> WriteReport:
    path = Path(path)
    if path.suffix.lower() == ".ics":
        return import_ics(session, path, changed_by=f"import:{path.name}")
    if path.suffix.lower() in (".csv", ".txt"):
        return import_csv(session, path, changed_by=f"import:{path.name}")
    report = WriteReport()
    suffix = path.suffix or "(không đuôi)"
    report.errors.append(f"không hỗ trợ định dạng {suffix}: dùng .csv hoặc .ics")
    return report


def main(argv: list[str] | None = None) -> int:
    from bot.db import session_scope
    from bot.db.migrate import upgrade

    parser = argparse.ArgumentParser(description="Nhập sự kiện từ tệp CSV hoặc .ics")
    parser.add_argument("file")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    upgrade(args.database_url)
    with session_scope(args.database_url) as session:
        report = import_file(session, args.file)
    print(report)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
