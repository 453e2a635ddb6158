"""The hub's Ed25519 signing key: where it comes from, its key id, and the public half.

Outbound artefacts (recommendations, escalation notices, reports) and audit
checkpoints are signed with this key, so an agency, a people's congress or a court
can check that what it holds is what the hub produced. Only the *public* key ever
leaves the hub; it is published as ``var/keys/hub.pub.pem`` and printed by
``pilhub keys public``.

Where the private key comes from (never from the repository):

``PILHUB_SIGNING_KEY``          base64 of the raw 32-byte private key, or the path of a PEM file
                                (PKCS#8, unencrypted — mount it from the secrets store)
``PILHUB_SIGNING_TRUSTED_KEYS`` comma-separated earlier public keys (PEM paths or base64 raw keys)
                                that still verify artefacts and checkpoints signed before a key change

On the embedded default with ``PILHUB_SIGNING_KEY`` unset, a key is generated once
into ``var/keys/hub-signing.pem`` (mode 0600, git-ignored), the same way
:mod:`hub.personal_data` creates its key file, so ``make demo`` works on a fresh machine.

The key id is derived from the public key (``hub-`` + 16 hex digits of its SHA-256),
so it cannot drift from the key and anyone can recompute it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.config import var_dir

ALGORITHM = "ed25519"
SIGNER = "pilhub"
PRIVATE_KEY_FILE = "hub-signing.pem"
PUBLIC_KEY_FILE = "hub.pub.pem"

log = logging.getLogger("pilhub.trust.signing")


class SigningKeyError(RuntimeError):
    """The signing key is missing or malformed (the message never carries key material)."""


@dataclass(frozen=True)
class HubSigner:
    """The hub's private key with its derived id; ``repr`` never shows the key."""

    key_id: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """``hub-`` + the first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    return "hub-" + hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM — the form ``openssl pkeyutl -pubin -inkey`` reads."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def load_public_key(spec: str | bytes | Path | Ed25519PublicKey) -> Ed25519PublicKey:
    """A public key from a key object, PEM text/bytes, a PEM file path, or base64 of the raw 32 bytes."""
    if isinstance(spec, Ed25519PublicKey):
        return spec
    if isinstance(spec, Path) or (isinstance(spec, str) and "BEGIN" not in spec and Path(spec).is_file()):
        spec = Path(spec).read_bytes()
    data = spec.encode("ascii", "replace") if isinstance(spec, str) else spec
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            raw = base64.b64decode(data.strip(), validate=True)
            if len(raw) != 32:
                raise ValueError("length")
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SigningKeyError(
            "公钥格式错误（应为 PEM 或 32 字节原始公钥的 base64）/ "
            "malformed public key (expected PEM or base64 of the raw 32-byte key)"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("公钥不是 Ed25519 密钥 / the public key is not an Ed25519 key")
    return key


def _load_private(spec: str) -> Ed25519PrivateKey:
    spec = spec.strip()
    path = Path(spec)
    try:
        if spec.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(spec.encode("ascii"), password=None)
        elif path.suffix in (".pem", ".key") or path.is_file():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        else:
            raw = base64.b64decode(spec, validate=True)
            if len(raw) != 32:
                raise ValueError("length")
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"PILHUB_SIGNING_KEY 指向的文件不存在 / the PEM file PILHUB_SIGNING_KEY names does not exist: {path}"
        ) from exc
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SigningKeyError(
            "PILHUB_SIGNING_KEY 应为 32 字节私钥的 base64 或 PEM 文件路径 / "
            "PILHUB_SIGNING_KEY must be base64 of a raw 32-byte key or the path of a PEM file"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("PILHUB_SIGNING_KEY 不是 Ed25519 私钥 / PILHUB_SIGNING_KEY is not an Ed25519 key")
    return key


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def _embedded_key() -> Ed25519PrivateKey:
    """Create once (0600) or read the embedded default's signing key under var/keys/."""
    path = var_dir() / "keys" / PRIVATE_KEY_FILE
    if not path.exists():
        try:
            _write_private(path, Ed25519PrivateKey.generate())
            log.warning(
                "未配置 PILHUB_SIGNING_KEY，已在 %s 生成本地签名密钥（仅限嵌入式演示）/ "
                "PILHUB_SIGNING_KEY not set: generated a local signing key at %s (embedded default only)",
                path,
                path,
            )
        except FileExistsError:  # another process won the race; read its key
            pass
    return _load_private(str(path))


@lru_cache(maxsize=1)
def hub_signer() -> HubSigner:
    """The hub's signer (cached; :func:`reset_signer` after the environment changed)."""
    spec = os.environ.get("PILHUB_SIGNING_KEY")
    key = _load_private(spec) if spec else _embedded_key()
    signer = HubSigner(key_id=key_id_for(key.public_key()), private_key=key)
    publish_public_key(signer)
    return signer


def reset_signer() -> None:
    """Forget the cached key (tests, and after the environment changed)."""
    hub_signer.cache_clear()


def publish_public_key(signer: HubSigner | None = None, dest: Path | None = None) -> Path:
    """Write the public key as PEM (default ``var/keys/hub.pub.pem``, world-readable) and return its path."""
    signer = signer or hub_signer()
    dest = dest or var_dir() / "keys" / PUBLIC_KEY_FILE
    pem = public_key_pem(signer.public_key)
    try:
        if not dest.exists() or dest.read_text(encoding="ascii") != pem:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
            tmp.write_text(pem, encoding="ascii")
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
    except OSError as exc:  # a read-only var/ must not stop signing; the key is also printable
        log.warning("无法发布公钥 / could not publish the public key at %s: %s", dest, type(exc).__name__)
    return dest


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Key id → public key for every hub key whose signatures are accepted (current first)."""
    current = hub_signer().public_key
    keys = {key_id_for(current): current}
    for spec in filter(None, (s.strip() for s in os.environ.get("PILHUB_SIGNING_TRUSTED_KEYS", "").split(","))):
        key = load_public_key(spec)
        keys.setdefault(key_id_for(key), key)
    return keys


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s Ed25519 signature over ``data``."""
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
