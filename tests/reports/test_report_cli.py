"""``pilhub report``: formats, filters, exit codes, and the audit entry of each generated report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli.report_cmd import register
from hub.store.db import open_store
from hub.store.models import AuditEntry


@pytest.fixture
def cli(sample_url: str, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("PILHUB_DATABASE_URL", sample_url)
    root = typer.Typer()

    @root.callback()
    def _root() -> None:  # keeps ``report`` a sub-command, as under ``pilhub``
        pass

    register(root)
    return root


def run(app: typer.Typer, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["report", *args])


def test_json_to_stdout_with_filters(cli: typer.Typer) -> None:
    res = run(cli, "--year", "2018", "--district", "柯城区", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["filters"]["district"] == "柯城区"
    assert set(data["by_district"]) == {"柯城区"} and data["cases_total"] == 5


def test_xlsx_file_and_audit_entry(cli: typer.Typer, tmp_path: Path, sample_url: str) -> None:
    out = tmp_path / "r" / "2018.xlsx"
    res = run(cli, "--year", "2018", "--format", "xlsx", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "概况" in load_workbook(out).sheetnames
    with open_store(sample_url)() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "report.generate").order_by(AuditEntry.id.desc()).limit(1)
        ).scalar_one()
    assert entry.actor == "cli" and entry.detail["format"] == "xlsx" and entry.detail["year"] == 2018


def test_date_range_and_as_of(cli: typer.Typer) -> None:
    res = run(cli, "--from", "2018-01-01", "--to", "2018-06-30", "--as-of", "2019-01-31", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["period"] == {
        "year": None,
        "from": "2018-01-01",
        "to": "2018-06-30",
        "as_of": "2019-01-31",
        "policy": "official",
    }
    assert len(data["months"]) == 6


@pytest.mark.parametrize(
    "args",
    [
        ["--year", "2018", "--domain", "fishing"],
        ["--year", "2018", "--from", "2018-01-01", "--to", "2018-02-01"],
        ["--from", "2018-13-01", "--to", "2018-12-31"],
        ["--year", "2018", "--as-of", "2017-01-01"],
        ["--year", "2018", "--format", "pdf"],  # binary formats need --out
        ["--year", "2018", "--district", "柯城\x00区"],
    ],
)
def test_bad_input_exits_2(cli: typer.Typer, args: list[str]) -> None:
    res = run(cli, *args)
    assert res.exit_code == 2, res.output


def test_csv_to_stdout(cli: typer.Typer) -> None:
    res = run(cli, "--year", "2018", "--format", "csv")
    assert res.exit_code == 0
    assert res.stdout.lstrip("\ufeff").startswith("表 table")
