"""Import and export of FAQ entries and events as Excel, CSV and YAML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.staff.transfer.common import ImportReport, RowError
from bot.staff.transfer.tabular import FORMATS, MEDIA_TYPES, FileFormatError, format_of

KINDS = {"faq": "Câu hỏi thường gặp (FAQ)", "events": "Sự kiện"}

__all__ = [
    "FORMATS", "KINDS", "MEDIA_TYPES", "FileFormatError", "ImportReport", "RowError",
    "export_data", "format_of", "import_data",
]


def _functions(kind: str) -> tuple[Callable[..., bytes], Callable[..., ImportReport]]:
    if kind == "faq":
        from bot.staff.transfer.faq_io import export_faq, import_faq

        return export_faq, import_faq
    if kind == "events":
        from bot.staff.transfer.events_io import export_events, import_events

        return export_events, import_events
    raise FileFormatError("Loại dữ liệu không hợp lệ (faq hoặc events).")


def export_data(session: Session, kind: str, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise FileFormatError("Định dạng phải là xlsx, csv hoặc yaml.")
    return _functions(kind)[0](session, fmt)


def import_data(session: Session, kind: str, content: bytes, fmt: str, actor: Any = None
                ) -> ImportReport:
    """Validate and write a file's rows (the caller commits)."""
    return _functions(kind)[1](session, content, fmt, actor)
