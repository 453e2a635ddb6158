"""Fault test (issue 9, point 4): ``kill -9`` of a pull mid-batch, then a re-run — nothing lost, nothing doubled.

``pilhub pull environment`` runs in a child process against the agency sandbox, whose responses
are slowed (fault mode ``slow``) so the pull takes a few seconds. The test polls the store and sends
SIGKILL once one stream's batch is loaded and the next stream's pages are landing: a durable state
with a loaded batch, an advanced cursor, landed bodies of a batch that will never load and a batch
row left ``running`` — no ``finally`` or ``atexit`` runs. The pull is then run again to completion
and the store compared with a clean single run into a twin store:

* the (agency, stream, source id, content hash) set is equal — nothing lost;
* each source id has exactly one row, current, version 1 — nothing doubled, no spurious version;
* the held quarantine items are equal, as a multiset;
* every finished batch adds up: received = loaded + duplicates + quarantined;
* no batch is left ``running``: the re-run finds the killed run's batch (same host, its
  process gone — see ``hub.ingest.leases``) and marks it ``failed`` as abandoned, with an
  ``ingest.batch_abandoned`` audit entry.

SIGKILL cannot be caught, so this exercises the ordering argument of ``connectors.sdk.runner``
(landings commit as they arrive; records, counts and the cursor commit together), not any cleanup
code. In-process crash points are covered by ``tests/connectors/test_crash_recovery.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from connectors.sandbox import Sandbox, start_sandbox
from hub.store import open_store
from tests.conftest import FaultFigures, engine_name, pg_schema_urls

CONNECTOR = "environment"
AGENCY = "330800-sthj"
SCALE = 10  # 432 + 600 + 25 + 28 records in 13 pages of 100
KILL_DEADLINE = 60.0


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """The environment bureau's system, every fifth response delayed: a pull takes a few seconds."""
    with start_sandbox(["slow"], slow_delay=0.3, scale=SCALE, systems=[CONNECTOR]) as sb:
        yield sb


@pytest.fixture
def twin_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty store on the same engine as ``store_url``, for the clean reference run."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with pg_schema_urls(1) as (url,):
        yield url


def _prepared(url: str, sandbox: Sandbox) -> sessionmaker[Session]:
    """Migrate the store here (never two migrations racing in children) and register the agency's key."""
    factory = open_store(url)
    with factory() as session, session.begin():
        sandbox.register_keys(session)
    return factory


def _start_pull(url: str, sandbox: Sandbox) -> subprocess.Popen[str]:
    """``pilhub pull environment --json`` in a child process on the store at ``url``."""
    env = {**os.environ, **sandbox.env(), "PILHUB_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli.errors", "pull", CONNECTOR, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out)
    for s in summary["streams"]:
        assert s["status"] != "failed", s["error"]
        assert s["fetched"] == s["loaded"] + s["duplicates"] + s["quarantined"], s
    return summary


def _progress(factory: sessionmaker[Session]) -> tuple[int, int]:
    """(finished batches, bodies landed for batches still running)."""
    with factory() as s:
        finished = s.execute(
            sa.text("SELECT COUNT(*) FROM ingest_batches WHERE status IN ('loaded', 'quarantined')")
        ).scalar_one()
        landing = s.execute(
            sa.text(
                "SELECT COUNT(*) FROM raw_landings r JOIN ingest_batches b ON b.id = r.batch_pk "
                "WHERE b.status = 'running'"
            )
        ).scalar_one()
    return int(finished), int(landing)


def _kill_mid_batch(proc: subprocess.Popen[str], factory: sessionmaker[Session]) -> tuple[int, int]:
    """SIGKILL the pull once a batch is loaded and the next one has landed pages; return the progress then."""
    deadline = time.monotonic() + KILL_DEADLINE
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the pull ended (status {proc.returncode}) before it could be killed mid-batch: {err[-2000:]}")
        finished, landing = _progress(factory)
        if finished >= 1 and landing >= 2:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL
            return finished, landing
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    pytest.fail("the pull never reached a loaded batch followed by landed pages")


def _records(factory: sessionmaker[Session]) -> list[tuple[str, str, str, str, int, bool]]:
    with factory() as s:
        rows = s.execute(
            sa.text("SELECT agency_code, stream, source_id, content_hash, version, is_current FROM agency_records")
        ).all()
    return [(a, st, sid, h, int(v), bool(c)) for a, st, sid, h, v, c in rows]


def _held_quarantine(factory: sessionmaker[Session]) -> Counter[tuple[str, str, str | None, str]]:
    with factory() as s:
        rows = s.execute(
            sa.text("SELECT agency_code, stream, source_id, raw_hash FROM quarantine WHERE status = 'held'")
        ).all()
    return Counter((a, st, sid, h) for a, st, sid, h in rows)


def _assert_batches_add_up(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        rows = s.execute(
            sa.text(
                "SELECT id, received, loaded, duplicates, quarantined FROM ingest_batches "
                "WHERE status IN ('loaded', 'quarantined')"
            )
        ).all()
    for batch_id, received, loaded, duplicates, quarantined in rows:
        assert received == loaded + duplicates + quarantined, f"batch {batch_id} does not add up"
    return len(rows)


def test_kill9_mid_batch_then_rerun_loses_and_duplicates_nothing(
    store_url: str, twin_url: str, sandbox: Sandbox, fault_figures: FaultFigures
) -> None:
    started = time.monotonic()
    factory = _prepared(store_url, sandbox)
    reference = _prepared(twin_url, sandbox)

    clean = _start_pull(twin_url, sandbox)  # the clean single run, alongside (each child imports GX: ~10 s)
    try:
        finished, landing = _kill_mid_batch(_start_pull(store_url, sandbox), factory)
        with factory() as s:
            killed_batches = (
                s.execute(sa.text("SELECT id FROM ingest_batches WHERE status = 'running'")).scalars().all()
            )
        assert len(killed_batches) == 1  # SIGKILL: no cleanup ran, the batch row says so
        partial = _records(factory)
        killed_at = time.monotonic() - started

        _finish(_start_pull(store_url, sandbox))  # the re-run resumes from the stored cursors
        _finish(clean)
    finally:
        if clean.poll() is None:
            clean.kill()
            clean.communicate(timeout=30)

    got, want = _records(factory), _records(reference)
    expected = {r[:4] for r in want}
    assert {r[:4] for r in partial} < expected  # the kill really left work undone
    keys = Counter(r[:3] for r in got)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    losses = len(expected - {r[:4] for r in got})
    fault_figures(
        f"kill -9 pull, {engine_name(store_url)}",
        records=len(expected),
        notices=0,
        duplicates=duplicates,
        losses=losses,
        detail=f"killed after {finished} loaded batch(es) and {landing} landed page(s) of the next at "
        f"{killed_at:.1f} s; {len(partial)} records stored before the kill; {time.monotonic() - started:.1f} s in all",
    )
    assert duplicates == 0 and losses == 0
    assert {r[:4] for r in got} == expected and len(got) == len(want)
    assert all(version == 1 and current for *_, version, current in got)  # one current version per source id
    assert _held_quarantine(factory) == _held_quarantine(reference)
    assert _assert_batches_add_up(factory) >= 5 and _assert_batches_add_up(reference) == 4
    _assert_killed_batch_abandoned(factory, killed_batches[0])


def _assert_killed_batch_abandoned(factory: sessionmaker[Session], batch_id: int) -> None:
    """The re-run marked the killed run's batch failed (abandoned), audited; nothing is left running."""
    with factory() as s:
        running = s.execute(sa.text("SELECT COUNT(*) FROM ingest_batches WHERE status = 'running'")).scalar_one()
        status, validation = s.execute(
            sa.text("SELECT status, validation FROM ingest_batches WHERE id = :id"), {"id": batch_id}
        ).one()
        audited = s.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'ingest.batch_abandoned' AND object_id = :id"),
            {"id": str(batch_id)},
        ).scalar_one()
    validation = json.loads(validation) if isinstance(validation, str) else validation
    print(f"[kill -9 pull] batch {batch_id} left running by the killed run → {status}: {validation.get('error')}")
    assert running == 0
    assert status == "failed" and "abandoned" in validation and "中断" in validation["error"]
    assert audited == 1
