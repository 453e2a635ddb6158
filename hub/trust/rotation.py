"""``pilhub keys rotate``: re-encrypt every personal-data column to the current key, without downtime.

How an operator rotates (see ``docs/threat-model.md``):

1. pin ``PILHUB_INDEX_KEY`` (the blind index is otherwise derived from the secret key
   and would change with it — every equality search would silently miss);
2. set the new key as ``PILHUB_SECRET_KEY`` and move the old one to
   ``PILHUB_OLD_SECRET_KEYS``; restart the hub's processes one by one — new writes use
   the new key, and every process still *reads* the old key id;
3. run ``pilhub keys rotate``: rows still sealed under another key id are re-sealed in
   batches; ``pilhub keys status`` shows what is left;
4. when it reports *finished*, remove the old key from ``PILHUB_OLD_SECRET_KEYS``.

Why it is safe while the hub runs:

* each batch is one transaction that also stores the progress (last primary key per
  column), so a crash or Ctrl-C resumes where it stopped and never re-does a batch;
* each row is updated *compare-and-swap* (``WHERE id = … AND col = <old ciphertext>``):
  a row a live writer changed meanwhile is left alone (it is already under the new key);
* the batch row lock on the rotation record serialises two operators running it at once;
* rows written by a process still on the old configuration are caught by a final
  count and a further pass; the rotation finishes only when none remain.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import ColumnElement, Table, and_, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.personal_data import KeyRing, PersonalDataKeyError, keyring
from hub.store.models import Base, KeyRotation

DONE = "done"
MAX_PASSES = 3


@dataclass(frozen=True)
class EncryptedColumn:
    """One column holding sealed personal data, and how to re-seal it."""

    table: str
    column: str
    associated: str  # the column name bound into the ciphertext, e.g. "parties.name"
    key_id_column: str | None = None  # bytes columns keep the key id beside the blob
    blind_index: tuple[str, str] | None = None  # (hmac column, kind) — checked before rotating
    pk: str = "id"

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    @property
    def table_obj(self) -> Table:
        return Base.metadata.tables[self.table]  # type: ignore[return-value]


#: Every ``*_enc`` column of the store (``tests/trust/test_rotation.py`` fails when one is missing here).
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn("cases", "procurator_enc", "cases.procurator", blind_index=("procurator_hmac", "person_name")),
    EncryptedColumn("cases", "title_enc", "cases.title"),
    EncryptedColumn("parties", "name_enc", "parties.name", blind_index=("name_hmac", "person_name")),
    EncryptedColumn("parties", "id_number_enc", "parties.id_number", blind_index=("id_number_hmac", "id_number")),
    EncryptedColumn("parties", "phone_enc", "parties.phone", blind_index=("phone_hmac", "phone")),
    EncryptedColumn("parties", "address_enc", "parties.address"),
    # Ingestion seals under the full column name (hub.ingest.sealing / hub.ingest.loader).
    EncryptedColumn("agency_records", "personal_enc", "agency_records.personal_enc"),
    EncryptedColumn("quarantine", "raw_enc", "quarantine.raw_enc"),
    EncryptedColumn("raw_landings", "body_enc", "raw_landings.body_enc", key_id_column="key_id"),
)


class RotationRefused(RuntimeError):
    """Rotating now would break something (unpinned index key, index key that does not match)."""


class RotationError(RuntimeError):
    """A row could not be re-sealed; the batch was rolled back. Names the row, never its value."""


def index_key_pinned() -> bool:
    """True when the blind-index key is configured on its own, so it survives the rotation.

    The embedded default's key file always holds one; with ``PILHUB_SECRET_KEY`` in the
    environment, ``PILHUB_INDEX_KEY`` must be there too.
    """
    return bool(os.environ.get("PILHUB_INDEX_KEY")) or not os.environ.get("PILHUB_SECRET_KEY")


def _not_on(col: EncryptedColumn, target: str) -> ColumnElement[bool]:
    table = col.table_obj
    if col.key_id_column:
        return and_(table.c[col.column].is_not(None), table.c[col.key_id_column] != target)
    return and_(table.c[col.column].is_not(None), table.c[col.column].not_like(f"v1:{target}:%"))


def remaining(session: Session, target: str | None = None) -> dict[str, int]:
    """Rows per column still sealed under a key other than ``target`` (default: the current key)."""
    target = target or keyring().current_id
    return {
        col.name: session.scalar(select(func.count()).select_from(col.table_obj).where(_not_on(col, target))) or 0
        for col in ENCRYPTED_COLUMNS
    }


def check_blind_index(session: Session, sample: int = 20) -> None:
    """Refuse when the configured index key does not reproduce the stored blind indexes.

    Pinning ``PILHUB_INDEX_KEY`` to a *new* value would orphan every stored hash;
    decrypting a few rows and re-hashing them proves the pinned key is the one in use.
    """
    ring = keyring()
    for col in ENCRYPTED_COLUMNS:
        if not col.blind_index:
            continue
        table = col.table_obj
        hmac_col, kind = col.blind_index
        rows = session.execute(
            select(table.c[col.column], table.c[hmac_col])
            .where(table.c[col.column].is_not(None), table.c[hmac_col].is_not(None))
            .limit(sample)
        ).all()
        for token, stored in rows:
            if ring.blind_index(kind, ring.decrypt(token, col.associated)) != stored:
                raise RotationRefused(
                    f"PILHUB_INDEX_KEY 与已存储的盲索引（{col.table}.{hmac_col}）不符：请固定为建立索引时所用的密钥 / "
                    f"PILHUB_INDEX_KEY does not reproduce the stored blind index ({col.table}.{hmac_col}); "
                    "pin it to the key the index was built with"
                )


def check_rotation_allowed(session: Session) -> None:
    if not index_key_pinned():
        raise RotationRefused(
            "未固定 PILHUB_INDEX_KEY：盲索引由当前密钥派生，轮换后将全部失效。请先把现用索引密钥写入 PILHUB_INDEX_KEY / "
            "PILHUB_INDEX_KEY is not pinned: the blind index is derived from the secret key and would break "
            "with the rotation. Pin the index key in use as PILHUB_INDEX_KEY first"
        )
    check_blind_index(session)


def _reseal_token(ring: KeyRing, col: EncryptedColumn, pk: Any, token: str) -> str:
    try:
        return ring.encrypt(ring.decrypt(token, col.associated), col.associated)
    except (InvalidTag, PersonalDataKeyError, ValueError) as exc:
        raise RotationError(
            f"{col.name} 第 {pk} 行无法解密（缺少旧密钥或密文损坏）/ "
            f"{col.name} row {pk} does not decrypt (old key missing or ciphertext damaged): {type(exc).__name__}"
        ) from None


def reseal_rows(session: Session, col: EncryptedColumn, rows: list[Any], ring: KeyRing) -> tuple[int, int]:
    """Re-seal ``rows`` (as selected) under the current key, compare-and-swap; ``(rewritten, skipped)``."""
    table = col.table_obj
    pk_col, enc_col = table.c[col.pk], table.c[col.column]
    rewritten = skipped = 0
    for row in rows:
        pk, old = row[0], row[1]
        if col.key_id_column:
            from hub.ingest.sealing import open_bytes, seal_bytes  # raw bodies: the ingestion's own codec

            old_kid = row[2]
            try:
                plain = open_bytes(bytes(old), old_kid, col.associated)
            except (InvalidTag, PersonalDataKeyError) as exc:
                raise RotationError(
                    f"{col.name} 第 {pk} 行无法解密 / {col.name} row {pk} does not decrypt: {type(exc).__name__}"
                ) from None
            sealed, new_kid = seal_bytes(plain, col.associated)
            stmt = (
                update(table)
                .where(pk_col == pk, table.c[col.key_id_column] == old_kid)
                .values({col.column: sealed, col.key_id_column: new_kid})
            )
        else:
            stmt = (
                update(table)
                .where(pk_col == pk, enc_col == old)
                .values({col.column: _reseal_token(ring, col, pk, old)})
            )
        if session.execute(stmt).rowcount == 1:
            rewritten += 1
        else:
            skipped += 1  # a live writer replaced it meanwhile — already under the new key
    return rewritten, skipped


@dataclass
class RotationReport:
    rotation_id: int
    target_key_id: str
    finished: bool
    rewritten: int = 0
    skipped: int = 0
    batches: int = 0
    remaining: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rotation_id": self.rotation_id,
            "target_key_id": self.target_key_id,
            "finished": self.finished,
            "rewritten": self.rewritten,
            "skipped": self.skipped,
            "batches": self.batches,
            "remaining": self.remaining,
        }


def _open_rotation(session: Session, target: str) -> KeyRotation:
    """The running rotation to ``target`` (resumed), superseding runs towards other keys."""
    now = datetime.now(UTC)
    running = session.execute(select(KeyRotation).where(KeyRotation.status == "running").with_for_update()).scalars()
    current = None
    for rotation in running:
        if rotation.target_key_id == target and current is None:
            current = rotation
        else:
            rotation.status, rotation.finished_at = "superseded", now
    if current is None:
        current = KeyRotation(target_key_id=target, status="running", progress={}, rewritten=0, skipped=0)
        session.add(current)
        session.flush()
        audit.append(
            session,
            actor="keys-rotate",
            action="keys.rotate.start",
            object_type="key_rotation",
            object_id=str(current.id),
            detail={"target_key_id": target},
        )
    return current


def _batch(
    factory: sessionmaker[Session], rotation_id: int, col: EncryptedColumn, ring: KeyRing, size: int
) -> tuple[int, int, int] | None:
    """One batch of one column in one transaction; ``(rows, rewritten, skipped)`` or ``None`` when the column is done."""
    with factory() as session, session.begin():
        rotation = session.execute(
            select(KeyRotation).where(KeyRotation.id == rotation_id).with_for_update()
        ).scalar_one()
        last = rotation.progress.get(col.name, 0)
        if last == DONE:
            return None
        table = col.table_obj
        columns = [table.c[col.pk], table.c[col.column]]
        if col.key_id_column:
            columns.append(table.c[col.key_id_column])
        rows = session.execute(
            select(*columns)
            .where(table.c[col.pk] > last, _not_on(col, ring.current_id))
            .order_by(table.c[col.pk])
            .limit(size)
        ).all()
        progress = dict(rotation.progress)
        if not rows:
            progress[col.name] = DONE
            rotation.progress = progress
            rotation.updated_at = datetime.now(UTC)
            return None
        rewritten, skipped = reseal_rows(session, col, list(rows), ring)
        progress[col.name] = rows[-1][0]
        rotation.progress = progress
        rotation.rewritten += rewritten
        rotation.skipped += skipped
        rotation.updated_at = datetime.now(UTC)
        return len(rows), rewritten, skipped


def rotate(
    factory: sessionmaker[Session],
    *,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RotationReport:
    """Re-seal every row not under the current key; resumable, batch by batch.

    ``on_progress(n)`` is told how many rows each batch handled (the CLI's progress
    bar); ``on_batch(k)`` is called after the k-th committed batch (tests use it to
    interrupt). Raises :class:`RotationRefused` before touching anything when the
    blind-index key is not safe, :class:`RotationError` (batch rolled back) on a row
    that does not decrypt.
    """
    if batch < 1:
        raise ValueError("batch must be ≥ 1")
    ring = keyring()
    target = ring.current_id
    with factory() as session, session.begin():
        check_rotation_allowed(session)
        rotation_id = _open_rotation(session, target).id
    report = RotationReport(rotation_id, target, finished=False)
    for _pass in range(MAX_PASSES):
        for col in ENCRYPTED_COLUMNS:
            while (done := _batch(factory, rotation_id, col, ring, batch)) is not None:
                rows, rewritten, skipped = done
                report.rewritten += rewritten
                report.skipped += skipped
                report.batches += 1
                if on_progress:
                    on_progress(rows)
                if on_batch:
                    on_batch(report.batches)
        with factory() as session, session.begin():
            report.remaining = {k: v for k, v in remaining(session, target).items() if v}
            rotation = session.execute(
                select(KeyRotation).where(KeyRotation.id == rotation_id).with_for_update()
            ).scalar_one()
            if not report.remaining:
                rotation.status, rotation.finished_at = "finished", datetime.now(UTC)
                audit.append(
                    session,
                    actor="keys-rotate",
                    action="keys.rotate.finish",
                    object_type="key_rotation",
                    object_id=str(rotation_id),
                    detail={"target_key_id": target, "rewritten": rotation.rewritten, "skipped": rotation.skipped},
                )
                report.finished = True
                return report
            # Rows written meanwhile by a process still on the old configuration: another pass.
            rotation.progress = {}
    return report


def rotation_status(session: Session) -> dict[str, Any]:
    """What ``pilhub keys status`` shows: keys configured, rows per key id, the last rotation."""
    ring = keyring()
    by_column: dict[str, dict[str, int]] = {}
    for col in ENCRYPTED_COLUMNS:
        table = col.table_obj
        counts: dict[str, int] = {}
        if col.key_id_column:
            for kid, n in session.execute(
                select(table.c[col.key_id_column], func.count()).group_by(table.c[col.key_id_column])
            ).all():
                counts[kid] = n
        else:
            total = session.scalar(select(func.count()).where(table.c[col.column].is_not(None))) or 0
            for kid in ring.keys:
                n = session.scalar(select(func.count()).where(table.c[col.column].like(f"v1:{kid}:%"))) or 0
                if n:
                    counts[kid] = n
            if total - sum(counts.values()):
                counts["(unknown)"] = total - sum(counts.values())
        by_column[col.name] = counts
    last = session.execute(select(KeyRotation).order_by(KeyRotation.id.desc()).limit(1)).scalar_one_or_none()
    in_use = sorted({kid for counts in by_column.values() for kid in counts})
    return {
        "current_key_id": ring.current_id,
        "old_key_ids": sorted(k for k in ring.keys if k != ring.current_id),
        "index_key_pinned": index_key_pinned(),
        "key_ids_in_use": in_use,
        "removable_old_key_ids": sorted(k for k in ring.keys if k != ring.current_id and k not in in_use),
        "rows": by_column,
        "last_rotation": None
        if last is None
        else {
            "id": last.id,
            "target_key_id": last.target_key_id,
            "status": last.status,
            "rewritten": last.rewritten,
            "skipped": last.skipped,
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
        },
    }


__all__ = [
    "ENCRYPTED_COLUMNS",
    "EncryptedColumn",
    "RotationError",
    "RotationRefused",
    "RotationReport",
    "check_rotation_allowed",
    "index_key_pinned",
    "remaining",
    "rotate",
    "rotation_status",
]
