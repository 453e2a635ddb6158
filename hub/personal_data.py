"""Encryption at rest and keyed search hashes for personal data of natural persons.

Names of individuals, resident ID numbers, phone numbers and individuals' addresses
never reach the database in plain text. Each value is sealed with AES-256-GCM under
a key identified by a *key id*, so keys can rotate: the current key encrypts, every
configured older key still decrypts until ``pilhub keys rotate`` has re-encrypted the
rows. The column name is bound in as associated data, so a ciphertext copied into
another column does not decrypt.

Equality search (find a party by ID number, match records across agencies) uses a
keyed hash (HMAC-SHA256, "blind index") under a separate *index key*, which does not
change when the encryption key rotates.

Keys come from the environment (or Airflow's secrets backend, which exports them
into the environment of the task), never from the repository:

``PILHUB_SECRET_KEY``      ``KID:BASE64`` (32 bytes) — the current encryption key
``PILHUB_OLD_SECRET_KEYS`` comma-separated ``KID:BASE64`` — keys that still decrypt
``PILHUB_INDEX_KEY``       ``BASE64`` (32 bytes) — the blind-index key

On the embedded default with none of them set, a key file is created once under
``var/keys/`` (mode 0600, git-ignored) so ``make demo`` works on a fresh machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.config import var_dir

_FORMAT = "v1"


class PersonalDataKeyError(RuntimeError):
    """A personal-data key is missing or malformed (never carries key material)."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes] = field(repr=False)
    index_key: bytes = field(repr=False)

    def encrypt(self, plaintext: str, column: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(
            nonce, plaintext.encode("utf-8"), f"{self.current_id}|{column}".encode()
        )
        return f"{_FORMAT}:{self.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, column: str) -> str:
        try:
            fmt, key_id, blob = token.split(":", 2)
        except ValueError as exc:
            raise PersonalDataKeyError("密文格式错误 / malformed ciphertext") from exc
        if fmt != _FORMAT:
            raise PersonalDataKeyError(f"未知密文版本 / unknown ciphertext version {fmt!r}")
        key = self.keys.get(key_id)
        if key is None:
            raise PersonalDataKeyError(f"缺少密钥 {key_id} / no key with id {key_id} is configured")
        raw = base64.b64decode(blob)
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], f"{key_id}|{column}".encode())
        return plain.decode("utf-8")

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash of a normalised value; equal inputs give equal hashes, nothing else leaks."""
        normalised = "".join(value.split()).upper()
        return hmac.new(self.index_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def key_id_of(token: str) -> str:
    """The key id a ciphertext was sealed under (used by key rotation)."""
    return token.split(":", 2)[1]


def _parse_key(spec: str, name: str) -> tuple[str, bytes]:
    try:
        key_id, b64 = spec.strip().split(":", 1)
        key = base64.b64decode(b64)
    except Exception as exc:
        raise PersonalDataKeyError(f"{name} 格式应为 KID:BASE64 / {name} must be KID:BASE64") from exc
    if len(key) != 32 or not key_id.isalnum():
        raise PersonalDataKeyError(
            f"{name} 须为 32 字节密钥及字母数字 id / {name} needs a 32-byte key and an alphanumeric id"
        )
    return key_id, key


def _embedded_keyfile() -> dict[str, str]:
    """Create (once) or read the embedded default's key file under var/keys/."""
    path = var_dir() / "keys" / "pilhub-keys.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        data = {
            "PILHUB_SECRET_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "PILHUB_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        logging.getLogger("pilhub.keys").warning(
            f"未配置 PILHUB_SECRET_KEY，已在 {path} 生成本地密钥（仅限嵌入式演示）/ "
            f"PILHUB_SECRET_KEY not set: generated a local key file at {path} (embedded default only)"
        )
    return json.loads(path.read_text())


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    env = dict(os.environ)
    if not env.get("PILHUB_SECRET_KEY"):
        env.update({k: v for k, v in _embedded_keyfile().items() if not env.get(k)})
    current_id, current = _parse_key(env["PILHUB_SECRET_KEY"], "PILHUB_SECRET_KEY")
    keys = {current_id: current}
    for spec in filter(None, (env.get("PILHUB_OLD_SECRET_KEYS") or "").split(",")):
        kid, key = _parse_key(spec, "PILHUB_OLD_SECRET_KEYS")
        keys.setdefault(kid, key)
    if env.get("PILHUB_INDEX_KEY"):
        index_key = base64.b64decode(env["PILHUB_INDEX_KEY"])
        if len(index_key) != 32:
            raise PersonalDataKeyError("PILHUB_INDEX_KEY 须为 32 字节 / PILHUB_INDEX_KEY must be 32 bytes")
    else:
        # Derived from the current key: fine until the first rotation, which requires
        # PILHUB_INDEX_KEY to be pinned first (pilhub keys rotate checks it).
        index_key = hmac.new(current, b"pilhub-blind-index", hashlib.sha256).digest()
    return KeyRing(current_id=current_id, keys=keys, index_key=index_key)


def reset_keyring() -> None:
    """Forget cached keys (tests, and after the environment changed)."""
    keyring.cache_clear()


def encrypt(value: str | None, column: str) -> str | None:
    return None if value is None else keyring().encrypt(value, column)


def decrypt(token: str | None, column: str) -> str | None:
    return None if token is None else keyring().decrypt(token, column)


def blind_index(kind: str, value: str | None) -> str | None:
    return None if value is None or not value.strip() else keyring().blind_index(kind, value)


def mask_name(name: str | None) -> str | None:
    """Display form for roles that may see that a person exists but not who: 张三 → 张*."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
