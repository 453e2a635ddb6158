"""The declarations that cover real agency APIs, each against behaviour the SDK did not write.

* watermark formats and zones (``%Y%m%d%H%M%S`` Beijing time, epoch seconds/ms, ISO with ``Z``);
* a silent page-size cap, with and without a reported total;
* a body-level status on HTTP 200 — throttle codes retried, an error code failing the stream
  with the agency's own message, ``connectors check`` failing on it — served by a small agency
  gateway written here in the style of the bureaus' gateways;
* units declared in a mapping, Chinese column names with full-width brackets;
* the request-signature template against the published HMAC-SHA256 test vectors of RFC 4231,
  and the extension point (a registered signer) through a real request, checked for conformance;
* the rate limit shared by two processes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.sandbox.dataset import build_dataset
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, SandboxServer, json_response
from connectors.sdk import (
    BodyStatus,
    Connector,
    PageNumber,
    Quantity,
    RateLimit,
    SignedRequest,
    Stream,
    Total,
    Watermark,
    register_signer,
)
from connectors.sdk.config import ConnectorConfig
from connectors.sdk.pagination import OffsetLimit, PageRequest
from connectors.sdk.probe import check
from connectors.sdk.rate_limit import FileRateLimiter
from connectors.sdk.request_signing import SigningInput, conformance, signer_named
from connectors.sdk.runner import run_pull
from hub.ingest.sink import StoreSink
from schemas.area import parse_area_mu
from schemas.errors import InvalidValue
from schemas.money import parse_money_yuan
from tests.connectors.conftest import make_factory, record_set

# --- watermarks ---------------------------------------------------------------------------------


def test_watermark_reads_agency_times_in_their_zone_and_asks_inclusively():
    beijing = Watermark("更新时间", param="gxsjq", format="%Y%m%d%H%M%S", field_format="%Y-%m-%d %H:%M:%S")
    cursor = beijing.cursor_of("2026-12-05 08:30:00")
    assert cursor == "2026-12-05T08:30:00+08:00"  # naive agency time is Beijing time, stored with its offset
    assert beijing.request_value(cursor) == "20261205083000"  # the same second again: inclusive, never +1 s
    assert beijing.request_value("2026-12-05T00:30:00+00:00") == "20261205083000"  # a window bound in UTC
    assert beijing.cursor_of("2026-13-05 08:30:00") is None  # unreadable: no cursor of its own

    epoch = Watermark("ts", param="since", format="epoch_s")
    assert epoch.cursor_of(1796430600) == "2026-12-05T08:30:00+08:00"
    assert epoch.request_value("2026-12-05T08:30:00+08:00") == "1796430600"
    millis = Watermark("ts", param="since", format="epoch_ms", timezone="UTC")
    assert millis.cursor_of("1796430600123") == "2026-12-05T00:30:00.123+00:00"
    assert millis.request_value(millis.cursor_of("1796430600123") or "") == "1796430600123"
    iso = Watermark("updated", param="from")
    assert iso.cursor_of("2026-12-05T00:30:00Z") == "2026-12-05T08:30:00+08:00"
    # text order of stored cursors is time order (what the loader's max() relies on)
    times = ["2026-12-05 08:30:00", "2026-12-05 08:30:01", "2026-12-04 23:59:59"]
    stored = [beijing.cursor_of(t) for t in times]
    assert max(stored) == stored[1] and min(stored) == stored[2]  # type: ignore[type-var]


# --- page-size caps -----------------------------------------------------------------------------


class _Page:
    def __init__(self, request: PageRequest, records: list[dict[str, Any]], document: Any) -> None:
        self.request, self.records, self.document, self.headers = request, records, document, {}


def _capped_agency(rows: int, cap: int, report_total: bool):  # type: ignore[no-untyped-def]
    data = [{"id": str(n)} for n in range(rows)]

    def fetch(request: PageRequest) -> _Page:
        start = (int(request.params["page"]) - 1) * cap if "page" in request.params else int(request.params["offset"])
        chunk = data[start : start + cap]
        document = {"data": {"list": chunk, "total": rows if report_total else None}}
        return _Page(request, chunk, document)

    return fetch


@pytest.mark.parametrize("report_total", [True, False])
def test_a_silent_page_size_cap_is_detected_and_paging_adapts(report_total):
    for paginator in (
        PageNumber(size=1000, total_path="data.total" if report_total else None),
        OffsetLimit(limit=1000, total_path="data.total" if report_total else None),
    ):
        start = PageRequest("/x")
        pages = list(paginator.pages(_capped_agency(2345, 200, report_total), start))
        ids = [r["id"] for p in pages for r in p.records]
        assert ids == [str(n) for n in range(2345)], type(paginator).__name__
        assert start.notes["effective_page_size"] == 200


def test_a_short_last_page_without_total_costs_one_empty_request_only():
    start = PageRequest("/x")
    pages = list(PageNumber(size=100).pages(_capped_agency(250, 100, False), start))
    assert [len(p.records) for p in pages] == [100, 100, 50, 0]
    assert "effective_page_size" not in start.notes  # 50 was the last page, not a cap


# --- body-level status through a gateway ------------------------------------------------------


class _Gateway(AgencySystem):
    """A gateway that answers HTTP 200 always, with ``{"code", "msg", "data"}`` — throttling and errors included."""

    name = "gateway"
    title = "某局数据共享网关"

    def __init__(self, throttle_first: int = 2, error_on_page: int | None = None) -> None:
        super().__init__(build_dataset(1, 1, ()), FaultPlan())
        receipts = build_dataset(20181231, 8, ("water",)).records["water"]["receipts"][:25]
        self.rows = [{"编号（回证）": r["id"], **r} for r in receipts]
        self.throttle_first, self.error_on_page, self.calls = throttle_first, error_on_page, 0
        self.uncounted = 0  # records counted but never served

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.calls += 1
        if request.path == "/ping":
            return json_response({"code": 4011, "msg": "签名验证失败", "data": None})
        if request.path == "/count":  # a count endpoint, as some gateways offer instead of a total per page
            return json_response({"code": 0, "msg": "成功", "data": {"count": len(self.rows) + self.uncounted}})
        if self.calls <= self.throttle_first:
            return json_response({"code": 4290, "msg": "接口调用频率超限，请稍后重试", "data": None})
        page = int(request.query.get("pageNum") or 1)
        if page == self.error_on_page:
            return json_response({"code": 5001, "msg": "数据库连接池耗尽", "data": None})
        chunk = self.rows[(page - 1) * 10 : page * 10]
        response = json_response({"code": 0, "msg": "成功", "data": {"total": len(self.rows), "list": chunk}})
        response.headers["X-Total-Count"] = str(len(self.rows) + self.uncounted)
        return response


def _gateway_connector() -> Connector:
    return Connector(
        name="gateway",
        agency_code="330800-gw",
        title="某局",
        system="gw",
        check_path="/ping",
        body_status=BodyStatus(code_path="code", ok=(0,), throttle=(4290,), message_path="msg"),
        streams=(
            Stream(
                "receipts",
                "agency.receipt",
                "/list",
                "编号（回证）",
                PageNumber(size=10, page_param="pageNum", size_param="pageSize", total_path="data.total"),
                records_path="data.list",
                total=Total(path="data.total"),
                mapping={
                    "recommendation_number": "rec",
                    "receiving_agency": "agency",
                    "received_date": "received",
                    "receiver": "receiver",
                    "delivery_method": "method",
                },
            ),
        ),
    )


def test_body_level_throttle_is_retried_and_an_error_code_fails_with_the_agencys_message(sqlite_url, fast_policy):
    factory = make_factory(sqlite_url)
    connector = _gateway_connector()
    gateway = _Gateway(throttle_first=2)
    server = SandboxServer(gateway)
    server.start()
    try:
        config = ConnectorConfig("gateway", base_url=server.url)
        summary = run_pull(connector, StoreSink(factory), config=config, policy=fast_policy, sleep=lambda s: None)
        stream = summary.streams[0]
        assert stream.status == "loaded" and stream.throttled >= 2
        assert stream.expected_total == stream.distinct_ids == 25 and stream.loaded == 25
        assert len(record_set(factory)) == 25

        gateway.calls, gateway.throttle_first, gateway.error_on_page = 0, 0, 2
        failed = run_pull(
            connector, StoreSink(factory), config=config, policy=fast_policy, raise_on_error=False, sleep=lambda s: None
        ).streams[0]
        assert failed.status == "failed"
        assert "5001" in (failed.error or "") and "数据库连接池耗尽" in (failed.error or "")

        result = check(connector, config)  # HTTP 200 on the check path, but the body says the signature failed
        assert not result.ok and result.status == 200
        assert "4011" in result.zh and "签名验证失败" in result.zh
    finally:
        server.stop()


# --- units and Chinese keys ---------------------------------------------------------------------


def test_units_are_declared_never_guessed_and_chinese_bracketed_keys_work():
    record = {
        "修复面积（亩）": 12.5,
        "占地面积（平方米）": "8000",
        "罚没款（万元）": 8.6,
        "备注面积": 3,
        "面积（亩）": "约5",
    }
    area = Quantity("修复面积（亩）")  # the unit from the column's own brackets
    assert area(record) == "12.5亩" and parse_area_mu(area(record)) == Decimal("12.5")
    assert Quantity("修复面积（亩）", part="unit")(record) == "亩"  # the source unit, kept beside the value
    site = Quantity("占地面积（平方米）", "平方米")
    assert parse_area_mu(site(record)) == Decimal("12.0000")  # 8000 m² = 12 亩 (1 亩 = 10000/15 m²)
    fine = Quantity("罚没款（万元）", "万元")
    assert parse_money_yuan(fine(record)) == Decimal("86000")  # not 8.60 元
    with pytest.raises(ValueError, match="备注面积"):
        Quantity("备注面积")  # no unit declared anywhere: refused when the connector loads
    with pytest.raises(InvalidValue) as bad:
        Quantity("面积（亩）")(record)
    assert bad.value.code == "unit.number"
    with pytest.raises(InvalidValue) as conflict:
        Quantity("x", "亩")({"x": "3公顷"})
    assert conflict.value.code == "unit.conflict"
    assert Quantity("x", "公顷")({"x": "3公顷"}) == "3公顷"

    stream = Stream(
        "restorations",
        "forestry.restoration",
        "/x",
        "验收编号",
        PageNumber(),
        mapping={"restored_area": Quantity("修复面积（亩）")},
        watermark=Watermark("更新时间", field_format="%Y-%m-%d %H:%M:%S"),
    )
    items = stream.prepare_many(
        [{"验收编号": "YS-1", "修复面积（亩）": 4, "更新时间": "2026-12-01 09:00:00"}], None, datetime.now(UTC)
    )
    assert items[0].source_id == "YS-1" and items[0].mapped == {"restored_area": "4亩"}
    assert items[0].cursor == "2026-12-01T09:00:00+08:00"


# --- request signing ----------------------------------------------------------------------------

# RFC 4231 §4.2 / §4.3: HMAC-SHA-256 test cases 1 and 2 (key, data, expected MAC).
RFC4231 = [
    ("0b" * 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    ("4a656665", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
]


@pytest.mark.parametrize(("key", "data", "mac"), RFC4231)
def test_the_signature_template_digests_as_the_published_hmac_vectors(key, data, mac):
    template = SignedRequest(parts=("nonce",), key_encoding="hex", output="hex", headers={"signature": "S"})
    given = SigningInput("GET", "/", (), b"", "app", key, 0, 0, data)
    assert template.sign(given) == {"S": mac}


def test_the_template_builds_the_string_to_sign_from_the_declared_parts():
    template = SignedRequest(
        parts=("method", "path", "query", "app_id", "timestamp", "nonce", "body_sha256"),
        timestamp="ms",
        output="base64",
        headers={"app_id": "X-App", "timestamp": "X-Ts", "nonce": "X-Nonce", "signature": "X-Sign"},
    )
    given = SigningInput("get", "/api/v1/x", (("q", "耕地 占用"), ("a", "1")), b"", "app-1", "k", 1, 1500, "n")
    text = template.string_to_sign(given)
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert text == f"GET\n/api/v1/x\na=1&q=%E8%80%95%E5%9C%B0%20%E5%8D%A0%E7%94%A8\napp-1\n1500\nn\n{empty}"
    raw = SignedRequest(parts=("query",), query_encoding="raw")
    assert raw.string_to_sign(given) == "a=1&q=耕地 占用"
    headers = template.sign(given)
    assert set(headers) == {"X-App", "X-Ts", "X-Nonce", "X-Sign"} and headers["X-Ts"] == "1500"
    assert conformance(template) == []
    with pytest.raises(Exception, match="digest"):
        SignedRequest(digest="sm3")


@register_signer("test-json-canonical")
def _canonical_json_signer(given: SigningInput) -> dict[str, str]:
    """A scheme the template cannot express: HMAC over the query as canonical JSON, key and time in one header."""
    import hashlib
    import hmac

    payload = json.dumps(
        {"m": given.method, "p": given.path, "q": dict(sorted(given.query)), "t": given.timestamp_s},
        sort_keys=True,
        ensure_ascii=False,
    )
    mac = hmac.new(given.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {"Authorization": f"JSON-HMAC app={given.app_id},t={given.timestamp_s},sig={mac}"}


def test_every_registered_signer_conforms():
    import connectors.registry  # noqa: F401 - connector modules register their signers on import
    from connectors.sdk import request_signing

    assert "test-json-canonical" in request_signing._SIGNERS
    for name in sorted(request_signing._SIGNERS):
        assert conformance(signer_named(name)) == [], name

    def forgetful(given: SigningInput) -> dict[str, str]:
        return {"X-Sign": given.path}

    assert "a change of query must change the signature" in conformance(forgetful)


def test_a_registered_signer_signs_real_requests():
    seen: list[dict[str, str]] = []

    class _Recorder(AgencySystem):
        name = "recorder"

        def handle(self, request: SandboxRequest) -> SandboxResponse:
            seen.append(request.headers)
            return json_response({"ok": True})

    server = SandboxServer(_Recorder(build_dataset(1, 1, ()), FaultPlan()))
    server.start()
    try:
        connector = Connector(
            name="recorder",
            agency_code="x",
            title="x",
            system="x",
            streams=(),
            check_path="/ping",
            auth=SignedRequest(signer="test-json-canonical"),
        )
        result = check(connector, ConnectorConfig("recorder", base_url=server.url, key_id="app-9", secret="s3cret-key"))
        assert result.ok
        assert seen and seen[0]["authorization"].startswith("JSON-HMAC app=app-9,")
    finally:
        server.stop()


# --- rate limit across processes ----------------------------------------------------------------


def _spend(directory: str, n: int, out: Any) -> None:
    from pathlib import Path

    limiter = FileRateLimiter("shared", RateLimit(per_second=20, burst=1), Path(directory))
    stamps = []
    for _ in range(n):
        limiter.acquire()
        stamps.append(time.time())
    out.put(stamps)


def test_two_processes_of_one_connector_share_its_rate_limit(tmp_path):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_spend, args=(str(tmp_path), 10, out)) for _ in range(2)]
    for w in workers:
        w.start()
    stamps = sorted(out.get(timeout=60) + out.get(timeout=60))
    for w in workers:
        w.join(30)
    assert len(stamps) == 20
    # 20 requests at 20/s between them: ≥ 19 intervals of 50 ms, not the 0.45 s of two separate limits
    assert stamps[-1] - stamps[0] >= 19 * 0.05 * 0.95


# --- the signature template against an agency's own verifier ------------------------------------

#: The 自然资源和规划局 gateway's scheme, declared from its interface document (§2) — not from its code.
ZRZY_SIGNATURE = SignedRequest(
    parts=("method", "path", "query", "app_id", "timestamp", "nonce", "body_sha256"),
    separator="\n",
    query_encoding="rfc3986",
    query_sorted=True,
    timestamp="ms",
    digest="hmac-sha256",
    key_encoding="utf8",
    output="base64",
    headers={
        "app_id": "X-Zrzy-AppId",
        "timestamp": "X-Zrzy-Timestamp",
        "nonce": "X-Zrzy-Nonce",
        "signature": "X-Zrzy-Sign",
    },
)


def test_the_template_declared_from_the_bureaus_document_passes_its_gateways_verification():
    from connectors.sandbox import sandbox_env, start_sandbox

    with start_sandbox(systems=["natural_resources"]) as sandbox, sandbox_env(sandbox) as env:
        system = sandbox.system("natural_resources")
        base = {
            "name": "natural_resources",
            "agency_code": "330800-zrzy",
            "title": "衢州市自然资源和规划局",
            "system": "zrzy",
            "streams": (),
            "check_path": "/zrzy/api/v1/ping",
            "body_status": BodyStatus(ok=(0,), throttle=(4290,), message_path="msg"),
        }
        config = ConnectorConfig(
            "natural_resources",
            base_url=env["PILHUB_CONN_NATURAL_RESOURCES_URL"],
            key_id=env["PILHUB_CONN_NATURAL_RESOURCES_KEY_ID"],
            secret=env["PILHUB_CONN_NATURAL_RESOURCES_SECRET"],
        )
        assert check(Connector(auth=ZRZY_SIGNATURE, **base), config).ok
        # the same scheme with seconds instead of milliseconds: the gateway refuses it, in the body of an HTTP 200
        wrong = check(Connector(auth=replace(ZRZY_SIGNATURE, timestamp="s"), **base), config)
        assert not wrong.ok and wrong.status == 200 and "4012" in wrong.zh
        unencoded = replace(ZRZY_SIGNATURE, query_encoding="raw")
        given = SigningInput("GET", "/zrzy/api/v1/tdwfaj", (("q", "耕地 占用"),), b"", "a", "s", 1, 1000, "n")
        assert unencoded.sign(given)["X-Zrzy-Sign"] != ZRZY_SIGNATURE.sign(given)["X-Zrzy-Sign"]
    assert system.auth_failures == 1


def test_without_a_reported_total_a_whole_walk_is_held_to_the_previous_complete_one(sqlite_url, fast_policy):
    """No total, no cursor: each pull walks the whole list; one that yields fewer ids than the last complete
    walk is re-walked and then reported incomplete (an agency that really deletes is confirmed by a person)."""
    factory = make_factory(sqlite_url)
    declared = _gateway_connector()
    connector = replace(declared, streams=(replace(declared.streams[0], total=None),))
    gateway = _Gateway(throttle_first=0)
    server = SandboxServer(gateway)
    server.start()
    try:
        config = ConnectorConfig("gateway", base_url=server.url, rewalk_pause=0.0)
        first = run_pull(connector, StoreSink(factory), config=config, policy=fast_policy).streams[0]
        assert first.status == "loaded" and first.expected_total is None and first.distinct_ids == 25
        gateway.rows = gateway.rows[:12] + gateway.rows[13:]  # one record no longer served
        second = run_pull(connector, StoreSink(factory), config=config, policy=fast_policy).streams[0]
        assert second.status == "incomplete" and second.rewalks == 2
        assert second.expected_total == 25 and second.distinct_ids == 24
    finally:
        server.stop()


@pytest.mark.parametrize(
    "total", [Total(header="X-Total-Count", pause=0.0), Total(endpoint="/count", path="data.count", pause=0.0)]
)
def test_a_total_from_a_header_or_a_count_endpoint_is_reconciled(total, sqlite_url, fast_policy):
    factory = make_factory(sqlite_url)
    declared = _gateway_connector()
    connector = replace(declared, streams=(replace(declared.streams[0], total=total),))
    gateway = _Gateway(throttle_first=0)
    server = SandboxServer(gateway)
    server.start()
    try:
        config = ConnectorConfig("gateway", base_url=server.url)
        whole = run_pull(connector, StoreSink(factory), config=config, policy=fast_policy).streams[0]
        assert whole.status == "loaded" and whole.expected_total == whole.distinct_ids == 25
        gateway.uncounted = 3
        short = run_pull(connector, StoreSink(factory), since="2000-01-01", config=config, policy=fast_policy)
        stream = short.streams[0]
        assert stream.status == "incomplete" and stream.expected_total == 28 and stream.distinct_ids == 25
        assert stream.rewalks == total.rewalks
    finally:
        server.stop()
