"""Simulated 水利局 system: the small example of ``docs/adding-a-connector.md``.

JSON with page-number paging (``{"data": {"list", "page", "pages", "total"}}``), an API
key header, plain English field names.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox import credentials
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response

STREAMS = ("replies", "receipts")
MALFORMED = {"replies": ("replied", "2018-13-01"), "receipts": ("received", "20181345")}


class WaterSystem(AgencySystem):
    name = "water"
    title = "衢州市水利局 业务系统"

    def env(self, url: str) -> dict[str, str]:
        return {**super().env(url), "PILHUB_CONN_WATER_API_KEY": credentials.WATER_API_KEY}

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.headers.get("x-api-key") != credentials.WATER_API_KEY:
            return json_response({"code": 401, "message": "invalid api key"}, 401)
        parts = request.path.strip("/").split("/")
        if parts == ["api", "water", "ping"]:
            return json_response({"ok": True})
        if len(parts) != 3 or parts[:2] != ["api", "water"] or parts[2] not in STREAMS:
            return json_response({"code": 404}, 404)
        stream = parts[2]
        since = request.query.get("updated_from") or ""
        size = min(int(request.query.get("page_size") or 50), 5000)
        page = max(1, int(request.query.get("page") or 1))
        return self.cached((stream, since, page, size), lambda: self._page(stream, since, page, size))

    def _page(self, stream: str, since: str, page: int, size: int) -> SandboxResponse:
        rows = self.window(stream, "updated_at", since)
        served = page - 1 if page > 1 and self.plan.stale_page(f"{stream}|{since}|{page}") else page
        chunk = [self._deliver(stream, r) for r in rows[(served - 1) * size : served * size]]
        return json_response(
            {"data": {"list": chunk, "page": page, "pages": max(1, -(-len(rows) // size)), "total": len(rows)}}
        )

    def prerender(self, size: int) -> int:
        """Render every page of a full pull (no ``updated_from``) at ``size`` ahead of time; return the page count.

        The benchmark calls this before its clock starts, so the timed pull measures the hub,
        not the simulated agency's JSON encoder competing for the same two cores.
        """
        pages = 0
        for stream in STREAMS:
            total = max(1, -(-len(self.window(stream, "updated_at", "")) // size))
            for page in range(1, total + 1):
                self.cached((stream, "", page, size), lambda s=stream, p=page: self._page(s, "", p, size))
                pages += 1
        return pages

    def _deliver(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        rid = record["id"]
        if self.plan.first_delivery(f"{stream}:{rid}") and self.plan.corrupt("malformed_records", rid):
            field, bad = MALFORMED[stream]
            return {**record, field: bad}
        return record
