"""Simulated 生态环境局 system: JSON REST, opaque cursor paging, API key, Ed25519-signed records.

Quirks it reproduces: pinyin field names (``wsh``, ``dsr``, ``jdrq`` …), amounts as
``12.5万元`` or ``125000.00``, dates as ``2018年3月21日`` or ISO; each record wrapped as
``{"record_id", "updated_at", "payload": "<JSON text>", "signature", "key_id",
"signed_at"}`` with the signature over the payload text.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from connectors.sandbox import credentials
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response

STREAMS = {"penalties": "record_id", "exceedances": "record_id", "replies": "id", "receipts": "id"}
#: Field a malformed first delivery breaks, and the broken value.
MALFORMED = {
    "penalties": ("jdrq", "2018年13月45日"),
    "exceedances": ("value", "超标"),
    "replies": ("replied", "2018-13-01"),
    "receipts": ("received", "昨天"),
}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    padded = token + "=" * (-len(token) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])


class EnvironmentSystem(AgencySystem):
    name = "environment"
    title = "衢州市生态环境局 执法监管平台"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = credentials.signing_key(self.dataset.seed)

    def env(self, url: str) -> dict[str, str]:
        return {**super().env(url), "PILHUB_CONN_ENVIRONMENT_API_KEY": credentials.ENVIRONMENT_API_KEY}

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.headers.get("x-api-key") != credentials.ENVIRONMENT_API_KEY:
            return json_response({"code": 401, "message": "invalid api key"}, 401)
        parts = request.path.strip("/").split("/")
        if parts == ["api", "v1", "ping"]:
            return json_response({"status": "ok", "system": self.title})
        if len(parts) != 3 or parts[:2] != ["api", "v1"] or parts[2] not in STREAMS:
            return json_response({"code": 404, "message": "no such resource"}, 404)
        stream = parts[2]
        since = request.query.get("updated_since") or ""
        limit = min(int(request.query.get("limit") or 100), 1000)
        offset = _offset(request.query.get("cursor"))
        rows = self.window(stream, "updated_at", since)
        start, next_offset = offset, offset + limit
        if offset > 0 and self.plan.stale_page(f"{stream}|{since}|{offset}"):
            start, next_offset = max(0, offset - limit), offset  # the previous page again, same cursor
        items = [self._wrap(stream, r) for r in rows[start : start + limit]]
        return json_response({"items": items, "next_cursor": _token(next_offset) if next_offset < len(rows) else None})

    def _wrap(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        key = STREAMS[stream]
        rid = str(record[key])
        first = self.plan.first_delivery(f"{stream}:{rid}")
        body = dict(record)
        if first and self.plan.corrupt("malformed_records", rid, every=12):
            field, bad = MALFORMED[stream]
            body[field] = bad
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        signature = base64.b64encode(self.key.sign(payload.encode("utf-8"))).decode()
        wrapper: dict[str, Any] = {
            key: rid,
            "updated_at": record["updated_at"],
            "payload": payload,
            "signature": signature,
            "key_id": credentials.SIGNING_KEY_ID,
            "signed_at": record["updated_at"],
        }
        if first and self.plan.corrupt("bad_signatures", rid, every=12, offset=0):
            wrapper["signature"] = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        elif first and self.plan.corrupt("bad_signatures", rid, every=12, offset=1):
            del wrapper["signature"]
        return wrapper
