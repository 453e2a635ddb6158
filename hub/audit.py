"""Append-only, hash-chained audit log.

Every state change appends an entry whose hash covers the previous entry's hash
(``entry_hash = sha256(prev_hash || canonical(entry))``), so editing, deleting or
reordering any row breaks the chain at that row; :func:`verify_chain` finds the first
broken link. Entries carry digests of the object before and after the change, never
personal data in clear.

Appenders lock the single ``audit_head`` row (``SELECT … FOR UPDATE`` on PostgreSQL,
the database write lock on SQLite), so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) — the form every digest is taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "at": _utc_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before_digest,
        "after": entry.after_digest,
        "detail": entry.detail or {},
    }
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def _ensure_head(session: Session) -> None:
    """Create the chain-head row if missing, without racing a concurrent first append.

    ``INSERT … ON CONFLICT DO NOTHING``: two first appenders both try, one inserts, the other
    waits on the row lock and then proceeds — neither transaction fails.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases: plain check-then-insert
        if session.get(AuditHead, 1) is None:
            session.add(AuditHead(id=1, last_hash=GENESIS, last_entry_id=None))
            session.flush()
        return
    session.execute(insert(AuditHead).values(id=1, last_hash=GENESIS, last_entry_id=None).on_conflict_do_nothing())


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (it commits or rolls back with the change)."""
    _ensure_head(session)
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before_digest=None if before is None else digest(before),
        after_digest=None if after is None else digest(after),
        detail=json.loads(canonical_json(detail or {})),
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry_hash(head.last_hash, entry)
    session.add(entry)
    session.flush()
    head.last_hash = entry.entry_hash
    head.last_entry_id = entry.id
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in id order; report the first entry whose links or hash do not hold."""
    prev = GENESIS
    checked = 0
    last_id: int | None = None
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().yield_per(2000):
        checked += 1
        if entry.prev_hash != prev:
            return ChainReport(False, checked, entry.id, "前序哈希不符（条目被删除或插入）/ prev_hash mismatch")
        if entry_hash(prev, entry) != entry.entry_hash:
            return ChainReport(False, checked, entry.id, "条目内容被篡改 / entry content does not match its hash")
        prev = entry.entry_hash
        last_id = entry.id
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.last_entry_id != last_id):
        return ChainReport(
            False, checked, last_id, "链尾与记录不符（末尾条目被删除）/ chain head does not match last entry"
        )
    return ChainReport(True, checked)
