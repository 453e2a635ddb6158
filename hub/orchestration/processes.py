"""Start and stop Airflow components as local processes (standalone, or a Celery cluster).

Each component runs in its own process group (``start_new_session``) and is stopped by
signalling the group: signalling only the parent orphans Airflow's scheduler children
and task supervisors. Used by ``pilhub airflow up`` and by the CeleryExecutor test,
which runs the docker-compose topology of ``deploy/`` without containers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: Where everything the hub starts listens unless told otherwise: government intranet hosts are shared, and
#: Airflow's API server and log servers would otherwise answer on every interface (0.0.0.0 / [::]).
LOCAL_HOST = "127.0.0.1"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def local_components(port: int, host: str = LOCAL_HOST) -> list[tuple[str, list[str]]]:
    """``airflow standalone``'s four components, started so that only the API server listens — on ``host``.

    ``airflow standalone`` cannot be told where to listen: its API server binds ``[api] host`` (0.0.0.0 by
    default) and its scheduler and triggerer start log servers on ports 8793/8794 bound to every interface,
    with no setting to change that (``airflow.utils.serve_logs.core`` passes ``host=""``). Started one by one,
    the API server gets ``--host`` and the scheduler and triggerer ``--skip-serve-logs``: with the
    LocalExecutor every task log is a local file the API server reads directly, so nothing needs serving.
    """
    return [
        ("api-server", ["api-server", "--host", host, "--port", str(port)]),
        ("scheduler", ["scheduler", "--skip-serve-logs"]),
        ("dag-processor", ["dag-processor"]),
        ("triggerer", ["triggerer", "--skip-serve-logs"]),
    ]


def local_environment(env: dict[str, str], host: str = LOCAL_HOST) -> dict[str, str]:
    """``env`` with what standalone would set (simple auth manager) and every listener bound to ``host``."""
    out = dict(env)
    out["AIRFLOW__API__HOST"] = host
    out["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"] = host
    out.setdefault("AIRFLOW__CORE__AUTH_MANAGER", SIMPLE_AUTH_MANAGER)
    return out


@dataclass
class AirflowProcesses:
    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        airflow = str(Path(sys.executable).parent / "airflow")
        self.procs[name] = subprocess.Popen(
            [airflow, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def wait_healthy(self, api_url: str, timeout: float = 120, need: tuple[str, ...] = ("scheduler",)) -> dict:
        """Poll ``/api/v2/monitor/health`` until the metadata DB and ``need`` components are healthy."""
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            dead = [n for n, ok in self.alive().items() if not ok]
            if dead:
                raise RuntimeError(f"Airflow 组件退出 / components exited: {dead} (logs in {self.log_dir})")
            with contextlib.suppress(OSError, ValueError):
                with urllib.request.urlopen(f"{api_url}/api/v2/monitor/health", timeout=5) as resp:
                    last = json.loads(resp.read())
                if last.get("metadatabase", {}).get("status") == "healthy" and all(
                    last.get(c, {}).get("status") == "healthy" for c in need
                ):
                    return last
            time.sleep(1)
        raise TimeoutError(f"Airflow 未就绪 / not healthy after {timeout}s: {last} (logs in {self.log_dir})")

    def stop(self, grace: float = 20) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.procs.clear()

    def __enter__(self) -> AirflowProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
