"""The loading pipeline every batch goes through: validate, check the batch, load idempotently.

One call, one transaction (:func:`load_batch`): what was received ends up exactly once
in one of three places, and ``received = loaded + duplicates + quarantined`` always
holds (it is asserted):

* **loaded** — valid and new, or changed: a record is keyed by (agency, stream,
  source id); changed content becomes version n+1 and version n is kept with
  ``is_current = False``;
* **duplicates** — the same content again (same content hash as the current version,
  or a repeat inside the batch);
* **quarantined** — rejected by the record contract (field paths and reasons kept
  with the raw record), or the whole batch held because a blocking expectation of the
  batch suite failed.

The stream's cursor is written in the same transaction, so it can never run ahead of
what is stored. It does not move past a record that is *newly* quarantined in this
batch: the next pull fetches it again, so a record garbled in transit is picked up
cleanly on the re-run (and its quarantine item is then marked superseded). A record
that arrives again byte-for-byte identical to one already held is recognised (same
raw hash) and no longer holds the cursor — bad data at the source cannot stall a stream.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, column, func, insert, select, table, update
from sqlalchemy.orm import Session

from hub import audit
from hub.ingest.batch_check import check_batch
from hub.ingest.incoming import Incoming
from hub.ingest.personal_split import split_personal
from hub.ingest.reasons import Reason, reasons_to_json
from hub.ingest.sealing import seal_json
from hub.personal_data import encrypt
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch, QuarantineItem
from schemas.registry import get_model
from schemas.validation import validate_records

#: Envelope fields that describe the delivery, not the record: left out of the content hash.
DELIVERY_FIELDS = frozenset({"fetched_at", "payload_hash", "signature", "schema_version"})
RAW_COLUMN = "quarantine.raw_enc"
PERSONAL_COLUMN = "agency_records.personal_enc"
_CHUNK = 500


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def raw_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of a raw record's canonical JSON (the envelope's ``payload_hash``)."""
    return hashlib.sha256(_canonical(raw).encode("utf-8")).hexdigest()


@dataclass
class _Valid:
    """A record that passed the contract, split and serialised once for hashing and storing."""

    item: Incoming
    payload_json: str  # canonical JSON without delivery fields and without personal data
    personal_json: str  # canonical JSON of the personal-data fields ("" if none)
    delivery: dict[str, Any]
    chash: str
    dump: dict[str, Any]


def _split_valid(kind: str, item: Incoming, dump: dict[str, Any]) -> _Valid:
    """Split off personal data and serialise once; the content hash covers both halves (a corrected
    name of a person is a new version) but not the delivery fields (a re-delivery is a duplicate)."""
    core = {k: v for k, v in dump.items() if k not in DELIVERY_FIELDS}
    payload, personal = split_personal(kind, core)
    payload_json = _canonical(payload)
    personal_json = _canonical(personal) if personal else ""
    chash = hashlib.sha256(f"{payload_json}\x00{personal_json}".encode()).hexdigest()
    return _Valid(item, payload_json, personal_json, {k: dump.get(k) for k in DELIVERY_FIELDS}, chash, dump)


def _stored_payload(valid: _Valid) -> str:
    """The payload column: the record without personal data, delivery fields included (JSON text)."""
    delivery = _canonical(valid.delivery)
    if valid.payload_json == "{}":
        return delivery
    return valid.payload_json[:-1] + "," + delivery[1:]


#: ``agency_records`` with ``payload`` as text, so the JSON serialised once above is not serialised again.
_RECORDS = table(
    AgencyRecord.__tablename__,
    *[
        column(c.name, Text() if c.name == "payload" else c.type)
        for c in AgencyRecord.__table__.columns
        if c.name != "id"
    ],
)


@dataclass
class BatchSpec:
    """Where a batch comes from and how it is pulled (everything but the records)."""

    agency_code: str
    stream: str
    kind: str
    source_system: str
    schema_version: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    cursor_before: str | None = None
    run_id: str | None = None
    actor: str = "pilhub.ingest"
    advance_cursor: bool = True
    previous_row_count: int | None = None
    hold_failed_batch: bool = True  # False (replay): a batch that still fails raises BatchStillFailing


@dataclass
class BatchOutcome:
    batch_pk: int
    status: str
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    cursor_after: str | None = None
    reasons: Counter[str] = field(default_factory=Counter)
    warnings: list[Any] = field(default_factory=list)
    superseded: int = 0
    quarantine_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_pk,
            "status": self.status,
            "received": self.received,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
        }


class BatchStillFailing(RuntimeError):
    """Replay of a held batch failed its blocking expectations again (nothing was changed)."""

    def __init__(self, failures: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f.get('zh')} / {f.get('en')}" for f in failures) or "batch failed")
        self.failures = failures


def new_batch(session: Session, spec: BatchSpec) -> IngestBatch:
    """Create the batch row (status ``running``); the caller commits it so landings can point at it."""
    batch = IngestBatch(
        agency_code=spec.agency_code,
        stream=spec.stream,
        kind=spec.kind,
        window_start=spec.window_start,
        window_end=spec.window_end,
        cursor_before=spec.cursor_before,
        status="running",
        run_id=spec.run_id,
    )
    session.add(batch)
    session.flush()
    return batch


def build_envelope(spec: BatchSpec, version: str, item: Incoming) -> dict[str, Any]:
    row = dict(item.mapped or {})
    row.update(
        source_agency=spec.agency_code,
        source_system=spec.source_system,
        source_record_id=item.source_id,
        kind=spec.kind,
        schema_version=version,
        fetched_at=item.fetched_at,
        payload_hash=raw_hash(item.raw),
        signature=item.signature,
    )
    return row


def _quarantine_payload(item: Incoming) -> dict[str, Any]:
    return {
        "raw": item.raw,
        "landing_pk": item.landing_pk,
        "fetched_at": item.fetched_at.isoformat(),
    }


def _chunks(values: Sequence[Any]) -> Any:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def load_batch(
    session: Session, spec: BatchSpec, items: Sequence[Incoming], batch_pk: int | None = None
) -> BatchOutcome:
    """Validate, check and load ``items`` as one batch inside the caller's transaction."""
    state = _lock_stream(session, spec.agency_code, spec.stream)
    batch = session.get(IngestBatch, batch_pk) if batch_pk is not None else new_batch(session, spec)
    assert batch is not None
    model = get_model(spec.kind)
    version = spec.schema_version or model.SCHEMA_VERSION
    outcome = BatchOutcome(batch_pk=batch.id, status="loaded", received=len(items))
    now = datetime.now(UTC)

    # 1. The record contract.
    rejects: list[tuple[Incoming, list[Reason]]] = []
    candidates: list[Incoming] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        if item.mapped is None or item.reasons:
            rejects.append((item, item.reasons or [Reason("", "mapping.failed", "映射失败", "mapping failed")]))
        else:
            candidates.append(item)
            rows.append(build_envelope(spec, version, item))
    checked = validate_records(spec.kind, rows)
    for index, errors in checked.invalid:
        rejects.append((candidates[index], [Reason(e.path, e.code, e.zh, e.en) for e in errors]))
    valid = [
        _split_valid(spec.kind, candidates[index], record.model_dump(mode="json")) for index, record in checked.valid
    ]

    # 2. Versions inside the batch: a repeat of the previous content of the same id is a duplicate.
    sequences: dict[str, list[_Valid]] = {}
    for entry in valid:
        seq = sequences.setdefault(entry.item.source_id or "", [])
        if seq and seq[-1].chash == entry.chash:
            outcome.duplicates += 1
        else:
            seq.append(entry)

    # 3. The batch contract, over the latest content of each id.
    verdict = check_batch(spec.kind, [seq[-1].dump for seq in sequences.values()], spec.previous_row_count)
    batch.validation = {**verdict.summary, "blocking_failed": verdict.blocking}
    outcome.warnings = list(verdict.summary.get("warnings", [])) if isinstance(verdict.summary, dict) else []

    if verdict.blocking:
        if not spec.hold_failed_batch:
            raise BatchStillFailing(verdict.failures)
        held = [entry.item for entry in valid]
        reasons = [
            {"field": f.get("field", ""), "code": f"batch.{f['expectation']}", "zh": f["zh"], "en": f["en"]}
            for f in verdict.failures
        ] or [{"field": "", "code": "batch.failed", "zh": "批次校验未通过", "en": "batch expectations failed"}]
        payload = {"records": [_quarantine_payload(i) for i in held], "source_system": spec.source_system}
        item_row = QuarantineItem(
            scope="batch",
            batch_pk=batch.id,
            agency_code=spec.agency_code,
            stream=spec.stream,
            kind=spec.kind,
            source_id=None,
            schema_version=version,
            raw_enc=seal_json(payload, RAW_COLUMN),
            raw_hash=hashlib.sha256(_canonical([i.raw for i in held]).encode()).hexdigest(),
            reasons=reasons,
            status="held",
        )
        session.add(item_row)
        session.flush()
        outcome.quarantine_ids.append(item_row.id)
        outcome.quarantined += len(held)  # every valid record is held, in-batch repeats included
        outcome.duplicates = 0
        for r in reasons:
            outcome.reasons[r["code"]] += len(held)
        outcome.status = "quarantined"
        loaded_ids: set[str] = set()
    else:
        loaded_ids = _store_versions(session, spec, version, sequences, outcome)

    # 4. Record-level rejects (kept with their raw record; identical held rejects not stored twice).
    new_holds = _quarantine_records(session, spec, version, batch.id, rejects, outcome)

    # 5. Held items of ids that have now arrived clean are superseded.
    superseded_ids = _supersede(session, spec, loaded_ids, batch.id, now)
    outcome.superseded = len(superseded_ids)
    new_holds = [item for qid, item in new_holds if qid not in superseded_ids]

    # 6. Counts, cursor, audit.
    if outcome.received != outcome.loaded + outcome.duplicates + outcome.quarantined:
        raise AssertionError(
            f"计数不平 / counts do not add up: {outcome.received} != {outcome.loaded}+{outcome.duplicates}+{outcome.quarantined}"
        )
    outcome.cursor_after = _cursor_after(spec, items, new_holds, state.cursor)
    batch.status = outcome.status
    batch.received, batch.loaded = outcome.received, outcome.loaded
    batch.duplicates, batch.quarantined = outcome.duplicates, outcome.quarantined
    batch.cursor_after = outcome.cursor_after
    batch.finished_at = datetime.now(UTC)
    if spec.advance_cursor:
        state = session.get(ConnectorState, (spec.agency_code, spec.stream))
        if state is None:
            session.add(
                ConnectorState(
                    agency_code=spec.agency_code, stream=spec.stream, cursor=outcome.cursor_after, updated_at=now
                )
            )
        else:
            state.cursor = outcome.cursor_after
            state.updated_at = now
    audit.append(
        session,
        actor=spec.actor,
        action="ingest.batch_" + outcome.status,
        object_type="ingest_batch",
        object_id=str(batch.id),
        after=outcome.as_dict(),
        detail={
            "agency_code": spec.agency_code,
            "stream": spec.stream,
            "kind": spec.kind,
            "run_id": spec.run_id,
            "cursor_before": spec.cursor_before,
            "cursor_after": outcome.cursor_after,
            **{k: v for k, v in outcome.as_dict().items() if k != "batch"},
        },
    )
    return outcome


def _lock_stream(session: Session, agency_code: str, stream: str) -> ConnectorState:
    """Lock the stream's state row for the transaction, so two loads of one stream never interleave.

    Versions are numbered from what the transaction reads; without the lock, two concurrent
    pulls of the same stream (a CLI pull during an Airflow run) could both number a record
    version 1 on PostgreSQL. SQLite serialises writers already (``BEGIN IMMEDIATE``).
    """
    state = session.execute(
        select(ConnectorState)
        .where(ConnectorState.agency_code == agency_code, ConnectorState.stream == stream)
        .with_for_update()
    ).scalar_one_or_none()
    if state is None:
        state = ConnectorState(agency_code=agency_code, stream=stream, cursor=None, updated_at=datetime.now(UTC))
        session.add(state)
        session.flush()
    return state


def _store_versions(
    session: Session,
    spec: BatchSpec,
    version: str,
    sequences: dict[str, list[_Valid]],
    outcome: BatchOutcome,
) -> set[str]:
    """Insert new and changed records as new versions; count unchanged ones as duplicates."""
    current: dict[str, tuple[int, str, int]] = {}
    ids = list(sequences)
    for chunk in _chunks(ids):
        for pk, sid, chash, ver in session.execute(
            select(AgencyRecord.id, AgencyRecord.source_id, AgencyRecord.content_hash, AgencyRecord.version).where(
                AgencyRecord.agency_code == spec.agency_code,
                AgencyRecord.stream == spec.stream,
                AgencyRecord.is_current.is_(True),
                AgencyRecord.source_id.in_(chunk),
            )
        ):
            current[sid] = (pk, chash, ver)
    inserts: list[dict[str, Any]] = []
    retire: list[int] = []
    for sid, seq in sequences.items():
        existing = current.get(sid)
        next_version = 1
        if existing is not None:
            if seq[0].chash == existing[1]:
                outcome.duplicates += 1
                seq = seq[1:]
            next_version = existing[2] + 1
            if seq:
                retire.append(existing[0])
        loaded_at = datetime.now(UTC)
        for n, entry in enumerate(seq):
            inserts.append(
                {
                    "agency_code": spec.agency_code,
                    "stream": spec.stream,
                    "source_id": sid,
                    "version": next_version + n,
                    "is_current": n == len(seq) - 1,
                    "kind": spec.kind,
                    "schema_version": version,
                    "payload": _stored_payload(entry),
                    "personal_enc": encrypt(entry.personal_json, PERSONAL_COLUMN) if entry.personal_json else None,
                    "content_hash": entry.chash,
                    "landing_id": entry.item.landing_pk,
                    "fetched_at": entry.item.fetched_at,
                    "loaded_at": loaded_at,
                }
            )
    for chunk in _chunks(retire):
        session.execute(update(AgencyRecord).where(AgencyRecord.id.in_(chunk)).values(is_current=False))
    if inserts:
        session.connection().execute(insert(_RECORDS), inserts)  # Core executemany: no ORM overhead
    outcome.loaded += len(inserts)
    return set(ids)


def _quarantine_records(
    session: Session,
    spec: BatchSpec,
    version: str,
    batch_pk: int,
    rejects: list[tuple[Incoming, list[Reason]]],
    outcome: BatchOutcome,
) -> list[tuple[int, Incoming]]:
    if not rejects:
        return []
    hashes = [raw_hash(item.raw) for item, _ in rejects]
    already: set[str] = set()
    for chunk in _chunks(sorted(set(hashes))):
        already.update(
            session.execute(
                select(QuarantineItem.raw_hash).where(
                    QuarantineItem.agency_code == spec.agency_code,
                    QuarantineItem.stream == spec.stream,
                    QuarantineItem.status == "held",
                    QuarantineItem.raw_hash.in_(chunk),
                )
            ).scalars()
        )
    new: list[tuple[int, Incoming]] = []
    for (item, reasons), rhash in zip(rejects, hashes, strict=True):
        outcome.quarantined += 1
        for r in reasons:
            outcome.reasons[r.code] += 1
        if rhash in already:
            continue  # the same bytes are already held: counted, not stored twice, cursor not held
        already.add(rhash)
        row = QuarantineItem(
            scope="record",
            batch_pk=batch_pk,
            landing_pk=item.landing_pk,
            agency_code=spec.agency_code,
            stream=spec.stream,
            kind=spec.kind,
            source_id=(item.source_id or None) and item.source_id[:200],
            schema_version=version,
            raw_enc=seal_json(_quarantine_payload(item), RAW_COLUMN),
            raw_hash=rhash,
            reasons=reasons_to_json(reasons),
            status="held",
        )
        session.add(row)
        session.flush()
        outcome.quarantine_ids.append(row.id)
        new.append((row.id, item))
    return new


def _supersede(session: Session, spec: BatchSpec, settled: set[str], batch_pk: int, now: datetime) -> set[int]:
    """Mark held record items whose id has now been loaded (or found unchanged) as replayed."""
    if not settled:
        return set()
    held = session.execute(
        select(func.count())
        .select_from(QuarantineItem)
        .where(
            QuarantineItem.agency_code == spec.agency_code,
            QuarantineItem.stream == spec.stream,
            QuarantineItem.status == "held",
            QuarantineItem.scope == "record",
        )
    ).scalar_one()
    if not held:
        return set()
    ids: set[int] = set()
    for chunk in _chunks(sorted(settled)):
        ids.update(
            session.execute(
                select(QuarantineItem.id).where(
                    QuarantineItem.agency_code == spec.agency_code,
                    QuarantineItem.stream == spec.stream,
                    QuarantineItem.status == "held",
                    QuarantineItem.scope == "record",
                    QuarantineItem.source_id.in_(chunk),
                )
            ).scalars()
        )
    for chunk in _chunks(sorted(ids)):
        session.execute(
            update(QuarantineItem)
            .where(QuarantineItem.id.in_(chunk))
            .values(
                status="replayed",
                resolved_at=now,
                resolution=f"superseded: delivered again and stored (batch {batch_pk})",
            )
        )
    return ids


def _cursor_after(
    spec: BatchSpec, items: Sequence[Incoming], new_holds: list[Incoming], current: str | None
) -> str | None:
    if new_holds:
        held = [i.cursor for i in new_holds]
        if any(c is None for c in held):
            return spec.cursor_before  # cannot tell where the bad record sits: do not move
        return min(c for c in held if c is not None)
    seen = [i.cursor for i in items if i.cursor]
    seen += [c for c in (spec.cursor_before, current) if c]  # never move back past what is stored
    return max(seen) if seen else spec.cursor_before
