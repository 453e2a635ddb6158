"""Authentication declarations: API key header, HMAC-signed requests, OAuth2 client credentials.

A connector declares *how* it authenticates (``auth=HmacSigned()``); the credentials
come from its configuration at pull time (:mod:`connectors.sdk.config`). Each
declaration builds a ``requests.auth.AuthBase`` that signs every request, so the HTTP
client and the paginators never see a secret. Mutual TLS is not an auth object but a
transport setting: ``PILHUB_CONN_<NAME>_CERT`` / ``_KEY`` / ``_CA`` become
``requests``' ``cert=`` and ``verify=`` (see :mod:`connectors.sdk.http`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from connectors.sdk.config import ConnectorConfig
from connectors.sdk.errors import ConnectorError, HttpStatusError

if TYPE_CHECKING:
    from connectors.sdk.http import HttpClient


class NoAuth:
    """Public data (or authentication by network position / mutual TLS only)."""

    required: tuple[str, ...] = ()

    def build(self, config: ConnectorConfig, client: HttpClient) -> AuthBase | None:
        return None


@dataclass(frozen=True)
class ApiKeyHeader:
    """A static key in a header; from ``PILHUB_CONN_<NAME>_API_KEY``."""

    header: str = "X-Api-Key"
    required: tuple[str, ...] = ("api_key",)

    def build(self, config: ConnectorConfig, client: HttpClient) -> AuthBase:
        config.require("api_key")
        return _HeaderAuth(self.header, config.api_key or "")


class _HeaderAuth(AuthBase):
    def __init__(self, header: str, value: str) -> None:
        self.header, self._value = header, value

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers[self.header] = self._value
        return r

    def __repr__(self) -> str:
        return f"_HeaderAuth({self.header}=***)"


def hmac_string_to_sign(method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The canonical request both sides sign: method, path?query, timestamp, nonce, SHA-256 of the body."""
    return "\n".join((method.upper(), path_and_query, timestamp, nonce, hashlib.sha256(body).hexdigest()))


def hmac_signature(secret: str, string_to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class HmacSigned:
    """HMAC-SHA256 request signing with a shared secret.

    Headers: ``X-Key-Id`` (``PILHUB_CONN_<NAME>_KEY_ID``), ``X-Timestamp`` (Unix seconds),
    ``X-Nonce``, ``X-Signature`` = hex HMAC over :func:`hmac_string_to_sign`. The
    timestamp and nonce stop a captured request from being replayed.
    """

    required: tuple[str, ...] = ("key_id", "secret")

    def build(self, config: ConnectorConfig, client: HttpClient) -> AuthBase:
        config.require("key_id", "secret")
        return _HmacAuth(config.key_id or "", config.secret or "")


class _HmacAuth(AuthBase):
    def __init__(self, key_id: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.key_id, self._secret, self._clock = key_id, secret, clock

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(r.url or "")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        timestamp = str(int(self._clock()))
        nonce = secrets.token_hex(8)
        r.headers["X-Key-Id"] = self.key_id
        r.headers["X-Timestamp"] = timestamp
        r.headers["X-Nonce"] = nonce
        r.headers["X-Signature"] = hmac_signature(
            self._secret, hmac_string_to_sign(r.method or "GET", path, timestamp, nonce, body)
        )
        return r

    def __repr__(self) -> str:
        return f"_HmacAuth(key_id={self.key_id}, secret=***)"


@dataclass(frozen=True)
class OAuth2ClientCredentials:
    """OAuth2 client-credentials grant; the token is cached until shortly before it expires.

    ``token_path`` is joined to the base URL unless ``PILHUB_CONN_<NAME>_TOKEN_URL`` names
    another server. Client id and secret are sent with HTTP Basic (RFC 6749 §2.3.1).
    """

    token_path: str = "/oauth/token"
    scope: str | None = None
    required: tuple[str, ...] = ("client_id", "client_secret")

    def build(self, config: ConnectorConfig, client: HttpClient) -> AuthBase:
        config.require("client_id", "client_secret")
        token_url = config.token_url or f"{config.base_url}{self.token_path}"
        return _OAuth2Auth(token_url, config.client_id or "", config.client_secret or "", self.scope, client)


class _OAuth2Auth(AuthBase):
    #: Renew this many seconds before the announced expiry (clock skew, request time).
    MARGIN = 30.0

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scope: str | None, client: HttpClient
    ) -> None:
        self.token_url, self.client_id, self._secret, self.scope = token_url, client_id, client_secret, scope
        self._client = client
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def token(self) -> str:
        """The cached token, or a new one from the token endpoint (under the client's retry policy)."""
        with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            data: dict[str, Any] = {"grant_type": "client_credentials"}
            if self.scope:
                data["scope"] = self.scope
            try:
                resp = self._client.request("POST", self.token_url, data=data, auth=(self.client_id, self._secret))
            except HttpStatusError as exc:
                raise HttpStatusError(
                    exc.status,
                    self.token_url,
                    f"OAuth2 令牌端点拒绝了客户端凭据（HTTP {exc.status}）",
                    f"OAuth2 token endpoint refused the client credentials (HTTP {exc.status})",
                ) from None
            try:
                body = json.loads(resp.body)
            except ValueError:
                raise ConnectorError("OAuth2 令牌响应不是 JSON", "OAuth2 token response is not JSON") from None
            self._token = str(body["access_token"])
            self._expires_at = time.monotonic() + max(0.0, float(body.get("expires_in", 300)) - self.MARGIN)
            self.tokens_fetched += 1
            return self._token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token()}"
        return r

    def __repr__(self) -> str:
        return f"_OAuth2Auth(client_id={self.client_id}, secret=***)"


from connectors.sdk.request_signing import SignedRequest  # noqa: E402 - the template scheme, in its own module

AuthDeclaration = NoAuth | ApiKeyHeader | HmacSigned | OAuth2ClientCredentials | SignedRequest
