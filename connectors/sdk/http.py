"""The one HTTP client every connector uses: timeouts, retries, backoff, Retry-After, rate limit, size cap.

Why here and only here: each agency fails differently (503 bursts during nightly
batch jobs, 429 storms, hanging responses, connections cut mid-body), and a connector
that handles one of them by hand handles the others wrong. Policy:

* connection errors, timeouts, bodies cut short, 500/502/503/504 → retry with
  exponential backoff and jitter (``base · 2^(n-1) · (1 ± jitter)``, capped);
* 429 → wait exactly what ``Retry-After`` says (seconds or an HTTP date; capped at
  ``retry_after_max``, beyond which the pull stops rather than hammering), on a
  separate, larger attempt budget because storms are the agency's throttle working;
* other 4xx → stop at once with a message naming the status (401/403: credentials);
* bodies larger than ``max_bytes`` are cut off and refused, never parsed.

Every request first takes a token from the connector's :class:`TokenBucket`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from requests.auth import AuthBase

from connectors.sdk.errors import HttpStatusError, ResponseTooLarge, RetriesExhausted, TlsError, TransientFetchError
from connectors.sdk.rate_limit import Limiter

log = logging.getLogger("connectors.http")

RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts, retry budget and backoff; tests shrink the delays, production uses the defaults."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 6  # for 5xx, connection errors, timeouts, bad bodies
    max_throttled: int = 30  # for 429s
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_after_max: float = 120.0
    max_bytes: int = 64 * 2**20

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered."""
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return max(0.0, delay * (1 + rng.uniform(-self.jitter, self.jitter)))


def parse_retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


@dataclass
class Fetched:
    """One response as received: what the raw landing stores and the parser reads."""

    url: str
    request: dict[str, Any]  # method, url, params — never headers (they carry credentials)
    status_code: int
    content_type: str | None
    headers: dict[str, str]
    body: bytes
    attempts: int = 1


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    slept: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


class HttpClient:
    """A ``requests.Session`` wrapped in the retry policy, the rate limit and the size cap."""

    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        bucket: Limiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        cert: tuple[str, str] | str | None = None,
        verify: bool | str = True,
        name: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name  # the connector's configuration name, for messages that name its settings
        self.policy = policy or RetryPolicy()
        self.bucket = bucket
        self.session = session or requests.Session()
        self.session.trust_env = False  # never route agency traffic through an ambient proxy
        if cert:
            self.session.cert = cert
        self.session.verify = verify
        self.auth: AuthBase | None = None
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.stats = HttpStats()

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _wait(self, seconds: float) -> None:
        self.stats.slept += seconds
        self._sleep(seconds)

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Fetched:
        """GET with retries; raise :class:`RetriesExhausted`, :class:`HttpStatusError` or :class:`ResponseTooLarge`."""
        return self.request("GET", path_or_url, params)

    def request(
        self,
        method: str,
        path_or_url: str,
        params: dict[str, Any] | None = None,
        *,
        data: dict[str, Any] | None = None,
        auth: AuthBase | tuple[str, str] | None = None,
        use_auth: bool = True,
    ) -> Fetched:
        """Any request under the retry policy (token endpoints too); ``auth`` overrides the connector's."""
        url = self.url_for(path_or_url)
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        attempts = throttled = 0
        refreshed = False
        last: Exception | None = None
        while True:
            if self.bucket is not None:
                self.bucket.acquire()
            attempts += 1
            self.stats.requests += 1
            try:
                fetched = self._once(
                    method, url, clean_params, data, auth if auth is not None else (self.auth if use_auth else None)
                )
            except TransientFetchError as exc:
                last = exc
            else:
                self.stats.statuses[fetched.status_code] = self.stats.statuses.get(fetched.status_code, 0) + 1
                if fetched.status_code == 429:
                    throttled += 1
                    self.stats.throttled += 1
                    if throttled >= self.policy.max_throttled:
                        raise RetriesExhausted(
                            f"{url} 持续限流（429）{throttled} 次，已停止",
                            f"{url} kept answering 429 ({throttled} times); stopped",
                        )
                    wait = parse_retry_after(fetched.headers.get("Retry-After"))
                    if wait is None:
                        wait = self.policy.backoff(throttled, self._rng)
                    if wait > self.policy.retry_after_max:
                        raise RetriesExhausted(
                            f"{url} 要求等待 {wait:.0f} 秒（超过上限 {self.policy.retry_after_max:.0f} 秒）",
                            f"{url} asked to wait {wait:.0f}s (more than the {self.policy.retry_after_max:.0f}s limit)",
                        )
                    log.info("429 from %s; waiting %.3fs as Retry-After says", url, wait)
                    attempts -= 1  # throttling has its own budget
                    self._wait(wait)
                    continue
                if fetched.status_code in RETRY_STATUSES:
                    last = TransientFetchError(
                        f"{url} 返回 HTTP {fetched.status_code}", f"{url} answered HTTP {fetched.status_code}"
                    )
                elif (
                    fetched.status_code == 401
                    and use_auth
                    and auth is None
                    and not refreshed
                    and hasattr(self.auth, "invalidate")
                ):
                    refreshed = True  # an OAuth2 token expired early: fetch a new one once
                    self.auth.invalidate()  # type: ignore[union-attr]
                    attempts -= 1
                    continue
                elif fetched.status_code >= 400:
                    raise _status_error(fetched)
                else:
                    fetched.attempts = attempts + throttled
                    return fetched
            if attempts >= self.policy.max_attempts:
                raise RetriesExhausted(
                    f"{url} 重试 {attempts} 次后仍失败：{getattr(last, 'zh', last)}",
                    f"{url} still failing after {attempts} attempts: {getattr(last, 'en', last)}",
                ) from last
            self.stats.retries += 1
            delay = self.policy.backoff(attempts, self._rng)
            log.info("retrying %s in %.3fs after: %s", url, delay, getattr(last, "en", last))
            self._wait(delay)

    def _once(self, method: str, url: str, params: dict[str, Any], data: dict[str, Any] | None, auth: Any) -> Fetched:
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        try:
            resp = self.session.request(method, url, params=params, data=data, auth=auth, timeout=timeout, stream=True)
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(url, exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientFetchError(
                f"连接失败或超时（{type(exc).__name__}）", f"connection failed or timed out ({type(exc).__name__})"
            ) from None
        try:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise _too_large(url, self.policy.max_bytes)
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in resp.iter_content(chunk_size=256 * 1024):
                    size += len(chunk)
                    if size > self.policy.max_bytes:
                        raise _too_large(url, self.policy.max_bytes)
                    chunks.append(chunk)
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(url, exc) from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                raise TransientFetchError(
                    "响应体被截断或读取超时", f"response body cut short or read timed out ({type(exc).__name__})"
                ) from None
        finally:
            resp.close()
        return Fetched(
            url=resp.url,
            request={"method": method, "url": url, "params": params},
            status_code=resp.status_code,
            content_type=resp.headers.get("Content-Type"),
            headers=dict(resp.headers),
            body=b"".join(chunks),
        )

    def _tls_error(self, url: str, exc: Exception) -> TlsError | TransientFetchError:
        """Tell a TLS failure a retry cannot fix (certificates) from a transfer cut during the handshake.

        * the server's certificate does not verify → the CA bundle (``…_CA``) is wrong or missing;
        * the server sent an alert about our certificate (required, unknown CA, bad, expired, revoked);

        both refused at once. A handshake the server cuts off without an alert is retried like
        any cut connection — it may be the network — but when no client certificate is
        configured the message says what it most likely means (TLS 1.3 servers that demand a
        certificate often just close), so the error after the last attempt names the settings.
        """
        text = repr(exc)
        prefix = f"PILHUB_CONN_{self.name.upper()}_" if self.name else "PILHUB_CONN_<NAME>_"
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSLCertVerificationError" in text:
            return TlsError(
                f"{url} 的服务器证书验证失败，请检查 CA 证书配置（{prefix}CA）：{_ssl_reason(text)}",
                f"{url}: the server certificate did not verify against the configured CA bundle "
                f"({prefix}CA): {_ssl_reason(text)}",
            )
        alert = next((a for a in _CLIENT_CERT_ALERTS if a in text.upper()), None)
        if alert is not None:
            configured = "已配置" if self.session.cert else "未配置"
            sent = "a client certificate was sent" if self.session.cert else "no client certificate is configured"
            return TlsError(
                f"{url} 拒绝了 TLS 握手：对方要求有效的客户端证书（{configured}客户端证书，"
                f"请检查 {prefix}CERT 与 {prefix}KEY）",
                f"{url} refused the TLS handshake: it requires a valid client certificate ({sent}; "
                f"check {prefix}CERT and {prefix}KEY) — {alert.lower()}",
            )
        if not self.session.cert:
            return TransientFetchError(
                f"TLS 握手被对方中断：对方可能要求客户端证书，但未配置客户端证书（请设置 {prefix}CERT 与 {prefix}KEY）",
                f"the server cut off the TLS handshake: it probably requires a client certificate, and none is "
                f"configured (set {prefix}CERT and {prefix}KEY)",
            )
        return TransientFetchError(
            f"TLS 握手中断（{type(exc).__name__}）", f"TLS handshake interrupted ({_ssl_reason(text)})"
        )


#: TLS alerts a server sends about the client's certificate (OpenSSL's reason names).
_CLIENT_CERT_ALERTS = (
    "CERTIFICATE_REQUIRED",
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    "TLSV1_ALERT_ACCESS_DENIED",
)


def _ssl_reason(text: str) -> str:
    """The OpenSSL reason inside a wrapped requests/urllib3 exception text (``certificate verify failed: …``)."""
    start = text.rfind("[SSL")
    if start >= 0:
        return text[start : text.find("(_ssl", start) if "(_ssl" in text[start:] else start + 160].strip()
    return text[-160:]


def _too_large(url: str, limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"{url} 响应超过上限 {limit} 字节，已截断并拒绝",
        f"{url} response exceeds the {limit}-byte limit; cut off and refused",
    )


def _status_error(fetched: Fetched) -> HttpStatusError:
    status = fetched.status_code
    if status in (401, 403):
        zh, en = "凭据被拒绝，请检查连接器配置", "credentials were refused; check the connector configuration"
    elif status == 404:
        zh, en = "地址不存在，请检查基础 URL 与路径", "not found; check the base URL and the stream path"
    else:
        zh, en = "请求被拒绝", "request refused"
    return HttpStatusError(
        status, fetched.url, f"{fetched.url} 返回 HTTP {status}：{zh}", f"{fetched.url} answered HTTP {status}: {en}"
    )
