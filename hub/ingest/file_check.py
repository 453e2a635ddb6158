"""``pilhub validate KIND FILE``: hold an agency's extract to the contract before any connector exists.

Integration engineers get a JSON Lines or CSV export from an agency and need to know,
before writing a mapping, how much of it the contract accepts and why the rest is
rejected. Each line is validated as a record of KIND; envelope fields the hub fills on
ingestion (agency, system, fetch time, payload hash) are supplied when absent, so only
the agency's own fields are judged. Rejects are written with their line number and
reasons (field path, code, Chinese and English) next to the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.ingest.reasons import Reason
from schemas.registry import get_model
from schemas.validation import validate_records


@dataclass
class FileCheck:
    kind: str
    received: int = 0
    valid: int = 0
    invalid: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    messages: dict[str, Reason] = field(default_factory=dict)  # code → one example reason
    examples: list[tuple[int, Reason]] = field(default_factory=list)  # (line, reason), first few
    rejects_path: Path | None = None


class FileFormatError(ValueError):
    """The file itself cannot be read (not a record problem)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _decode(data: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("文件既不是 UTF-8 也不是 GB18030 编码", "the file is neither UTF-8 nor GB18030")


def _cell(value: str | None) -> Any:
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


def read_lines(path: Path) -> list[tuple[int, dict[str, Any] | None, Reason | None]]:
    """``(line number, record or None, reason when the line itself is unreadable)`` for each record."""
    text = _decode(path.read_bytes())
    is_csv = path.suffix.lower() in (".csv", ".tsv") or not text.lstrip().startswith(("{", "["))
    out: list[tuple[int, dict[str, Any] | None, Reason | None]] = []
    if is_csv:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        for row in reader:
            line = reader.line_num
            if None in row:
                out.append(
                    (
                        line,
                        None,
                        Reason(
                            "",
                            "csv.columns",
                            f"第 {line} 行列数多于表头",
                            f"line {line} has more cells than the header",
                        ),
                    )
                )
                continue
            out.append(
                (line, {k.strip(): v for k, v in ((k, _cell(v)) for k, v in row.items()) if v is not None}, None)
            )
        return out
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


def check_file(kind: str, path: Path, rejects_path: Path | None = None, max_examples: int = 10) -> FileCheck:
    """Validate every record in ``path`` as ``kind``; write rejects to ``rejects_path`` (default FILE.rejects.jsonl)."""
    model = get_model(kind)
    if not path.exists():
        raise FileFormatError(f"文件不存在：{path}", f"no such file: {path}")
    result = FileCheck(kind, rejects_path=rejects_path or path.with_name(path.name + ".rejects.jsonl"))
    lines = read_lines(path)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    row_lines: list[tuple[int, dict[str, Any]]] = []
    rejects: list[dict[str, Any]] = []

    def reject(line: int, record: Any, reasons: list[Reason]) -> None:
        result.invalid += 1
        for r in reasons:
            result.reasons[r.code] += 1
            result.messages.setdefault(r.code, r)
            if len(result.examples) < max_examples:
                result.examples.append((line, r))
        rejects.append({"line": line, "record": record, "reasons": [r.as_dict() for r in reasons]})

    for line, record, problem in lines:
        result.received += 1
        if record is None:
            reject(line, None, [problem] if problem else [])
            continue
        row = dict(record)
        row.setdefault("source_agency", "file-check")
        row.setdefault("source_system", path.name[:128] or "file")
        row.setdefault("source_record_id", f"line-{line}")
        row.setdefault("kind", kind)
        row.setdefault("schema_version", model.SCHEMA_VERSION)
        row.setdefault("fetched_at", now)
        row.setdefault(
            "payload_hash",
            hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest(),
        )
        rows.append(row)
        row_lines.append((line, record))
    checked = validate_records(kind, rows)
    result.valid = len(checked.valid)
    for index, errors in checked.invalid:
        line, record = row_lines[index]
        reject(line, record, [Reason(e.path, e.code, e.zh, e.en) for e in errors])
    rejects.sort(key=lambda r: r["line"])
    result.examples.sort(key=lambda e: e[0])
    if rejects and result.rejects_path is not None:
        with result.rejects_path.open("w", encoding="utf-8") as fh:
            for r in rejects:
                fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    assert result.received == result.valid + result.invalid
    return result
