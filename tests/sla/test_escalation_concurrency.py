"""Exactly once, enforced by the database: two sweeps in parallel processes enqueue each notice once, and two
outbox senders in parallel processes deliver each message once (counted at a test webhook receiver).

Processes are forked with no open connection in the parent (``reset_caches`` before the fork); each child calls
``reset_caches`` and builds its own engine. A barrier starts both at the same moment. On PostgreSQL the
unique constraints and ``FOR UPDATE SKIP LOCKED`` decide; on SQLite the write lock serialises.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.db import reset_caches
from hub.store.models import Agency, Case, Clock, Escalation, OutboxMessage, Recommendation
from sla.escalation import Directory, evaluate, level_recipients
from sla.policy import load_policy
from sla.sweep import sweep
from tests.endpoints import Robot, channels_to

POLICY = load_policy()
DAYS = [dt.date(2026, 11, 23), dt.date(2026, 11, 26), dt.date(2026, 12, 8)]
FORK = mp.get_context("fork")


def _load(url: str, tmp: Path) -> None:
    factory = open_store(url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026' in line]
    path = tmp / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_cases(read_lines(path), factory).rejected == 0


def _sweeper(url: str, day: dt.date, barrier: Any, out: Any) -> None:
    reset_caches()
    factory = open_store(url)
    barrier.wait(timeout=60)
    report = sweep(factory, as_of=day, policy=POLICY, actor="parallel")
    out.put({"enqueued": sum(report.enqueued.values()), "messages": report.messages})


def _run_parallel(target: Any, *args: Any) -> list[dict[str, Any]]:
    reset_caches()  # no connection may cross the fork
    barrier, out = FORK.Barrier(2), FORK.Queue()
    procs = [FORK.Process(target=target, args=(*args, barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _expected(url: str, days: list[dt.date]) -> set[tuple[str, int, str]]:
    """What the Python rules call for on the swept days (each clock open and the level active that day)."""
    factory = open_store(url)
    expected: set[tuple[str, int, str]] = set()
    with factory() as s:
        directory = Directory.build(s, POLICY)
        rows = s.execute(
            select(Clock, Case.case_id, Case.region_code, Case.domain, Recommendation.agency_pk)
            .join(Case, Case.id == Clock.case_pk)
            .outerjoin(Recommendation, Recommendation.id == Clock.recommendation_pk)
        ).all()
    for clock, case_id, region, domain, agency_pk in rows:
        from sla.sweep import _dates  # the stored dates of a row

        for day in days:
            for due in evaluate(_dates(clock), day, POLICY.resolve(region, domain)).active:
                for recipient in level_recipients(
                    due.level, directory, agency_pk=agency_pk, case_id=case_id, region_code=region
                ):
                    expected.add((clock.clock_key, due.level.level, recipient))
    # copies for the bodies a recommendation was copied to (policy copied_to.levels): by agency name, never a
    # supervisory commission, not when that body is already addressed by the level
    with factory() as s:
        agencies = {a.name: a for a in s.scalars(select(Agency))}
        copied = dict(
            s.execute(
                select(Clock.clock_key, Recommendation.copied_to).join(
                    Recommendation, Recommendation.id == Clock.recommendation_pk
                )
            ).all()
        )
    for key, level, _recipient in list(expected):
        if level not in POLICY.copied_to.levels:
            continue
        for name in copied.get(key) or []:
            body = agencies.get(name)
            target = f"agency:{body.code}" if body else f"unresolved:copied_to:{name}"
            if (body is None or body.kind != "supervisory_commission") and (key, level, target) not in expected:
                expected.add((key, level, f"copied:{target}"))
    return expected


def test_two_parallel_sweeps_enqueue_each_notice_exactly_once(store_url: str, tmp_path: Path) -> None:
    _load(store_url, tmp_path)
    totals = Counter()
    for day in DAYS:
        for result in _run_parallel(_sweeper, store_url, day):
            totals["enqueued"] += result["enqueued"]
            totals["messages"] += result["messages"]
    factory = open_store(store_url)
    with factory() as s:
        stored = Counter(
            (k, lv, r)
            for k, lv, r in s.execute(
                select(Clock.clock_key, Escalation.level, Escalation.recipient).join(
                    Clock, Clock.id == Escalation.clock_pk
                )
            )
        )
        per_message = Counter(
            s.execute(select(OutboxMessage.escalation_pk, OutboxMessage.channel, OutboxMessage.recipient)).all()
        )
        messages = s.scalar(select(func.count()).select_from(OutboxMessage))
    assert max(stored.values()) == 1 and max(per_message.values()) == 1  # nothing doubled
    assert set(stored) == _expected(store_url, DAYS)  # nothing lost
    assert totals["enqueued"] == len(stored) and totals["messages"] == messages  # each written by one sweep only
    again = sweep(factory, as_of=DAYS[-1], policy=POLICY)
    assert again.enqueued == {} and again.messages == 0


def _sender(url: str, receiver_url: str, barrier: Any, out: Any) -> None:
    from hub.notify.outbox import send_pending

    reset_caches()
    factory = open_store(url)
    channels = channels_to(receiver_url)
    barrier.wait(timeout=60)
    report = send_pending(factory, channels=channels, batch=5)
    out.put(report.as_dict())


def test_two_parallel_senders_deliver_each_message_exactly_once(store_url: str, tmp_path: Path, robot: Robot) -> None:
    _load(store_url, tmp_path)
    factory = open_store(store_url)
    sweep(factory, as_of=DAYS[1], policy=POLICY)
    with factory() as s:
        keys = set(s.scalars(select(OutboxMessage.dedupe_key)))
    assert len(keys) > 20
    reports = _run_parallel(_sender, store_url, robot.url)
    assert sum(r["sent"] for r in reports) == len(keys) and all(r["lost_claims"] == 0 for r in reports)
    assert set(robot.keys) == keys and max(robot.keys.values()) == 1, json.dumps(reports)
    with factory() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
