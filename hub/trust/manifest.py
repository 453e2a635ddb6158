"""Signed manifests for the artefacts the hub sends out (reports, notices, recommendations).

An agency, a people's congress or a court receives a file from the hub and must be
able to check, without trusting the channel and without running pilhub, that the
bytes are what the hub produced. Each artefact gets a manifest::

    {"file": "report.pdf", "sha256": "…", "size": 1234, "signed_at": "2026-11-23T04:56:06Z",
     "signer": "pilhub", "key_id": "hub-…", "algorithm": "ed25519", "signature": "<base64>"}

``signature`` is the hub's Ed25519 signature over the *canonical* manifest without the
``signature`` key: keys sorted, no spaces, UTF-8 — exactly what ``jq -jcS
'del(.signature)'`` prints, so ``openssl pkeyutl -verify -rawin`` can check it (see
``docs/verify.md``). The manifest is written beside the file as ``FILE.manifest.json``,
or — for text formats whose readers ignore trailing lines — embedded at the end of
the file between ``-----BEGIN PILHUB MANIFEST-----`` and ``-----END PILHUB MANIFEST-----``;
then ``sha256`` and ``size`` cover the bytes before that block.

An optional ``kind`` (``report``, ``notice``, ``recommendation``) names what the
artefact is; it sits inside the signed payload, so a notice cannot be passed off as a
recommendation. Manifests without ``kind`` (every report manifest written before
kinds existed, and reports today) are reports.

The API is deliberately tiny and stable — :func:`sign_artifact`, :func:`write_signed`
and :func:`verify_artifact` — because the report, notification and export code call it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.trust.signing import (
    ALGORITHM,
    SIGNER,
    SigningKeyError,
    hub_signer,
    key_id_for,
    load_public_key,
    trusted_public_keys,
    verify_signature,
)

MANIFEST_SUFFIX = ".manifest.json"
EMBED_BEGIN = b"\n-----BEGIN PILHUB MANIFEST-----\n"
EMBED_END = b"\n-----END PILHUB MANIFEST-----\n"
FIELDS = ("file", "sha256", "size", "signed_at", "signer", "key_id", "algorithm", "signature")
# Control characters would be escaped differently by jq and Python; a file name never needs them.
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")
_HEX64 = re.compile(r"[0-9a-f]{64}")

#: What an artefact can be, with its bilingual label; a manifest without ``kind`` is a report.
KINDS: dict[str, tuple[str, str]] = {
    "report": ("统计报告", "report"),
    "notice": ("通知", "notice"),
    "recommendation": ("检察建议", "recommendation"),
}
DEFAULT_KIND = "report"


def kind_label(kind: str | None) -> str:
    """``通知 / notice`` — how ``pilhub verify`` names what it checked."""
    zh, en = KINDS.get(kind or DEFAULT_KIND, (str(kind), str(kind)))
    return f"{zh} / {en}"


def canonical_bytes(manifest: dict[str, Any]) -> bytes:
    """The signed payload: the manifest without ``signature``, keys sorted, compact, UTF-8."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """A JSON document the hub signs (notice, recommendation): sorted keys, two-space indent, UTF-8, final newline.

    Canonical, so the same content always gives the same bytes (and digest), and still readable.
    """
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8") + b"\n"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The bytes of a detached ``FILE.manifest.json`` (one form everywhere: files, e-mail attachments)."""
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _split_embedded(data: bytes) -> tuple[bytes, bytes] | None:
    """``(content, manifest json)`` when ``data`` ends with an embedded manifest block."""
    if not data.endswith(EMBED_END):
        return None
    start = data.rfind(EMBED_BEGIN)
    if start < 0:
        return None
    return data[:start], data[start + len(EMBED_BEGIN) : -len(EMBED_END)]


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def build_manifest(
    content: bytes, name: str, signed_at: datetime | None = None, *, kind: str | None = None
) -> dict[str, Any]:
    """The signed manifest for ``content`` published under file name ``name``.

    Ed25519 is deterministic, so the same content, name, time, kind and key always give
    the same manifest bytes — what lets a retried notice be re-sent byte for byte.
    """
    if _UNSAFE_NAME.search(name):
        raise ValueError("文件名含控制字符 / the file name contains control characters")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"未知的文件种类 / unknown artefact kind: {kind!r}")
    signer = hub_signer()
    at = (signed_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    manifest: dict[str, Any] = {
        "file": name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "signed_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signer": SIGNER,
        "key_id": signer.key_id,
        "algorithm": ALGORITHM,
    }
    if kind is not None:
        manifest["kind"] = kind
    manifest["signature"] = base64.b64encode(signer.sign(canonical_bytes(manifest))).decode("ascii")
    return manifest


def sign_artifact(
    path: Path | str, *, embed: bool = False, signed_at: datetime | None = None, kind: str | None = None
) -> Path:
    """Sign the file at ``path``; return the path that now carries the manifest.

    Detached (default): writes ``FILE.manifest.json`` beside it and returns that path.
    ``embed=True`` appends the manifest block to the file itself (text formats only —
    Markdown, HTML, plain text, CSV read by people) and returns ``path``. Signing a
    file that already carries an embedded manifest re-signs its content. Writes are
    atomic, so a crash never leaves a half-written manifest next to a good file.
    """
    path = Path(path)
    data = path.read_bytes()
    if embed:
        split = _split_embedded(data)
        content = split[0] if split else data
        manifest = build_manifest(content, path.name, signed_at, kind=kind)
        block = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        _atomic_write(path, content + EMBED_BEGIN + block + EMBED_END)
        return path
    manifest = build_manifest(data, path.name, signed_at, kind=kind)
    target = manifest_path_for(path)
    _atomic_write(target, manifest_bytes(manifest))
    return target


def write_signed(directory: Path | str, name: str, content: bytes, manifest: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``content`` as ``directory/name`` and its (already built) manifest beside it; both atomic.

    The content goes first: a crash in between leaves a file without a manifest (which
    ``pilhub verify`` calls unsigned), never a manifest vouching for a missing file.
    Re-writing the same bytes is harmless, so a retried delivery can call this again.
    """
    if "/" in name or name in ("", ".", ".."):
        raise ValueError(f"文件名不合法 / not a plain file name: {name!r}")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    _atomic_write(path, content)
    target = manifest_path_for(path)
    _atomic_write(target, manifest_bytes(manifest))
    return path, target


@dataclass(frozen=True)
class ArtifactVerification:
    """The outcome of :func:`verify_artifact`; truthy when valid. Reasons are bilingual."""

    ok: bool
    reason_zh: str
    reason_en: str
    manifest: dict[str, Any] | None = None
    warnings: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.ok

    @property
    def reason(self) -> str:
        return f"{self.reason_zh} / {self.reason_en}"

    @property
    def kind(self) -> str | None:
        """What the manifest says the artefact is (``report`` when it says nothing); None without a manifest.

        On an invalid result this is only what the (untrusted) manifest *claims*.
        """
        if self.manifest is None:
            return None
        kind = self.manifest.get("kind", DEFAULT_KIND)
        return kind if isinstance(kind, str) else None


def _invalid(zh: str, en: str, manifest: dict[str, Any] | None = None) -> ArtifactVerification:
    return ArtifactVerification(False, zh, en, manifest)


def _load_manifest(
    path: Path, data: bytes, manifest: Path | str | dict[str, Any] | None
) -> tuple[bytes, dict[str, Any]] | ArtifactVerification:
    """The content the manifest covers and the manifest itself, or why there is none."""
    if isinstance(manifest, dict):
        return data, manifest
    raw: bytes | None = None
    content = data
    if manifest is not None:
        raw = Path(manifest).read_bytes()
    elif manifest_path_for(path).exists():
        raw = manifest_path_for(path).read_bytes()
    else:
        split = _split_embedded(data)
        if split is not None:
            content, raw = split
    if raw is None:
        return _invalid(
            f"未找到清单（{path.name}{MANIFEST_SUFFIX} 或文件内嵌清单）",
            f"no manifest found ({path.name}{MANIFEST_SUFFIX} or an embedded manifest)",
        )
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _invalid("清单不是合法的 JSON", "the manifest is not valid JSON")
    if not isinstance(parsed, dict):
        return _invalid("清单应为 JSON 对象", "the manifest must be a JSON object")
    return content, parsed


def _check_fields(m: dict[str, Any]) -> ArtifactVerification | None:
    missing = [f for f in FIELDS if f not in m]
    if missing:
        return _invalid(f"清单缺少字段：{', '.join(missing)}", f"manifest lacks fields: {', '.join(missing)}", m)
    if m["algorithm"] != ALGORITHM:
        return _invalid(f"不支持的签名算法 {m['algorithm']!s}", f"unsupported algorithm {m['algorithm']!s}", m)
    if not isinstance(m["size"], int) or isinstance(m["size"], bool) or not isinstance(m["sha256"], str):
        return _invalid("清单的 size 或 sha256 类型错误", "manifest size or sha256 has the wrong type", m)
    if not _HEX64.fullmatch(m["sha256"]):
        return _invalid("清单的 sha256 不是 64 位十六进制", "manifest sha256 is not 64 hex digits", m)
    if "kind" in m and (not isinstance(m["kind"], str) or m["kind"] not in KINDS):
        return _invalid(f"清单的种类未知：{m['kind']!s}", f"manifest names an unknown kind: {m['kind']!s}", m)
    return None


def verify_artifact(
    path: Path | str,
    manifest: Path | str | dict[str, Any] | None = None,
    public_key: str | bytes | Path | Ed25519PublicKey | None = None,
) -> ArtifactVerification:
    """Check a file against its manifest: signature first, then size and SHA-256.

    ``manifest`` defaults to ``FILE.manifest.json``, else a manifest embedded in the
    file. ``public_key`` (PEM, path, base64 raw key or key object) pins the key to
    check with — what a recipient who holds the published key does; without it the
    hub's trusted keys are looked up by the manifest's ``key_id``. Never raises for a
    bad file or manifest: the answer says why.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        return _invalid(f"无法读取文件 {path.name}", f"cannot read file {path.name}")
    loaded = _load_manifest(path, data, manifest)
    if isinstance(loaded, ArtifactVerification):
        return loaded
    content, m = loaded
    bad = _check_fields(m)
    if bad is not None:
        return bad
    try:
        signature = base64.b64decode(str(m["signature"]), validate=True)
    except (binascii.Error, ValueError):
        return _invalid("签名不是合法的 base64", "the signature is not valid base64", m)
    try:
        if public_key is not None:
            key = load_public_key(public_key)
            if key_id_for(key) != m["key_id"]:
                return _invalid(
                    f"清单由另一密钥 {m['key_id']!s} 签名，与所给公钥 {key_id_for(key)} 不符",
                    f"signed by key {m['key_id']!s}, not by the given public key {key_id_for(key)}",
                    m,
                )
        else:
            key = trusted_public_keys().get(str(m["key_id"]))
            if key is None:
                return _invalid(f"未知的签名密钥 {m['key_id']!s}", f"unknown signing key {m['key_id']!s}", m)
    except SigningKeyError as exc:
        return _invalid("公钥无法读取", f"cannot read the public key: {exc}", m)
    if not verify_signature(key, signature, canonical_bytes(m)):
        return _invalid(
            "签名无效：清单被改动或非本平台签发", "bad signature: the manifest was altered or not signed by the hub", m
        )
    if m["size"] != len(content) or hashlib.sha256(content).hexdigest() != m["sha256"]:
        return _invalid("文件内容与清单不符：文件被改动", "the file does not match its manifest: it was altered", m)
    warnings = ()
    if m["file"] != path.name:
        warnings = (f"文件名与清单不同（清单：{m['file']!s}）/ file was renamed (manifest names {m['file']!s})",)
    return ArtifactVerification(True, "签名有效，文件完整", "valid signature, file intact", m, warnings)
