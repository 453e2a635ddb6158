"""Simulated 法院 public-interest-litigation data service: XML keyed by 案号, OAuth2 client credentials.

Quirks: pinyin element names (``ah`` 案号, ``fymc`` 法院名称, ``larq`` 立案日期 …),
defendants as ``<bg><item>…</item></bg>``, page-number paging with the page count as
an attribute of the root element, tokens from ``POST /oauth/token`` that expire.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from xml.sax.saxutils import escape

from connectors.sandbox import credentials
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response

PATHS = {"lian": "filings", "panjue": "judgments", "zhixing": "executions"}
MALFORMED = {"filings": ("larq", "2018-02-30"), "judgments": ("cprq", "2018-13-01"), "executions": ("zxlarq", "执行中")}
TOKEN_LIFETIME = 3600


def _xml(records: list[dict[str, Any]], page: int, pages: int, total: int) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<result page="{page}" pages="{pages}" total="{total}"><records>']
    for record in records:
        out.append("<record>")
        for key, value in record.items():
            if value is None:
                continue
            if isinstance(value, list):
                out.append(f"<{key}>" + "".join(f"<item>{escape(str(v))}</item>" for v in value) + f"</{key}>")
            else:
                out.append(f"<{key}>{escape(str(value))}</{key}>")
        out.append("</record>")
    out.append("</records></result>")
    return "".join(out)


class CourtSystem(AgencySystem):
    name = "court"
    title = "衢州市中级人民法院 公益诉讼数据服务"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0

    def env(self, url: str) -> dict[str, str]:
        return {
            **super().env(url),
            "PILHUB_CONN_COURT_CLIENT_ID": credentials.COURT_CLIENT_ID,
            "PILHUB_CONN_COURT_CLIENT_SECRET": credentials.COURT_CLIENT_SECRET,
        }

    def _issue(self, request: SandboxRequest) -> SandboxResponse:
        auth = request.headers.get("authorization", "")
        try:
            client_id, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if (client_id, secret) != (
            credentials.COURT_CLIENT_ID,
            credentials.COURT_CLIENT_SECRET,
        ) or b"grant_type=client_credentials" not in request.body:
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + TOKEN_LIFETIME
            self.tokens_issued += 1
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME})

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.path == "/oauth/token" and request.method == "POST":
            return self._issue(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.tokens.get(token, 0) < time.monotonic():
            return SandboxResponse(401, '<?xml version="1.0"?><error>invalid_token</error>', "application/xml")
        parts = request.path.strip("/").split("/")
        if parts == ["ws", "gongyi", "ping"]:
            return SandboxResponse(200, '<?xml version="1.0" encoding="UTF-8"?><pong/>', "application/xml")
        if len(parts) != 3 or parts[:2] != ["ws", "gongyi"] or parts[2] not in PATHS:
            return SandboxResponse(404, "<error>not found</error>", "application/xml")
        stream = PATHS[parts[2]]
        since = request.query.get("gxsj_start") or ""
        size = min(int(request.query.get("size") or 20), 500)
        page = max(1, int(request.query.get("page") or 1))
        rows = self.window(stream, "gxsj", since)
        pages = max(1, -(-len(rows) // size))
        served = page
        if page > 1 and self.plan.stale_page(f"{stream}|{since}|{page}"):
            served = page - 1
        chunk = [self._deliver(stream, r) for r in rows[(served - 1) * size : served * size]]
        return SandboxResponse(200, _xml(chunk, page, pages, len(rows)), "application/xml")

    def _deliver(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        rid = record["ah"]
        if self.plan.first_delivery(f"{stream}:{rid}") and self.plan.corrupt("malformed_records", rid):
            field, bad = MALFORMED[stream]
            return {**record, field: bad}
        return record
