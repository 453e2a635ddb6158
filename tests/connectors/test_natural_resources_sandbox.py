"""The simulated 自然资源和规划局 gateway behaves as its interface document says, fault by fault.

Requests are signed here from the document's own description (§2.2), with the standard
library, not with the sandbox's helper — so the sandbox is held to the document.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import quote, urlencode

import pytest
import requests

from connectors.sandbox import credentials, start_sandbox
from connectors.sandbox.faults import FAULT_MODES, expand

PATH = "/zrzy/api/v1/tdwfaj"


def _get(url: str, path: str, params: dict[str, str], secret: str = credentials.NATURAL_RESOURCES_APP_SECRET):  # type: ignore[no-untyped-def]
    timestamp, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex
    query = urlencode(sorted(params.items()), quote_via=quote, safe="-_.~")
    text = "\n".join(
        ["GET", path, query, credentials.NATURAL_RESOURCES_APP_ID, timestamp, nonce, hashlib.sha256(b"").hexdigest()]
    )
    signature = base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()
    headers = {
        "X-Zrzy-AppId": credentials.NATURAL_RESOURCES_APP_ID,
        "X-Zrzy-Timestamp": timestamp,
        "X-Zrzy-Nonce": nonce,
        "X-Zrzy-Sign": signature,
    }
    response = requests.get(url + path, params=params, headers=headers, timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def gateway():  # type: ignore[no-untyped-def]
    with start_sandbox(systems=["natural_resources"], scale=12) as sandbox:
        yield sandbox


def test_signed_requests_newest_first_and_a_reported_total(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.set_faults([])
    url = gateway.urls["natural_resources"]
    assert _get(url, "/zrzy/api/v1/ping", {})["code"] == 0
    assert _get(url, "/zrzy/api/v1/ping", {}, secret="wrong")["code"] == 4011  # HTTP 200, error in the body
    body = _get(url, PATH, {"pageNum": "1", "pageSize": "1000", "gxsjq": "20200101000000"})
    data = body["data"]
    times = [r["更新时间"] for r in data["list"]]
    assert body["code"] == 0 and times == sorted(times, reverse=True) and min(times) >= "2020-01-01 00:00:00"
    truth = gateway.system("natural_resources").truth("land_cases")
    assert data["total"] == len(data["list"]) == sum(r["更新时间"] >= "2020-01-01 00:00:00" for r in truth.values())
    assert "占地面积（平方米）" in data["list"][0] and "罚没款（万元）" in data["list"][0]


def test_page_size_cap_is_silent(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.set_faults(["page_size_cap"])
    data = _get(gateway.urls["natural_resources"], PATH, {"pageNum": "2", "pageSize": "1000"})["data"]
    assert data["total"] > 400 and len(data["list"]) == 200 and data["pageSize"] == 1000


def test_throttle_code_on_http_200_and_missing_records_counted_not_served(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.set_faults(["body_throttle", "missing_records"])
    url = gateway.urls["natural_resources"]
    answers = [_get(url, PATH, {"pageNum": "1", "pageSize": "1000"}) for _ in range(8)]
    assert {a["code"] for a in answers} == {0, 4290}
    data = next(a["data"] for a in answers if a["code"] == 0)
    assert data["total"] > len(data["list"])  # provably incomplete: counted, never served


def test_moving_records_change_the_truth_and_shifted_pages_overlap(gateway) -> None:  # type: ignore[no-untyped-def]
    system = gateway.system("natural_resources")
    before = system.truth("land_cases")
    gateway.set_faults(["moving_records", "shifted_pages"])
    url = gateway.urls["natural_resources"]
    first = _get(url, PATH, {"pageNum": "1", "pageSize": "100"})["data"]["list"]
    second = _get(url, PATH, {"pageNum": "2", "pageSize": "100"})["data"]["list"]
    ids = [r["业务编号"] for r in first + second]
    assert len(ids) > len(set(ids))  # the second page overlaps the first
    after = system.truth("land_cases")
    assert len(after) == len(before) + 1 and system.inserted and system.updated
    updated = system.updated[0].split(":", 1)[1]
    assert system.updated[0].startswith("land_cases:")
    assert after[updated]["更新时间"] > before[updated]["更新时间"]


def test_bad_records_stay_bad(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.set_faults(["bad_records"])
    url = gateway.urls["natural_resources"]
    bad = gateway.system("natural_resources").bad_ids("land_cases")
    assert bad
    for _ in range(2):
        rows = _get(url, PATH, {"pageNum": "1", "pageSize": "1000"})["data"]["list"]
        served = {r["业务编号"]: r["立案日期"] for r in rows}
        assert {served[i] for i in bad if i in served} == {"2019-02-30"}


def test_all_leaves_out_the_faults_no_pull_can_survive() -> None:
    assert {"moving_records", "bad_records", "missing_records"} <= set(FAULT_MODES)
    assert not {"moving_records", "bad_records", "missing_records"} & expand(["all"])  # they change the data
    assert {"page_size_cap", "shifted_pages", "body_throttle", "server_errors"} <= expand(["all"])
