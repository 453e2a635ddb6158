"""``make demo``: the whole pipeline once, through Airflow, on the embedded default.

1. imports the sample agency and case registries into the hub store (SQLite in ``var/``);
2. initialises Airflow's SQLite metadata database in ``var/airflow``;
3. starts the agency sandbox (simulated agency systems on loopback) and an SMTP catcher;
4. runs every DAG once with ``airflow dags test``, in order: ingestion for each agency →
   matching → deadline sweep → outbox delivery and the daily digest → the annual summary;
5. prints a short Chinese/English summary from the store.

The demo evaluates deadlines as of the sample's snapshot date (2026-11-23, override with
``PILHUB_DEMO_AS_OF``) so its figures are reproducible; Airflow's own log goes to
``var/logs/demo-airflow.log``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from hub.cli.output import console, err_console

SNAPSHOT = dt.date(2026, 11, 23)
WINDOW = {"since": "2017-01-01T00:00:00+00:00", "until": "2026-11-24T00:00:00+00:00"}
REPORT_YEAR = 2018


def _as_of() -> dt.date:
    return dt.date.fromisoformat(os.environ.get("PILHUB_DEMO_AS_OF", SNAPSHOT.isoformat()))


def load_registries() -> dict[str, Any]:
    from hub.samples import load_sample_registry
    from hub.store import open_store

    return load_sample_registry(open_store(), actor="demo")


def dag_plan(as_of: dt.date) -> list[dict[str, Any]]:
    """The DAG runs of the demo, in pipeline order: ``{"title", "dag_id", "conf"}``."""
    from connectors.registry import CONNECTORS

    plan = [
        {"title": f"拉取 ingest {c.title}", "dag_id": f"pilhub_ingest_{name}", "conf": WINDOW}
        for name, c in CONNECTORS.items()
    ]
    plan += [
        {"title": "关联 matching", "dag_id": "pilhub_matching", "conf": {}},
        {"title": "期限巡检 deadline sweep", "dag_id": "pilhub_sla_sweep", "conf": {"as_of": as_of.isoformat()}},
        {"title": "每日提醒 daily digest", "dag_id": "pilhub_daily_digest", "conf": {"as_of": as_of.isoformat()}},
        {
            "title": f"年度报告 annual summary {REPORT_YEAR}",
            "dag_id": "pilhub_report_annual",
            "conf": {"year": REPORT_YEAR},
        },
        {"title": "通知发送 outbox delivery", "dag_id": "pilhub_outbox", "conf": {}},
    ]
    return plan


def run_dags(plan: list[dict[str, Any]], env: dict[str, str], log: Path) -> list[tuple[str, float]]:
    """Run the plan with ``hub.orchestration.run_dags`` in one child process, showing progress."""
    import subprocess

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    plan_file, status_file = log.with_suffix(".plan.json"), log.with_suffix(".status.jsonl")
    plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    status_file.write_text("", encoding="utf-8")
    done: list[dict[str, Any]] = []
    with (
        log.open("a", encoding="utf-8") as out,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
        ) as progress,
    ):
        task = progress.add_task(f"Airflow: {plan[0]['title']}", total=len(plan))
        child = subprocess.Popen(
            [sys.executable, "-m", "hub.orchestration.run_dags", str(plan_file), "--status", str(status_file)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        while True:
            finished = child.poll() is not None
            lines = [json.loads(x) for x in status_file.read_text(encoding="utf-8").splitlines() if x.strip()]
            if len(lines) > len(done):
                done = lines
                progress.update(
                    task, completed=len(done), description=f"Airflow: {plan[min(len(done), len(plan) - 1)]['title']}"
                )
            if finished:
                break
            time.sleep(0.5)
    failed = [d for d in done if str(d.get("state", "")).rsplit(".", 1)[-1] != "success"]
    if child.returncode != 0 or failed or len(done) < len(plan):
        what = failed[0].get("dag_id") if failed else (plan[len(done)]["dag_id"] if len(done) < len(plan) else "?")
        raise RuntimeError(f"DAG {what} 运行失败 / failed (exit {child.returncode}); 日志 see {log}")
    return [(d["dag_id"], float(d["seconds"])) for d in done]


def main() -> int:
    from connectors.sandbox import start_sandbox
    from hub.config import database_url, var_dir
    from hub.demo_summary import print_summary, summarise
    from hub.notify.catcher import SmtpCatcher
    from hub.orchestration.env import airflow_environment, ensure_metadata_db
    from hub.store import open_store
    from hub.trust.log_redaction import install_redaction

    install_redaction()  # nothing personal or secret reaches this process's logs
    started = time.monotonic()
    as_of = _as_of()
    logs = var_dir() / "logs"
    airflow_log = logs / "demo-airflow.log"
    logs.mkdir(parents=True, exist_ok=True)
    airflow_log.write_text("", encoding="utf-8")
    console.rule("pilhub 演示 / demo")
    console.print(f"存储 store: {database_url()}  评估日 as of: {as_of}  Airflow 日志 log: {airflow_log}")

    loaded = load_registries()
    cases = loaded["cases"]
    agencies = loaded["agencies"]
    agency_text = (
        "，".join(
            f"{zh} {en} {agencies.get(en, 0)}"
            for zh, en in (("新增", "inserted"), ("更新", "updated"), ("未变", "unchanged"))
        )
        if isinstance(agencies, dict)
        else str(agencies)
    )
    console.print(
        f"① 名录 registries: 机关 agencies {agency_text}；案件 cases 收到 received {cases.received}，"
        f"新增 inserted {cases.inserted}，未变 unchanged {cases.unchanged}，拒收 rejected {cases.rejected}"
    )
    ensure_metadata_db(log=airflow_log)
    console.print("② Airflow 元数据库就绪 / metadata database ready (SQLite, var/airflow)")

    mailbox = var_dir() / "demo" / "mailbox"
    with start_sandbox() as sandbox, SmtpCatcher(mailbox) as smtp:
        with open_store()() as session, session.begin():
            sandbox.register_keys(session)
        env = airflow_environment({**os.environ, **sandbox.env()})
        env.update(
            {
                "PILHUB_SMTP_HOST": "127.0.0.1",
                "PILHUB_SMTP_PORT": str(smtp.port),
                "PILHUB_SMTP_FROM": "pilhub@demo.invalid",
            }
        )
        console.print(
            f"③ 模拟单位系统 sandbox: {', '.join(f'{k} {v}' for k, v in sandbox.urls.items())}；"
            f"SMTP 收件器 catcher 127.0.0.1:{smtp.port} → {mailbox}"
        )
        timings = run_dags(dag_plan(as_of), env, airflow_log)
        mails = smtp.count
    console.print("④ DAG 运行 runs: " + ", ".join(f"{d} {s:.0f}s" for d, s in timings))
    with open_store()() as session:
        summary = summarise(session, mails=mails, report_dir=var_dir() / "reports", as_of=as_of)
    print_summary(summary)
    console.print(f"用时 / total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as exc:
        err_console.print(f"[red]{exc}[/red]")
        sys.exit(1)
