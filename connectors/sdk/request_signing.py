"""Request signing as a declaration: the agency's signature scheme written down, not programmed.

Agency gateways sign requests each in their own way, but out of the same few parts: the
method, the path, the query sorted by name (percent-encoded or not), a hash of the body, a
timestamp in seconds or milliseconds, a nonce, the application id — joined by some
separator, digested with HMAC-SHA256 (or SHA-1, or a plain hash with the secret appended),
the key taken as text or decoded from base64/hex, the result written in hex or base64,
and sent in the gateway's own header names. :class:`SignedRequest` declares exactly that::

    SignedRequest(
        parts=("method", "path", "query", "app_id", "timestamp", "nonce", "body_sha256"),
        separator="\\n", query_encoding="rfc3986", timestamp="ms",
        digest="hmac-sha256", key_encoding="utf8", output="base64",
        headers={"app_id": "X-Zrzy-AppId", "timestamp": "X-Zrzy-Timestamp",
                 "nonce": "X-Zrzy-Nonce", "signature": "X-Zrzy-Sign"},
    )

The application id is ``PILHUB_CONN_<NAME>_KEY_ID`` and the secret ``…_SECRET`` (or the
Airflow Connection's login and password), never in the declaration.

**Extension point.** A scheme the template cannot express (a signature over a JSON body
re-serialised canonically, an SM3 digest, a two-step token) is a small function registered
by name with :func:`register_signer` and referenced as ``SignedRequest(signer="name")``. It
receives a :class:`SigningInput` and returns the headers to add. :func:`conformance`
checks a signer the way the SDK's own test does (``tests/connectors/test_request_signing.py``):
text headers, the same input gives the same signature, and a change of method, path, query,
body, timestamp or secret changes it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import requests
from requests.auth import AuthBase

from connectors.sdk.config import ConnectorConfig
from connectors.sdk.errors import ConfigurationError

if TYPE_CHECKING:
    from connectors.sdk.http import HttpClient

PARTS = ("method", "path", "query", "app_id", "timestamp", "nonce", "body_sha256", "body_md5", "secret")
DIGESTS = ("hmac-sha256", "hmac-sha1", "hmac-md5", "sha256", "md5", "sha1")


@dataclass(frozen=True)
class SigningInput:
    """Everything a signer may cover, for one request."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]  # as sent, in order
    body: bytes
    app_id: str
    secret: str
    timestamp_s: int
    timestamp_ms: int
    nonce: str


Signer = Callable[[SigningInput], Mapping[str, str]]
_SIGNERS: dict[str, Signer] = {}


def register_signer(name: str) -> Callable[[Signer], Signer]:
    """Decorator: make ``func`` available as ``SignedRequest(signer=name)``."""

    def add(func: Signer) -> Signer:
        _SIGNERS[name] = func
        return func

    return add


def signer_named(name: str) -> Signer:
    try:
        return _SIGNERS[name]
    except KeyError:
        known = ", ".join(sorted(_SIGNERS)) or "—"
        raise ConfigurationError(
            f"未登记的签名函数 {name}（已登记：{known}）", f"no signer registered as {name} (known: {known})"
        ) from None


def _encode_query(pairs: tuple[tuple[str, str], ...], encoding: str, sort: bool) -> str:
    items = sorted(pairs) if sort else list(pairs)
    if encoding == "raw":
        return "&".join(f"{k}={v}" for k, v in items)
    if encoding == "form":
        return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in items)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in items)


@dataclass(frozen=True)
class SignedRequest:
    """Declaration of an agency's request signature (see the module docstring).

    ``parts`` in order from :data:`PARTS`; ``separator`` between them; ``query_encoding``:
    ``"rfc3986"`` (percent-encoded, ``~`` kept), ``"form"`` (``+`` for spaces) or ``"raw"``;
    ``query_sorted``; ``timestamp``: ``"s"`` or ``"ms"``; ``digest`` from :data:`DIGESTS` (a
    plain hash covers the parts, so include ``"secret"`` among them); ``key_encoding``:
    ``"utf8"``, ``"base64"`` or ``"hex"``; ``output``: ``"base64"``, ``"hex"`` or ``"HEX"``;
    ``headers``: the header name for each of ``app_id``, ``timestamp``, ``nonce`` and
    ``signature`` (leave one out to not send it); ``signer``: a registered signer's name
    instead of the template.
    """

    parts: tuple[str, ...] = ("method", "path", "query", "timestamp", "nonce", "body_sha256")
    separator: str = "\n"
    query_encoding: str = "rfc3986"
    query_sorted: bool = True
    timestamp: str = "s"
    digest: str = "hmac-sha256"
    key_encoding: str = "utf8"
    output: str = "hex"
    headers: Mapping[str, str] = field(
        default_factory=lambda: {
            "app_id": "X-App-Id",
            "timestamp": "X-Timestamp",
            "nonce": "X-Nonce",
            "signature": "X-Signature",
        }
    )
    signer: str | None = None
    required: tuple[str, ...] = ("key_id", "secret")

    def __post_init__(self) -> None:
        if self.signer is not None:
            return
        unknown = [p for p in self.parts if p not in PARTS]
        problems = []
        if unknown:
            problems.append(f"parts {unknown} (known: {', '.join(PARTS)})")
        if self.digest not in DIGESTS:
            problems.append(f"digest {self.digest} (known: {', '.join(DIGESTS)})")
        if self.timestamp not in ("s", "ms"):
            problems.append(f"timestamp {self.timestamp} (s or ms)")
        if self.key_encoding not in ("utf8", "base64", "hex"):
            problems.append(f"key_encoding {self.key_encoding} (utf8, base64 or hex)")
        if self.output not in ("base64", "hex", "HEX"):
            problems.append(f"output {self.output} (base64, hex or HEX)")
        if self.query_encoding not in ("rfc3986", "form", "raw"):
            problems.append(f"query_encoding {self.query_encoding} (rfc3986, form or raw)")
        if problems:
            text = "; ".join(problems)
            raise ConfigurationError(f"签名声明有误：{text}", f"request signature declaration: unknown {text}")

    def string_to_sign(self, given: SigningInput) -> str:
        values = {
            "method": given.method.upper(),
            "path": given.path,
            "query": _encode_query(given.query, self.query_encoding, self.query_sorted),
            "app_id": given.app_id,
            "timestamp": str(given.timestamp_ms if self.timestamp == "ms" else given.timestamp_s),
            "nonce": given.nonce,
            "body_sha256": hashlib.sha256(given.body).hexdigest(),
            "body_md5": hashlib.md5(given.body, usedforsecurity=False).hexdigest(),
            "secret": given.secret,
        }
        return self.separator.join(values[p] for p in self.parts)

    def _key(self, secret: str) -> bytes:
        try:
            if self.key_encoding == "base64":
                return base64.b64decode(secret, validate=True)
            if self.key_encoding == "hex":
                return bytes.fromhex(secret)
        except (ValueError, binascii.Error):
            raise ConfigurationError(
                f"签名密钥不是合法的 {self.key_encoding} 编码", f"the signing secret is not valid {self.key_encoding}"
            ) from None
        return secret.encode("utf-8")

    def sign(self, given: SigningInput) -> dict[str, str]:
        """The headers for one request."""
        if self.signer is not None:
            return {str(k): str(v) for k, v in signer_named(self.signer)(given).items()}
        text = self.string_to_sign(given).encode("utf-8")
        algorithm = self.digest.removeprefix("hmac-")
        if self.digest.startswith("hmac-"):
            raw = hmac.new(self._key(given.secret), text, algorithm).digest()
        else:
            raw = hashlib.new(algorithm, text).digest()
        signature = (
            base64.b64encode(raw).decode("ascii")
            if self.output == "base64"
            else raw.hex().upper()
            if self.output == "HEX"
            else raw.hex()
        )
        values = {
            "app_id": given.app_id,
            "timestamp": str(given.timestamp_ms if self.timestamp == "ms" else given.timestamp_s),
            "nonce": given.nonce,
            "signature": signature,
        }
        return {header: values[part] for part, header in self.headers.items() if part in values}

    def build(self, config: ConnectorConfig, client: HttpClient) -> AuthBase:
        config.require("key_id", "secret")
        if self.signer is not None:
            signer_named(self.signer)  # a misspelt name fails before the first request
        return _SignedRequestAuth(self, config.key_id or "", config.secret or "")


class _SignedRequestAuth(AuthBase):
    def __init__(self, declaration: SignedRequest, app_id: str, secret: str, clock: Callable[[], float] = time.time):
        self.declaration, self.app_id, self._secret, self._clock = declaration, app_id, secret, clock

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(r.url or "")
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        now = self._clock()
        given = SigningInput(
            method=r.method or "GET",
            path=parts.path or "/",
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            body=body,
            app_id=self.app_id,
            secret=self._secret,
            timestamp_s=int(now),
            timestamp_ms=int(now * 1000),
            nonce=secrets.token_hex(16),
        )
        r.headers.update(self.declaration.sign(given))
        return r

    def __repr__(self) -> str:
        return f"_SignedRequestAuth(app_id={self.app_id}, secret=***)"


def conformance(signer: Signer | SignedRequest) -> list[str]:
    """Problems with a signer (empty: it conforms). What every registered signer must satisfy."""
    sign = signer.sign if isinstance(signer, SignedRequest) else signer
    base = SigningInput(
        method="GET",
        path="/api/v1/cases",
        query=(("pageNum", "2"), ("gxsjq", "20261205083000"), ("q", "耕地 占用")),
        body=b"",
        app_id="app-0001",
        secret="c2VjcmV0LWtleS0xMjM0NTY=",
        timestamp_s=1764894600,
        timestamp_ms=1764894600123,
        nonce="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    )
    problems: list[str] = []
    try:
        first = dict(sign(base))
    except Exception as exc:  # noqa: BLE001 - reported, not raised: this is a checker
        return [f"raises {type(exc).__name__}: {exc}"]
    if not first or not all(isinstance(k, str) and isinstance(v, str) for k, v in first.items()):
        problems.append("must return a non-empty mapping of header names to text values")
        return problems
    if dict(sign(base)) != first:
        problems.append("the same request must give the same headers (no hidden clock or randomness)")
    changes: dict[str, Any] = {
        "method": {"method": "POST"},
        "path": {"path": "/api/v1/other"},
        "query": {"query": (("pageNum", "3"), ("gxsjq", "20261205083000"), ("q", "耕地 占用"))},
        "timestamp": {"timestamp_s": 1764894601, "timestamp_ms": 1764894601123},
        "secret": {"secret": "b3RoZXItc2VjcmV0LWtleQ=="},
    }
    for what, change in changes.items():
        if dict(sign(replace(base, **change))) == first:
            problems.append(f"a change of {what} must change the signature")
    return problems
