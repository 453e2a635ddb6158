"""AES-GCM sealing of bytes (raw bodies) and JSON (quarantined records) under the personal-data keys.

Raw bodies and rejected records may contain personal data (names, ID numbers), so
they are encrypted like every other personal-data column. ``hub.personal_data`` seals
text; bodies are bytes of arbitrary encoding (GB18030 CSV, XML) and must be kept
byte-exact so the content hash still matches, hence this small bytes helper on the
same key ring. The column name is bound in as associated data, as there.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.personal_data import _FORMAT, PersonalDataKeyError, decrypt, encrypt, keyring

BODY_COLUMN = "raw_landings.body_enc"


def seal_bytes(plain: bytes, column: str = BODY_COLUMN) -> tuple[bytes, str]:
    """Encrypt ``plain``; return ``(nonce ‖ ciphertext, key id)``."""
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plain, f"{ring.current_id}|{column}".encode())
    return nonce + sealed, ring.current_id


def open_bytes(blob: bytes, key_id: str, column: str = BODY_COLUMN) -> bytes:
    """Decrypt what :func:`seal_bytes` produced."""
    key = keyring().keys.get(key_id)
    if key is None:
        raise PersonalDataKeyError(f"缺少密钥 {key_id} / no key with id {key_id} is configured")
    return AESGCM(key).decrypt(blob[:12], blob[12:], f"{key_id}|{column}".encode())


def encrypt_many(plains: Sequence[bytes | None], column: str) -> list[str | None]:
    """Encrypt UTF-8 texts for a text column, as :func:`hub.personal_data.encrypt` does one at a time.

    The same token (``v1:<key id>:<base64 nonce ‖ ciphertext>``, column bound in as associated
    data, fresh random nonce each), so :func:`hub.personal_data.decrypt` and key rotation read
    it unchanged. One cipher object for the whole batch instead of one per value: a pull
    encrypts the personal fields of every record, and building the cipher was half the cost.
    ``None`` stays ``None``.
    """
    ring = keyring()
    cipher = AESGCM(ring.keys[ring.current_id])
    aad = f"{ring.current_id}|{column}".encode()
    prefix = f"{_FORMAT}:{ring.current_id}:"
    b64 = base64.b64encode
    # The nonces are 12 random bytes each from one read of the OS generator for the whole batch:
    # as random as one read per value, without a system call per value (50,000 in a large pull).
    nonces = os.urandom(12 * sum(plain is not None for plain in plains))
    out: list[str | None] = []
    at = 0
    for plain in plains:
        if plain is None:
            out.append(None)
            continue
        nonce = nonces[at : at + 12]
        at += 12
        out.append(prefix + b64(nonce + cipher.encrypt(nonce, plain, aad)).decode("ascii"))
    return out


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def seal_json(value: Any, column: str) -> str:
    return encrypt(_json(value), column) or ""


def open_json(token: str, column: str) -> Any:
    return json.loads(decrypt(token, column) or "null")
