"""Supervision models: register agencies' clue transfers, check the clue clocks, run every model and store
its hits as clues — whenever records of a kind some model reads were published (the record-kind Assets)."""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from hub.clues.spec import kinds_read
from hub.orchestration.dag_docs import CLUE_MODELS
from hub.orchestration.defaults import START, default_args, record_asset_uri
from schemas.kinds_declared import declared_kinds

# the kinds the models read, and agencies' clue transfers (registered by the same run)
_kinds = sorted({*kinds_read(declared_kinds()), "agency.clue_transfer"})
_assets = [Asset(record_asset_uri(kind), group="pilhub-records") for kind in _kinds]
_schedule = _assets[0]
for _asset in _assets[1:]:
    _schedule = _schedule | _asset


@dag(
    dag_id="pilhub_clue_models",
    description="监督模型线索发现 / supervision models: find clues",
    schedule=_schedule,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["pilhub", "clues"],
    default_args=default_args(timeout_minutes=60),
    params={"as_of": Param(None, type=["null", "string"], description="基准日 / as-of date, YYYY-MM-DD")},
    doc_md=CLUE_MODELS,
)
def pilhub_clue_models() -> None:
    @task
    def run_models(**context) -> dict:  # type: ignore[no-untyped-def]
        from hub.orchestration.tasks import as_of_date, clue_models

        return clue_models(as_of_date(context), run_id=context["run_id"])

    run_models()


pilhub_clue_models()
