"""Ed25519 payload signatures: prove a record is the one the agency signed.

A signing agency wraps each record as ``{"payload": "<JSON text>", "signature":
"<base64>", "key_id": "…", "signed_at": "…"}``; the signature covers the UTF-8 bytes of
the payload text exactly as sent (re-serialising JSON is not byte-stable, so the hub
never signs or verifies a re-encoded form). The public key is the agency's registered
key valid when the hub *fetched* the record (the sink supplies the keys — see
:class:`AgencyKeys`) — so a retired key cannot
vouch for new records. The wrapper's ``signed_at`` is never consulted for that: the
signature does not cover it, and even a signing time inside the payload is whatever the
holder of the key chose, so whoever holds an expired (retired or leaked) key could
backdate new records with it. A quarantined record replayed later is judged at its
original ``fetched_at`` (kept with the quarantine item), so registering a missing key
still fixes it.

A missing signature, an unknown or out-of-period key, or a mismatch rejects *that
record* to quarantine — ``signature.missing``, ``signature.invalid``, and the key codes
of :mod:`hub.trust.agency_keys` (``signature.no_key``, ``signature.unknown_key``,
``signature.key_expired`` …); the rest of the batch loads. Replay re-verifies, so
registering a missing key and replaying fixes it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidSignature

from connectors.sdk.records import Reason, RecordRejected

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class AgencyKeys(Protocol):
    """An agency's registered public keys, as the sink provides them (read once per pull).

    ``key_for`` returns the key ``key_id`` valid when the hub fetched the record, or raises
    :class:`~connectors.sdk.records.RecordRejected` with the reason (no key, unknown key,
    key outside its validity period). The hub implements it over its key registry
    (``hub.ingest.agency_keys``); the SDK never reads the store.
    """

    agency_code: str

    def key_for(self, key_id: str, at: datetime) -> Ed25519PublicKey: ...


def _reject(code: str, zh: str, en: str, field: str = "signature") -> RecordRejected:
    return RecordRejected(Reason(field, code, zh, en))


@dataclass(frozen=True)
class Ed25519Signed:
    """Declaration on a stream whose records arrive signed (field names inside the wrapper).

    ``signed_at_field`` names the agency's claimed signing time; it is informational only
    (kept in the raw record) and never decides which key is valid — see the module docstring.
    """

    payload_field: str = "payload"
    signature_field: str = "signature"
    key_id_field: str = "key_id"
    signed_at_field: str | None = "signed_at"

    def open(self, raw: dict[str, Any], keys: AgencyKeys, fetched_at: datetime) -> tuple[dict[str, Any], str]:
        """Verify ``raw`` and return ``(the signed record, its signature)``; raise :class:`RecordRejected`."""
        payload = raw.get(self.payload_field)
        if not isinstance(payload, str) or not payload:
            raise _reject("signature.payload", "签名记录缺少载荷", "signed record has no payload", self.payload_field)
        signature = raw.get(self.signature_field)
        if not signature:
            raise _reject(
                "signature.missing", "记录未签名（该单位须签名）", "record is unsigned (this agency signs its records)"
            )
        key_id = str(raw.get(self.key_id_field) or "")
        key = keys.key_for(key_id, fetched_at)  # a time the hub observed, never one the sender claims
        try:
            signature_bytes = base64.b64decode(str(signature), validate=True)
        except (ValueError, binascii.Error):
            raise _reject("signature.malformed", "签名不是合法的 base64", "signature is not valid base64") from None
        try:
            key.verify(signature_bytes, payload.encode("utf-8"))
        except (InvalidSignature, ValueError):
            raise _reject(
                "signature.invalid",
                "签名与载荷不符（记录被篡改或签名损坏）",
                "signature does not match the payload (tampered record or damaged signature)",
            ) from None
        try:
            record = json.loads(payload)
        except json.JSONDecodeError:
            raise _reject(
                "payload.json", "已签名载荷不是合法 JSON", "signed payload is not valid JSON", self.payload_field
            ) from None
        if not isinstance(record, dict):
            raise _reject(
                "payload.json", "已签名载荷不是对象", "signed payload is not a JSON object", self.payload_field
            )
        return record, str(signature)
