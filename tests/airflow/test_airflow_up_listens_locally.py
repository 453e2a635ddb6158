"""``pilhub airflow up`` listens on 127.0.0.1 only: the API server, and no log server on 8793/8794.

Started for real (no sandbox), waited on until Airflow reports every component healthy, then every listening
TCP socket of every process it started is read from the kernel (psutil) — not from the configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from hub.orchestration.processes import local_components, local_environment
from tests.endpoints import free_port


def test_components_are_started_bound_to_the_host_and_without_log_servers() -> None:
    plan = dict(local_components(8080))
    assert plan["api-server"][plan["api-server"].index("--host") + 1] == "127.0.0.1"
    assert "--skip-serve-logs" in plan["scheduler"] and "--skip-serve-logs" in plan["triggerer"]
    env = local_environment({"AIRFLOW__API__HOST": "0.0.0.0"})
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"] == "127.0.0.1"


def _listening(root: psutil.Process) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    for proc in [root, *root.children(recursive=True)]:
        try:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    found.add((conn.laddr.ip, conn.laddr.port, proc.name()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_airflow_up_listens_only_on_localhost(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}",
        "PILHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "AIRFLOW__API__HOST": "0.0.0.0",  # what a copied airflow.cfg might say: the hub must still bind locally
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "hub.cli.main", "airflow", "up", "--no-sandbox", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        health: dict = {}
        while time.monotonic() < deadline and up.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as resp:
                    health = json.loads(resp.read())
                if all(
                    health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor")
                ):
                    break
            except OSError:
                pass
            time.sleep(2)
        assert up.poll() is None, up.stdout.read().decode(errors="replace")[-3000:] if up.stdout else ""
        assert health.get("scheduler", {}).get("status") == "healthy", health
        time.sleep(3)  # let the scheduler and triggerer finish starting whatever they start
        sockets = _listening(psutil.Process(up.pid))
        assert any(port == p for _, p, _ in sockets), sockets
        exposed = {s for s in sockets if s[0] not in ("127.0.0.1", "::1")}
        assert not exposed, f"listening beyond this host: {sorted(exposed)}"
        assert not {p for _, p, _ in sockets} & {8793, 8794}, sockets
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait(timeout=10)


def test_compose_publishes_ports_on_loopback_only() -> None:
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "deploy" / "docker-compose.yaml").read_text())
    published = [(name, p) for name, svc in compose["services"].items() for p in (svc or {}).get("ports", [])]
    assert published, "the compose file publishes the Airflow UI"
    assert all(str(p).startswith("127.0.0.1:") for _, p in published), published
