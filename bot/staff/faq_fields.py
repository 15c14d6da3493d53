"""Plain-text forms of an entry's phrasings, sources and entities.

Staff edit them as text — in the web form's text boxes and in spreadsheet cells alike — one item
per line:

- phrasings: one question per line (``;`` also separates, for spreadsheet cells);
- sources: ``Tiêu đề | https://đường-dẫn | 2026-11-26`` (link and date optional);
- entities: ``loại: giá trị, giá trị`` with loại ∈ agreement, co_form, country, product, hs_code.

>>> parse_sources("Thông tư 22/2016/TT-BCT | https://example.org | 2026-11-26")
[{'title': 'Thông tư 22/2016/TT-BCT', 'url': 'https://example.org', 'checked': '2026-11-26'}]
>>> parse_entities("agreement: ATIGA, RCEP")
[{'kind': 'agreement', 'value': 'ATIGA'}, {'kind': 'agreement', 'value': 'RCEP'}]
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

ENTITY_KINDS = ("agreement", "co_form", "country", "product", "hs_code")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class FieldError(ValueError):
    """A text that cannot be read; the message names the line and says what is expected."""


def _lines(text: str | None, split_semicolons: bool = False) -> list[str]:
    raw = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    parts = raw.split("\n")
    if split_semicolons:
        parts = [piece for part in parts for piece in part.split(";")]
    return [part.strip() for part in parts if part.strip()]


def parse_variants(text: str | None, lang: str = "vi") -> list[dict[str, str]]:
    """Distinct phrasings in order (exact duplicates dropped)."""
    seen: dict[str, None] = {}
    for line in _lines(text, split_semicolons=True):
        if len(line) > 500:
            raise FieldError(f"Câu hỏi quá dài (tối đa 500 ký tự): “{line[:40]}…”")
        seen.setdefault(line, None)
    return [{"text": line, "lang": lang} for line in seen]


def format_variants(variants: list[Any], lang: str = "vi") -> str:
    return "\n".join(_get(v, "text") for v in variants if (_get(v, "lang") or "vi") == lang)


def parse_sources(text: str | None) -> list[dict[str, Any]]:
    sources = []
    for number, line in enumerate(_lines(text), start=1):
        fields = [field.strip() for field in line.split("|")]
        title = fields[0]
        url = fields[1] if len(fields) > 1 and fields[1] else None
        checked = fields[2] if len(fields) > 2 and fields[2] else None
        if not title:
            raise FieldError(f"Nguồn dòng {number}: thiếu tiêu đề.")
        if url and not _URL.match(url):
            raise FieldError(f"Nguồn dòng {number}: đường dẫn phải bắt đầu bằng http:// hoặc https://")
        if checked:
            checked = parse_date(checked, f"Nguồn dòng {number}").isoformat()
        if len(fields) > 3:
            raise FieldError(f"Nguồn dòng {number}: dùng dạng “Tiêu đề | đường dẫn | ngày”.")
        sources.append({"title": title, "url": url, "checked": checked})
    return sources


def format_sources(sources: list[Any]) -> str:
    lines = []
    for source in sources:
        parts = [_get(source, "title") or "", _get(source, "url") or ""]
        checked = _get(source, "checked")
        if checked:
            parts.append(checked.isoformat() if isinstance(checked, dt.date) else str(checked))
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def parse_entities(text: str | None) -> list[dict[str, str]]:
    entities = []
    for number, line in enumerate(_lines(text, split_semicolons=True), start=1):
        kind, sep, values = line.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in ENTITY_KINDS:
            raise FieldError(
                f"Thực thể dòng {number}: dùng dạng “loại: giá trị”, loại là một trong "
                f"{', '.join(ENTITY_KINDS)}."
            )
        for value in (v.strip() for v in values.split(",")):
            if value:
                entities.append({"kind": kind, "value": value[:120]})
    return entities


def format_entities(entities: list[Any]) -> str:
    grouped: dict[str, list[str]] = {}
    for entity in entities:
        grouped.setdefault(_get(entity, "kind"), []).append(_get(entity, "value"))
    return "\n".join(f"{kind}: {', '.join(values)}" for kind, values in grouped.items())


def parse_date(value: Any, where: str) -> dt.date:
    """A date from ISO text (2026-11-26), Vietnamese order (26/11/2026) or a spreadsheet date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise FieldError(f"{where}: ngày “{text}” không hợp lệ (dùng 2026-11-26 hoặc 26/11/2026).")


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
