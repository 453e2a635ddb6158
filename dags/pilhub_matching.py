"""Matching: link newly loaded agency records to open cases, whenever any ingestion DAG
published records (scheduled on the record-kind Assets)."""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from connectors.registry import CONNECTORS
from hub.orchestration.dag_docs import MATCHING
from hub.orchestration.defaults import START, default_args, record_asset_uri

# Every kind some registered connector publishes (the ingestion DAGs' outlets).
_kinds = sorted({s.kind for c in CONNECTORS.values() for s in c.streams})
_assets = [Asset(record_asset_uri(kind), group="pilhub-records") for kind in _kinds]
_schedule = _assets[0]
for _asset in _assets[1:]:
    _schedule = _schedule | _asset


@dag(
    dag_id="pilhub_matching",
    description="记录与案件关联 / link agency records to open cases",
    schedule=_schedule,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["pilhub", "matching"],
    default_args=default_args(timeout_minutes=60),
    doc_md=MATCHING,
)
def pilhub_matching() -> None:
    @task
    def match(**context) -> dict:  # type: ignore[no-untyped-def]
        from hub.orchestration.tasks import match_pending

        return match_pending(run_id=context["run_id"])

    match()


pilhub_matching()
