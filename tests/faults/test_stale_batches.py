"""Batches left ``running`` by dead pulls are marked failed (abandoned) — by lease expiry or a dead owner process.

``tests/faults/test_kill9_pull.py`` covers the real ``kill -9``; these cover the rules of
``hub.ingest.leases`` one by one, on SQLite and PostgreSQL: an expired lease from another
host is reaped, a live one is not; a dead process on this host is detected at once and a
re-used PID is told apart; a batch from before leases is judged by its age; a row locked
by its loading owner is skipped (PostgreSQL); a pull reaps before it starts; a run whose
batch was declared abandoned meanwhile refuses to load; sleeping renews the lease.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.sandbox import start_sandbox
from connectors.sdk.http import RetryPolicy
from hub.ingest.leases import Owner, _process_start, host_key, lease_for, reap_stale_batches
from hub.ingest.loader import BatchSpec, new_batch
from hub.ingest.pull import LeaseKeeper as _LeaseKeeper
from hub.ingest.pull import PullHooks, pull
from hub.store.db import open_store
from hub.store.models import AgencyRecord, AuditEntry, ConnectorState, IngestBatch

FAST = RetryPolicy(connect_timeout=1.0, read_timeout=1.0, max_attempts=4, backoff_base=0.002, backoff_max=0.01)
AGENCY = "330800-sl"


@pytest.fixture
def factory(store_url: str) -> sessionmaker[Session]:
    return open_store(store_url)


def _running(factory: sessionmaker[Session], lease: dict[str, Any] | None, started: datetime | None = None) -> int:
    with factory() as session, session.begin():
        batch = new_batch(session, BatchSpec(AGENCY, "replies", "agency.reply", "sl-ywxt", run_id="pull:water:dead"))
        if lease is not None:
            batch.validation = {"lease": lease}
        if started is not None:
            batch.started_at = started
        return batch.id


def _other_host(expires_in: float) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "token": "x",
        "host": "worker-7|boot|4026531836",
        "pid": 1234,
        "process_start": "1",
        "renewed_at": now.isoformat(),
        "expires_at": (now + timedelta(seconds=expires_in)).isoformat(),
    }


def _status(factory: sessionmaker[Session], batch_id: int) -> tuple[str, dict[str, Any]]:
    with factory() as session:
        batch = session.get(IngestBatch, batch_id)
        assert batch is not None
        return batch.status, dict(batch.validation or {})


def _reap(factory: sessionmaker[Session]) -> list[int]:
    with factory() as session, session.begin():
        return [a.batch_pk for a in reap_stale_batches(session, AGENCY, actor="test")]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_expired_lease_of_another_host_is_reaped_a_live_one_is_not(factory):
    expired = _running(factory, _other_host(-5))
    live = _running(factory, _other_host(300))
    assert _reap(factory) == [expired]
    status, validation = _status(factory, expired)
    assert status == "failed" and "abandoned" in validation
    assert "租约已于" in validation["error"] and "lease expired" in validation["error"]
    assert _status(factory, live)[0] == "running"
    with factory() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "ingest.batch_abandoned")).scalar_one()
    assert entry.object_id == str(expired) and entry.detail["run_id"] == "pull:water:dead"
    assert _reap(factory) == []  # idempotent: a reaped batch is not reaped again


@pytest.mark.skipif(host_key() is None, reason="no /proc: the PID check is Linux-only (leases still expire)")
def test_a_dead_process_on_this_host_is_detected_without_waiting_for_the_lease(factory):
    owner = Owner("t", host_key(), _dead_pid(), "1")
    dead = _running(factory, lease_for(owner))  # lease valid for 10 minutes
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = _running(factory, lease_for(Owner("t", host_key(), child.pid, _process_start(child.pid))))
        reused = _running(factory, lease_for(Owner("t", host_key(), child.pid, "12345")))  # same PID, other process
        assert sorted(_reap(factory)) == sorted([dead, reused])
        assert _status(factory, alive)[0] == "running"
        assert "已不存在" in _status(factory, dead)[1]["error"]
    finally:
        child.kill()
        child.wait()
    assert _reap(factory) == [alive]  # now its process is gone too


def test_a_batch_from_before_leases_is_judged_by_its_age(factory):
    old = _running(factory, None, started=datetime.now(UTC) - timedelta(hours=2))
    recent = _running(factory, None)
    assert _reap(factory) == [old]
    assert _status(factory, recent)[0] == "running"


@pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_batch_locked_by_its_loading_owner_is_skipped(factory):
    expired = _running(factory, _other_host(-5))
    with factory() as owner, owner.begin():
        owner.execute(select(IngestBatch).where(IngestBatch.id == expired).with_for_update()).scalar_one()
        assert _reap(factory) == []  # SKIP LOCKED: the owner is loading it right now
    assert _reap(factory) == [expired]


def test_a_pull_reaps_abandoned_batches_first_and_a_reaped_run_refuses_to_load(store_url, monkeypatch):
    factory = open_store(store_url)
    dead = _running(factory, _other_host(-1))
    with start_sandbox(systems=["water"]) as sandbox:
        monkeypatch.setenv("PILHUB_CONN_WATER_URL", sandbox.urls["water"])
        monkeypatch.setenv("PILHUB_CONN_WATER_API_KEY", sandbox.env()["PILHUB_CONN_WATER_API_KEY"])

        def declared_dead(stream: str, incoming: list) -> None:  # another worker reaps this run's batch meanwhile
            with factory() as session, session.begin():
                session.execute(
                    sa.update(IngestBatch)
                    .where(IngestBatch.stream == stream, IngestBatch.status == "running")
                    .values(status="failed")
                )

        summary = pull(
            "water",
            stream="replies",
            factory=factory,
            policy=FAST,
            hooks=PullHooks(after_fetch=declared_dead),
            raise_on_error=False,
        )
    assert _status(factory, dead)[0] == "failed"  # reaped before the pull began
    stream = summary.streams[0]
    assert (
        stream.status == "failed"
        and "已被标记为 failed" in (stream.error or "")
        and "abandoned" in (stream.error or "")
    )
    with factory() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(AgencyRecord)).scalar_one() == 0
        state = session.get(ConnectorState, (AGENCY, "replies"))
        assert state is None or state.cursor is None
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(IngestBatch).where(IngestBatch.status == "running")
            ).scalar_one()
            == 0
        )


def test_sleeping_renews_the_lease_beyond_the_sleep(factory, monkeypatch):
    monkeypatch.setenv("PILHUB_BATCH_LEASE_SECONDS", "60")
    keeper = _LeaseKeeper(factory, Owner.current())
    with factory() as session, session.begin():
        batch = new_batch(session, BatchSpec(AGENCY, "replies", "agency.reply", "sl-ywxt"))
        keeper.start(session, batch)
        batch_id = batch.id
    first = datetime.fromisoformat(_status(factory, batch_id)[1]["lease"]["expires_at"])
    keeper.before_sleep(600)  # a 10-minute Retry-After: longer than the lease
    renewed = datetime.fromisoformat(_status(factory, batch_id)[1]["lease"]["expires_at"])
    assert renewed - first > timedelta(seconds=590)
    assert _reap(factory) == []  # alive: its own process, lease valid
    assert os.getpid() == _status(factory, batch_id)[1]["lease"]["pid"]
