"""Simulated 自然资源和规划局 data-sharing gateway: the faults real agency APIs have, at real sizes.

The bureau's interface is documented the way the bureau would document it, in
``docs/agencies/natural-resources-interface.md`` (Chinese): signed requests of its own
scheme, page numbers, a ``code``/``msg``/``data`` envelope on HTTP 200, ``data.total``,
Chinese field names with full-width brackets, areas and money as bare numbers in the unit
the column names, ``更新时间`` as naive Beijing time and the watermark parameter ``gxsjq``
in ``%Y%m%d%H%M%S``. Lists are ordered **newest first** by update time.

Its own fault modes (in :data:`connectors.sandbox.faults.FAULT_MODES`, switched like the others):

* ``page_size_cap`` — asks for 1000, gets 200 (the gateway caps silently; ``data.pageSize``
  echoes what was asked and the offsets follow the cap);
* ``moving_records`` — while a client pages, the bureau enters new records and updates
  old ones (both stamped with the same second), so on a newest-first list everything
  shifts down under the client; a bounded number of rounds, then the list is still
  (not part of ``all``: the data change, so compare with :meth:`~NaturalResourcesSystem.truth`);
* ``shifted_pages`` — a page served once starting a few records early (a cache keyed on
  another page size), so it overlaps the previous page and the last records of the page
  are not in it;
* ``body_throttle`` — HTTP 200 carrying ``{"code": 4290, "msg": "接口调用频率超限…"}``;
* ``bad_records`` — some records are malformed at the source, on every delivery (an
  impossible date, an unknown region code, an area written ``约5``) (not part of ``all``:
  a clean pull does not see them);
* ``missing_records`` — some records are counted in ``data.total`` but never served (a
  permission filter gone wrong): a pull can only prove that it is **incomplete**. Not part
  of ``all``: a pull cannot survive it, only report it.

Every fault a pull can survive: ``all`` plus ``moving_records`` and ``bad_records``.

Transport faults (5xx, 429, timeouts, truncated bodies, wrong charsets) come from the
server as for every system. :meth:`NaturalResourcesSystem.truth` is the ground truth — the
records as they now are, after every insert and update — for tests to compare the store with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import zlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.sandbox import credentials
from connectors.sandbox.natural_resources_data import ENDPOINTS, ID_FIELD, new_record, update_time
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response

__all__ = ["NaturalResourcesSystem", "canonical_query", "sign", "string_to_sign"]

PREFIX = "/zrzy/api/v1"
PAGE_SIZE_MAX = 1000
PAGE_SIZE_CAP = 200
SHIFT = 3
TIMESTAMP_WINDOW_MS = 300_000
#: Rounds of one insert and one update per stream while ``moving_records`` is on.
MUTATION_ROUNDS = 6
CLOCK_START = datetime(2026, 12, 1, 9, 0, 0)
OK, BAD_REQUEST, UNKNOWN_APP, BAD_SIGNATURE, STALE_TIMESTAMP, REPLAYED, THROTTLED = (
    0,
    4000,
    4010,
    4011,
    4012,
    4013,
    4290,
)
#: Permanently bad fields per stream (``bad_records``): field → value served instead.
BAD_FIELDS = {
    "land_cases": ("立案日期", "2019-02-30"),
    "mining_cases": ("行政区划代码", "339999"),
    "restoration_acceptances": ("修复面积（亩）", "约5"),
}


def canonical_query(params: dict[str, str]) -> str:
    """Parameters sorted by name, ``name=value`` percent-encoded (RFC 3986, UTF-8), joined by ``&``."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}" for k, v in sorted(params.items()))


def string_to_sign(
    method: str, path: str, params: dict[str, str], app_id: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The gateway's string to sign (interface document §2.2)."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, canonical_query(params), app_id, timestamp, nonce, digest])


def sign(secret: str, text: str) -> str:
    """``Base64(HMAC-SHA256(AppSecret as UTF-8, StringToSign))``."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()).decode()


def _hit(key: str, every: int, offset: int) -> bool:
    return zlib.crc32(key.encode()) % every == offset


class NaturalResourcesSystem(AgencySystem):
    name = "natural_resources"
    title = "衢州市自然资源和规划局 数据共享网关"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The bureau's live tables (mutable under moving_records): stream → id → record.
        self.live: dict[str, dict[str, dict[str, Any]]] = {
            stream: {r[ID_FIELD]: dict(r) for r in self.records.get(stream, [])} for stream in ENDPOINTS.values()
        }
        self.nonces: set[str] = set()
        self.list_requests = 0
        self.mutation_rounds = 0
        self.inserted: list[str] = []
        self.updated: list[str] = []
        self.throttled = 0
        self.auth_failures = 0
        self._shifted: set[str] = set()
        self.hidden = {stream: self._hidden_ids(stream) for stream in ENDPOINTS.values()}

    # --- configuration and ground truth ---------------------------------------------------

    def env(self, url: str) -> dict[str, str]:
        return {
            **super().env(url),
            "PILHUB_CONN_NATURAL_RESOURCES_KEY_ID": credentials.NATURAL_RESOURCES_APP_ID,
            "PILHUB_CONN_NATURAL_RESOURCES_SECRET": credentials.NATURAL_RESOURCES_APP_SECRET,
        }

    def truth(self, stream: str) -> dict[str, dict[str, Any]]:
        """The records of ``stream`` (``land_cases`` …) as they now are (inserts and updates applied), by 业务编号."""
        with self.lock:
            return {rid: dict(r) for rid, r in self.live[stream].items()}

    def bad_ids(self, stream: str) -> set[str]:
        """Ids served malformed on every delivery while ``bad_records`` is on."""
        with self.lock:
            return {rid for rid in self.live[stream] if _hit(f"bad:{rid}", 23, 5)}

    def _hidden_ids(self, stream: str) -> set[str]:
        ids = sorted(self.live[stream])
        hidden = {rid for rid in ids if _hit(f"missing:{rid}", 41, 7)}
        return hidden or set(ids[len(ids) // 2 : len(ids) // 2 + 1])

    # --- the protocol -----------------------------------------------------------------------

    def _verify(self, request: SandboxRequest) -> tuple[int, str] | None:
        h = request.headers
        app_id, timestamp, nonce, signature = (
            h.get("x-zrzy-appid", ""),
            h.get("x-zrzy-timestamp", ""),
            h.get("x-zrzy-nonce", ""),
            h.get("x-zrzy-sign", ""),
        )
        if app_id != credentials.NATURAL_RESOURCES_APP_ID:
            return UNKNOWN_APP, "应用标识无效"
        try:
            skew = abs(time.time() * 1000 - int(timestamp))
        except ValueError:
            return STALE_TIMESTAMP, "时间戳格式错误"
        if skew > TIMESTAMP_WINDOW_MS:
            return STALE_TIMESTAMP, "时间戳超出有效范围"
        expected = sign(
            credentials.NATURAL_RESOURCES_APP_SECRET,
            string_to_sign(request.method, request.path, request.query, app_id, timestamp, nonce, request.body),
        )
        if not hmac.compare_digest(expected, signature):
            return BAD_SIGNATURE, "签名验证失败"
        with self.lock:
            if not nonce or nonce in self.nonces:
                return REPLAYED, "重复请求（随机数已使用）"
            self.nonces.add(nonce)
        return None

    @staticmethod
    def _envelope(code: int, msg: str, data: Any = None) -> SandboxResponse:
        return json_response({"code": code, "msg": msg, "data": data})

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        problem = self._verify(request)
        if problem is not None:
            self.auth_failures += 1
            return self._envelope(*problem)
        if request.path == f"{PREFIX}/ping":
            return self._envelope(OK, "成功", {"version": "1.3"})
        stream = ENDPOINTS.get(request.path.removeprefix(f"{PREFIX}/"))
        if not request.path.startswith(f"{PREFIX}/") or stream is None:
            return json_response({"code": 4040, "msg": "接口不存在", "data": None}, 404)
        with self.lock:
            self.list_requests += 1
            n = self.list_requests
        if self.plan.on("body_throttle") and n % 7 == 4:
            self.throttled += 1
            return self._envelope(THROTTLED, "接口调用频率超限，请稍后重试")
        try:
            page = int(request.query.get("pageNum") or 1)
            size = int(request.query.get("pageSize") or 20)
            since = self._time(request.query.get("gxsjq"))
            until = self._time(request.query.get("gxsjz"))
        except ValueError:
            return self._envelope(
                BAD_REQUEST, "参数格式错误（pageNum、pageSize 为整数，gxsjq、gxsjz 为 yyyyMMddHHmmss）"
            )
        if page < 1 or size < 1:
            return self._envelope(BAD_REQUEST, "pageNum、pageSize 须为正整数")
        if self.plan.on("moving_records") and page > 1:
            self._mutate(stream)  # the bureau's clerks at work between two pages of the client's walk
        return self._page(stream, page, size, since, until)

    @staticmethod
    def _time(value: str | None) -> str | None:
        """``gxsjq``/``gxsjz`` (``yyyyMMddHHmmss``, Beijing) → the ``更新时间`` text they compare with."""
        if not value:
            return None
        return update_time(datetime.strptime(value, "%Y%m%d%H%M%S"))

    def _page(self, stream: str, page: int, size: int, since: str | None, until: str | None) -> SandboxResponse:
        effective = min(size, PAGE_SIZE_CAP if self.plan.on("page_size_cap") else PAGE_SIZE_MAX)
        id_field = ID_FIELD
        with self.lock:
            rows = [
                r
                for r in self.live[stream].values()
                if (since is None or r["更新时间"] >= since) and (until is None or r["更新时间"] < until)
            ]
        rows.sort(key=lambda r: (r["更新时间"], r[id_field]), reverse=True)  # newest first
        total = len(rows)
        if self.plan.on("missing_records"):
            rows = [r for r in rows if r[id_field] not in self.hidden[stream]]
        start = (page - 1) * effective
        if self.plan.on("shifted_pages") and page > 1:
            key = f"{stream}|{since}|{until}|{page}|{size}"
            with self.lock:
                shift = key not in self._shifted
                if shift:
                    self._shifted.add(key)
            if shift:
                start = max(0, start - SHIFT)
        served = [self._deliver(stream, r) for r in rows[start : start + effective]]
        return self._envelope(OK, "成功", {"total": total, "pageNum": page, "pageSize": size, "list": served})

    def _deliver(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        if self.plan.on("bad_records") and _hit(f"bad:{record[ID_FIELD]}", 23, 5):
            field, value = BAD_FIELDS[stream]
            return {**record, field: value}
        return dict(record)

    def _mutate(self, stream: str) -> None:
        """One round: a new record and an update of an old one, both in the same second of the bureau's clock."""
        with self.lock:
            if self.mutation_rounds >= MUTATION_ROUNDS * len(ENDPOINTS):
                return
            self.mutation_rounds += 1
            moment = CLOCK_START + timedelta(seconds=self.mutation_rounds)
            record = new_record(stream, self.mutation_rounds, self.dataset.seed, moment)
            rid = record[ID_FIELD]
            self.live[stream][rid] = record
            self.inserted.append(f"{stream}:{rid}")
            older = sorted(self.live[stream].values(), key=lambda r: (r["更新时间"], r[ID_FIELD]))
            target = older[(self.mutation_rounds * 7919) % max(1, len(older) // 2)]
            if stream == "restoration_acceptances":
                target["验收结论"] = "验收合格"
                target["验收意见"] = "整改后复验合格"
            else:
                target["案件状态"] = "已结案"
            target["更新时间"] = update_time(moment)
            self.updated.append(f"{stream}:{target[ID_FIELD]}")
