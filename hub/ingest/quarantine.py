"""Quarantine: list, show and replay what the contract rejected — nothing is dropped silently.

A held item keeps the raw record (or, for a batch held by its expectation suite, all of
its records) encrypted, with field paths and reasons. After a fix — in a connector's
mapping, in the schema, or by registering an agency's missing signing key — *replay*
re-prepares the stored raw record with the *current* code (signature check, mapping,
record contract, batch suite) and, if it now passes, loads it like any delivery: it
becomes a new record or version, or is counted as a duplicate, and the item is marked
``replayed`` with where it went. An item that still fails stays ``held`` with its
reasons brought up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.ingest.incoming import Incoming
from hub.ingest.loader import RAW_COLUMN, BatchSpec, BatchStillFailing, build_envelope, load_batch
from hub.ingest.reasons import Reason, reasons_to_json
from hub.ingest.sealing import open_json
from hub.store.models import QuarantineItem
from schemas.registry import get_model
from schemas.validation import validate_records

log = logging.getLogger("hub.ingest.quarantine")

#: ``(agency_code, stream) → (source_system, prepare)`` where ``prepare(session, raw, fetched_at, landing_pk)``
#: re-runs signature check and mapping. The default resolves through :mod:`connectors.registry`.
Resolver = Callable[[str, str], tuple[str, Callable[[Session, dict[str, Any], datetime, int | None], Incoming]]]


@dataclass
class ReplayResult:
    item_id: int
    outcome: str  # loaded | duplicate | still_held | error
    detail: str
    batch_pk: int | None = None
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0


def connector_resolver(
    agency_code: str, stream_name: str
) -> tuple[str, Callable[[Session, dict[str, Any], datetime, int | None], Incoming]]:
    """Find the connector stream that produced the item, so replay uses its current mapping.

    Records loaded from files (stream ``file:<kind>``) are re-prepared as the file loader prepares them.
    """
    from connectors.registry import find_stream
    from hub.ingest.file_load import FILE_STREAM_PREFIX, FILE_SYSTEM, prepare_row

    if stream_name.startswith(FILE_STREAM_PREFIX):
        return FILE_SYSTEM, lambda _session, raw, fetched_at, landing_pk: prepare_row(raw, fetched_at, landing_pk)
    from hub.ingest.agency_keys import AgencyKeys

    connector, stream = find_stream(agency_code, stream_name)
    keys_cache: dict[int, AgencyKeys] = {}

    def prepare(session: Session, raw: dict[str, Any], fetched_at: datetime, landing_pk: int | None) -> Incoming:
        keys = None
        if stream.signed is not None:
            keys = keys_cache.get(id(session)) or AgencyKeys.load(session, agency_code)
            keys_cache[id(session)] = keys
        return stream.prepare(raw, keys, fetched_at, landing_pk)

    return connector.system, prepare


def list_items(
    session: Session,
    status: str | None = "held",
    agency_code: str | None = None,
    stream: str | None = None,
    limit: int = 100,
) -> list[QuarantineItem]:
    query = select(QuarantineItem).order_by(QuarantineItem.id)
    if status:
        query = query.where(QuarantineItem.status == status)
    if agency_code:
        query = query.where(QuarantineItem.agency_code == agency_code)
    if stream:
        query = query.where(QuarantineItem.stream == stream)
    return list(session.execute(query.limit(limit)).scalars())


def item_payload(item: QuarantineItem) -> dict[str, Any]:
    """The decrypted raw payload of an item (personal data: callers decide who may see it)."""
    return open_json(item.raw_enc, RAW_COLUMN)


def describe(item: QuarantineItem, reveal: bool = False) -> dict[str, Any]:
    """What ``pilhub quarantine show`` prints: metadata, reasons, and the raw record's field names
    (values only with ``reveal``, since they may be personal data)."""
    payload = item_payload(item)
    records = payload.get("records") if item.scope == "batch" else [payload]
    out: dict[str, Any] = {
        "id": item.id,
        "scope": item.scope,
        "status": item.status,
        "agency_code": item.agency_code,
        "stream": item.stream,
        "kind": item.kind,
        "source_id": item.source_id,
        "schema_version": item.schema_version,
        "batch": item.batch_pk,
        "landing": item.landing_pk,
        "raw_hash": item.raw_hash,
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "resolution": item.resolution,
        "reasons": item.reasons,
        "records": len(records or []),
    }
    first = (records or [{}])[0].get("raw", {}) if records else {}
    out["raw_fields"] = sorted(first) if isinstance(first, dict) else []
    if reveal:
        out["raw"] = [r.get("raw") for r in records or []]
    return out


def replay(
    factory: sessionmaker[Session],
    item_id: int | None = None,
    *,
    all_held: bool = False,
    actor: str = "cli",
    resolver: Resolver | None = None,
) -> list[ReplayResult]:
    """Replay one held item (``item_id``) or every held item (``all_held``), each in its own transaction."""
    resolver = resolver or connector_resolver
    with factory() as session:
        if item_id is not None:
            ids = [item_id]
        elif all_held:
            ids = list(
                session.execute(
                    select(QuarantineItem.id).where(QuarantineItem.status == "held").order_by(QuarantineItem.id)
                ).scalars()
            )
        else:
            raise ValueError("给出编号或 --all / give an item id or --all")
    results = []
    for qid in ids:
        try:
            with factory() as session, session.begin():
                results.append(_replay_one(session, qid, actor, resolver))
        except BatchStillFailing as exc:
            with factory() as session, session.begin():
                item = session.get(QuarantineItem, qid)
                if item is not None:
                    item.reasons = [
                        {"field": f.get("field", ""), "code": f"batch.{f['expectation']}", "zh": f["zh"], "en": f["en"]}
                        for f in exc.failures
                    ]
            results.append(
                ReplayResult(qid, "still_held", "批次仍未通过校验 / the batch still fails its blocking expectations")
            )
    return results


def _replay_one(session: Session, qid: int, actor: str, resolver: Resolver) -> ReplayResult:
    item = session.get(QuarantineItem, qid)
    if item is None:
        return ReplayResult(qid, "error", f"没有隔离项 {qid} / no quarantine item {qid}")
    if item.status != "held":
        return ReplayResult(
            qid, "error", f"隔离项 {qid} 状态为 {item.status}，无需重放 / item {qid} is {item.status}, not held"
        )
    source_system, prepare = resolver(item.agency_code, item.stream)
    payload = item_payload(item)
    entries = payload.get("records", []) if item.scope == "batch" else [payload]
    incoming = [
        prepare(session, e["raw"], datetime.fromisoformat(e["fetched_at"]), e.get("landing_pk")) for e in entries
    ]
    spec = BatchSpec(
        agency_code=item.agency_code,
        stream=item.stream,
        kind=item.kind,
        source_system=source_system,
        run_id=f"replay:{qid}",
        actor=actor,
        advance_cursor=False,
        hold_failed_batch=False,
    )
    if item.scope == "record":
        reasons = _record_reasons(spec, incoming[0])
        if reasons:
            item.reasons = reasons_to_json(reasons)
            return ReplayResult(qid, "still_held", "; ".join(str(r) for r in reasons))
    outcome = load_batch(session, spec, incoming)
    where = "loaded" if outcome.loaded else "duplicate" if outcome.duplicates else "still_held"
    item.status = "replayed"
    item.resolved_at = datetime.now(UTC)
    item.resolution = (
        f"replayed into batch {outcome.batch_pk}: loaded {outcome.loaded}, duplicates {outcome.duplicates}, "
        f"re-quarantined {outcome.quarantined}"
    )[:200]
    audit.append(
        session,
        actor=actor,
        action="quarantine.replayed",
        object_type="quarantine_item",
        object_id=str(qid),
        detail={
            "batch": outcome.batch_pk,
            "loaded": outcome.loaded,
            "duplicates": outcome.duplicates,
            "quarantined": outcome.quarantined,
        },
    )
    return ReplayResult(
        qid, where, item.resolution, outcome.batch_pk, outcome.loaded, outcome.duplicates, outcome.quarantined
    )


def _record_reasons(spec: BatchSpec, incoming: Incoming) -> list[Reason]:
    """Why one replayed record would still be rejected ([] if it now passes the record contract)."""
    if incoming.mapped is None or incoming.reasons:
        return incoming.reasons or [Reason("", "mapping.failed", "映射失败", "mapping failed")]
    version = get_model(spec.kind).SCHEMA_VERSION
    checked = validate_records(spec.kind, [build_envelope(spec, version, incoming)])
    if checked.invalid:
        return [Reason(e.path, e.code, e.zh, e.en) for e in checked.invalid[0][1]]
    return []
