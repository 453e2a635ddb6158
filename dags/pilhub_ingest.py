"""Ingestion: one DAG per registered connector, generated from ``connectors.registry``.

A new connector needs no new DAG file. Each run pulls every stream of its agency over
the run's data interval (dynamic task mapping over streams), each stream landing,
validating (pydantic per record, the GX suite per batch) and loading in one idempotent
task, then publishes one Asset per record kind, on which the matching DAG is scheduled.
Back-fills (``airflow dags backfill``) re-pull a past interval; re-delivered records count
as duplicates, so nothing doubles.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from connectors.registry import CONNECTORS
from hub.orchestration.dag_docs import ingest_doc
from hub.orchestration.defaults import START, default_args, record_asset_uri


def build(connector):  # type: ignore[no-untyped-def]
    kinds = sorted({s.kind for s in connector.streams})
    assets = [Asset(record_asset_uri(kind), group="pilhub-records") for kind in kinds]

    @dag(
        dag_id=f"pilhub_ingest_{connector.name}",
        description=f"{connector.title}：拉取、落地、校验、入库 / pull, land, validate, load",
        schedule="@daily",
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["pilhub", "ingest", connector.name],
        default_args=default_args(timeout_minutes=60),
        params={
            "since": Param(None, type=["null", "string"], description="覆盖窗口起点 / override window start (ISO)"),
            "until": Param(None, type=["null", "string"], description="覆盖窗口终点 / override window end (ISO)"),
        },
        doc_md=ingest_doc(connector.title, connector.name, kinds),
    )
    def ingest() -> None:
        @task
        def plan(**context) -> list[dict]:  # type: ignore[no-untyped-def]
            from hub.orchestration.tasks import plan_streams

            return plan_streams(connector.name, context)

        @task(max_active_tis_per_dagrun=2)
        def pull(item: dict, **context) -> dict:  # type: ignore[no-untyped-def]
            from hub.orchestration.tasks import pull_stream

            return pull_stream(item, run_id=context["run_id"])

        @task(outlets=assets)
        def publish(results, **context) -> dict:  # type: ignore[no-untyped-def]
            from hub.orchestration.tasks import asset_extras

            extras = asset_extras(list(results))
            for asset in assets:
                context["outlet_events"][asset].extra = extras.get(asset.uri.rsplit("/", 1)[-1], {})
            return extras

        publish(pull.expand(item=plan()))

    return ingest()


for _connector in CONNECTORS.values():
    globals()[f"pilhub_ingest_{_connector.name}"] = build(_connector)
