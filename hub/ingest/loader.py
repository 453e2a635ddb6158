"""The loading pipeline every batch goes through: validate, check the batch, load idempotently.

One call, one transaction (:func:`load_batch`): what was received ends up exactly once
in one of three places, and ``received = loaded + duplicates + quarantined`` always
holds (it is asserted):

* **loaded** — valid and new, or changed: a record is keyed by (agency, stream,
  source id); changed content becomes version n+1 and version n is kept with
  ``is_current = False``;
* **duplicates** — the same content again (same content hash as the current version,
  or a repeat inside the batch), or a **stale** version: one whose source update time
  (the stream's watermark field, stored with each version) is older than the current
  version's — a lagging replica, a newest-first list that shifted, a backfill of an old
  window. It is counted, its raw delivery stays landed, and the newer version stays
  current. The same update time with other content is a new version (an agency that
  corrects a record without touching its update time); a delivery or a stored version
  without an update time is versioned by content alone;
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from keyword import iskeyword
from operator import itemgetter
from typing import Any

from sqlalchemy import Text, bindparam, column, func, insert, select, table, update
from sqlalchemy.orm import Session

from connectors.sdk.sink import Completeness
from hub import audit
from hub.ingest.batch_check import SuiteChunk, SuiteRows, check_batch
from hub.ingest.canonical import (
    canonical_bytes,
    canonical_text,
    dumps_are_plain,
    plain_canonical_bytes,
    raw_payload_hash,
)
from hub.ingest.incoming import Incoming
from hub.ingest.personal_split import free_text_fields, mask_free_text, names_someone_in, split_personal
from hub.ingest.reasons import Reason, reasons_to_json
from hub.ingest.sealing import encrypt_many, seal_json
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch, QuarantineItem
from schemas.registry import get_model, personal_data_fields
from schemas.validation import dump_records, validate_records

try:  # pragma: no branch - msgspec is in the pinned set (see hub.ingest.canonical)
    import msgspec

    _ENCODE_SORTED: Any = msgspec.json.Encoder(order="sorted").encode
except ImportError:  # pragma: no cover
    _ENCODE_SORTED = None

#: Envelope fields that describe the delivery, not the record: left out of the content hash.
DELIVERY_FIELDS = frozenset({"fetched_at", "payload_hash", "signature", "schema_version"})
RAW_COLUMN = "quarantine.raw_enc"
PERSONAL_COLUMN = "agency_records.personal_enc"
_CHUNK = 500
#: Source ids per ``IN (…)`` when looking up current versions: few round trips for a large batch,
#: well under SQLite's 32,766 bound parameters (and PostgreSQL's 65,535).
_LOOKUP_CHUNK = 5000


def _canonical(value: Any) -> str:
    """Canonical JSON text (sorted keys, no spaces) — see :mod:`hub.ingest.canonical`."""
    return canonical_text(value)


def raw_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of a raw record's canonical JSON (the envelope's ``payload_hash``)."""
    return raw_payload_hash(raw)


@dataclass(slots=True)
class Valid:
    """A record that passed the contract, split and serialised once for hashing and storing."""

    item: Incoming
    personal_json: bytes  # canonical JSON of the personal-data fields (b"" if none)
    chash: str
    dump: dict[str, Any] | None  # the model dump (JSON mode); None once the suite's columns were gathered
    stored: bytes  # the payload column (UTF-8): canonical JSON without personal data, then the delivery fields


@dataclass
class RecordsChecked:
    """Where the record contract put each item of a batch, in input order within each list.

    ``unprepared``: signature check or mapping already failed; ``invalid``: rejected by the
    model; ``valid``: passed, split and hashed. :func:`check_records` computes it in the
    loading process; a pull computes it page by page as the pages arrive and joins the pages'
    parts — the loader stores either the same way.
    """

    unprepared: list[tuple[Incoming, list[Reason]]] = field(default_factory=list)
    invalid: list[tuple[Incoming, list[Reason]]] = field(default_factory=list)
    valid: list[Valid] = field(default_factory=list)
    #: The batch suite's columns of ``valid``, page by page (``Valid.dump`` is then ``None``); ``None``:
    #: each ``Valid.dump`` holds its record's dump.
    suite: list[SuiteChunk] | None = None

    def extend(self, other: RecordsChecked) -> None:
        """Append a later page's parts (the order of a single check over all items is kept)."""
        if other.valid:
            if not self.valid:
                self.suite = None if other.suite is None else []
            elif (self.suite is None) != (other.suite is None):
                raise AssertionError(
                    "契约结果的列形式不一致 / verdicts with and without suite columns cannot be joined"
                )
            if self.suite is not None and other.suite is not None:
                self.suite.extend(other.suite)
        self.unprepared.extend(other.unprepared)
        self.invalid.extend(other.invalid)
        self.valid.extend(other.valid)

    def rejected_items(self) -> list[Incoming]:
        """The items the contract (or preparation) rejected — what a pull asks for again once."""
        return [item for item, _ in self.unprepared] + [item for item, _ in self.invalid]

    def suite_rows(self, kind: str, positions: list[int] | None = None) -> Sequence[dict[str, Any]]:
        """The rows the batch suite runs over: ``valid`` (or the entries at ``positions``), as dumps or columns."""
        if self.suite is None:
            picked = self.valid if positions is None else [self.valid[n] for n in positions]
            return [entry.dump for entry in picked]  # type: ignore[misc]
        return SuiteRows(kind, self.suite, positions)


def check_records(
    spec: BatchSpec, version: str, items: Sequence[Incoming], *, columns: tuple[str, ...] | None = None
) -> RecordsChecked:
    """The record contract over ``items``: envelope, pydantic model, JSON dump, personal split, hashes.

    Pure (no database): a pull runs it page by page as the pages arrive, the loader over a whole batch.
    With ``columns`` (the batch suite's, :func:`hub.ingest.batch_check.suite_columns`) the
    suite's columns are gathered from the dumps at once (:class:`SuiteChunk`) and the dumps
    dropped — what a pull does page by page, in its own process or in a worker.
    """
    out = RecordsChecked()
    kind, agency, system = spec.kind, spec.agency_code, spec.source_system
    candidates: list[Incoming] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        mapped = item.mapped
        if mapped is None or item.reasons:
            out.unprepared.append((item, item.reasons or [Reason("", "mapping.failed", "映射失败", "mapping failed")]))
            continue
        candidates.append(item)
        rows.append(  # build_envelope, inlined
            {
                **mapped,
                "source_agency": agency,
                "source_system": system,
                "source_record_id": item.source_id,
                "kind": kind,
                "schema_version": version,
                "fetched_at": item.fetched_at,
                "payload_hash": item_raw_hash(item),
                "signature": item.signature,
            }
        )
    checked = validate_records(kind, rows)
    del rows
    for index, errors in checked.invalid:
        out.invalid.append((candidates[index], [Reason(e.path, e.code, e.zh, e.en) for e in errors]))
    dumps = dump_records(kind, [record for _, record in checked.valid])  # one call: ≈5× a model_dump each
    out.valid = _split_many(kind, [candidates[index] for index, _ in checked.valid], dumps)
    if columns is not None:
        out.suite = [SuiteChunk.gather(kind, dumps, columns)] if dumps else []
        for entry in out.valid:
            entry.dump = None
    return out


@cache
def _personal_plan(kind: str) -> tuple[frozenset[str], bool]:
    """(top-level keys left out of the payload: delivery and personal fields, whether list-item paths exist)."""
    paths = personal_data_fields(kind)
    top = frozenset(p for p in paths if "[]." not in p)
    return DELIVERY_FIELDS | top, len(top) != len(paths)


def _dump_encoder(kind: str) -> Callable[[Any], bytes]:
    """Canonical JSON for this kind's model dumps: unchecked when the model can only dump plain JSON data."""
    return plain_canonical_bytes if dumps_are_plain(get_model(kind)) else canonical_bytes


def _split_valid(kind: str, item: Incoming, dump: dict[str, Any]) -> Valid:
    """Split off personal data and serialise once; the content hash covers both halves (a corrected
    name of a person is a new version) but not the delivery fields (a re-delivery is a duplicate).

    Same result as ``split_personal(kind, dump minus DELIVERY_FIELDS)`` — top-level personal fields
    are dropped in the one pass that drops the delivery fields; list-item paths (``a[].b``) go
    through :func:`split_personal`. The reference for the batch path, :func:`_split_many`.
    """
    leave_out, nested = _personal_plan(kind)
    payload = {k: v for k, v in dump.items() if k not in leave_out}
    personal = {k: v for k, v in dump.items() if k in leave_out and k not in DELIVERY_FIELDS and v is not None}
    if nested:
        payload, more = split_personal(kind, payload)
        personal.update(more)
    mask_free_text(kind, payload, personal)  # prose naming the record's persons: public form + sealed original
    encode = _dump_encoder(kind)
    payload_json = encode(payload)
    personal_json = encode(personal) if personal else b""
    chash = hashlib.sha256(payload_json + b"\x00" + personal_json).hexdigest()
    delivery = encode({k: dump.get(k) for k in DELIVERY_FIELDS})
    stored = delivery if payload_json == b"{}" else payload_json[:-1] + b"," + delivery[1:]
    return Valid(item, personal_json, chash, dump, stored)


#: The delivery fields in the order canonical JSON sorts them (the tail of the payload column).
_DELIVERY_ORDER = ("fetched_at", "payload_hash", "schema_version", "signature")
assert tuple(sorted(DELIVERY_FIELDS)) == _DELIVERY_ORDER


def _split_many(kind: str, items: list[Incoming], dumps: list[dict[str, Any]]) -> list[Valid]:
    """:func:`_split_valid` over a batch: the same bytes, hashes and payload column, a third of the work.

    Dumps of one model share their keys. Taking the first dump's keys apart once (payload,
    personal, delivery), each record is read with one ``itemgetter``, its payload dict built
    with ``zip``, and the delivery tail of the payload column — ``,"fetched_at":…,"payload_hash":
    …,"schema_version":…,"signature":…}``, the canonical JSON of those four values as a dict,
    written value by value — assembled around the hash from pieces that repeat (one
    ``fetched_at`` a page, one contract version, mostly no signature). A dump with other keys,
    and any kind with list-item personal paths, takes :func:`_split_valid`.
    """
    if not dumps:
        return []
    leave_out, nested = _personal_plan(kind)
    first = dumps[0]
    keys = tuple(first)
    payload_keys = tuple(k for k in keys if k not in leave_out)
    personal_keys = tuple(k for k in keys if k in leave_out and k not in DELIVERY_FIELDS)
    if nested or len(payload_keys) < 2 or not first.keys() >= DELIVERY_FIELDS:
        return [_split_valid(kind, item, dump) for item, dump in zip(items, dumps, strict=True)]
    prose = bool(free_text_fields(kind))
    encode = _dump_encoder(kind)
    payload_keys = tuple(sorted(payload_keys))
    width, n_payload = len(keys), len(payload_keys)
    read = itemgetter(*payload_keys, *personal_keys, *_DELIVERY_ORDER)
    as_struct = _payload_struct(payload_keys) if encode is plain_canonical_bytes else None
    personal_at = tuple(enumerate(personal_keys, start=n_payload))
    heads: dict[Any, bytes] = {}  # fetched_at → b',"fetched_at":…,"payload_hash":'
    tails: dict[Any, bytes] = {}  # (schema_version, signature) → b',"schema_version":…,"signature":…}'
    sha256 = hashlib.sha256
    out: list[Valid] = []
    append = out.append
    for item, dump in zip(items, dumps, strict=True):
        if prose and names_someone_in(kind, dump):  # prose naming a person: the reference path masks it
            append(_split_valid(kind, item, dump))
            continue
        try:
            if len(dump) != width:
                raise KeyError
            values = read(dump)
            fetched_at, payload_hash, version, signature = values[-4:]
            head = heads.get(fetched_at)
            if head is None:
                head = heads[fetched_at] = b',"fetched_at":' + encode(fetched_at) + b',"payload_hash":'
            tail = tails.get((version, signature))
            if tail is None:
                tail = tails[(version, signature)] = (
                    b',"schema_version":' + encode(version) + b',"signature":' + encode(signature) + b"}"
                )
        except (KeyError, TypeError):  # other keys, or an unhashable delivery value: the reference path
            append(_split_valid(kind, item, dump))
            continue
        if as_struct is not None:
            payload_json = _ENCODE_SORTED(as_struct(*values[:n_payload]))
        else:
            payload_json = encode(dict(zip(payload_keys, values, strict=False)))  # stops after the payload values
        personal = {k: v for n, k in personal_at if (v := values[n]) is not None}
        personal_json = encode(personal) if personal else b""
        chash = sha256(payload_json + b"\x00" + personal_json).hexdigest()
        if payload_json == b"{}":
            stored = b"{" + head[1:] + encode(payload_hash) + tail
        else:
            stored = payload_json[:-1] + head + encode(payload_hash) + tail
        append(Valid(item, personal_json, chash, dump, stored))
    return out


@cache
def _payload_struct(keys: tuple[str, ...]) -> Any:
    """A msgspec ``Struct`` type with these (sorted) fields, or ``None`` where a dict must do.

    Encoding a struct of the payload values with the canonical encoder (``order="sorted"``)
    writes exactly the bytes of encoding the dict of them — the same ``{"key":value,…}`` in
    the same key order, nested values encoded alike — without building and sorting a dict
    per record (≈1 µs a record). Only for plain ASCII identifiers, which sort and print the
    same as field names and as dict keys, and only where the values need no check
    (:func:`hub.ingest.canonical.dumps_are_plain`).
    """
    if _ENCODE_SORTED is None or not all(k.isascii() and k.isidentifier() and not iskeyword(k) for k in keys):
        return None
    if list(keys) != sorted(keys):
        return None
    try:
        return msgspec.defstruct("Payload", [(k, object) for k in keys], gc=False)
    except Exception:  # noqa: BLE001 - a name msgspec will not take: the dict path
        return None


def _stored_payload(valid: Valid, kind: str | None = None) -> str:
    """The payload column: the record without personal data, delivery fields included (JSON text)."""
    return valid.stored.decode("utf-8")


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
    #: Of ``duplicates``: deliveries older (by source update time) than the version they met.
    stale: int = 0

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
    """The row the record model validates: the mapped fields, then the envelope (as :func:`check_records` builds it)."""
    return {
        **(item.mapped or {}),
        "source_agency": spec.agency_code,
        "source_system": spec.source_system,
        "source_record_id": item.source_id,
        "kind": spec.kind,
        "schema_version": version,
        "fetched_at": item.fetched_at,
        "payload_hash": item_raw_hash(item),
        "signature": item.signature,
    }


def item_raw_hash(item: Incoming) -> str:
    """:func:`raw_hash` of ``item.raw``, taken once (a pull may have taken it while preparing the page)."""
    digest = item.raw_hash
    if digest is None:
        digest = item.raw_hash = raw_hash(item.raw)
    return digest


def _quarantine_payload(item: Incoming) -> dict[str, Any]:
    return {
        "raw": item.raw,
        "landing_pk": item.landing_pk,
        "fetched_at": item.fetched_at.isoformat(),
    }


def _chunks(values: Sequence[Any]) -> Any:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def schema_version_of(spec: BatchSpec) -> str:
    """The contract version records of ``spec`` are validated and stored under."""
    return spec.schema_version or get_model(spec.kind).SCHEMA_VERSION


def load_batch(
    session: Session,
    spec: BatchSpec,
    items: Sequence[Incoming],
    batch_pk: int | None = None,
    *,
    checked: RecordsChecked | None = None,
    completeness: Completeness | None = None,
) -> BatchOutcome:
    """Validate, check and load ``items`` as one batch inside the caller's transaction.

    ``checked`` is the record contract's verdict on ``items`` when the caller computed it
    already (a pull, page by page); otherwise it is computed here. ``completeness`` is what
    the pull could prove: a walk that is not proven complete is stored as ``incomplete`` and
    leaves the cursor where it was; records it names as bad at the source (delivered twice
    identically) are quarantined without holding the cursor back.
    """
    state = _lock_stream(session, spec.agency_code, spec.stream)
    batch = session.get(IngestBatch, batch_pk) if batch_pk is not None else new_batch(session, spec)
    assert batch is not None
    version = schema_version_of(spec)
    outcome = BatchOutcome(batch_pk=batch.id, status="loaded", received=len(items))
    now = datetime.now(UTC)

    # 1. The record contract.
    if checked is None:
        checked = check_records(spec, version, items)
    rejects = checked.unprepared + checked.invalid
    valid = checked.valid
    if len(rejects) + len(valid) != len(items):
        raise AssertionError(
            f"契约结果与记录数不符 / contract verdicts {len(rejects) + len(valid)} != {len(items)} items"
        )

    # 2. Versions inside the batch: a repeat of the previous content of the same id is a duplicate.
    sequences: dict[str, list[Valid]] = {}
    latest: dict[str, int] = {}  # source id → position in ``valid`` of its latest content
    for position, entry in enumerate(valid):
        sid = entry.item.source_id or ""
        seq = sequences.setdefault(sid, [])
        if seq and (seq[-1].chash == entry.chash or _older(entry.item.cursor, seq[-1].item.cursor)):
            # the same content again, or an older version read after a newer one (a record updated
            # while the list was walked, met again on a later page or walk): not the current content
            outcome.duplicates += 1
            outcome.stale += seq[-1].chash != entry.chash
        else:
            seq.append(entry)
            latest[sid] = position

    # 3. The batch contract, over the latest content of each id.
    positions = None if len(latest) == len(valid) else list(latest.values())  # None: every entry, in order
    verdict = check_batch(spec.kind, checked.suite_rows(spec.kind, positions), spec.previous_row_count)
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
            raw_hash=hashlib.sha256(canonical_bytes([i.raw for i in held])).hexdigest(),
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
    if completeness is not None and completeness.confirmed_bad:
        new_holds = [item for item in new_holds if item_raw_hash(item) not in completeness.confirmed_bad]
    outcome.cursor_after = _cursor_after(spec, items, new_holds, state.cursor)
    if completeness is not None:
        batch.validation = {
            **(batch.validation or {}),
            "completeness": {
                "complete": completeness.complete,
                "expected_total": completeness.expected_total,
                "distinct_ids": completeness.distinct_ids,
                "rewalks": completeness.rewalks,
                "whole_walk": completeness.whole_walk,
                "confirmed_bad": len(completeness.confirmed_bad),
                **completeness.detail,
            },
        }
        if not completeness.complete:
            # Records may have been skipped anywhere in the walk: nothing after the old cursor is proven.
            outcome.status = "incomplete" if outcome.status == "loaded" else outcome.status
            outcome.cursor_after = spec.cursor_before if spec.cursor_before is not None else state.cursor
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
            "stale": outcome.stale,
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


def _current_versions(
    session: Session, spec: BatchSpec, sequences: dict[str, list[Valid]]
) -> dict[str, tuple[int, str, int, str | None]]:
    """Source id → (row id, content hash, version, source update time) of the current version, for the
    batch's ids that have one.

    Two ways to the same rows: looking the ids up in the unique index (``IN``, 5,000 at a
    time — ≈1.5 µs an id on SQLite), or, when the stream holds no more rows than twice the
    batch, reading the stream's current rows in one range scan of that index and keeping the
    batch's ids (a fraction of that per row). A first pull of a stream costs one short count.
    """
    params: dict[str, Any] = {"agency": spec.agency_code, "stream": spec.stream}
    limit = 2 * len(sequences) + 1
    held = session.execute(_STREAM_ROWS, {**params, "limit": limit}).scalar_one()
    current: dict[str, tuple[int, str, int, str | None]] = {}
    if held < limit:
        if held:
            for pk, sid, chash, ver, updated in session.execute(_STREAM_CURRENT, params):
                if sid in sequences:
                    current[sid] = (pk, chash, ver, updated)
        return current
    ids = list(sequences)
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        params["ids"] = ids[start : start + _LOOKUP_CHUNK]
        for pk, sid, chash, ver, updated in session.execute(_CURRENT_VERSIONS, params):
            current[sid] = (pk, chash, ver, updated)
    return current


#: Rows (any version) of a stream, counted up to a limit: the index range, not the table.
_STREAM_ROWS = select(func.count()).select_from(
    select(AgencyRecord.id)
    .where(AgencyRecord.agency_code == bindparam("agency"), AgencyRecord.stream == bindparam("stream"))
    .limit(bindparam("limit"))
    .subquery()
)
#: The current versions of every source id of a stream.
_STREAM_CURRENT = select(
    AgencyRecord.id,
    AgencyRecord.source_id,
    AgencyRecord.content_hash,
    AgencyRecord.version,
    AgencyRecord.source_update_time,
).where(
    AgencyRecord.agency_code == bindparam("agency"),
    AgencyRecord.stream == bindparam("stream"),
    AgencyRecord.is_current.is_(True),
)
#: The current versions of a chunk of source ids. One statement, compiled once (SQLAlchemy's cache):
#: the ids go in as one expanding parameter, not as thousands of literals coerced one by one.
_CURRENT_VERSIONS = select(
    AgencyRecord.id,
    AgencyRecord.source_id,
    AgencyRecord.content_hash,
    AgencyRecord.version,
    AgencyRecord.source_update_time,
).where(
    AgencyRecord.agency_code == bindparam("agency"),
    AgencyRecord.stream == bindparam("stream"),
    AgencyRecord.is_current.is_(True),
    AgencyRecord.source_id.in_(bindparam("ids", expanding=True)),
)


def _store_versions(
    session: Session,
    spec: BatchSpec,
    version: str,
    sequences: dict[str, list[Valid]],
    outcome: BatchOutcome,
) -> set[str]:
    """Insert new and changed records as new versions; count unchanged and stale ones as duplicates.

    A delivery is stale when its source update time is older than the current version's (both
    known): it is counted as a duplicate and the current version stays current — an agency
    serving an old copy must not roll the store back. Equal update times with other content
    make a new version (the agency changed the record without moving its update time).

    :func:`_current_versions` finds the current versions, one ``UPDATE`` per 500
    retires the changed ones, and the new rows go in as one multi-row insert: no ORM object
    and no query per record. Personal data is encrypted only for rows actually inserted (a
    re-pull is mostly duplicates); the payload column was serialised with the content hash.
    """
    current = _current_versions(session, spec, sequences)
    ids = list(sequences)
    planned: list[tuple[str, int, bool, Valid]] = []  # (source id, version, is current, record)
    retire: list[int] = []
    for sid, seq in sequences.items():
        existing = current.get(sid)
        next_version = 1
        if existing is not None:
            _, held_hash, held_version, held_time = existing
            skip = 0
            for entry in seq:  # the batch's versions of the id, oldest first
                if entry.chash == held_hash:
                    outcome.duplicates += 1
                elif _older(entry.item.cursor, held_time):
                    outcome.duplicates += 1
                    outcome.stale += 1
                else:
                    break
                skip += 1
            seq = seq[skip:]
            next_version = held_version + 1
            if seq:
                retire.append(existing[0])
        last = len(seq) - 1
        for n, entry in enumerate(seq):
            planned.append((sid, next_version + n, n == last, entry))
    for chunk in _chunks(retire):
        session.execute(update(AgencyRecord).where(AgencyRecord.id.in_(chunk)).values(is_current=False))
    if planned:
        sealed = encrypt_many([entry.personal_json or None for *_, entry in planned], PERSONAL_COLUMN)
        _insert_records(session, spec, version, planned, sealed)
    outcome.loaded += len(planned)
    return set(ids)


def _insert_records(
    session: Session,
    spec: BatchSpec,
    version: str,
    planned: list[tuple[str, int, bool, Valid]],
    sealed: list[str | None],
) -> None:
    """Insert the new versions in one statement per dialect's fastest way, same rows either way.

    On SQLite the rows go to the driver's ``executemany`` as plain tuples, with the datetime
    columns converted once per distinct value by SQLAlchemy's own SQLite ``DateTime``
    processor (so the stored text is exactly what the ORM writes): SQLAlchemy's per-row
    parameter processing cost more than SQLite's insert itself. Elsewhere (PostgreSQL),
    Core's multi-row insert, which psycopg2 batches.
    """
    conn = session.connection()
    loaded_at = datetime.now(UTC)
    agency, stream, kind = spec.agency_code, spec.stream, spec.kind
    if conn.dialect.name == "sqlite":
        fetched_text, current_value = _bind(conn.dialect, "fetched_at"), _bind(conn.dialect, "is_current")
        loaded_text = _bind(conn.dialect, "loaded_at")(loaded_at)
        as_bytes = conn.exec_driver_sql("PRAGMA encoding").scalar() == "UTF-8"  # see _sqlite_insert_sql
        conn.exec_driver_sql(
            _sqlite_insert_sql(conn.dialect, as_bytes),
            [
                (
                    agency,
                    stream,
                    sid,
                    ver,
                    current_value(is_current),
                    kind,
                    version,
                    entry.stored if as_bytes else entry.stored.decode("utf-8"),
                    personal,
                    entry.chash,
                    entry.item.landing_pk,
                    fetched_text(entry.item.fetched_at),
                    loaded_text,
                    entry.item.cursor,
                )
                for (sid, ver, is_current, entry), personal in zip(planned, sealed, strict=True)
            ],
        )
        return
    conn.execute(
        insert(_RECORDS),
        [
            {
                "agency_code": agency,
                "stream": stream,
                "source_id": sid,
                "version": ver,
                "is_current": is_current,
                "kind": kind,
                "schema_version": version,
                "payload": entry.stored.decode("utf-8"),
                "personal_enc": personal,
                "content_hash": entry.chash,
                "landing_id": entry.item.landing_pk,
                "fetched_at": entry.item.fetched_at,
                "loaded_at": loaded_at,
                "source_update_time": entry.item.cursor,
            }
            for (sid, ver, is_current, entry), personal in zip(planned, sealed, strict=True)
        ],
    )


#: Column order of the SQLite fast path's tuples (must match the tuple built in :func:`_insert_records`).
_INSERT_COLUMNS = (
    "agency_code",
    "stream",
    "source_id",
    "version",
    "is_current",
    "kind",
    "schema_version",
    "payload",
    "personal_enc",
    "content_hash",
    "landing_id",
    "fetched_at",
    "loaded_at",
    "source_update_time",
)


#: Columns of the SQLite fast path whose values SQLAlchemy converts on the way in (the rest pass as they are).
_CONVERTED = frozenset({"is_current", "fetched_at", "loaded_at"})


def _sqlite_insert_sql(dialect: Any, payload_bytes: bool = True) -> str:
    """The fast path's ``INSERT``; refuses to run if the table gained a column or a column gained a conversion."""
    table_ = AgencyRecord.__table__
    names = {c.name for c in table_.columns} - {"id"}
    if names != set(_INSERT_COLUMNS):  # a new column must be added to the fast path, not silently left NULL
        raise AssertionError(
            f"agency_records 的列已变更，须同步更新批量插入 / agency_records columns changed, update the bulk insert: "
            f"{sorted(names ^ set(_INSERT_COLUMNS))}"
        )
    for name in set(_INSERT_COLUMNS) - _CONVERTED - {"payload"}:  # payload: JSON text already, as in _RECORDS
        if table_.c[name].type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise AssertionError(
                f"agency_records.{name} 现有绑定转换，须在批量插入中转换 / now has a bind conversion; convert it in the bulk insert"
            )
    cols = ", ".join(_INSERT_COLUMNS)
    # With ``payload_bytes`` the payload arrives as its UTF-8 bytes; in a UTF-8 database CAST(… AS TEXT)
    # stores them as exactly the TEXT value the driver stores for the decoded string: same bytes, same
    # type, without decoding to str here and encoding back to UTF-8 in the driver.
    values = ", ".join("CAST(? AS TEXT)" if c == "payload" and payload_bytes else "?" for c in _INSERT_COLUMNS)
    return f"INSERT INTO {AgencyRecord.__tablename__} ({cols}) VALUES ({values})"


def _bind(dialect: Any, name: str) -> Callable[[Any], Any]:
    """SQLAlchemy's own bind conversion of ``agency_records.<name>`` for ``dialect``, memoised per value.

    The values repeat (``fetched_at`` once per page, ``is_current`` two values), so a dict
    lookup replaces the conversion; the stored text is exactly what the ORM writes (on SQLite
    ``2026-11-23 07:54:26.709422``: the wall-clock time of the aware value, no offset).
    """
    column_type = AgencyRecord.__table__.c[name].type
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    seen: dict[tuple[Any, Any], Any] = {}

    def convert(value: Any) -> Any:
        # Keyed with the zone too: 08:00+08:00 == 00:00+00:00, but SQLite stores the wall clock of each.
        key = (value, getattr(value, "tzinfo", None))
        try:
            return seen[key]
        except KeyError:
            seen[key] = out = process(value)
            return out

    return convert


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
    hashes = [item_raw_hash(item) for item, _ in rejects]
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


def _older(cursor: str | None, than: str | None) -> bool:
    """Whether source update time ``cursor`` is before ``than`` (``False`` unless both are known).

    Watermark times are ISO text with their offset: compared as instants, so a stream whose
    declared zone changed between pulls still compares correctly. Two texts that are not both
    offset-aware (or not both naive) ISO times — a raw cursor field — are compared as text,
    as the stream's cursor is.
    """
    if cursor is None or than is None or cursor == than:
        return False
    a, b = _instant(cursor), _instant(than)
    if a is not None and b is not None and (a.tzinfo is None) == (b.tzinfo is None):
        return a < b
    return cursor < than


@lru_cache(maxsize=65536)
def _instant(text: str) -> datetime | None:
    """An ISO date/time text as a datetime (aware if it carries an offset), ``None`` if it is not one."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


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
