"""``pilhub validate KIND FILE``: hold an agency's extract to the contract before any connector exists.

Integration engineers get a JSON Lines, CSV or XLSX export from an agency and need to know,
before writing a mapping, how much of it the contract accepts and why the rest is
rejected. Each line is validated as a record of KIND; envelope fields the hub fills on
ingestion (agency, system, fetch time, payload hash) are supplied when absent, so only
the agency's own fields are judged. Rejects are written with their line number and
reasons (field path, code, Chinese and English) next to the file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.ingest.reasons import Reason
from hub.ingest.record_files import FileFormatError, Line, read_record_file
from schemas.registry import get_model
from schemas.validation import validate_records

__all__ = ["FileCheck", "FileFormatError", "check_file", "read_lines"]


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


def read_lines(path: Path, *, encoding: str | None = None) -> list[Line]:
    """``(line number, record or None, reason when the line itself is unreadable)`` for each record."""
    return read_record_file(path, encoding=encoding).lines


def check_file(
    kind: str, path: Path, rejects_path: Path | None = None, max_examples: int = 10, *, encoding: str | None = None
) -> FileCheck:
    """Validate every record in ``path`` as ``kind``; write rejects to ``rejects_path`` (default FILE.rejects.jsonl)."""
    model = get_model(kind)
    result = FileCheck(kind, rejects_path=rejects_path or path.with_name(path.name + ".rejects.jsonl"))
    lines = read_lines(path, encoding=encoding)
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
