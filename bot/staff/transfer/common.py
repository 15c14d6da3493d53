"""What every import reports: rows created, updated, unchanged, and row-level errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    row: int
    message: str
    column: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = f"Dòng {self.row}"
        if self.column:
            where += f", cột “{self.column}”"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated)

    def summary(self) -> str:
        return (
            f"Tạo mới {len(self.created)}, cập nhật {len(self.updated)}, "
            f"không đổi {len(self.unchanged)}, lỗi {len(self.errors)} dòng."
        )


class CellError(ValueError):
    """One cell that cannot be accepted."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def text_value(values: dict[str, Any], column: str, required: bool = False,
               max_length: int | None = None) -> str | None:
    value = values.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError(column, "không được để trống.")
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # spreadsheets turn "2024" into 2024.0
    if max_length and len(text) > max_length:
        raise CellError(column, f"dài quá {max_length} ký tự.")
    return text


def bool_value(values: dict[str, Any], column: str, default: bool = False) -> bool:
    value = values.get(column)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "có", "co", "x", "đúng", "dung"):
        return True
    if text in ("0", "false", "no", "không", "khong", "sai"):
        return False
    raise CellError(column, f"“{value}” không phải có/không.")
