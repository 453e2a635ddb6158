"""API bearer tokens: only their SHA-256 hashes are stored, in a YAML file, with a role and a jurisdiction.

Why a file and not a table: a handful of callers (a congress office, each district's supervisors, the
operators) is configuration, reviewed like configuration; a leaked file reveals no usable token since
only hashes are kept. ``pilhub api token create`` writes it; the server re-reads it when it changes, so
revoking a token needs no restart.

Concurrent changes: ``create`` and ``revoke`` hold an exclusive ``flock`` on ``<file>.lock`` for the whole
read-modify-write and replace the file atomically from a uniquely named, fsynced temporary file, so racing
commands (a script creating district tokens while an operator revokes one) lose nothing. A file that is
malformed when the server starts is a startup error; one broken while it runs (a bad hand edit) fails
closed — every request gets 503 naming the problem, never a 500, and never the tokens of before the edit,
which might be the revoked ones.

File (``$PILHUB_API_TOKENS_FILE``, default ``var/api-tokens.yaml``)::

    tokens:
      - name: 柯城区人民检察院公益诉讼检察部
        role: supervisor          # congress | supervisor | admin
        region: "330802"         # region-code prefix of the jurisdiction; "" = everywhere
        sha256: 3b1f…            # sha256 of the token (hex)
        created: 2026-11-23
        expires: 2027-12-31      # optional
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hub.config import var_dir

__all__ = [
    "ENV_TOKENS_FILE",
    "ROLES",
    "Principal",
    "TokenConfigError",
    "TokenStore",
    "create_token",
    "default_tokens_file",
    "hash_token",
    "read_tokens",
    "revoke_token",
]

log = logging.getLogger("pilhub.api.tokens")

ENV_TOKENS_FILE = "PILHUB_API_TOKENS_FILE"
ROLES: tuple[str, ...] = ("congress", "supervisor", "admin")
TOKEN_PREFIX = "pil_"
_REGION = re.compile(r"^\d{0,6}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TokenConfigError(ValueError):
    """The token file is malformed (message in Chinese and English; never contains a token)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name, role and jurisdiction (region-code prefix, "" = everywhere)."""

    name: str
    role: str
    region: str = ""
    expires: dt.date | None = None

    def covers(self, region_code: str | None) -> bool:
        """Whether a region code lies inside this caller's jurisdiction."""
        if not self.region:
            return True
        return region_code is not None and region_code.startswith(self.region)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def default_tokens_file() -> Path:
    env = os.environ.get(ENV_TOKENS_FILE, "").strip()
    return Path(env) if env else var_dir() / "api-tokens.yaml"


def _parse(raw: Any, path: Path) -> dict[str, Principal]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not isinstance(raw.get("tokens", []), list):
        raise TokenConfigError(f"令牌文件格式错误 / token file {path} must be a mapping with a 'tokens' list")
    out: dict[str, Principal] = {}
    for i, item in enumerate(raw.get("tokens") or []):
        where = f"{path}: tokens[{i}]"
        if not isinstance(item, dict):
            raise TokenConfigError(f"{where} 须为映射 / must be a mapping")
        digest = str(item.get("sha256", "")).lower()
        role = item.get("role")
        region = str(item.get("region") or "")
        name = str(item.get("name") or "").strip()
        if not _HEX64.match(digest):
            raise TokenConfigError(f"{where}.sha256 须为64位十六进制 / must be 64 hex digits")
        if role not in ROLES:
            raise TokenConfigError(f"{where}.role 须为 {'/'.join(ROLES)} / role must be one of {ROLES}")
        if not _REGION.match(region):
            raise TokenConfigError(f"{where}.region 须为0–6位数字 / region must be 0–6 digits")
        if not name:
            raise TokenConfigError(f"{where}.name 不能为空 / name is required")
        expires = item.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError:
                raise TokenConfigError(f"{where}.expires 须为日期 / expires must be a date") from None
        out[digest] = Principal(name=name, role=role, region=region, expires=expires)
    return out


def read_tokens(path: Path) -> dict[str, Principal]:
    """Parse the token file; every problem (unreadable, not YAML, a bad entry) is a :class:`TokenConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenConfigError(f"无法读取令牌文件 / cannot read the token file {path}: {type(exc).__name__}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行 / line {mark.line + 1}" if mark is not None else ""
        raise TokenConfigError(f"令牌文件不是合法的 YAML / the token file {path} is not valid YAML {where}") from None
    return _parse(raw, path)


class TokenStore:
    """Tokens from the YAML file, re-read whenever the file changes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_tokens_file()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_hash: dict[str, Principal] = {}
        self._error: TokenConfigError | None = None

    def _load(self) -> dict[str, Principal]:
        """The tokens, re-read when the file changed; :class:`TokenConfigError` while the file is broken."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._by_hash = read_tokens(self.path)
                    self._error = None
                except TokenConfigError as exc:
                    # Fail closed: the last good set may hold a token this very edit meant to revoke.
                    self._by_hash, self._error = {}, exc
                    log.error("API token file unusable, refusing every token until it is fixed: %s", exc)
            if self._error is not None:
                raise self._error
            return self._by_hash

    def check(self) -> int:
        """Read the file now (at server start): the number of tokens, or :class:`TokenConfigError`."""
        return len(self._load())

    def authenticate(self, token: str, today: dt.date | None = None) -> Principal | None:
        """The caller a token stands for, or None (unknown, malformed or expired)."""
        if not token or len(token) > 200:
            return None
        digest = hash_token(token)
        for known, principal in self._load().items():
            if hmac.compare_digest(known, digest):
                if principal.expires is not None and principal.expires < (today or dt.date.today()):
                    return None
                return principal
        return None

    def principals(self) -> list[Principal]:
        return list(self._load().values())


def create_token(
    path: Path, *, role: str, region: str, name: str, expires: dt.date | None = None
) -> tuple[str, Principal]:
    """Generate a token, append its hash to ``path`` (mode 0600) and return the token — shown only once."""
    if role not in ROLES:
        raise TokenConfigError(f"角色须为 {'/'.join(ROLES)} / role must be one of {ROLES}")
    if not _REGION.match(region):
        raise TokenConfigError("辖区须为0–6位数字行政区划代码前缀 / region must be a 0–6 digit region-code prefix")
    if not name.strip():
        raise TokenConfigError("名称不能为空 / name is required")
    with _locked(path):
        raw: dict[str, Any] = {}
        if path.exists():
            read_tokens(path)  # refuse to append to a broken file
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if any(str(t.get("name")) == name.strip() for t in raw.get("tokens") or []):
            raise TokenConfigError(f"名称已存在 / a token named {name!r} exists; revoke it first")
        token, entry = _new_entry(role=role, region=region, name=name, expires=expires)
        raw.setdefault("tokens", []).append(entry)
        _write(path, raw)
    return token, Principal(name=entry["name"], role=role, region=region, expires=expires)


def _new_entry(*, role: str, region: str, name: str, expires: dt.date | None) -> tuple[str, dict[str, Any]]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    entry: dict[str, Any] = {
        "name": name.strip(),
        "role": role,
        "region": region,
        "sha256": hash_token(token),
        "created": dt.date.today().isoformat(),
    }
    if expires is not None:
        entry["expires"] = expires.isoformat()
    return token, entry


def revoke_token(path: Path, name: str) -> bool:
    """Remove the token named ``name``; True if one was removed."""
    if not path.exists():
        return False
    with _locked(path):
        read_tokens(path)  # a broken file is an error, not "no such token"
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        before = list(raw.get("tokens") or [])
        raw["tokens"] = [t for t in before if str(t.get("name")) != name]
        if len(raw["tokens"]) == len(before):
            return False
        _write(path, raw)
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of ``path`` (a sidecar file: ``path`` itself is replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write(path: Path, raw: dict[str, Any]) -> None:
    """Replace ``path`` atomically: a uniquely named temporary file in the same folder, fsynced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# pilhub API 令牌（仅存 SHA-256 哈希）/ API tokens (SHA-256 hashes only) — pilhub api token create\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(header)
            yaml.safe_dump(raw, fh, allow_unicode=True, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash once the folder is synced
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
