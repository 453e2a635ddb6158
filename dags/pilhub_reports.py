"""Compliance summaries: the monthly summary and the annual report for the people's congress
(临沧市人大常委会关于加强和支持检察机关公益诉讼工作的决定 §五(一): an annual report to the congress), for the interval that just ended, delivered to the configured recipients."""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from hub.orchestration.dag_docs import report_doc
from hub.orchestration.defaults import START, default_args


def _report_dag(kind: str, schedule: str, title: str):  # type: ignore[no-untyped-def]
    key, hint = ("year", "年度 / year, e.g. 2018") if kind == "annual" else ("month", "月份 / month, YYYY-MM")
    params = {key: Param(None, type=["null", "integer" if kind == "annual" else "string"], description=hint)}

    @dag(
        dag_id=f"pilhub_report_{kind}",
        description=title,
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["pilhub", "reports"],
        default_args=default_args(timeout_minutes=30),
        params=params,
        doc_md=report_doc(kind),
    )
    def report_dag() -> None:
        @task
        def report(**context) -> dict:  # type: ignore[no-untyped-def]
            from hub.orchestration.tasks import compliance_report

            return compliance_report(kind, context)

        report()

    return report_dag()


pilhub_report_monthly = _report_dag("monthly", "@monthly", "月度履职情况汇总 / monthly compliance summary")
pilhub_report_annual = _report_dag("annual", "@yearly", "年度公益诉讼工作报告数据 / annual compliance report")
