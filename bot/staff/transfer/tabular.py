"""Reading and writing rows as Excel (.xlsx, openpyxl), CSV (UTF-8, Excel-friendly) and YAML.

Rows are dicts keyed by column name. Reading keeps each row's number as the person sees it in
their file (row 2 is the first data row under the header), so validation errors point at it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

FORMATS = {"xlsx": "Excel (.xlsx)", "csv": "CSV", "yaml": "YAML"}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "yaml": "application/x-yaml; charset=utf-8",
}
MAX_ROWS = 20000


class FileFormatError(ValueError):
    """The file as a whole cannot be read; the message is for people."""


@dataclass
class SourceRow:
    number: int  # 1-based row (spreadsheets) or item (YAML) number, as the person sees it
    values: dict[str, Any]


def format_of(filename: str) -> str:
    name = (filename or "").lower()
    for ext, fmt in ((".xlsx", "xlsx"), (".csv", "csv"), (".yaml", "yaml"), (".yml", "yaml")):
        if name.endswith(ext):
            return fmt
    raise FileFormatError("Chỉ nhận tệp .xlsx, .csv hoặc .yaml.")


def read_rows(content: bytes, fmt: str, yaml_list_key: str = "entries") -> list[SourceRow]:
    """Rows of a file; raises FileFormatError when the file itself is unreadable."""
    if fmt == "xlsx":
        return _read_xlsx(content)
    if fmt == "csv":
        return _read_csv(content)
    if fmt == "yaml":
        return _read_yaml(content, yaml_list_key)
    raise FileFormatError("Định dạng không được hỗ trợ.")


def _clean_header(value: Any) -> str:
    return str(value or "").strip().lower()


def _read_xlsx(content: bytes) -> list[SourceRow]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise FileFormatError("Không đọc được tệp Excel (.xlsx).") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_clean_header(cell) for cell in next(rows, [])]
    if not any(header):
        raise FileFormatError("Dòng đầu tiên của tệp phải là tên các cột.")
    result = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise FileFormatError(f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS}).")
        values = {name: restore_formula_text(cell)
                  for name, cell in zip(header, cells, strict=False) if name}
        if any(v not in (None, "") for v in values.values()):
            result.append(SourceRow(number, values))
    workbook.close()
    return result


def _read_csv(content: bytes) -> list[SourceRow]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError("Tệp CSV phải được lưu với bảng mã UTF-8.") from exc
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [_clean_header(cell) for cell in next(reader, [])]
    if not any(header):
        raise FileFormatError("Dòng đầu tiên của tệp phải là tên các cột.")
    result = []
    for number, cells in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise FileFormatError(f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS}).")
        values = {
            name: (restore_formula_text(cell) if cell != "" else None)
            for name, cell in zip(header, cells, strict=False)
            if name
        }
        if any(v is not None for v in values.values()):
            result.append(SourceRow(number, values))
    return result


def _read_yaml(content: bytes, list_key: str) -> list[SourceRow]:
    try:
        document = yaml.safe_load(content.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FileFormatError("Không đọc được tệp YAML (sai cú pháp hoặc không UTF-8).") from exc
    defaults: dict[str, Any] = {}
    if isinstance(document, dict):
        items = document.get(list_key)
        # A knowledge seed file: its topic applies to each of its entries.
        if "topic" in document and isinstance(document.get("topic"), str):
            defaults["topic"] = document["topic"]
    else:
        items = document
    if not isinstance(items, list):
        raise FileFormatError(f"Tệp YAML phải có danh sách “{list_key}”.")
    if len(items) > MAX_ROWS:
        raise FileFormatError(f"Tệp có quá nhiều mục (tối đa {MAX_ROWS}).")
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(SourceRow(number, {"__invalid__": True}))
            continue
        values = {_clean_header(k): v for k, v in item.items()}
        rows.append(SourceRow(number, {**defaults, **values}))
    return rows


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) that
# leaks data, DDE commands): OWASP's CSV-injection advice is a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` made inert for a spreadsheet: text that would start a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_formula_text(value: Any) -> Any:
    """The inverse of ``neutralise_formula``, so an exported file imports back unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _cell(value: Any) -> Any:
    value = _plain_cell(value)
    return neutralise_formula(value)


def _plain_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values are local already
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return "có" if value else "không"
    return value


def write_rows(columns: list[str], rows: Iterable[dict[str, Any]], fmt: str) -> bytes:
    """Rows as a file in ``fmt`` (xlsx or csv); YAML documents are written by ``write_yaml``."""
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        for column_cells in sheet.columns:
            for cell in column_cells[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[column_cells[0].column_letter].width = 28
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
        return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8
    raise FileFormatError("Định dạng không được hỗ trợ.")


def write_yaml(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    ).encode("utf-8")
