"""Fault test (issue 9, point 4): two sweeps and two outbox senders, all running at once — exactly once.

What exists already and is not repeated here:

* ``tests/sla/test_escalation_concurrency.py::test_two_parallel_sweeps_enqueue_each_notice_exactly_once`` —
  two sweeps in parallel (forked processes), SQLite and PostgreSQL, against the Python rules;
* ``tests/sla/test_escalation_concurrency.py::test_two_parallel_senders_deliver_each_message_exactly_once``
  and ``tests/faults/test_notify_faults.py::test_two_senders_in_parallel_deliver_each_notice_exactly_once`` —
  two senders in parallel over an outbox that is already complete.

What this adds is the production shape on PostgreSQL: Airflow runs the sweep DAG and the outbox DAG
independently, so senders claim and deliver messages *while* sweeps are still inserting them. Four
``spawn`` processes (fresh interpreters: no engine, pool or cache crosses from the parent; each calls
``hub.store.db.reset_caches()`` anyway) start together at a barrier: two sweepers that sweep the same
three days in step, and two senders that keep calling ``send_pending`` until the sweeps are done and
the outbox is drained. Every channel posts to one counting webhook receiver in the test process, which
does not deduplicate. Then:

* each (clock, level, recipient) escalation and each outbox dedupe key exists exactly once, and the
  escalations and messages equal those of the same days swept one after another on a twin store;
* the receiver got each dedupe key exactly once, every message is ``sent``, and nothing else arrived.

PostgreSQL only (``FOR UPDATE SKIP LOCKED``, the advisory lock and ``ON CONFLICT`` decide there; on
SQLite the write lock serialises everything, which the tests above already cover).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.store import open_store
from hub.store.db import reset_caches
from tests.conftest import FaultFigures
from tests.endpoints import Robot, channels_to
from tests.faults.conftest import open_sample_store

DAYS = (dt.date(2026, 11, 23), dt.date(2026, 12, 8), dt.date(2027, 6, 30))
REPO = Path(__file__).resolve().parents[2]
SPAWN = multiprocessing.get_context("spawn")

pytestmark = pytest.mark.postgres


# --- child processes (spawned: fresh interpreters, so these must be importable module-level functions) ---


def _sweeper(url: str, start: Any, step: Any, out: Any) -> None:
    """Sweep each day of ``DAYS``, in step with the other sweeper (a barrier per day)."""
    from sla.sweep import sweep

    reset_caches()
    factory = open_store(url)
    enqueued = messages = 0
    start.wait(timeout=120)
    for day in DAYS:
        step.wait(timeout=120)
        report = sweep(factory, as_of=day, actor="parallel-sweep")
        enqueued += sum(report.enqueued.values())
        messages += report.messages
    out.put({"role": "sweeper", "enqueued": enqueued, "messages": messages})


def _sender(url: str, receiver_url: str, start: Any, sweeps_done: Any, out: Any) -> None:
    """Send until the sweeps are done and a pass finds nothing left; every channel goes to the receiver."""
    from hub.notify.outbox import send_pending

    reset_caches()
    factory = open_store(url)
    channels = channels_to(receiver_url)
    totals: Counter[str] = Counter()
    passes = 0
    start.wait(timeout=120)
    while True:
        done = sweeps_done.is_set()  # read before the pass: a pass after the last sweep drains everything
        report = send_pending(factory, channels=channels, batch=5)
        passes += 1
        for key, value in report.as_dict().items():
            if isinstance(value, int):
                totals[key] += value
        if done and report.claimed == 0:
            break
        if report.claimed == 0:
            time.sleep(0.05)
    out.put({"role": "sender", "passes": passes, **totals})


# --- checks -------------------------------------------------------------------------------------------------


def _snapshot(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Escalations and messages by natural keys (ids differ between the stores)."""
    with factory() as s:
        escalations = s.execute(
            sa.text(
                "SELECT c.clock_key, e.level, e.recipient, e.due_on FROM escalations e JOIN clocks c ON c.id = e.clock_pk"
            )
        ).all()
        messages = s.execute(
            sa.text(
                "SELECT c.clock_key, e.level, e.recipient, o.channel, o.recipient "
                "FROM outbox o JOIN escalations e ON e.id = o.escalation_pk JOIN clocks c ON c.id = e.clock_pk"
            )
        ).all()
        keys = s.execute(sa.text("SELECT dedupe_key, status FROM outbox")).all()
    return {
        "escalations": Counter(tuple(r) for r in escalations),
        "messages": Counter(tuple(r) for r in messages),
        "keys": Counter(k for k, _ in keys),
        "statuses": Counter(st for _, st in keys),
    }


def test_two_sweeps_and_two_senders_at_once_enqueue_and_deliver_each_notice_exactly_once(
    pg_stores: tuple[str, str], monkeypatch: pytest.MonkeyPatch, fault_figures: FaultFigures
) -> None:
    from sla.sweep import sweep

    started = time.monotonic()
    url, twin_url = pg_stores
    open_sample_store(url)
    twin = open_sample_store(twin_url)
    for day in DAYS:
        sweep(twin, as_of=day, actor="test")
    expected = _snapshot(twin)

    monkeypatch.syspath_prepend(str(REPO))  # spawned children import this module as tests.faults.…
    reset_caches()  # nothing of the parent's pool is needed in the children (spawn shares none anyway)
    receiver = Robot()
    start, step, done, out = SPAWN.Barrier(4), SPAWN.Barrier(2), SPAWN.Event(), SPAWN.Queue()
    sweepers = [SPAWN.Process(target=_sweeper, args=(url, start, step, out)) for _ in range(2)]
    senders = [SPAWN.Process(target=_sender, args=(url, receiver.url, start, done, out)) for _ in range(2)]
    try:
        for proc in sweepers + senders:
            proc.start()
        for proc in sweepers:
            proc.join(timeout=120)
            assert proc.exitcode == 0, "a sweeper failed (its traceback is in the captured stderr)"
        done.set()
        for proc in senders:
            proc.join(timeout=120)
            assert proc.exitcode == 0, "a sender failed (its traceback is in the captured stderr)"
        results = [out.get(timeout=10) for _ in range(4)]
    finally:
        for proc in sweepers + senders:
            if proc.is_alive():
                proc.kill()
        receiver.close()

    got = _snapshot(open_store(url))
    sweeps = [r for r in results if r["role"] == "sweeper"]
    sends = [r for r in results if r["role"] == "sender"]
    keys = set(got["keys"])
    duplicates = (
        sum(n - 1 for n in got["escalations"].values() if n > 1)
        + sum(n - 1 for n in got["keys"].values() if n > 1)
        + sum(n - 1 for n in receiver.keys.values() if n > 1)
    )
    losses = (
        len(set(expected["escalations"]) - set(got["escalations"]))
        + len(set(expected["messages"]) - set(got["messages"]))
        + len(keys - set(receiver.keys))
    )
    fault_figures(
        "two sweeps + two senders in parallel, postgres",
        records=sum(got["escalations"].values()),
        notices=len(keys),
        duplicates=duplicates,
        losses=losses,
        detail=f"records = escalations; enqueued per sweeper {[r['enqueued'] for r in sweeps]}, sent per sender "
        f"{[r['sent'] for r in sends]}, sender passes {[r['passes'] for r in sends]}; "
        f"{time.monotonic() - started:.1f} s",
    )
    assert duplicates == 0 and losses == 0
    assert got["escalations"] == expected["escalations"] and got["messages"] == expected["messages"]
    assert sum(r["enqueued"] for r in sweeps) == sum(got["escalations"].values())  # each written by one sweep
    assert sum(r["messages"] for r in sweeps) == len(keys)
    assert set(receiver.keys) == keys and got["statuses"] == Counter({"sent": len(keys)})
    assert sum(r["sent"] for r in sends) == len(keys) and all(r.get("lost_claims", 0) == 0 for r in sends)
