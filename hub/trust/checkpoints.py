"""Signed checkpoints over the audit chain, and the walk that checks both.

The hash chain of :mod:`hub.audit` catches a row edited or deleted in place. It
cannot, on its own, catch someone with write access who rewrites the chain
*consistently* — edits a row and recomputes every later hash and the head. A
checkpoint closes that gap: the hub signs ``(last_entry_id, last_hash, entries,
signed_at, prev)`` with its Ed25519 key, which the database does not hold. A rewrite
then disagrees with the signed hash of the checkpointed entry.

Checkpoints are chained (``prev_digest`` is the SHA-256 of the previous checkpoint's
signed statement), so deleting one from the middle breaks the next. Deleting the
newest checkpoints as well is caught by the *anchor*: every checkpoint is also
appended to ``PILHUB_AUDIT_ANCHOR`` (default ``var/audit/checkpoints-<store>.jsonl``), a file
meant to be shipped off the database host (to the congress, a WORM bucket, a mail
archive); :func:`verify_trail` checks each anchored checkpoint is still in the store.

:func:`checkpoint_now` is what ``pilhub audit checkpoint`` and a periodic DAG task call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, func, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import GENESIS, ChainReport, canonical_json, entry_hash
from hub.config import var_dir
from hub.store.models import AuditCheckpoint, AuditEntry, AuditHead
from hub.trust.signing import ALGORITHM, hub_signer, trusted_public_keys, verify_signature

STATEMENT_TYPE = "pilhub.audit.checkpoint"


class CheckpointRefused(RuntimeError):
    """The chain is already broken: signing its head would vouch for the tampering."""


def anchor_path(url: str | URL | None = None) -> Path:
    """``PILHUB_AUDIT_ANCHOR``, else one file per store under ``var/audit/``.

    Named after the store's URL (``url``, default the configured store; the password is
    left out), so a store recreated elsewhere or a test database never meets another
    store's anchor.
    """
    explicit = os.environ.get("PILHUB_AUDIT_ANCHOR")
    if explicit:
        return Path(explicit)
    from hub.config import database_url

    shown = make_url(url or database_url()).render_as_string(hide_password=True)
    return var_dir() / "audit" / f"checkpoints-{hashlib.sha256(shown.encode()).hexdigest()[:12]}.jsonl"


def _anchor_for(session: Session) -> Path:
    return anchor_path(session.get_bind().engine.url)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def statement(cp: AuditCheckpoint) -> dict[str, Any]:
    """What the signature covers (also the line written to the anchor file, plus the signature)."""
    return {
        "type": STATEMENT_TYPE,
        "last_entry_id": cp.last_entry_id,
        "last_hash": cp.last_hash,
        "entries": cp.entries,
        "signed_at": _utc(cp.signed_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prev": cp.prev_digest,
        "key_id": cp.key_id,
        "algorithm": cp.algorithm,
    }


def statement_bytes(cp: AuditCheckpoint) -> bytes:
    return canonical_json(statement(cp)).encode("utf-8")


def statement_digest(cp: AuditCheckpoint) -> str:
    return hashlib.sha256(statement_bytes(cp)).hexdigest()


def create_checkpoint(session: Session, *, at: datetime | None = None) -> AuditCheckpoint:
    """Verify the trail, then sign the chain's current head inside the caller's transaction.

    The head row is locked first, so no entry can be appended between the walk and the
    signature. Refuses (:class:`CheckpointRefused`) when the chain, an earlier
    checkpoint or the anchor is already broken: a signature must never vouch for
    tampering. Call :func:`anchor_checkpoint` after the transaction commits (or use
    :func:`checkpoint_now`, which does both).
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    report = verify_trail(session)
    if not report.ok:
        raise CheckpointRefused(
            f"审计链已损坏，拒绝签署检查点 / audit trail is broken, refusing to sign a checkpoint: {report.reason}"
        )
    previous = session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).scalar_one_or_none()
    signer = hub_signer()
    cp = AuditCheckpoint(
        last_entry_id=head.last_entry_id if head else None,
        last_hash=head.last_hash if head else GENESIS,
        entries=report.chain.checked,
        signed_at=(at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        prev_digest=statement_digest(previous) if previous else GENESIS,
        key_id=signer.key_id,
        algorithm=ALGORITHM,
        signature="",
    )
    cp.signature = base64.b64encode(signer.sign(statement_bytes(cp))).decode("ascii")
    session.add(cp)
    session.flush()
    return cp


def anchor_checkpoint(cp: AuditCheckpoint, path: Path | None = None) -> Path:
    """Append a committed checkpoint's signed statement to the anchor file (fsync'd); return its path."""
    path = path or anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = canonical_json({"id": cp.id, **statement(cp), "signature": cp.signature}) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def checkpoint_now(factory: sessionmaker[Session], *, at: datetime | None = None) -> AuditCheckpoint:
    """Create, commit and anchor one checkpoint — the periodic job (CLI and DAG task)."""
    with factory() as session, session.begin():
        cp = create_checkpoint(session, at=at)
        anchor = _anchor_for(session)
    anchor_checkpoint(cp, anchor)
    return cp


@dataclass(frozen=True)
class TrailReport:
    """Chain and checkpoint verification in one answer, with bilingual reasons."""

    chain: ChainReport
    checkpoints_checked: int = 0
    first_bad_checkpoint_id: int | None = None
    checkpoint_reason: str | None = None
    last_checkpoint_id: int | None = None
    last_checkpoint_entry_id: int | None = None
    entries_after_last_checkpoint: int = 0
    anchored_checked: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.first_bad_checkpoint_id is None and self.checkpoint_reason is None

    @property
    def reason(self) -> str | None:
        return self.chain.reason if not self.chain.ok else self.checkpoint_reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries_checked": self.chain.checked,
            "first_broken_entry_id": self.chain.first_broken_id,
            "chain_reason": self.chain.reason,
            "checkpoints_checked": self.checkpoints_checked,
            "first_bad_checkpoint_id": self.first_bad_checkpoint_id,
            "checkpoint_reason": self.checkpoint_reason,
            "last_checkpoint_id": self.last_checkpoint_id,
            "last_checkpoint_entry_id": self.last_checkpoint_entry_id,
            "entries_after_last_checkpoint": self.entries_after_last_checkpoint,
            "anchored_checked": self.anchored_checked,
            "notes": self.notes,
        }


def _check_signatures(checkpoints: list[AuditCheckpoint]) -> tuple[int | None, str | None]:
    """First checkpoint whose signature or link to its predecessor fails, with the reason."""
    keys = trusted_public_keys()
    prev_digest = GENESIS
    for cp in checkpoints:
        key = keys.get(cp.key_id)
        if key is None:
            return (
                cp.id,
                f"检查点 {cp.id} 的签名密钥 {cp.key_id} 未知 / checkpoint {cp.id} signed by unknown key {cp.key_id}",
            )
        try:
            signature = base64.b64decode(cp.signature, validate=True)
        except (binascii.Error, ValueError):
            signature = b""
        if not verify_signature(key, signature, statement_bytes(cp)):
            return cp.id, f"检查点 {cp.id} 签名无效（检查点被改动）/ checkpoint {cp.id} has a bad signature (altered)"
        if cp.prev_digest != prev_digest:
            return cp.id, (
                f"检查点 {cp.id} 与前一检查点不衔接（有检查点被删除）/ "
                f"checkpoint {cp.id} does not follow the previous one (a checkpoint was deleted)"
            )
        prev_digest = statement_digest(cp)
    return None, None


_Mismatch = tuple[int, str] | None


def _walk(session: Session, by_entry: dict[int, list[AuditCheckpoint]]) -> tuple[ChainReport, set[int], _Mismatch]:
    """Walk the chain like :func:`hub.audit.verify_chain`, also comparing each checkpointed entry.

    Returns the chain report, the ids of the checkpoints whose entry was met, and the
    first checkpoint whose signed hash or entry count the chain no longer matches.
    """
    prev, checked, last_id = GENESIS, 0, None
    seen: set[int] = set()
    mismatch: _Mismatch = None
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().yield_per(2000):
        checked += 1
        if entry.prev_hash != prev:
            return (
                ChainReport(False, checked, entry.id, "前序哈希不符（条目被删除或插入）/ prev_hash mismatch"),
                seen,
                mismatch,
            )
        if entry_hash(prev, entry) != entry.entry_hash:
            broken = ChainReport(False, checked, entry.id, "条目内容被篡改 / entry content does not match its hash")
            return broken, seen, mismatch
        for cp in by_entry.get(entry.id, ()):
            seen.add(cp.id)
            if mismatch is None and (cp.last_hash != entry.entry_hash or cp.entries != checked):
                mismatch = (
                    cp.id,
                    (
                        f"条目 {entry.id} 与已签名检查点 {cp.id} 不符：审计链被整体改写 / "
                        f"entry {entry.id} does not match signed checkpoint {cp.id}: the chain was rewritten"
                    ),
                )
        prev, last_id = entry.entry_hash, entry.id
    head = session.get(AuditHead, 1)
    if (head is None and checked) or (head is not None and (head.last_hash != prev or head.last_entry_id != last_id)):
        tail = ChainReport(
            False, checked, last_id, "链尾与记录不符（末尾条目被删除）/ chain head does not match last entry"
        )
        return tail, seen, mismatch
    return ChainReport(True, checked), seen, mismatch


def _read_anchor(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.strip():
            try:
                lines.append(json.loads(text))
            except ValueError:
                lines.append({"id": None, "corrupt": True})
    return lines


def _check_anchor(checkpoints: list[AuditCheckpoint], path: Path) -> tuple[int, int | None, str | None]:
    by_id = {cp.id: cp for cp in checkpoints}
    anchored = _read_anchor(path)
    for line in anchored:
        cp = by_id.get(line.get("id"))  # type: ignore[arg-type]
        if cp is None or line.get("signature") != cp.signature:
            ident = line.get("id")
            return (
                len(anchored),
                ident,
                (
                    f"锚定文件中的检查点 {ident} 在数据库中缺失或不同（检查点被删除）/ "
                    f"anchored checkpoint {ident} is missing or different in the store (checkpoints were deleted)"
                ),
            )
    return len(anchored), None, None


def verify_trail(session: Session, *, use_anchor: bool = True, anchor: Path | None = None) -> TrailReport:
    """Walk the whole chain and every signed checkpoint; report the first broken link.

    Checks, in order: each checkpoint's signature and its link to the previous one; each
    entry's link and hash (the first broken entry is named); each checkpointed entry
    against the signed hash; that no checkpoint names an entry the chain no longer
    has; and, with ``use_anchor``, that every checkpoint in the anchor file is still in
    the store. Also says how many entries follow the last checkpoint.
    """
    checkpoints = list(session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars())
    bad_cp, cp_reason = _check_signatures(checkpoints)
    by_entry: dict[int, list[AuditCheckpoint]] = {}
    for cp in checkpoints:
        if cp.last_entry_id is not None:
            by_entry.setdefault(cp.last_entry_id, []).append(cp)
    chain, seen, mismatch = _walk(session, by_entry)
    if bad_cp is None and mismatch is not None:
        bad_cp, cp_reason = mismatch
    if bad_cp is None and chain.ok:
        lost = [cp for cp in checkpoints if cp.last_entry_id is not None and cp.id not in seen]
        if lost:
            bad_cp, cp_reason = (
                lost[0].id,
                (
                    f"检查点 {lost[0].id} 所签条目 {lost[0].last_entry_id} 已不在链中（条目被删除）/ "
                    f"entry {lost[0].last_entry_id} signed by checkpoint {lost[0].id} is gone (entries were deleted)"
                ),
            )
    anchored = 0
    if use_anchor and cp_reason is None:
        anchored, anchor_bad, anchor_reason = _check_anchor(checkpoints, anchor or _anchor_for(session))
        if anchor_reason:
            bad_cp, cp_reason = anchor_bad, anchor_reason
    last = checkpoints[-1] if checkpoints else None
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return TrailReport(
        chain=chain,
        checkpoints_checked=len(checkpoints),
        first_bad_checkpoint_id=bad_cp,
        checkpoint_reason=cp_reason,
        last_checkpoint_id=last.id if last else None,
        last_checkpoint_entry_id=last.last_entry_id if last else None,
        entries_after_last_checkpoint=max(0, total - (last.entries if last else 0)),
        anchored_checked=anchored,
        notes=[] if checkpoints else ["尚无签名检查点 / no signed checkpoint yet: run pilhub audit checkpoint"],
    )
