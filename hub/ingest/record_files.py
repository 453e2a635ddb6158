"""Reading agency record files — JSON Lines, CSV (UTF-8 or GB18030) and XLSX — into numbered records.

Agencies deliver spreadsheets as often as APIs: an Excel workbook exported from an
office system, a CSV saved by WPS in GB18030, a JSON Lines dump from a database.
Each record comes back with the number users see in their editor (the JSON line,
the CSV line, the spreadsheet row) so that every complaint names where to look.
A line that cannot be read as a record at all (broken JSON, more cells than the
header) becomes a reason for that line, not an exception; a file that cannot be read
at all raises :class:`FileFormatError`. Used by ``pilhub validate`` and
``pilhub records load``.

Text formats are read through :mod:`schemas.textfile`: lines are bounded (an overlong line is a reason for that
line, never held whole), the encoding is detected (UTF-8 with or without BOM, GB18030, UTF-16 with a BOM), an
undecodable byte costs only its line, and JSON — in a line or in a CSV or spreadsheet cell — is parsed strictly
(duplicate keys, deep nesting and huge integers are reasons, not exceptions).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hub.ingest.reasons import Reason
from schemas.textfile import (
    SAMPLE_BYTES,
    LineProblem,
    TextFile,
    UnreadableFile,
    csv_records,
    detect_encoding,
    json_line,
    loads_strict,
    open_binary,
    open_text,
)

__all__ = ["FileFormatError", "Line", "RecordFile", "decode_text", "read_record_file"]

#: ``(line or row number, record or None, reason when the line itself is unreadable)``
Line = tuple[int, dict[str, Any] | None, Reason | None]


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
    _body: bytes | None = None

    @property
    def body(self) -> bytes:
        """The file's bytes as received (for the raw landing); read on demand, not while parsing."""
        if self._body is None:
            self._body = self.path.read_bytes()
        return self._body


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, codec)`` of a whole small document, the encoding detected as for record files."""
    try:
        codec, skip = detect_encoding(data[:SAMPLE_BYTES])
        return data[skip:].decode(codec), codec
    except UnreadableFile as exc:
        raise FileFormatError(exc.zh, exc.en) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"第 {line} 行含非法 {codec} 编码字节", f"line {line} holds bytes that are not valid {codec}"
        ) from None


def _reason(number: int, problem: LineProblem) -> Reason:
    field = "" if problem.field == "(line)" else problem.field
    return Reason(field, problem.code, f"第 {number} 行：{problem.zh}", f"line {number}: {problem.en}")


def _cell(value: str | None, number: int = 0, column: str = "") -> Any:
    """A CSV cell: stripped; empty → ``None``; a JSON list or object (``[…]``, ``{…}``) is parsed strictly.

    Text that merely starts with a bracket stays text; JSON that is hostile (nested over 64 levels, a
    4,300-digit integer, a duplicate key) raises :class:`_BadCell`, which rejects the line.
    """
    if value is None:
        return None
    value = value.strip()
    if value == "":
        return None
    if value[0] in "[{":
        parsed, problem = loads_strict(value, where=f"列 {column[:40]}" if column else "")
        if problem is None:
            return parsed
        if problem.code != "json.invalid":
            raise _BadCell(Reason(column, problem.code, f"第 {number} 行{problem.zh}", f"line {number} {problem.en}"))
    return value


class _BadCell(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _xlsx_cell(value: Any, number: int = 0, column: str = "") -> Any:
    """A spreadsheet cell as JSON data: text stripped, dates as ISO text (midnight → a date)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _cell(value, number, column)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _csv_lines(source: TextFile, delimiter: str) -> list[Line]:
    out: list[Line] = []
    for number, row, problem in csv_records(source, delimiter=delimiter):
        if row is None:
            out.append(
                (number, None, _reason(number, problem or LineProblem("csv.malformed", "格式错误", "malformed")))
            )
            continue
        try:
            record = {k: v for k, v in ((k, _cell(raw, number, k)) for k, raw in row.items()) if v is not None}
        except _BadCell as bad:
            out.append((number, None, bad.reason))
            continue
        out.append((number, record, None))
    return out


def _jsonl_lines(source: TextFile) -> list[Line]:
    out: list[Line] = []
    for line in source:
        if line.problem is None and not (line.text or "").strip():
            continue
        record, problem = json_line(line)
        out.append((line.number, record, _reason(line.number, problem) if problem else None))
    return out


def _xlsx_lines(body: bytes) -> list[Line]:
    """The first worksheet: the first non-empty row is the header; empty rows are skipped."""
    from openpyxl import load_workbook  # only when a workbook is read: keeps the CLI start fast

    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a hostile workbook can make zipfile, the XML parser or openpyxl raise anything
        raise FileFormatError(
            f"无法读取 Excel 工作簿（{type(exc).__name__}）", f"cannot read the Excel workbook ({type(exc).__name__})"
        ) from None
    try:
        return _sheet_lines(book)
    except FileFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - broken sheet XML found while reading rows
        raise FileFormatError(
            f"无法读取 Excel 工作表（{type(exc).__name__}）", f"cannot read the Excel worksheet ({type(exc).__name__})"
        ) from None
    finally:
        book.close()


def _sheet_lines(book: Any) -> list[Line]:
    """The first worksheet: the first non-empty row is the header; empty rows are skipped."""
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
            name = header[column] if column < len(header) else None
            try:
                cell = _xlsx_cell(value, number, name or "")
            except _BadCell as bad:
                problem = bad.reason
                break
            if cell is None:
                continue
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


def read_record_file(path: Path, *, encoding: str | None = None) -> RecordFile:
    """Read ``path`` by its suffix (``.xlsx``, ``.csv``, ``.tsv``, else JSON Lines unless it does not look like JSON).

    ``encoding`` forces the text encoding (default: detected).
    """
    try:
        with open_binary(path) as fh:
            magic = fh.read(4)
    except UnreadableFile as exc:
        raise FileFormatError(exc.zh, exc.en) from None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        body = path.read_bytes()
        return RecordFile(path, "xlsx", None, _xlsx_lines(body), body)
    if suffix == ".xls":
        raise FileFormatError(
            "不支持旧版 .xls 工作簿，请另存为 .xlsx 或 CSV",
            "legacy .xls workbooks are not supported; save as .xlsx or CSV",
        )
    try:
        source = open_text(path, encoding=encoding)
        if suffix == ".tsv":
            return RecordFile(path, "tsv", source.encoding, _csv_lines(source, "\t"))
        first = next((line.text for line in source if line.text and line.text.strip()), None)
        if suffix == ".csv" or (suffix not in (".jsonl", ".ndjson", ".json") and not _looks_like_json(first)):
            return RecordFile(path, "csv", source.encoding, _csv_lines(source, ","))
        return RecordFile(path, "jsonl", source.encoding, _jsonl_lines(source))
    except UnreadableFile as exc:
        raise FileFormatError(exc.zh, exc.en) from None


def _looks_like_json(first: str | None) -> bool:
    return (first or "").lstrip("\ufeff \t").startswith(("{", "["))
