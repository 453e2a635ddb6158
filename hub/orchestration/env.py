"""Airflow's environment for the embedded default and for the cluster.

Airflow reads its configuration from ``AIRFLOW__SECTION__KEY`` variables, and a bare
``import airflow`` creates ``~/airflow`` unless ``AIRFLOW_HOME`` is set, so every
process that touches Airflow gets its environment from :func:`airflow_environment`
before importing it. The embedded default keeps Airflow's metadata in SQLite under
``var/airflow``; the cluster sets ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` (PostgreSQL)
and ``AIRFLOW__CORE__EXECUTOR=CeleryExecutor`` itself and this module leaves them alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.config import PROJECT_ROOT, database_url, var_dir

DAGS_FOLDER = PROJECT_ROOT / "dags"


def airflow_home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME") or var_dir() / "airflow")


def airflow_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Airflow processes run with (unset keys get the embedded defaults)."""
    env = dict(os.environ if base is None else base)
    home = Path(env.get("AIRFLOW_HOME") or airflow_home())
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # 2 cores: the default parallelism (32) starts ~40 processes of ~130 MB each.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        # Users are in Beijing: naive times are Beijing time (the DAGs carry Asia/Shanghai themselves). The
        # Airflow 3 UI shows times in the browser's zone (user menu → Timezone), i.e. Beijing on users' PCs.
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        # The embedded default is the demo and single-machine profile: DAGs run as soon as they are parsed,
        # so `make airflow` shows runs without clicking 30 toggles. A cluster sets its own value (Airflow's
        # default, paused) and unpauses DAGs deliberately once its connections are configured.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # The hub's store is shared by the CLI and the DAGs.
        "PILHUB_DATABASE_URL": database_url(),
        "PILHUB_VAR_DIR": str(var_dir()),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def apply_to_this_process() -> dict[str, str]:
    """Set the Airflow environment in ``os.environ`` (call before importing airflow)."""
    env = airflow_environment()
    os.environ.update(env)
    return env


def airflow_cli(
    *args: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the ``airflow`` command of this venv (output to ``log`` when given)."""
    cmd = [str(Path(sys.executable).parent / "airflow"), *args]
    env = env or airflow_environment()
    if log is None:
        return subprocess.run(cmd, env=env, check=check, text=True, capture_output=True, timeout=timeout)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n$ airflow {' '.join(args)}\n")
        fh.flush()
        return subprocess.run(
            cmd, env=env, check=check, text=True, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
        )


def ensure_metadata_db(env: dict[str, str] | None = None, log: Path | None = None) -> None:
    """``airflow db migrate`` (idempotent; ~2 s on SQLite)."""
    airflow_cli("db", "migrate", env=env, log=log)
