"""A congress token never sees personal data; supervisors see natural persons masked unless they reveal (audited).

"Personal data" here: every natural person's name, resident ID number, phone and address in the sample
registry, and the procurators' names — scanned for in every response body, every report format included
(XLSX unzipped, PDF as extracted text).
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.store.db import open_store
from hub.store.models import AuditEntry


def _texts(res: Any, tmp_path: Path, need_tool: Any) -> str:
    ctype = res.headers.get("content-type", "")
    if "spreadsheetml" in ctype:
        with zipfile.ZipFile(io.BytesIO(res.content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if "pdf" in ctype:
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(res.content)
        out = subprocess.run([need_tool("pdftotext", "poppler-utils"), str(pdf), "-"], capture_output=True, check=True)
        return out.stdout.decode("utf-8")
    return res.content.decode("utf-8", "replace")


def _leaks(text: str, values: list[str]) -> list[str]:
    return [v for v in values if v in text]


def _every_get(client: Any) -> list[str]:
    """Every GET path of the OpenAPI spec, with path parameters filled in."""
    fill = {"{view}": "overdue", "{name}": "domain", "{case_id}": "KC-2018-012"}
    paths = []
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        if "get" in ops:
            for k, v in fill.items():
                path = path.replace(k, v)
            paths.append(path)
    assert len(paths) >= 9
    return paths


def test_congress_never_sees_personal_data(
    client: Any, tokens: Any, bearer: Any, personal_values: list[str], tmp_path: Path, need_tool: Any
) -> None:
    headers = bearer(tokens.congress)
    seen = 0
    for path in _every_get(client):
        for params in ({}, {"from": "2017-01-01", "to": "2026-11-23"}):
            res = client.get(path, params=params, headers=headers)
            if res.status_code >= 400:
                assert res.status_code in (403, 422), (path, res.status_code)
            assert not _leaks(res.text, personal_values), path
            seen += res.status_code == 200
    for fmt in ("json", "csv", "xlsx", "html", "pdf"):
        res = client.get(
            "/api/v1/report", params={"from": "2017-01-01", "to": "2026-11-23", "format": fmt}, headers=headers
        )
        assert res.status_code == 200, fmt
        assert not _leaks(_texts(res, tmp_path, need_tool), personal_values), fmt
    assert seen >= 8


def test_supervisor_sees_persons_masked_by_default(
    client: Any, tokens: Any, bearer: Any, personal_values: list[str]
) -> None:
    headers = bearer(tokens.admin)
    cases = client.get("/api/v1/cases", params={"limit": 1000}, headers=headers).json()["items"]
    assert len(cases) == 60
    for case in cases:
        res = client.get(f"/api/v1/cases/{case['case_id']}", headers=headers)
        assert res.status_code == 200
        assert not _leaks(res.text, personal_values), case["case_id"]
        body = res.json()
        assert body["personal_data_revealed"] is False
        for party in body["parties"]:
            if party["kind"] == "person":
                assert party["masked"] and party["name"].endswith("*") and party["id_number"] is None
    for view in ("due_soon", "overdue", "escalated"):
        res = client.get(f"/api/v1/clocks/{view}", params={"as_of": "2026-11-23"}, headers=headers)
        assert not _leaks(res.text, personal_values)


def test_reveal_shows_personal_data_and_is_audited(
    client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any, personal_values: list[str]
) -> None:
    url, _ = api_env
    with open_store(url)() as session:
        before = session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.access")).all()
    res = client.get("/api/v1/cases/KC-2017-001", params={"reveal": "true"}, headers=bearer(tokens.admin))
    assert res.status_code == 200
    body = res.json()
    person = next(p for p in body["parties"] if p["kind"] == "person")
    assert person["masked"] is False and person["id_number"] == "330824195810038785"
    assert body["personal_data_revealed"] is True
    with open_store(url)() as session:
        entries = (
            session.execute(
                select(AuditEntry).where(AuditEntry.action == "personal_data.access").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
    assert len(entries) == len(before) + 1
    entry = entries[-1]
    assert entry.object_id == "KC-2017-001" and entry.actor == "api:平台运维"
    assert set(entry.detail["fields"]) >= {"name", "id_number", "phone", "address"}
    # the audit entry names the fields, never the values
    assert not _leaks(str(entry.detail), personal_values)


def test_reveal_outside_the_jurisdiction_is_404_and_not_audited(
    client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any
) -> None:
    url, _ = api_env
    with open_store(url)() as session:
        n = len(session.execute(select(AuditEntry.id).where(AuditEntry.action == "personal_data.access")).all())
    res = client.get("/api/v1/cases/KC-2017-001", params={"reveal": "true"}, headers=bearer(tokens.kecheng))
    assert res.status_code == 404  # another district's case is "no such case": a 403 would confirm it exists
    with open_store(url)() as session:
        assert len(session.execute(select(AuditEntry.id).where(AuditEntry.action == "personal_data.access")).all()) == n


def test_report_downloads_are_audited(client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any) -> None:
    url, _ = api_env
    res = client.get("/api/v1/report", params={"year": 2018, "format": "csv"}, headers=bearer(tokens.congress))
    assert res.status_code == 200
    assert res.headers["content-disposition"] == 'attachment; filename="pilhub-report-2018.csv"'
    with open_store(url)() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "report.generate").order_by(AuditEntry.id.desc()).limit(1)
        ).scalar_one()
    assert entry.actor == "api:衢州市人大常委会"
    assert entry.detail["format"] == "csv" and entry.detail["filters"]["region_prefix"] == "3308"


@pytest.mark.parametrize("view", ["due_soon", "overdue", "escalated"])
def test_clock_list_items_carry_no_party_fields(client: Any, tokens: Any, bearer: Any, view: str) -> None:
    items = client.get(f"/api/v1/clocks/{view}", params={"as_of": "2026-11-23"}, headers=bearer(tokens.admin)).json()[
        "items"
    ]
    for item in items:
        assert not {"parties", "procurator", "name", "id_number", "phone", "address"} & set(item)
