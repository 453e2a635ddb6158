"""CLI tables as people read them in a 100-column terminal: identifiers whole, limits said, newest first, Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hub.cli.main import app

AS_OF = "2026-11-23"
WIDTH = {"COLUMNS": "100", "LINES": "60"}


@pytest.fixture
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from hub.store.db import reset_caches
    from tests.reports.conftest import load_sample

    url = f"sqlite:///{tmp_path / 'store.db'}"
    load_sample(url)
    monkeypatch.setenv("PILHUB_DATABASE_URL", url)
    yield url
    reset_caches()


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=WIDTH)
    return result


def _sample_ids() -> list[dict[str, Any]]:
    from hub.samples import SAMPLE_CASES

    return [json.loads(x) for x in Path(SAMPLE_CASES).read_text(encoding="utf-8").splitlines() if x.strip()]


def test_sla_status_never_cuts_a_case_or_recommendation_number(sample_store: str) -> None:
    assert _run("sla", "sweep", "--as-of", AS_OF).exit_code == 0
    result = _run("sla", "status", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) <= 100 * 2  # CJK cells are double width; nothing longer than the terminal
    shown = set(re.findall(r"KC-\d{4}-\d{3}", result.output))
    assert len(shown) >= 10
    assert "…" not in result.output  # nothing ellipsised
    recs = {r["rec_id"] for c in _sample_ids() for r in c.get("recommendations", [])}
    cells = {cell.strip() for line in lines for cell in line.split("│")}
    assert len(cells & recs) >= 10  # recommendation numbers whole, in their own cell line


def test_cases_list_says_how_many_it_shows_newest_first_in_chinese(sample_store: str) -> None:
    cases = _sample_ids()
    result = _run("cases", "list")
    assert result.exit_code == 0, result.output
    assert f"显示 50 条，共 {len(cases)} 条" in result.output and f"showing 50 of {len(cases)}" in result.output
    ids = re.findall(r"KC-\d{4}-\d{3}", result.output)
    newest = sorted(cases, key=lambda c: (c["opened_on"], c["case_id"]), reverse=True)
    assert ids[:5] == [c["case_id"] for c in newest[:5]]
    assert "ecology" not in result.output and "admin_pre_litigation" not in result.output
    assert "生态环境和" in result.output  # the label, folded in its column
    every = _run("cases", "list", "--limit", "100")
    assert "显示" not in every.output and len(set(re.findall(r"KC-\d{4}-\d{3}", every.output))) == len(cases)
