"""FAQ import and export (xlsx, csv, yaml).

Import validates every row on its own: a bad row is reported with its number and column and
skipped; good rows are written. Rows are matched on ``id``, and a row equal to what is stored
changes nothing, so importing the same file twice is harmless. Each written entry gets a revision.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.knowledge.models import STATUSES, FaqEntry, FaqTopic
from bot.staff.accounts import StaffIdentity
from bot.staff.faq_fields import (
    ENTITY_KINDS,
    FieldError,
    format_entities,
    format_sources,
    format_variants,
    parse_date,
    parse_entities,
    parse_sources,
    parse_variants,
)
from bot.staff.revisions import apply_faq, record_change, snapshot_faq
from bot.staff.transfer.common import CellError, ImportReport, RowError, text_value
from bot.staff.transfer.tabular import SourceRow, read_rows, write_rows, write_yaml
from bot.staff.views.ui import FAQ_STATUS_LABELS

FAQ_COLUMNS = [
    "id", "topic", "status", "question", "answer", "variants", "question_en", "answer_en",
    "variants_en", "sources", "entities", "as_of",
]
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
_STATUS_BY_LABEL = {label.lower(): code for code, label in FAQ_STATUS_LABELS.items()}


def _entries(session: Session) -> list[FaqEntry]:
    return list(
        session.execute(
            select(FaqEntry)
            .options(
                selectinload(FaqEntry.variants),
                selectinload(FaqEntry.sources),
                selectinload(FaqEntry.entities),
            )
            .order_by(FaqEntry.topic, FaqEntry.id)
        ).scalars()
    )


def export_faq(session: Session, fmt: str) -> bytes:
    entries = _entries(session)
    if fmt == "yaml":
        return write_yaml({"entries": [_yaml_entry(e) for e in entries]})
    rows = [
        {
            "id": e.id, "topic": e.topic, "status": e.status, "question": e.question,
            "answer": e.answer, "variants": format_variants(e.variants, "vi"),
            "question_en": e.question_en, "answer_en": e.answer_en,
            "variants_en": format_variants(e.variants, "en"),
            "sources": format_sources(e.sources), "entities": format_entities(e.entities),
            "as_of": e.as_of.isoformat() if e.as_of else None,
        }
        for e in entries
    ]
    return write_rows(FAQ_COLUMNS, rows, fmt)


def _yaml_entry(entry: FaqEntry) -> dict[str, Any]:
    """One entry in the shape of the knowledge seed files (data/knowledge/README.md)."""
    item: dict[str, Any] = {
        "id": entry.id,
        "topic": entry.topic,
        "question": entry.question,
        "variants": [v.text for v in entry.variants if v.lang != "en"],
        "answer": entry.answer,
    }
    if entry.question_en or entry.answer_en:
        item["question_en"] = entry.question_en
        item["variants_en"] = [v.text for v in entry.variants if v.lang == "en"]
        item["answer_en"] = entry.answer_en
    entities: dict[str, list[str]] = {}
    for entity in entry.entities:
        entities.setdefault(entity.kind, []).append(entity.value)
    if entities:
        item["entities"] = entities
    item["sources"] = [
        {"title": s.title, "url": s.url, "checked": s.checked.isoformat() if s.checked else None}
        for s in entry.sources
    ]
    if entry.as_of:
        item["as_of"] = entry.as_of.isoformat()
    item["status"] = entry.status
    return item


def import_faq(
    session: Session, content: bytes, fmt: str, actor: StaffIdentity | str | None = None
) -> ImportReport:
    """Validate and upsert the entries of a file (the caller commits). See the module doc."""
    rows = read_rows(content, fmt, yaml_list_key="entries")
    topics = set(session.execute(select(FaqTopic.slug)).scalars())
    report = ImportReport()
    seen: dict[str, int] = {}
    for row in rows:
        try:
            record = validate_faq_row(row, topics)
        except CellError as problem:
            report.errors.append(RowError(row.number, problem.message, problem.column,
                                          _key_of(row)))
            continue
        if record["id"] in seen:
            report.errors.append(RowError(
                row.number, f"mã “{record['id']}” đã xuất hiện ở dòng {seen[record['id']]}.",
                "id", record["id"]))
            continue
        seen[record["id"]] = row.number
        _upsert(session, record, report, actor)
    return report


def _key_of(row: SourceRow) -> str | None:
    value = row.values.get("id")
    return str(value) if value is not None else None


def validate_faq_row(row: SourceRow, topics: set[str]) -> dict[str, Any]:
    """A row as a snapshot-shaped record, or CellError naming the first bad cell."""
    values = row.values
    if values.get("__invalid__"):
        raise CellError(None, "mục phải là một bảng khoá: giá trị.")
    entry_id = text_value(values, "id", required=True, max_length=80)
    if not _ID.match(entry_id):
        raise CellError("id", "chỉ gồm chữ thường không dấu a-z, số 0-9 và dấu gạch ngang.")
    topic = text_value(values, "topic", required=True)
    if topic not in topics:
        raise CellError("topic", f"chủ đề “{topic}” không tồn tại.")
    status = (text_value(values, "status") or "draft").lower()
    status = _STATUS_BY_LABEL.get(status, status)
    if status not in STATUSES:
        raise CellError("status", "phải là draft, published hoặc archived.")
    question = text_value(values, "question", required=True)
    answer = text_value(values, "answer", required=status == "published") or ""
    record: dict[str, Any] = {
        "id": entry_id,
        "topic": topic,
        "question": question,
        "answer": answer.strip(),
        "question_en": text_value(values, "question_en"),
        "answer_en": text_value(values, "answer_en"),
        "status": status,
        "as_of": None,
    }
    if values.get("as_of") not in (None, ""):
        try:
            record["as_of"] = parse_date(values["as_of"], "as_of").isoformat()
        except FieldError as exc:
            raise CellError("as_of", str(exc).split(": ", 1)[-1]) from exc
    try:
        record["variants"] = _variants(values.get("variants"), "vi") + _variants(
            values.get("variants_en"), "en"
        )
    except FieldError as exc:
        raise CellError("variants", str(exc)) from exc
    try:
        record["sources"] = _sources(values.get("sources"))
    except FieldError as exc:
        raise CellError("sources", str(exc)) from exc
    if status == "published" and not record["sources"]:
        raise CellError("sources", "câu hỏi đã xuất bản phải có ít nhất một nguồn.")
    try:
        record["entities"] = _entities(values.get("entities"))
    except FieldError as exc:
        raise CellError("entities", str(exc)) from exc
    return record


def _variants(value: Any, lang: str) -> list[dict[str, str]]:
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value if v is not None)
    return parse_variants(value, lang)


def _sources(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        sources = []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, dict) or not str(item.get("title") or "").strip():
                raise FieldError(f"Nguồn {number}: thiếu tiêu đề.")
            line = " | ".join(
                [str(item["title"]).strip(), str(item.get("url") or ""),
                 _date_text(item.get("checked"))]
            )
            sources.extend(parse_sources(line))
        return sources
    return parse_sources(value)


def _date_text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value or "")


def _entities(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):
        entities = []
        for kind, items in value.items():
            if kind not in ENTITY_KINDS:
                raise FieldError(f"loại thực thể “{kind}” không hợp lệ.")
            for item in items if isinstance(items, list) else [items]:
                if item not in (None, ""):
                    entities.append({"kind": kind, "value": str(item).strip()[:120]})
        return entities
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    return parse_entities(value)


def _upsert(
    session: Session, record: dict[str, Any], report: ImportReport,
    actor: StaffIdentity | str | None,
) -> None:
    entry = session.get(FaqEntry, record["id"])
    if entry is None:
        entry = FaqEntry(id=record["id"])
        apply_faq(session, entry, record)
        session.add(entry)
        record_change(session, entry, None, "import", actor)
        report.created.append(record["id"])
        return
    before = snapshot_faq(entry)
    if all(before.get(key) == value for key, value in record.items()):
        report.unchanged.append(record["id"])
        return
    apply_faq(session, entry, record)
    record_change(session, entry, before, "import", actor)
    report.updated.append(record["id"])
