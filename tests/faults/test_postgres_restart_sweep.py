"""Fault test (issue 9, point 4): PostgreSQL goes away during a deadline sweep — no partial escalation.

**Why connections are terminated instead of restarting the server.** CI and developers' machines
share one PostgreSQL server among many jobs; restarting it would break every other test run on it and
needs rights a test must not have. What a restart does *to the sweep* is exactly what
``pg_terminate_backend`` does: the server ends the sweep's backend, the open transaction is rolled
back by the server, and the client's next statement fails with "terminating connection due to
administrator command" / "server closed the connection unexpectedly" — then new connections succeed
again. The test gives the sweep's engine a distinctive ``application_name`` and terminates only those
backends, from another connection, at a chosen point inside the sweep's transaction:

* ``recompute`` — right after the first clocks were written, before that transaction commits;
* ``enqueue`` — right after the statement that inserted the escalations and their outbox messages,
  before the sweep-run row and the audit entry are written and the transaction commits.

An ``after_cursor_execute`` hook on the sweep's engine holds the sweep at that point until the
backend is gone, so the test is deterministic rather than a race against a timer. Afterwards:

1. the sweep raised;
2. nothing of the interrupted transaction exists — no escalation, no outbox message, no sweep-run row,
   no ``escalation.enqueue`` audit entry — and the audit chain verifies (escalations and their messages
   are written in one transaction: either both or neither);
3. the next sweep completes (the pool's pre-ping replaces the dead connection), and clocks,
   escalations and outbox messages equal those of an uninterrupted sweep on a twin store.

PostgreSQL only: SQLite has no server to lose (its crash atomicity is covered by
``test_disk_faults.py`` and ``tests/connectors/test_crash_recovery.py``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.store import open_store
from hub.store.db import get_engine
from tests.conftest import POSTGRES_URL, FaultFigures
from tests.faults.conftest import open_sample_store

AS_OF = dt.date(2027, 6, 30)  # ~110 escalations and ~140 messages on the sample registry
TRIGGERS = {"recompute": "INSERT INTO clocks", "enqueue": "INSERT INTO escalations"}

pytestmark = pytest.mark.postgres


class Terminator:
    """Holds the sweep inside its transaction at the trigger statement and terminates its backends meanwhile."""

    def __init__(self, application_name: str, trigger: str) -> None:
        self.application_name = application_name
        self.trigger = trigger
        self.fired = threading.Event()
        self.terminated: list[int] = []
        self.admin = sa.create_engine(POSTGRES_URL)  # type: ignore[arg-type]

    def after_cursor_execute(self, conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if self.fired.is_set() or self.trigger not in statement:
            return
        self.fired.set()
        self._terminate()  # from another connection, while this transaction is open and idle

    def _terminate(self) -> None:
        query = sa.text(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = :name"
        )
        with self.admin.connect() as conn:
            self.terminated = [pid for pid, ok in conn.execute(query, {"name": self.application_name}) if ok]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # wait until the server has really ended them
                alive = conn.execute(
                    sa.text("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                    {"pids": self.terminated},
                ).scalar_one()
                if not alive:
                    return
                time.sleep(0.05)
        raise AssertionError("terminated backends did not go away")


def _snapshot(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Clocks, escalations and outbox messages by natural keys (ids differ between stores: sequences are not
    transactional, so a rolled-back sweep consumes ids)."""
    with factory() as s:
        clocks = s.execute(
            sa.text(
                "SELECT k.case_id, c.clock_key, c.state, c.level, c.next_check_on "
                "FROM clocks c JOIN cases k ON k.id = c.case_pk"
            )
        ).all()
        escalations = s.execute(
            sa.text(
                "SELECT c.clock_key, e.level, e.recipient, e.due_on FROM escalations e JOIN clocks c ON c.id = e.clock_pk"
            )
        ).all()
        messages = s.execute(
            sa.text(
                "SELECT c.clock_key, e.level, e.recipient, o.channel, o.recipient, o.status, "
                "o.dedupe_key LIKE 'esc:' || e.id || ':%' "
                "FROM outbox o JOIN escalations e ON e.id = o.escalation_pk JOIN clocks c ON c.id = e.clock_pk"
            )
        ).all()
        orphans = s.execute(sa.text("SELECT COUNT(*) FROM outbox WHERE escalation_pk IS NULL")).scalar_one()
        runs = s.execute(sa.text("SELECT COUNT(*) FROM sla_sweep_runs")).scalar_one()
        enqueue_entries = s.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'escalation.enqueue'")
        ).scalar_one()
    assert all(row[-1] for row in messages), "an outbox message's dedupe key names another escalation"
    return {
        "clocks": Counter(tuple(r) for r in clocks),
        "escalations": Counter(tuple(r) for r in escalations),
        "messages": Counter(tuple(r[:-1]) for r in messages),
        "orphans": orphans,
        "runs": runs,
        "enqueue_entries": enqueue_entries,
    }


def _trail_ok(factory: sessionmaker[Session]) -> bool:
    from hub.trust.checkpoints import verify_trail

    with factory() as s:
        return verify_trail(s, use_anchor=False).ok


@pytest.mark.parametrize("point", list(TRIGGERS))
def test_backend_terminated_mid_sweep_leaves_no_partial_escalation_and_the_next_sweep_completes(
    pg_stores: tuple[str, str], point: str, fault_figures: FaultFigures
) -> None:
    from sla.sweep import sweep

    started = time.monotonic()
    url, twin_url = pg_stores
    open_sample_store(url)
    twin = open_sample_store(twin_url)
    sweep(twin, as_of=AS_OF, actor="test")  # the uninterrupted reference
    expected = _snapshot(twin)
    assert sum(expected["escalations"].values()) > 50 and sum(expected["messages"].values()) > 50

    name = f"pilhub-sweep-{uuid.uuid4().hex[:10]}"
    sweep_url = f"{url}&application_name={name}"
    factory = open_store(sweep_url)
    before = _snapshot(factory)
    terminator = Terminator(name, TRIGGERS[point])
    engine = get_engine(sweep_url)
    sa.event.listen(engine, "after_cursor_execute", terminator.after_cursor_execute)
    try:
        with pytest.raises(sa.exc.DBAPIError) as info:
            sweep(factory, as_of=AS_OF, actor="test")
    finally:
        sa.event.remove(engine, "after_cursor_execute", terminator.after_cursor_execute)
        terminator.admin.dispose()
    assert terminator.fired.is_set() and terminator.terminated
    assert "terminat" in str(info.value.orig) or "closed" in str(info.value.orig)

    after_kill = _snapshot(factory)  # a new connection: the pool pre-pings and replaces the dead one
    assert not after_kill["escalations"] and not after_kill["messages"] and after_kill["runs"] == 0
    assert after_kill["enqueue_entries"] == 0 and after_kill["orphans"] == 0
    if point == "recompute":
        assert after_kill["clocks"] == before["clocks"]  # the interrupted recompute left nothing
    assert _trail_ok(factory)

    report = sweep(factory, as_of=AS_OF, actor="test")  # "after the restart"
    got = _snapshot(factory)
    assert report.messages == sum(expected["messages"].values())
    duplicates = sum(n - 1 for n in got["escalations"].values() if n > 1) + sum(
        n - 1 for n in got["messages"].values() if n > 1
    )
    losses = len(set(expected["escalations"]) - set(got["escalations"])) + len(
        set(expected["messages"]) - set(got["messages"])
    )
    fault_figures(
        f"postgres terminated mid-sweep at {point}",
        records=sum(expected["escalations"].values()),
        notices=sum(expected["messages"].values()),
        duplicates=duplicates,
        losses=losses,
        detail=f"records = escalations, over {sum(expected['clocks'].values())} clocks; "
        f"{len(terminator.terminated)} backend(s) terminated; {time.monotonic() - started:.1f} s",
    )
    assert duplicates == 0 and losses == 0
    assert got["escalations"] == expected["escalations"] and got["messages"] == expected["messages"]
    assert got["clocks"] == expected["clocks"] and got["runs"] == 1 and got["enqueue_entries"] == 1
    assert _trail_ok(factory)
    again = sweep(factory, as_of=AS_OF, actor="test")
    assert again.enqueued == {} and again.messages == 0
