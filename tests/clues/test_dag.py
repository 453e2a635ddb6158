"""The clue-models DAG is scheduled on the record Assets the models read, and its task runs models and clocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_dag_is_scheduled_on_the_kinds_the_models_read() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS))
    assert not bag.import_errors
    dag = bag.dags["pilhub_clue_models"]
    uris = {asset.uri for asset in dag.timetable.asset_condition.objects}
    expected = {
        "env.penalty",
        "market.penalty",
        "forestry.case",
        "forestry.restoration",
        "nr.land_case",
        "nr.restoration_acceptance",
        "court.judgment",
        "court.execution",
        "agency.clue_transfer",
    }
    assert {f"pilhub://records/{kind}" for kind in expected} <= uris
    assert "pilhub://records/agency.reply" not in uris  # no model reads replies
    assert [t.task_id for t in dag.tasks] == ["run_models"]


def test_task_runs_the_models_and_the_clocks(heldout_fast: dict[str, Any]) -> None:
    import datetime as dt

    from hub.orchestration.tasks import clue_models

    first = clue_models(dt.date.fromisoformat(heldout_fast["as_of"]), run_id="manual__test")
    again = clue_models(dt.date.fromisoformat(heldout_fast["as_of"]), run_id="manual__test2")
    expected = sum(len(v) for v in heldout_fast["expected"].values())
    assert first["new"] >= expected and again["new"] == 0 and again["clues"] == first["clues"]
    assert first["models"]["repeat-offender"]["hits"] == len(heldout_fast["expected"]["repeat-offender"])
