"""``pilhub airflow …``: Airflow on the embedded default (metadata DB, standalone, DAG runs)."""

from __future__ import annotations

import json
import os
import signal
import time

import typer

from hub.cli.output import console, err_console

airflow_app = typer.Typer(help="Airflow（嵌入式默认配置）/ Airflow on the embedded default", no_args_is_help=True)


@airflow_app.command("init")
def init_cmd() -> None:
    """初始化 Airflow 元数据库 / create or migrate Airflow's metadata database (var/airflow)."""
    from hub.orchestration.env import airflow_home, ensure_metadata_db

    ensure_metadata_db()
    console.print(f"Airflow 元数据库就绪 / metadata database ready: {airflow_home()}")


@airflow_app.command("up")
def up_cmd(
    port: int = typer.Option(8080, help="界面与接口端口 / UI and API port"),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Airflow 界面与接口监听地址（默认仅本机）/ address the Airflow UI and API listen on (default: this host only)",
    ),
    sandbox: bool = typer.Option(True, help="同时启动模拟单位系统 / also start the agency sandbox"),
) -> None:
    """启动 Airflow（界面、调度器、DAG 处理器、触发器）与模拟单位系统，Ctrl-C 停止 / run Airflow with the DAGs.

    Only the API server listens (on --host, 127.0.0.1 by default); the log servers of 8793/8794 are not
    started — with the LocalExecutor the UI reads task logs from local files.
    """
    from contextlib import ExitStack

    from hub.orchestration.env import airflow_environment, airflow_home, ensure_metadata_db
    from hub.orchestration.processes import AirflowProcesses, local_components, local_environment

    ensure_metadata_db()
    with ExitStack() as stack:
        extra: dict[str, str] = {}
        if sandbox:
            from connectors.sandbox import start_sandbox
            from hub.store import open_store

            box = stack.enter_context(start_sandbox())
            with open_store()() as session, session.begin():
                box.register_keys(session)
            extra = box.env()
            console.print("模拟单位系统 / sandbox: " + ", ".join(f"{k} {v}" for k, v in box.urls.items()))
        env = local_environment(airflow_environment({**os.environ, **extra}), host)
        env["AIRFLOW__API__PORT"] = str(port)
        procs = stack.enter_context(AirflowProcesses(env, airflow_home() / "standalone-logs"))
        for name, args in local_components(port, host):
            procs.start(name, *args)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        procs.wait_healthy(f"http://{shown}:{port}", timeout=180, need=("scheduler", "dag_processor", "triggerer"))
        password_file = airflow_home() / "simple_auth_manager_passwords.json.generated"
        console.print(f"Airflow UI: http://{shown}:{port}  用户 user: admin  密码文件 password: {password_file}")
        console.print("按 Ctrl-C 停止 / press Ctrl-C to stop")
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        try:
            while not stop["now"] and all(procs.alive().values()):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    console.print("已停止 / stopped")


@airflow_app.command("run")
def run_cmd(
    dag_id: str = typer.Argument(..., help="DAG 编号，如 pilhub_sla_sweep / the DAG id, e.g. pilhub_sla_sweep"),
    logical_date: str | None = typer.Argument(None, help="逻辑日期 / logical date (ISO)"),
    conf: str | None = typer.Option(
        None, "--conf", help='运行参数（JSON）/ run conf as JSON, e.g. {"since": "2018-01-01"}'
    ),
) -> None:
    """通过 Airflow 运行一次 DAG（airflow dags test）/ run one DAG once through Airflow."""
    from hub.orchestration.env import airflow_cli

    args = ["dags", "test", dag_id] + ([logical_date] if logical_date else [])
    if conf:
        try:
            json.loads(conf)
        except json.JSONDecodeError as exc:
            err_console.print(f"[red]--conf 不是合法 JSON / --conf is not valid JSON: {exc.msg}[/red]")
            raise typer.Exit(2) from None
        args += ["-c", conf]
    result = airflow_cli(*args, check=False)
    print(result.stdout[-4000:])
    if result.returncode:
        err_console.print(result.stderr[-4000:])
    raise typer.Exit(result.returncode)


def register(app: typer.Typer) -> None:
    app.add_typer(airflow_app, name="airflow")
