"""Tokens, roles and jurisdictions: 401 without a valid token, 403 for the wrong role or region, 422 for bad parameters."""

from __future__ import annotations

from typing import Any

import pytest

AGGREGATE = [
    "/api/v1/figures?year=2018",
    "/api/v1/report?year=2018&format=json",
    "/api/v1/charts/domain?year=2018",
    "/api/v1/meta",
]
CASE_LEVEL = ["/api/v1/clocks/overdue", "/api/v1/clocks/due_soon", "/api/v1/cases", "/api/v1/cases/KC-2018-007"]


@pytest.mark.parametrize("path", AGGREGATE + CASE_LEVEL + ["/api/v1/me"])
def test_missing_wrong_or_expired_token_is_401(client: Any, tokens: Any, bearer: Any, path: str) -> None:
    for headers in ({}, bearer("pil_not-a-token"), bearer(tokens.expired), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        res = client.get(path, headers=headers)
        assert res.status_code == 401, (path, headers)
        assert res.headers["www-authenticate"].startswith("Bearer")
        body = res.json()
        assert body["error"] == "unauthorized" and "令牌" in body["message"] and "token" in body["message"]


@pytest.mark.parametrize("path", CASE_LEVEL)
def test_congress_sees_no_case_level_data(client: Any, tokens: Any, bearer: Any, path: str) -> None:
    res = client.get(path, headers=bearer(tokens.congress))
    assert res.status_code == 403
    assert res.json()["error"] == "forbidden_role"


@pytest.mark.parametrize("path", AGGREGATE)
def test_every_role_sees_aggregates(client: Any, tokens: Any, bearer: Any, path: str) -> None:
    for token in (tokens.congress, tokens.kecheng, tokens.admin):
        assert client.get(path, headers=bearer(token)).status_code == 200, path


def test_supervisor_sees_only_their_jurisdiction(client: Any, tokens: Any, bearer: Any) -> None:
    kc = bearer(tokens.kecheng)
    fig = client.get("/api/v1/figures", params={"year": 2018}, headers=kc).json()
    assert set(fig["by_district"]) == {"柯城区"}
    assert fig["filters"]["region_prefix"] == "330802"
    assert all(a["region_code"].startswith("330802") for a in fig["agencies"])
    for view in ("due_soon", "overdue", "escalated"):
        items = client.get(f"/api/v1/clocks/{view}", params={"as_of": "2026-11-23"}, headers=kc).json()["items"]
        assert all(i["region_code"].startswith("330802") for i in items)
    cases = client.get("/api/v1/cases", params={"limit": 1000}, headers=kc).json()
    assert cases["total"] == 10 and all(c["district"] == "柯城区" for c in cases["items"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/figures", {"year": 2018, "district": "江山市"}),
        ("/api/v1/figures", {"year": 2018, "district": "330881"}),
        ("/api/v1/figures", {"year": 2018, "agency": "江山市市场监督管理局"}),
        ("/api/v1/report", {"year": 2018, "district": "江山市", "format": "csv"}),
        ("/api/v1/charts/trend", {"year": 2018, "district": "江山市"}),
        ("/api/v1/clocks/overdue", {"district": "江山市"}),
        ("/api/v1/cases", {"district": "江山市"}),
    ],
)
def test_other_jurisdiction_is_403(client: Any, tokens: Any, bearer: Any, path: str, params: dict[str, Any]) -> None:
    res = client.get(path, params=params, headers=bearer(tokens.kecheng))
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["error"] == "forbidden_jurisdiction" and "辖区" in body["message"] and "jurisdiction" in body["message"]
    # …and the 江山市 supervisor may.
    assert client.get(path, params=params, headers=bearer(tokens.jiangshan)).status_code == 200


def test_city_congress_token_covers_every_district(client: Any, tokens: Any, bearer: Any) -> None:
    fig = client.get("/api/v1/figures", params={"year": 2018, "district": "江山市"}, headers=bearer(tokens.congress))
    assert fig.status_code == 200 and fig.json()["cases_total"] == 5


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/api/v1/figures", {"year": "twenty"}, "year"),
        ("/api/v1/figures", {"year": 1800}, "year"),
        ("/api/v1/figures", {"from": "2018-01-01"}, "from"),
        ("/api/v1/figures", {"from": "2018-05-01", "to": "2018-01-01"}, "from"),
        ("/api/v1/figures", {"year": 2018, "from": "2018-01-01", "to": "2018-02-01"}, "year"),
        ("/api/v1/figures", {"year": 2018, "as_of": "2017-12-31"}, "as_of"),
        ("/api/v1/figures", {"year": 2018, "as_of": "2018-02-30"}, "as_of"),
        ("/api/v1/figures", {"year": 2018, "domain": "fishing"}, "domain"),
        ("/api/v1/figures", {"year": 2018, "district": "x" * 65}, "district"),
        ("/api/v1/report", {"year": 2018, "format": "docx"}, "format"),
        ("/api/v1/charts/pie", {"year": 2018}, "name"),
        ("/api/v1/clocks/someday", {}, "view"),
        ("/api/v1/clocks/overdue", {"state": "asleep"}, "state"),
        ("/api/v1/clocks/overdue", {"limit": 0}, "limit"),
        ("/api/v1/clocks/overdue", {"as_of": "1999-12-31"}, "as_of"),
        ("/api/v1/cases", {"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_are_422_with_a_clear_message(
    client: Any, tokens: Any, bearer: Any, path: str, params: dict[str, Any], param: str
) -> None:
    res = client.get(path, params=params, headers=bearer(tokens.admin))
    assert res.status_code == 422, res.text
    body = res.json()
    assert body["error"] == "invalid_parameter"
    assert "参数" in body["message"] and "invalid" in body["message"]
    assert any(e["param"] == param for e in body["errors"]), body
    assert all(e["zh"] and e["en"] for e in body["errors"])


def test_me_and_health(client: Any, tokens: Any, bearer: Any) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    me = client.get("/api/v1/me", headers=bearer(tokens.kecheng)).json()
    assert me == {"name": "柯城区人民检察院", "role": "supervisor", "region": "330802"}


def test_openapi_spec_documents_the_security_scheme(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"/api/v1/figures", "/api/v1/report", "/api/v1/clocks/{view}", "/api/v1/cases/{case_id}"} <= set(
        spec["paths"]
    )
