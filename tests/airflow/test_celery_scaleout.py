"""Scale-out on an existing engine: Airflow's CeleryExecutor on PostgreSQL + Redis.

Docker cannot run here, so this runs the topology of ``deploy/docker-compose.yaml``
as processes: Airflow metadata and the hub store on the machine's PostgreSQL, Redis as
the Celery broker, an API server (execution API), a scheduler, a DAG processor and two
Celery workers. All ingestion DAGs are triggered at once over the same window; the end
state of the hub store must equal a single-process run of the same pulls, and both
workers must have executed tasks.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.orchestration.env import airflow_cli, airflow_environment
from hub.orchestration.processes import AirflowProcesses
from tests.endpoints import free_port

PG = os.environ.get("PILHUB_TEST_POSTGRES_URL")
REDIS = os.environ.get("PILHUB_TEST_REDIS_URL")
WINDOW = {"since": "2017-01-01T00:00:00+00:00", "until": "2026-11-24T00:00:00+00:00"}

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(
        not (PG and REDIS),
        reason="Celery test skipped: needs PILHUB_TEST_POSTGRES_URL and "
        "PILHUB_TEST_REDIS_URL (.ci/run sets both when the services run)",
    ),
]


def _db_url(name: str) -> str:
    return sa.engine.make_url(PG).set(database=name).render_as_string(hide_password=False)


def _api(base: str, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def _record_state(url: str) -> set[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    sa.text("SELECT agency_code, stream, source_id, version, content_hash FROM agency_records")
                ).all()
            )
    finally:
        engine.dispose()


def _load_registry(factory) -> None:
    from hub.samples import load_sample_registry

    load_sample_registry(factory, actor="test")


@pytest.fixture
def databases():
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    names = {"airflow": f"pilhub_af_{uuid.uuid4().hex[:8]}", "store": f"pilhub_st_{uuid.uuid4().hex[:8]}"}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield {k: _db_url(v) for k, v in names.items()}
    from hub.store.db import reset_caches

    reset_caches()
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_celery_cluster_matches_single_process_run(databases, tmp_path: Path) -> None:
    from connectors.registry import CONNECTORS
    from connectors.sandbox import start_sandbox
    from hub.ingest.pull import pull
    from hub.store import open_store

    broker_db = 11
    port = free_port()
    with start_sandbox() as sandbox:
        # Reference: the same pulls in one process, into a SQLite store.
        ref_url = f"sqlite:///{tmp_path / 'reference.db'}"
        ref = open_store(ref_url)
        _load_registry(ref)
        with ref() as s, s.begin():
            sandbox.register_keys(s)
        os.environ.update(sandbox.env())
        for name in CONNECTORS:
            pull(name, since=WINDOW["since"], until=WINDOW["until"], factory=ref, raise_on_error=False)
        reference = _record_state(ref_url)
        assert len(reference) > 100

        store = open_store(databases["store"])
        _load_registry(store)
        with store() as s, s.begin():
            sandbox.register_keys(s)

        env = airflow_environment({**os.environ, **sandbox.env()})
        env.update(
            {
                "AIRFLOW_HOME": str(tmp_path / "airflow"),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": databases["airflow"],
                "AIRFLOW__CELERY__BROKER_URL": REDIS.rsplit("/", 1)[0] + f"/{broker_db}",
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + databases["airflow"],
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "PILHUB_DATABASE_URL": databases["store"],
            }
        )
        import redis

        redis.Redis.from_url(env["AIRFLOW__CELERY__BROKER_URL"]).flushdb()
        airflow_cli("db", "migrate", env=env, log=tmp_path / "logs" / "migrate.log")
        base = f"http://127.0.0.1:{port}"
        with AirflowProcesses(env, tmp_path / "logs") as cluster:
            cluster.start("api-server", "api-server", "--port", str(port))
            cluster.start("scheduler", "scheduler")
            cluster.start("dag-processor", "dag-processor")
            cluster.start("worker1", "celery", "worker", "--celery-hostname", "w1@%h")
            cluster.start("worker2", "celery", "worker", "--celery-hostname", "w2@%h")
            cluster.wait_healthy(base, timeout=180, need=("scheduler", "dag_processor"))
            dag_ids = [f"pilhub_ingest_{name}" for name in CONNECTORS]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                known = {d["dag_id"] for d in _api(base, "GET", "/api/v2/dags?limit=100")["dags"]}
                if set(dag_ids) <= known:
                    break
                time.sleep(2)
            runs = {}
            for dag_id in dag_ids:
                _api(base, "PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                run = _api(base, "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": WINDOW})
                runs[dag_id] = run["dag_run_id"]
            states: dict[str, str] = {}
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                states = {d: _api(base, "GET", f"/api/v2/dags/{d}/dagRuns/{r}")["state"] for d, r in runs.items()}
                if all(s in ("success", "failed") for s in states.values()):
                    break
                time.sleep(3)
            assert states and all(s == "success" for s in states.values()), (states, str(tmp_path / "logs"))
        worker_tasks = {
            w: (tmp_path / "logs" / f"{w}.log").read_text(errors="replace").count("Executing workload in Celery")
            for w in ("worker1", "worker2")
        }
        distributed = _record_state(databases["store"])
    print(f"\nCelery: {len(distributed)} record versions, tasks per worker {worker_tasks}")
    assert all(n > 0 for n in worker_tasks.values()), worker_tasks
    assert distributed == reference
