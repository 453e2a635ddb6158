"""Agencies' registered Ed25519 public keys, their validity periods, and inbound signature checks.

An agency that signs its payloads registers a public key with the hub for a period
(``valid_from`` .. ``valid_to``). A payload is accepted only when it verifies under a
key of *that* agency that was valid at the time it was received; a key past its
validity is refused even when the signature is mathematically correct — a retired
or compromised key must not keep vouching for data. Connectors call
:func:`verify_agency_signature` and send the record to quarantine with the error's
``code`` and bilingual reason when it raises.

``at`` must be a time the hub observed (when the payload was fetched), never a time
the payload states about itself: a payload signed with a stolen, expired key could
otherwise claim to be old.

The store (``hub.store.models``, the audit trail, SQLAlchemy) is imported inside the
functions that use it: the connector SDK reaches :func:`key_validity_error` from
``connectors.registry``, which Airflow imports on every DAG-file parse.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub.trust.signing import SigningKeyError, load_public_key, raw_public_bytes, verify_signature

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy.orm import Session

    from hub.store.models import AgencyKey


class AgencySignatureError(ValueError):
    """A payload's signature was refused. ``code`` is stable (quarantine groups on it).

    Codes: ``signature.missing``, ``signature.malformed``, ``signature.no_key``,
    ``signature.unknown_key``, ``signature.key_not_yet_valid``, ``signature.key_expired``,
    ``signature.invalid``. Messages never carry the payload.
    """

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en)
        self.code = code
        self.zh = zh
        self.en = en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


class AgencyKeyError(ValueError):
    """An agency key cannot be registered (malformed, duplicate, empty validity period)."""


def _utc(at: datetime) -> datetime:
    """Naive datetimes (SQLite returns them) are UTC by the store's convention."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def key_validity_error(key: AgencyKey, at: datetime) -> AgencySignatureError | None:
    """Why ``key`` may not vouch for a payload received at ``at`` — or ``None`` when it may.

    The reusable validity rule: ``valid_from <= at < valid_to`` (``valid_to`` open when unset).
    """
    at = _utc(at)
    if at < _utc(key.valid_from):
        return AgencySignatureError(
            "signature.key_not_yet_valid",
            f"{key.agency_code} 的密钥 {key.key_id} 自 {_utc(key.valid_from):%Y-%m-%d %H:%M} 起才生效",
            f"key {key.key_id} of {key.agency_code} is valid only from {_utc(key.valid_from):%Y-%m-%d %H:%M} UTC",
        )
    if key.valid_to is not None and at >= _utc(key.valid_to):
        return AgencySignatureError(
            "signature.key_expired",
            f"{key.agency_code} 的密钥 {key.key_id} 已于 {_utc(key.valid_to):%Y-%m-%d %H:%M} 过期，拒收",
            f"key {key.key_id} of {key.agency_code} expired at {_utc(key.valid_to):%Y-%m-%d %H:%M} UTC; refused",
        )
    return None


def register_agency_key(
    session: Session,
    agency_code: str,
    key_id: str,
    public_key: str | bytes | Ed25519PublicKey,
    valid_from: datetime,
    valid_to: datetime | None = None,
    *,
    actor: str = "cli",
) -> AgencyKey:
    """Register an agency's public key (PEM or base64 raw) for a validity period; audited."""
    from sqlalchemy import select

    from hub import audit
    from hub.store.models import AgencyKey

    try:
        key = load_public_key(public_key)
    except SigningKeyError as exc:
        raise AgencyKeyError(str(exc)) from exc
    if not key_id or len(key_id) > 64 or not agency_code:
        raise AgencyKeyError(
            "机关代码和密钥 id 不能为空（id 至多 64 字符）/ agency code and key id are required (id ≤ 64)"
        )
    if valid_to is not None and _utc(valid_to) <= _utc(valid_from):
        raise AgencyKeyError("有效期结束须晚于开始 / valid_to must be after valid_from")
    exists = session.execute(
        select(AgencyKey).where(AgencyKey.agency_code == agency_code, AgencyKey.key_id == key_id)
    ).scalar_one_or_none()
    if exists is not None:
        raise AgencyKeyError(f"{agency_code} 已有密钥 {key_id} / {agency_code} already has a key {key_id}")
    row = AgencyKey(
        agency_code=agency_code,
        key_id=key_id,
        algorithm="ed25519",
        public_key=base64.b64encode(raw_public_bytes(key)).decode("ascii"),
        valid_from=_utc(valid_from),
        valid_to=_utc(valid_to) if valid_to else None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="agency_key.register",
        object_type="agency_key",
        object_id=f"{agency_code}/{key_id}",
        after={"public_key": row.public_key, "valid_from": row.valid_from, "valid_to": row.valid_to},
    )
    return row


def retire_agency_key(
    session: Session, agency_code: str, key_id: str, at: datetime, *, actor: str = "cli"
) -> AgencyKey:
    """End a key's validity at ``at`` (rollover or compromise); audited. Payloads received later are refused."""
    from sqlalchemy import select

    from hub import audit
    from hub.store.models import AgencyKey

    row = session.execute(
        select(AgencyKey).where(AgencyKey.agency_code == agency_code, AgencyKey.key_id == key_id)
    ).scalar_one_or_none()
    if row is None:
        raise AgencyKeyError(f"{agency_code} 没有密钥 {key_id} / {agency_code} has no key {key_id}")
    before = row.valid_to
    row.valid_to = _utc(at)
    audit.append(
        session,
        actor=actor,
        action="agency_key.retire",
        object_type="agency_key",
        object_id=f"{agency_code}/{key_id}",
        before={"valid_to": before},
        after={"valid_to": row.valid_to},
    )
    return row


def agency_keys(session: Session, agency_code: str | None = None) -> Sequence[AgencyKey]:
    from sqlalchemy import select

    from hub.store.models import AgencyKey

    query = select(AgencyKey).order_by(AgencyKey.agency_code, AgencyKey.valid_from, AgencyKey.key_id)
    if agency_code:
        query = query.where(AgencyKey.agency_code == agency_code)
    return session.execute(query).scalars().all()


def _signature_bytes(signature: bytes | str | None) -> bytes:
    if signature is None or len(signature) == 0:
        raise AgencySignatureError("signature.missing", "载荷未签名", "the payload carries no signature")
    if isinstance(signature, bytes) and len(signature) == 64:
        return signature
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise AgencySignatureError(
            "signature.malformed",
            "签名格式错误（应为 64 字节 Ed25519 签名）",
            "malformed signature (expected 64-byte Ed25519)",
        )
    return raw


def verify_agency_signature(
    session: Session,
    agency_code: str,
    payload_bytes: bytes,
    signature: bytes | str | None,
    at: datetime,
    *,
    key_id: str | None = None,
) -> AgencyKey:
    """Accept ``payload_bytes`` only if signed by a key of ``agency_code`` valid at ``at``.

    ``signature`` is the raw 64 bytes or their base64. With ``key_id`` (when the agency
    names its key) only that key is tried, so an expired key is reported as expired;
    without it every key of the agency valid at ``at`` is tried (rollover overlap).
    Returns the key that verified; raises :class:`AgencySignatureError` otherwise.
    """
    raw = _signature_bytes(signature)
    keys = list(agency_keys(session, agency_code))
    if key_id is not None:
        keys = [k for k in keys if k.key_id == key_id]
        if not keys:
            raise AgencySignatureError(
                "signature.unknown_key",
                f"{agency_code} 未登记密钥 {key_id}",
                f"{agency_code} has no registered key {key_id}",
            )
    elif not keys:
        raise AgencySignatureError(
            "signature.no_key", f"{agency_code} 未登记任何公钥", f"no public key is registered for {agency_code}"
        )
    refusals = [key_validity_error(k, at) for k in keys]
    usable = [k for k, refusal in zip(keys, refusals, strict=True) if refusal is None]
    if not usable:
        # Report why the most recent key is refused (expired beats not-yet-valid for operators).
        raise next((r for r in reversed(refusals) if r and r.code == "signature.key_expired"), refusals[-1])  # type: ignore[misc]
    for key in usable:
        public = load_public_key(key.public_key)
        if verify_signature(public, raw, payload_bytes):
            return key
    raise AgencySignatureError(
        "signature.invalid",
        f"签名与 {agency_code} 的有效公钥不符（载荷被改动或伪造）",
        f"signature does not verify under {agency_code}'s valid keys (payload altered or forged)",
    )
