"""``pilhub records load KIND FILE --agency CODE``: an agency's spreadsheet through the same pipeline as a pull.

Many agencies answer a data request with a workbook, not an API. The file's columns
are the shared contract's own field names plus ``source_record_id`` (the agency's id of
the record); the hub fills the envelope — source agency (``--agency``), source system,
fetch time, payload hash, contract version — exactly as a connector does, so a record
loaded from a file is indistinguishable in the store from one pulled, and the rules are
the same ones: the file is landed raw (encrypted, hashed) before it is read, each record
is held to the contract, rejects go to quarantine with their reasons, changed content
becomes a new version, the same content again is a duplicate, and
``received = loaded + duplicates + quarantined``. Envelope fields in the file are refused
per record (the hub, not the file, says where a record came from).

An optional column ``source_updated_at`` gives the record's update time at the agency (ISO date and
time; without an offset it is Beijing time). Like a connector's watermark it is stored with the
version, so a later file carrying an *older* copy of a record is counted as a duplicate instead of
rolling the stored record back; without the column, versions follow the content alone.

Records of one kind loaded from files for one agency form the stream ``file:<kind>``
(its own source-id space; no cursor) with source system ``file``; the landing keeps the
file's name. Quarantined file records can be replayed after a
schema fix like any other (:func:`prepare_row` is the replay's preparation).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.sdk.watermark import Watermark
from hub.ingest.incoming import Incoming
from hub.ingest.landing import land
from hub.ingest.loader import BatchSpec, check_records, load_batch, new_batch, schema_version_of
from hub.ingest.reasons import Reason
from hub.ingest.record_files import FileFormatError, read_record_file
from hub.store.models import Agency
from schemas.records.base import RecordEnvelope
from schemas.registry import get_model

__all__ = [
    "ENVELOPE_FIELDS",
    "FILE_STREAM_PREFIX",
    "FILE_SYSTEM",
    "FileLoad",
    "FileUsageError",
    "file_stream",
    "load_record_file",
    "prepare_row",
]

FILE_STREAM_PREFIX = "file:"
#: The envelope's ``source_system`` of records loaded from files. One constant, not the file's name: the
#: content hash covers the envelope, so the same record in next month's workbook is a duplicate, not a version.
FILE_SYSTEM = "file"
#: Envelope fields the hub fills; a file that supplies them is refused record by record.
ENVELOPE_FIELDS = frozenset(RecordEnvelope.model_fields) - {"source_record_id"}
#: The optional column with the record's update time at the agency (not a contract field, not stored in the payload).
UPDATED_AT_COLUMN = "source_updated_at"
#: How that column is read: ISO text (``2026-12-01T09:00:00+08:00``, ``2026-12-01 09:00:00``); naive is Beijing time.
_UPDATED_AT = Watermark(UPDATED_AT_COLUMN)
_AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$")
_CONTENT_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FileUsageError(ValueError):
    """The command cannot run as asked (unknown kind or agency, unreadable file): nothing was stored."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def file_stream(kind: str) -> str:
    """The stream records of ``kind`` loaded from files belong to."""
    return f"{FILE_STREAM_PREFIX}{kind}"


@dataclass
class LineProblem:
    """One reason a record of the file was quarantined, with where it is in the file (never the value)."""

    line: int | None  # None: the batch as a whole
    source_record_id: str | None
    reason: Reason

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "source_record_id": self.source_record_id, **self.reason.as_dict()}


@dataclass
class FileLoad:
    """What ``load_record_file`` did; ``received = loaded + duplicates + quarantined``."""

    kind: str
    agency: str
    stream: str
    file: str
    format: str
    encoding: str | None
    batch: int | None = None
    landing: int | None = None
    status: str = "loaded"
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    problems: list[LineProblem] = field(default_factory=list)
    quarantine_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "agency": self.agency,
            "stream": self.stream,
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "batch": self.batch,
            "landing": self.landing,
            "status": self.status,
            "received": self.received,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
            "errors": [p.as_dict() for p in self.problems],
            "quarantine_ids": self.quarantine_ids,
        }


def prepare_row(raw: dict[str, Any], fetched_at: datetime, landing_pk: int | None = None) -> Incoming:
    """A file record → :class:`Incoming`: its ``source_record_id``, the contract fields, reasons for envelope fields."""
    value = raw.get("source_record_id")
    source_id = None if value is None or (isinstance(value, str) and not value.strip()) else str(value).strip()
    reasons = [
        Reason(
            name,
            "envelope.supplied",
            f"字段 {name} 由平台填写，文件中不应提供",
            f"field {name} is filled by the hub and must not be in the file",
        )
        for name in sorted(set(raw) & ENVELOPE_FIELDS)
    ]
    if source_id is None:
        reasons.insert(
            0,
            Reason(
                "source_record_id",
                "source_id.missing",
                "记录缺少来源编号 source_record_id",
                "record has no source_record_id",
            ),
        )
    updated = raw.get(UPDATED_AT_COLUMN)
    cursor = None if updated is None or updated == "" else _UPDATED_AT.cursor_of(updated)
    if cursor is None and updated not in (None, ""):
        reasons.append(
            Reason(
                UPDATED_AT_COLUMN,
                "source_updated_at.invalid",
                f"{UPDATED_AT_COLUMN} 不是日期时间（如 2026-12-01 09:00:00 或带时区的 ISO 时间）",
                f"{UPDATED_AT_COLUMN} is not a date and time (e.g. 2026-12-01 09:00:00, or ISO with an offset)",
            )
        )
    if reasons:
        return Incoming(raw, source_id, None, fetched_at, cursor, None, landing_pk, reasons)
    skip = ("source_record_id", UPDATED_AT_COLUMN)
    mapped = {k: v for k, v in raw.items() if k not in skip and v is not None and v != ""}
    return Incoming(raw, source_id, mapped, fetched_at, cursor, None, landing_pk)


def _check_agency(session: Session, code: str) -> None:
    if not _AGENCY_CODE.fullmatch(code):
        raise FileUsageError(
            f"单位代码“{code}”格式不对（字母、数字、. _ : -，2–64 位）",
            f"agency code '{code}' is malformed (letters, digits, . _ : -; 2–64 characters)",
        )
    if session.execute(select(Agency.id).where(Agency.code == code)).first() is None:
        raise FileUsageError(
            f"单位代码 {code} 不在机关名录中；先用 pilhub agencies import 导入名录",
            f"agency {code} is not in the agency registry; import it first with pilhub agencies import",
        )


def load_record_file(
    factory: sessionmaker[Session],
    kind: str,
    path: Path,
    agency_code: str,
    *,
    actor: str = "cli",
    on_stage: Any = None,
) -> FileLoad:
    """Land ``path``, then validate and load its records of ``kind`` for ``agency_code`` in one transaction.

    Raises :class:`FileUsageError` (nothing stored) for an unknown kind or agency or an unreadable
    file; every record problem is a quarantine reason instead, listed with its line.
    """
    from schemas.errors import InvalidValue

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    try:
        get_model(kind)
    except InvalidValue as exc:
        raise FileUsageError(exc.zh, exc.en) from None
    with factory() as session:
        _check_agency(session, agency_code)
    stage("read")
    try:
        read = read_record_file(path)
    except FileFormatError as exc:
        raise FileUsageError(exc.zh, exc.en) from None
    stream = file_stream(kind)
    result = FileLoad(kind, agency_code, stream, path.name, read.format, read.encoding)
    spec = BatchSpec(
        agency_code=agency_code,
        stream=stream,
        kind=kind,
        source_system=FILE_SYSTEM,
        run_id=f"file:{path.name}"[:64],
        actor=actor,
        advance_cursor=False,
    )
    fetched_at = datetime.now(UTC)
    with factory() as session, session.begin():  # batch and raw landing first, committed: the file is kept
        batch = new_batch(session, spec)
        landing = land(
            session,
            agency_code=agency_code,
            stream=stream,
            body=read.body,
            request={"file": path.name, "format": read.format, "kind": kind},
            status_code=None,
            content_type=_CONTENT_TYPES.get(read.format),
            encoding=read.encoding,
            batch_pk=batch.id,
            fetched_at=fetched_at,
        )
        result.batch, result.landing = batch.id, landing.id
    items: list[Incoming] = []
    line_of: dict[int, int] = {}
    for line, record, problem in read.lines:
        if record is None:
            item = Incoming(
                {"_line": line}, None, None, fetched_at, None, None, landing.id, [problem] if problem else []
            )
        else:
            item = prepare_row(record, fetched_at, landing.id)
        line_of[id(item)] = line
        items.append(item)
    stage("check")
    checked = check_records(spec, schema_version_of(spec), items)
    stage("store")
    with factory() as session, session.begin():
        outcome = load_batch(session, spec, items, batch_pk=result.batch, checked=checked)
    result.status = outcome.status
    result.received, result.loaded = outcome.received, outcome.loaded
    result.duplicates, result.quarantined = outcome.duplicates, outcome.quarantined
    result.reasons = outcome.reasons
    result.quarantine_ids = outcome.quarantine_ids
    for item, reasons in checked.unprepared + checked.invalid:
        for reason in reasons:
            result.problems.append(LineProblem(line_of[id(item)], item.source_id, reason))
    if outcome.status == "quarantined":  # the batch contract held every record: say so for each line
        for reason_code in outcome.reasons:
            if reason_code.startswith("batch."):
                result.problems.append(
                    LineProblem(
                        None, None, Reason("", reason_code, "整批未通过批次校验", "the whole batch failed its checks")
                    )
                )
    result.problems.sort(key=lambda p: (p.line or 0, p.reason.field))
    assert result.received == result.loaded + result.duplicates + result.quarantined
    return result
