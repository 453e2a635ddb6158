"""Decisions on clues (accept → a case-registry draft the case system can import; reject keeps the reason), the
figures per model (hits, decisions, cases opened: 成案率), the dashboard endpoint and the annual report block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli.main import app


def _cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_accept_reject_and_figures(heldout_fast: dict[str, Any], tmp_path: Path, use_store: str) -> None:
    from hub.store import session_scope
    from hub.store.models import AuditEntry, Clue

    clues = json.loads(_cli("clues", "run", "--as-of", heldout_fast["as_of"], "--json"))
    hits = {m: sum(c["model"] == m for c in clues) for m in ("restoration-missing", "repeat-offender")}
    draft = tmp_path / "drafts.jsonl"
    key = "restoration-missing:龙林罚决字〔2024〕第12号"
    _cli("clues", "review", key)
    _cli("clues", "accept", key, "--out", str(draft), "--on", "2026-12-01")
    _cli("clues", "accept", key, code=2)  # already accepted
    line = json.loads(draft.read_text(encoding="utf-8"))
    assert line["case_id"].startswith("XS-2026-") and line["domain"] == "ecology"
    assert (line["region_code"], line["district"]) == ("330825", "龙游县")
    assert line["source"]["clue"] == key and line["source"]["evidence"][0]["source_record_id"] == "LY-C-012"
    assert "张" not in json.dumps(line, ensure_ascii=False)

    _cli("clues", "reject", "repeat-offender:91330803MA2RTU603G", code=2)  # a reason is required
    _cli("clues", "reject", "repeat-offender:91330803MA2RTU603G", "--reason", "已由环保部门立案查处，移送公安")

    before = {r["model"]: r for r in json.loads(_cli("clues", "figures", "--json"))}
    assert before["restoration-missing"]["hits"] == hits["restoration-missing"]
    assert before["restoration-missing"]["accepted"] == 1 and before["restoration-missing"]["cases_opened"] == 0
    assert before["repeat-offender"]["rejected"] == 1

    # the case system opens the case from the draft; its export comes back through the registry import
    _cli("cases", "import", str(draft))
    after = {r["model"]: r for r in json.loads(_cli("clues", "figures", "--json"))}
    assert after["restoration-missing"]["cases_opened"] == 1
    assert after["restoration-missing"]["rate"] == round(1 / hits["restoration-missing"], 4)

    with session_scope() as session:
        rejected = session.execute(select(Clue).where(Clue.key == "repeat-offender:91330803MA2RTU603G")).scalar_one()
        assert rejected.status == "rejected" and rejected.reason == "已由环保部门立案查处，移送公安"
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.object_type == "clue")).scalars().all()
        assert {"clue.under_review", "clue.accepted", "clue.rejected"} <= set(actions)

    # the dashboard endpoint: per model and per district, within the caller's jurisdiction
    from tests.api.conftest import build_client, make_tokens

    tokens = make_tokens(tmp_path)
    with build_client(use_store, tokens) as client:
        every = client.get("/api/v1/clues/figures", headers={"Authorization": f"Bearer {tokens.admin}"}).json()
        kecheng = client.get("/api/v1/clues/figures", headers={"Authorization": f"Bearer {tokens.kecheng}"}).json()
        assert client.get("/api/v1/clues/figures").status_code == 401
    models = {r["model"]: r for r in every["models"]}
    assert models["repeat-offender"]["hits"] == hits["repeat-offender"]
    new_by_district = {(r["model"], r["district"]): r["new"] for r in every["new_by_district"]}
    assert new_by_district[("restoration-missing", "龙游县")] == 4  # five from 龙游县, one of them accepted
    assert {r["region_code"] for r in kecheng["new_by_district"]} == {"330802"}

    # the annual report carries the clue block
    import datetime as dt

    from hub.reports.figures import ReportQuery, compute_figures

    with session_scope() as session:
        figures = compute_figures(session, ReportQuery.build(year=2026, today=dt.date(2026, 12, 31)))
    assert figures["clues"]["received"] == len(clues)
    assert figures["clues"]["cases_opened"] == 1
