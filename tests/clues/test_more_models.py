"""rebound, judgment-unexecuted and food-licence-lapsed on hand-written records (``more/``), as-of 2026-11-30;
a rebound reopens the recommendation's follow-up with its evidence (a dated ``rebound`` event on the case)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli.main import app
from tests.clues.conftest import import_agencies, load_file

MORE = Path(__file__).with_name("more")
AS_OF = "2026-11-30"


@pytest.fixture
def more(use_store: str) -> None:
    import_agencies()
    result = CliRunner().invoke(app, ["cases", "import", str(MORE / "cases.jsonl")])
    assert result.exit_code == 0, result.output
    for kind, name, agency in (
        ("env.penalty", "env_penalty.jsonl", "330800-sthj"),
        ("env.exceedance", "env_exceedance.jsonl", "330800-sthj"),
        ("court.judgment", "court_judgment.jsonl", "330800-fy"),
        ("court.execution", "court_execution.jsonl", "330800-fy"),
        ("market.licence", "market_licence.jsonl", "330800-scjg"),
        ("market.sampling_failure", "market_sampling_failure.jsonl", "330800-scjg"),
    ):
        load_file(kind, MORE / name, agency)


def _run(*args: str) -> dict[str, dict[str, Any]]:
    result = CliRunner().invoke(app, ["clues", "run", "--as-of", AS_OF, *args, "--json"])
    assert result.exit_code == 0, result.output
    return {c["key"]: c for c in json.loads(result.stdout)}


def _sources(clue: dict[str, Any], role: str | None = None) -> list[str]:
    return sorted(
        e["source_record_id"] for e in clue["evidence"] if "source_record_id" in e and role in (None, e["role"])
    )


def test_rebound_judgment_and_licence_models(more: None) -> None:
    clues = _run()
    rebound = {k: v for k, v in clues.items() if v["model"] == "rebound"}
    assert sorted(rebound) == [
        "rebound:柯检行公建〔2025〕1号 / 91330802MA2ABC1091",
        "rebound:柯检行公建〔2025〕2号 / 91330802MA2DEF202M",
    ]
    assert _sources(rebound["rebound:柯检行公建〔2025〕1号 / 91330802MA2ABC1091"]) == ["RB-1"]
    # 365 days after the rectification date counts, 366 does not
    assert _sources(rebound["rebound:柯检行公建〔2025〕2号 / 91330802MA2DEF202M"]) == ["EX-1"]
    anchor = rebound["rebound:柯检行公建〔2025〕1号 / 91330802MA2ABC1091"]["evidence"][0]
    assert (anchor["registry"], anchor["case_id"], anchor["rectified_on"]) == (
        "rectified_parties",
        "HK-2025-001",
        "2025-06-20",
    )

    judgments = sorted(v["subject"] for v in clues.values() if v["model"] == "judgment-unexecuted")
    assert judgments == ["（2025）浙0825民初101号", "（2025）浙0825民初105号"]

    licences = {v["subject"]: v for v in clues.values() if v["model"] == "food-licence-lapsed"}
    assert sorted(licences) == ["91330802MA2WXY707Q"]
    assert _sources(licences["91330802MA2WXY707Q"]) == ["L-1", "SF-1"]


def test_rebound_reopens_the_follow_up_with_its_evidence_once(more: None) -> None:
    from hub.store import session_scope
    from hub.store.models import Recommendation, SlaEvent

    _run("--model", "rebound")
    _run("--model", "rebound")
    with session_scope() as session:
        events = session.execute(
            select(Recommendation.rec_number, SlaEvent.kind, SlaEvent.occurred_on, SlaEvent.note)
            .join(Recommendation, Recommendation.id == SlaEvent.recommendation_pk)
            .order_by(Recommendation.rec_number)
        ).all()
    assert [(rec, kind, on.isoformat()) for rec, kind, on, _ in events] == [
        ("柯检行公建〔2025〕1号", "rebound", AS_OF),
        ("柯检行公建〔2025〕2号", "rebound", AS_OF),
    ]
    assert "rebound:柯检行公建〔2025〕1号 / 91330802MA2ABC1091" in events[0].note
    assert "env.penalty 330800-sthj/RB-1 v1" in events[0].note


def test_rebound_reopens_the_follow_up_clock(more: None) -> None:
    """The deadline sweep reads the rebound event: a follow-up round runs again from the day it was found."""
    from hub.store import session_scope
    from hub.store.models import Clock, Recommendation

    def sweep() -> None:
        result = CliRunner().invoke(app, ["sla", "sweep", "--as-of", AS_OF])
        assert result.exit_code in (0, 3), result.output  # 3: some deadline falls in a year without its calendar

    sweep()  # the clocks as derived before the model ran: the next sweep must see the new event
    _run("--model", "rebound")
    sweep()
    with session_scope() as session:
        rounds = session.execute(
            select(Clock.start_on, Clock.outcome, Clock.explanation)
            .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
            .where(Clock.kind == "follow_up", Recommendation.rec_number == "柯检行公建〔2025〕1号")
            .order_by(Clock.start_on)
        ).all()
    assert rounds, "no follow-up clock"
    start_on, outcome, explanation = rounds[-1]
    assert start_on.isoformat() == AS_OF and outcome is None
    text = json.dumps(explanation, ensure_ascii=False)
    assert "rebound" in text
    # the evidence travels with the reopened round: the clue and the agency record that made it true
    assert "rebound:柯检行公建〔2025〕1号 / 91330802MA2ABC1091" in text and "330800-sthj/RB-1 v1" in text
