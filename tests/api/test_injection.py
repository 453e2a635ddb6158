"""Injection strings in every filter parameter: a 4xx or an empty result, never a 500 — on SQLite and PostgreSQL.

SQL is only ever built from SQLAlchemy expressions with bound parameters; LIKE prefixes are escaped. This
checks it from the outside, including the values that break drivers rather than parsers (NUL, lone
quotes, LIKE wildcards, very long text).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

INJECTIONS = [
    "' OR '1'='1",
    "柯城区' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE cases; --",
    "%",
    "_",
    "3308%",
    "\\",
    "' UNION SELECT name_enc FROM parties --",
    "a\x00b",
    "\x1b[31m",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "𠀀" * 70,
]

# (path, parameter, extra parameters) for every free-text or enumerated filter.
TARGETS = [
    ("/api/v1/figures", "district", {"year": 2018}),
    ("/api/v1/figures", "agency", {"year": 2018}),
    ("/api/v1/figures", "domain", {"year": 2018}),
    ("/api/v1/figures", "as_of", {"year": 2018}),
    ("/api/v1/figures", "year", {}),
    ("/api/v1/report", "district", {"year": 2018, "format": "json"}),
    ("/api/v1/report", "format", {"year": 2018}),
    ("/api/v1/charts/domain", "agency", {"year": 2018}),
    ("/api/v1/clocks/overdue", "district", {}),
    ("/api/v1/clocks/overdue", "domain", {}),
    ("/api/v1/clocks/overdue", "state", {}),
    ("/api/v1/clocks/overdue", "kind", {}),
    ("/api/v1/cases", "district", {}),
    ("/api/v1/cases", "domain", {}),
]


@pytest.fixture
def any_client(store_url: str, tmp_path: Path, api_helpers: Any) -> Iterator[Any]:
    """The API on SQLite and (when configured) PostgreSQL, with the sample loaded."""
    helpers = api_helpers
    helpers.load_sample(store_url)
    toks = helpers.make_tokens(tmp_path)
    with helpers.build_client(store_url, toks) as client:
        yield client, toks


def _empty(body: dict[str, Any]) -> bool:
    if "cases_total" in body:
        return body["cases_total"] == 0 and body["recommendations"]["issued"] == 0
    return body.get("total") == 0


def test_injection_strings_never_cause_a_500(any_client: tuple[Any, Any], bearer: Any) -> None:
    client, toks = any_client
    headers = bearer(toks.admin)
    for path, param, extra in TARGETS:
        for value in INJECTIONS:
            res = client.get(path, params={**extra, param: value}, headers=headers)
            assert res.status_code < 500, (path, param, repr(value), res.text)
            if res.status_code == 200 and res.headers["content-type"].startswith("application/json"):
                assert _empty(res.json()), (path, param, repr(value))
            elif res.status_code != 200:
                assert res.status_code in (400, 403, 404, 422), (path, param, repr(value), res.status_code)
    # the path parameter too
    for value in ("' OR 1=1 --", "%25", "KC-2018-007' --"):
        assert client.get(f"/api/v1/cases/{value}", headers=headers).status_code in (404, 422)
    # and the store is intact
    assert client.get("/api/v1/figures", params={"year": 2018}, headers=headers).json()["cases_total"] == 30


def test_like_wildcards_in_a_token_region_do_not_widen_it(tmp_path: Path) -> None:
    """Region prefixes are digits only; a crafted token file cannot smuggle a LIKE wildcard."""
    from hub.api.tokens import TokenConfigError, create_token

    with pytest.raises(TokenConfigError):
        create_token(tmp_path / "t.yaml", role="supervisor", region="33%", name="x")
    with pytest.raises(TokenConfigError):
        create_token(tmp_path / "t.yaml", role="supervisor", region="_", name="y")
