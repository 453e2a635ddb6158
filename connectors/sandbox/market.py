"""Simulated 市场监管局 open API: JSON, offset/limit paging, HMAC-signed requests, strict rate limit.

Quirks: camelCase fields, dates as ``20180321``, fines as numbers, failed items as one
``;``-separated string, an envelope ``{"code": 0, "msg", "total", "rows"}``. Requests
must carry ``X-Key-Id``, ``X-Timestamp`` (±300 s), a fresh ``X-Nonce`` and ``X-Signature``
(HMAC-SHA256 over method, path?query, timestamp, nonce and the body's SHA-256);
more than the quota per second is answered 429.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from connectors.sandbox import credentials
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response
from connectors.sdk.auth import hmac_signature, hmac_string_to_sign
from connectors.sdk.rate_limit import RateLimit, TokenBucket

STREAMS = {"penalties": "caseId", "licences": "licenceNo", "sampling-failures": "sampleNo", "replies": "id"}
MALFORMED = {
    "penalties": ("decideDate", "20181345"),
    "licences": ("validTo", "2000-01-01"),
    "sampling-failures": ("sampleDate", "2018/02/30"),
    "replies": ("replied", "2018-13-01"),
}
QUOTA = RateLimit(per_second=40, burst=10)


class _Quota(TokenBucket):
    def try_take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class MarketSystem(AgencySystem):
    name = "market"
    title = "衢州市市场监督管理局 开放接口"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quota = _Quota(QUOTA)
        self.nonces: set[str] = set()
        self.quota_refusals = 0
        self.auth_failures = 0

    def env(self, url: str) -> dict[str, str]:
        return {
            **super().env(url),
            "PILHUB_CONN_MARKET_KEY_ID": credentials.MARKET_KEY_ID,
            "PILHUB_CONN_MARKET_SECRET": credentials.MARKET_SECRET,
        }

    def _verify(self, request: SandboxRequest) -> str | None:
        h = request.headers
        if h.get("x-key-id") != credentials.MARKET_KEY_ID:
            return "unknown key id"
        try:
            skew = abs(time.time() - int(h.get("x-timestamp", "0")))
        except ValueError:
            return "bad timestamp"
        if skew > 300:
            return "timestamp outside the allowed window"
        nonce = h.get("x-nonce") or ""
        expected = hmac_signature(
            credentials.MARKET_SECRET,
            hmac_string_to_sign(request.method, request.target, h.get("x-timestamp", ""), nonce, request.body),
        )
        if not hmac.compare_digest(expected, h.get("x-signature") or ""):
            return "signature mismatch"
        with self.lock:
            if not nonce or nonce in self.nonces:
                return "nonce reused"
            self.nonces.add(nonce)
        return None

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        problem = self._verify(request)
        if problem:
            self.auth_failures += 1
            return json_response({"code": 40101, "msg": f"authentication failed: {problem}"}, 401)
        if not self.quota.try_take():
            self.quota_refusals += 1
            return SandboxResponse(429, '{"code":42900,"msg":"rate limit exceeded"}', headers={"Retry-After": "1"})
        parts = request.path.strip("/").split("/")
        if parts == ["open", "api", "v2", "ping"]:
            return json_response({"code": 0, "msg": "success"})
        if len(parts) != 4 or parts[:3] != ["open", "api", "v2"] or parts[3] not in STREAMS:
            return json_response({"code": 40400, "msg": "no such resource"}, 404)
        stream = parts[3]
        since = request.query.get("startTime") or ""
        limit = min(int(request.query.get("limit") or 50), 500)
        offset = int(request.query.get("offset") or 0)
        rows = self.window(stream, "modifyTime", since)
        start = offset
        if offset > 0 and self.plan.stale_page(f"{stream}|{since}|{offset}"):
            start = max(0, offset - limit)
        page = [self._deliver(stream, r) for r in rows[start : start + limit]]
        return json_response({"code": 0, "msg": "success", "total": len(rows), "rows": page})

    def _deliver(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        rid = str(record[STREAMS[stream]])
        if self.plan.first_delivery(f"{stream}:{rid}") and self.plan.corrupt("malformed_records", rid):
            field, bad = MALFORMED[stream]
            return {**record, field: bad}
        return record
