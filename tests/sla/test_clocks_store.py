"""Clocks in the store: the sample registry as of 2026-11-23, idempotent recompute, and corrections that re-derive
clocks and escalations exactly as if the right data had been there from the start (with audit entries).

Every test runs on SQLite and, with PILHUB_TEST_POSTGRES_URL set, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.audit import verify_chain
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import AuditEntry, Case, Clock, Escalation, OutboxMessage
from sla.clocks import record_event
from sla.escalation import clock_status, evaluate
from sla.policy import load_policy
from sla.sweep import sweep

D = dt.date.fromisoformat
DEMO_DAY = D("2026-11-23")
POLICY = load_policy()
SAMPLE = [json.loads(line) for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines()]
# The live clocks of the demo (2026) and the first cases of 2017–2018 (met, late, closed, rectified): enough
# variety for most tests at a quarter of the import cost.
SUBSET = [c for c in SAMPLE if c["case_id"].startswith("KC-2026")] + SAMPLE[:8]


def _load(url: str, lines: list[dict[str, Any]] | None = None, tmp: Path | None = None) -> sessionmaker[Session]:
    factory = open_store(url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    _import(factory, lines, tmp)
    return factory


def _import(factory: sessionmaker[Session], lines: list[dict[str, Any]] | None, tmp: Path | None) -> None:
    if lines is None:
        report = import_cases(read_lines(SAMPLE_CASES), factory)
    else:
        assert tmp is not None
        path = tmp / f"cases-{len(list(tmp.iterdir()))}.jsonl"
        path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines), encoding="utf-8")
        report = import_cases(read_lines(path), factory)
    assert report.rejected == 0, report.errors


def _status(factory: sessionmaker[Session], case_id: str, day: dt.date = DEMO_DAY) -> dict[str, Any]:
    with factory() as s:
        rows = clock_status(s, as_of=day, policy=POLICY, case_id=case_id)
    return {r.kind: r for r in rows}


def test_sample_registry_as_of_the_demo_day(store_url: str) -> None:
    factory = _load(store_url)
    report = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    assert report.recompute.created > 100 and report.evaluation.mode == "full"
    for state in (
        "pending",
        "running",
        "due_soon",
        "breached",
        "escalated",
        "met",
        "met_late",
        "closed",
        "calendar_missing",
    ):
        assert report.states.get(state), state
    pending = _status(factory, "KC-2026-056")["reply"]
    assert pending.state == "pending" and pending.start_on is None
    missing = _status(factory, "KC-2026-057")["reply"]
    assert missing.state == "calendar_missing" and missing.calendar_missing_years == (2027,)
    urgent = _status(factory, "KC-2026-058")["reply"]  # 15 days from 11-10: 11-25, reminded 3 days before
    assert (urgent.state, urgent.deadline_official, urgent.days_left, urgent.level) == (
        "due_soon",
        D("2026-11-25"),
        2,
        1,
    )
    weekend = _status(factory, "KC-2026-059")["reply"]  # 2 months end on Sat 11-28: moves to Mon 11-30
    assert (weekend.state, weekend.deadline_official, weekend.days_left) == ("due_soon", D("2026-11-30"), 7)
    assert _status(factory, "KC-2026-060")["reply"].state == "running"
    breached = _status(factory, "KC-2026-052")["reply"]
    assert (breached.state, breached.level, breached.days_overdue) == ("breached", 2, 4)
    assert _status(factory, "KC-2026-048")["reply"].state == "escalated"
    assert any("2027" in w for w in report.warnings)
    assert report.enqueued[1] == 2 and report.messages > 0


def test_sql_states_equal_the_python_rules_on_many_days(store_url: str, tmp_path: Path) -> None:
    """The set-based SQL (daily and full mode) gives every clock the state and level ``evaluate`` gives."""
    factory = _load(store_url, SUBSET, tmp_path)
    days = [
        D("2018-01-01"),
        D("2021-10-26"),
        D("2026-07-23"),
        *[D("2026-11-18") + dt.timedelta(days=i) for i in range(14)],
        D("2027-01-13"),
        D("2026-10-01"),
    ]
    for day in days:
        report = sweep(factory, as_of=day, policy=POLICY)
        with factory() as s:
            rows = s.execute(select(Clock, Case.region_code, Case.domain).join(Case, Case.id == Clock.case_pk)).all()
            for clock, region, domain in rows:
                expected = evaluate(clock_dates(clock), day, POLICY.resolve(region, domain))
                assert (clock.state, clock.level) == (expected.state.value, expected.level), (
                    day,
                    clock.clock_key,
                    report.evaluation.mode,
                )
    assert report.evaluation.mode == "full"  # an as-of date before the last one re-evaluates everything


def clock_dates(clock: Clock):  # type: ignore[no-untyped-def]
    from sla.clocks import ClockDates

    return ClockDates(
        clock.kind,
        clock.start_on,
        clock.deadline_official,
        clock.deadline_all_weekends,
        clock.breach_after,
        clock.outcome,
        clock.resolved_on,
        bool(clock.short_period),
        bool(clock.calendar_missing),
    )


def test_a_second_sweep_changes_nothing(store_url: str) -> None:
    factory = _load(store_url)
    sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    with factory() as s:
        before = (
            s.scalar(select(func.count()).select_from(AuditEntry)),
            s.scalar(select(func.count()).select_from(Escalation)),
            s.scalar(select(func.count()).select_from(OutboxMessage)),
        )
    again = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    assert (again.recompute.created, again.recompute.changed, again.evaluation.states_changed) == (0, 0, 0)
    assert again.enqueued == {} and again.messages == 0 and again.evaluation.mode == "daily"
    with factory() as s:
        after = (
            s.scalar(select(func.count()).select_from(AuditEntry)),
            s.scalar(select(func.count()).select_from(Escalation)),
            s.scalar(select(func.count()).select_from(OutboxMessage)),
        )
    assert after == before


def _edit(case_id: str, change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    lines = json.loads(json.dumps(SUBSET))
    change(next(c for c in lines if c["case_id"] == case_id)["recommendations"][0])
    return lines


CORRECTIONS = {
    "received date corrected (later)": ("KC-2026-052", lambda r: r.update(received_on="2026-10-09")),
    "urgency changed to urgent": ("KC-2026-060", lambda r: r.update(urgent=True)),
    "late reply arrives": (
        "KC-2026-052",
        lambda r: r["replies"].append({"replied_on": "2026-11-24", "has_evidence": True}),
    ),
    "reply posted in time arrives late": (
        "KC-2026-052",
        lambda r: r["replies"].append({"replied_on": "2026-11-24", "posted_on": "2026-11-19", "has_evidence": True}),
    ),
}


def _snapshot(factory: sessionmaker[Session], case_id: str) -> dict[str, Any]:
    with factory() as s:
        case_pk = s.scalar(select(Case.id).where(Case.case_id == case_id))
        clocks = {
            c.clock_key: (
                c.start_on,
                c.deadline_official,
                c.deadline_all_weekends,
                c.breach_after,
                c.outcome,
                c.resolved_on,
                c.state,
                c.level,
            )
            for c in s.scalars(select(Clock).where(Clock.case_pk == case_pk))
        }
        escalations = {
            (key, e.level, e.recipient, e.due_on)
            for e, key in s.execute(
                select(Escalation, Clock.clock_key)
                .join(Clock, Clock.id == Escalation.clock_pk)
                .where(Clock.case_pk == case_pk)
            )
        }
        messages = {
            (key, level, m.channel, m.recipient)
            for m, key, level in s.execute(
                select(OutboxMessage, Clock.clock_key, Escalation.level)
                .join(Escalation, Escalation.id == OutboxMessage.escalation_pk)
                .join(Clock, Clock.id == Escalation.clock_pk)
                .where(Clock.case_pk == case_pk, OutboxMessage.status != "cancelled")
            )
        }
    return {"clocks": clocks, "escalations": escalations, "messages": messages}


@pytest.mark.parametrize("name", list(CORRECTIONS))
def test_a_correction_gives_the_same_answer_as_the_right_data_from_the_start(
    name: str, store_url: str, tmp_path: Path
) -> None:
    case_id, change = CORRECTIONS[name]
    corrected = _edit(case_id, change)
    late = _load(store_url, SUBSET, tmp_path)  # the registry as it was, corrected after the first sweep
    sweep(late, as_of=DEMO_DAY, policy=POLICY)
    _import(late, corrected, tmp_path)
    report = sweep(late, as_of=DEMO_DAY + dt.timedelta(days=1), policy=POLICY)
    assert report.recompute.changed >= 1
    with late() as s:
        entry = (
            s.execute(
                select(AuditEntry)
                .where(AuditEntry.action == "clock.recompute", AuditEntry.object_id == case_id)
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert entry is not None and entry.before_digest and entry.after_digest
        assert entry.detail["clocks"][0]["clock_key"].startswith("reply:")

    with _second_store(store_url, tmp_path) as right_url:
        right = _load(right_url, corrected, tmp_path)
        sweep(right, as_of=DEMO_DAY, policy=POLICY)
        sweep(right, as_of=DEMO_DAY + dt.timedelta(days=1), policy=POLICY)
        assert _snapshot(late, case_id) == _snapshot(right, case_id)


@contextmanager
def _second_store(store_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty store of the same kind: a second SQLite file, or a second private PostgreSQL schema."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'right.db'}"
        return
    import sqlalchemy as sa

    base = os.environ["PILHUB_TEST_POSTGRES_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        from hub.store.db import get_engine

        get_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}").dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_correcting_a_received_date_cancels_unsent_escalations_and_refires_them_when_due(
    store_url: str, tmp_path: Path
) -> None:
    factory = _load(store_url, SUBSET, tmp_path)
    sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    before = _snapshot(factory, "KC-2026-052")
    assert {(k, lv) for k, lv, _, _ in before["escalations"]} == {("reply:龙检行公建〔2026〕1号", 2)}
    _import(factory, _edit("KC-2026-052", lambda r: r.update(received_on="2026-10-09")), tmp_path)
    report = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    # the reply clock and the decision-to-sue clock that would follow its breach
    assert report.recompute.changed == 2 and report.recompute.revoked == 2
    after = _snapshot(factory, "KC-2026-052")
    assert after["escalations"] == set() and after["messages"] == set()
    clock = after["clocks"]["reply:龙检行公建〔2026〕1号"]
    assert clock[3] == D("2026-12-09") and clock[6] == "running"  # 10-09 + 2 months
    with factory() as s:
        cancelled = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "cancelled"))
        revokes = s.scalars(select(AuditEntry).where(AuditEntry.action == "escalation.revoke")).all()
        change = (
            s.execute(
                select(AuditEntry)
                .where(AuditEntry.action == "clock.recompute", AuditEntry.object_id == "KC-2026-052")
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
    assert cancelled == len(before["messages"]) and len(revokes) == 2
    assert change.detail["clocks"][0]["fields"]["breach_after"] == ["2026-11-19", "2026-12-09"]
    assert change.detail["clocks"][0]["fields"]["start_on"] == ["2026-09-19", "2026-10-09"]
    # on the corrected dates the reminder and the breach alert fire again, once each
    sweep(factory, as_of=D("2026-12-02"), policy=POLICY)
    sweep(factory, as_of=D("2026-12-10"), policy=POLICY)
    again = _snapshot(factory, "KC-2026-052")
    assert {(lv, due) for _, lv, _, due in again["escalations"]} == {(1, D("2026-12-02")), (2, D("2026-12-10"))}
    with factory() as s:
        assert verify_chain(s).ok  # every recompute, revocation and enqueue is in the hash-chained log


def test_sent_notices_stay_recorded_after_a_correction(store_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hub.notify.outbox import send_pending

    monkeypatch.setenv("PILHUB_NOTIFY_FILE", str(tmp_path / "notices.jsonl"))
    factory = _load(store_url, SUBSET, tmp_path)
    sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    sent = send_pending(factory, limit=1000)
    assert sent.sent == sent.claimed > 0
    _import(factory, _edit("KC-2026-052", lambda r: r.update(received_on="2026-10-09")), tmp_path)
    report = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    assert report.recompute.revoked == 2
    kept = _snapshot(factory, "KC-2026-052")
    assert {lv for _, lv, _, _ in kept["escalations"]} == {2}  # delivered before the correction: kept
    with factory() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "escalation.revoke")).all()
    assert all(e.detail["kept_because_sent"] for e in entries)


def test_recording_an_announcement_starts_the_civil_clock(store_url: str, tmp_path: Path) -> None:
    factory = _load(store_url, SUBSET, tmp_path)
    first = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    assert any("公告" in w for w in first.warnings)
    with factory() as s, s.begin():
        record_event(s, case_id="KC-2026-055", kind="announcement", occurred_on=D("2026-11-02"), actor="test")
    report = sweep(factory, as_of=DEMO_DAY, policy=POLICY)
    assert report.recompute.created == 1 and not any("公告" in w for w in report.warnings)
    clock = _status(factory, "KC-2026-055")["announcement"]
    assert (clock.deadline_official, clock.state, clock.level) == (D("2026-12-02"), "running", None)
    sweep(factory, as_of=D("2026-11-29"), policy=POLICY)
    with factory() as s:
        fired = s.execute(
            select(Escalation.level, Escalation.recipient)
            .join(Clock, Clock.id == Escalation.clock_pk)
            .where(Clock.clock_key == "announcement:KC-2026-055")
        ).all()
    assert fired == [(1, "case_procurator:KC-2026-055")]  # told 3 days before the 30 days end
