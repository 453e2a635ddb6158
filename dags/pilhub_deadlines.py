"""Statutory deadlines: the hourly sweep, outbox delivery every five minutes, and the daily
digest to each procurator. Deadlines live in the hub's own store and clocks (derived from
recorded events under the law's counting rules), not in Airflow's deadline feature."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, task

from hub.orchestration.dag_docs import DAILY_DIGEST, OUTBOX, SLA_SWEEP
from hub.orchestration.defaults import START, default_args

_as_of = {"as_of": Param(None, type=["null", "string"], description="评估日期 / evaluate as of (YYYY-MM-DD)")}


@dag(
    dag_id="pilhub_sla_sweep",
    description="期限巡检与逐级督促 / deadline sweep and escalation",
    schedule="@hourly",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["pilhub", "deadlines"],
    default_args=default_args(timeout_minutes=20),
    params=_as_of,
    doc_md=SLA_SWEEP,
)
def pilhub_sla_sweep() -> None:
    @task
    def sweep(**context) -> dict:  # type: ignore[no-untyped-def]
        from hub.orchestration.tasks import as_of_date
        from hub.orchestration.tasks import sweep as run

        return run(as_of_date(context), run_id=context["run_id"])

    sweep()


@dag(
    dag_id="pilhub_outbox",
    description="通知发送 / deliver pending notifications",
    schedule=timedelta(minutes=5),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["pilhub", "deadlines", "notifications"],
    default_args=default_args(timeout_minutes=10),
    doc_md=OUTBOX,
)
def pilhub_outbox() -> None:
    @task
    def send() -> dict:
        from hub.orchestration.tasks import deliver_outbox

        return deliver_outbox()

    send()


@dag(
    dag_id="pilhub_daily_digest",
    description="每日到期与超期提醒 / daily digest of due and overdue replies",
    schedule="0 8 * * *",  # 08:00 Beijing time (the DAG's zone, hub.orchestration.defaults.TIMEZONE)
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["pilhub", "deadlines", "notifications"],
    default_args=default_args(timeout_minutes=20),
    params=_as_of,
    doc_md=DAILY_DIGEST,
)
def pilhub_daily_digest() -> None:
    @task
    def digest(**context) -> dict:  # type: ignore[no-untyped-def]
        from hub.orchestration.tasks import as_of_date, daily_digest

        return daily_digest(as_of_date(context), run_id=context["run_id"])

    digest()


pilhub_sla_sweep()
pilhub_outbox()
pilhub_daily_digest()
