"""Reading agency record files — JSON Lines, CSV (UTF-8 or GB18030) and XLSX — into numbered records.

Agencies deliver spreadsheets as often as APIs: an Excel workbook exported from an
office system, a CSV saved by WPS in GB18030, a JSON Lines dump from a database.
Each record comes back with the number users see in their editor (the JSON line,
the CSV line, the spreadsheet row) so that every complaint names where to look.
A line that cannot be read as a record at all (broken JSON, more cells than the
header) becomes a reason for that line, not an exception; a file that cannot be read
at all raises :class:`FileFormatError`. Used by ``pilhub validate`` and
``pilhub records load``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hub.ingest.reasons import Reason

__all__ = ["FileFormatError", "Line", "RecordFile", "decode_text", "read_record_file"]

#: ``(line or row number, record or None, reason when the line itself is unreadable)``
Line = tuple[int, dict[str, Any] | None, Reason | None]

#: Codecs tried in order: UTF-8 (with or without BOM) is strict, so GB18030 text never passes
#: as UTF-8; GB18030 (a superset of GBK and GB2312) is what Chinese office software saves.
_CODECS = ("utf-8-sig", "gb18030")


class FileFormatError(ValueError):
    """The file itself cannot be read (not a record problem)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass
class RecordFile:
    """What was read: the format, the text encoding found (``None`` for XLSX), the records and the bytes."""

    path: Path
    format: str  # jsonl | csv | tsv | xlsx
    encoding: str | None
    lines: list[Line]
    body: bytes


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, codec)``: UTF-8 (BOM allowed) if the bytes are valid UTF-8, else GB18030."""
    for codec in _CODECS:
        try:
            return data.decode(codec), "utf-8" if codec == "utf-8-sig" else codec
        except UnicodeDecodeError:
            continue
    raise FileFormatError("文件既不是 UTF-8 也不是 GB18030 编码", "the file is neither UTF-8 nor GB18030")


def _cell(value: str | None) -> Any:
    """A CSV cell: stripped; empty → ``None``; a JSON list or object (``[…]``, ``{…}``) is parsed."""
    if value is None:
        return None
    value = value.strip()
    if value == "":
        return None
    if value[0] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _xlsx_cell(value: Any) -> Any:
    """A spreadsheet cell as JSON data: text stripped, dates as ISO text (midnight → a date)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _cell(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _csv_lines(text: str, delimiter: str) -> list[Line]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[Line] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            out.append(
                (
                    line,
                    None,
                    Reason(
                        "", "csv.columns", f"第 {line} 行列数多于表头", f"line {line} has more cells than the header"
                    ),
                )
            )
            continue
        out.append((line, {k.strip(): v for k, v in ((k, _cell(v)) for k, v in row.items()) if v is not None}, None))
    return out


def _jsonl_lines(text: str) -> list[Line]:
    out: list[Line] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(
                (
                    number,
                    None,
                    Reason(
                        "",
                        "json.invalid",
                        f"第 {number} 行不是合法 JSON（第 {exc.colno} 列）",
                        f"line {number} is not valid JSON (column {exc.colno})",
                    ),
                )
            )
            continue
        if not isinstance(record, dict):
            out.append(
                (
                    number,
                    None,
                    Reason(
                        "", "json.not_object", f"第 {number} 行不是 JSON 对象", f"line {number} is not a JSON object"
                    ),
                )
            )
            continue
        out.append((number, record, None))
    return out


def _xlsx_lines(body: bytes) -> list[Line]:
    """The first worksheet: the first non-empty row is the header; empty rows are skipped."""
    from openpyxl import load_workbook  # only when a workbook is read: keeps the CLI start fast

    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(
            f"无法读取 Excel 工作簿（{type(exc).__name__}）", f"cannot read the Excel workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = book.worksheets[0]
        header: list[str | None] | None = None
        out: list[Line] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if header is None:
                header = [str(v).strip() if v is not None and str(v).strip() else None for v in values]
                continue
            record: dict[str, Any] = {}
            problem = None
            for column, value in enumerate(values):
                cell = _xlsx_cell(value)
                if cell is None:
                    continue
                name = header[column] if column < len(header) else None
                if name is None:
                    problem = Reason(
                        "",
                        "xlsx.columns",
                        f"第 {number} 行第 {column + 1} 列有值但表头为空",
                        f"row {number}, column {column + 1} has a value but no header",
                    )
                    break
                record[name] = cell
            out.append((number, None, problem) if problem else (number, record, None))
        return out
    finally:
        book.close()


def read_record_file(path: Path) -> RecordFile:
    """Read ``path`` by its suffix (``.xlsx``, ``.csv``, ``.tsv``, else JSON Lines unless it does not look like JSON)."""
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"文件不存在：{path}", f"no such file: {path}") from None
    except OSError as exc:
        raise FileFormatError(f"无法读取文件 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or body[:4] == b"PK\x03\x04":
        return RecordFile(path, "xlsx", None, _xlsx_lines(body), body)
    if suffix == ".xls":
        raise FileFormatError(
            "不支持旧版 .xls 工作簿，请另存为 .xlsx 或 CSV",
            "legacy .xls workbooks are not supported; save as .xlsx or CSV",
        )
    text, encoding = decode_text(body)
    if suffix == ".tsv":
        return RecordFile(path, "tsv", encoding, _csv_lines(text, "\t"), body)
    if suffix == ".csv" or not text.lstrip().startswith(("{", "[")):
        return RecordFile(path, "csv", encoding, _csv_lines(text, ","), body)
    return RecordFile(path, "jsonl", encoding, _jsonl_lines(text), body)
