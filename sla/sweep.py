"""The periodic sweep: re-derive changed clocks, evaluate clocks in SQL, enqueue due escalations.

``pilhub sla sweep [--as-of DATE]`` and the Airflow task call :func:`sweep`, which runs two steps:

1. :func:`recompute` — clocks whose inputs changed are derived again in Python (``sla.clocks``, calendar
   arithmetic). Candidates are found in SQL: cases, recommendations and events written since the last run
   (indexed ``updated_at`` / ``recorded_at``), plus clocks still waiting for a calendar year; the first run
   compares every case's watermark (``sla_derivations``). An unchanged store costs one query. A changed clock
   is written with an audit entry (before/after), escalations it no longer calls for are revoked
   (``sla.escalation.revoke_stale``), and it is marked for evaluation.
2. :func:`evaluate_clocks` — one transaction of set-based SQL, the same few statements for ten clocks or a
   million: state and level of each clock of the work set on the as-of date from its stored dates and the
   ladder (the rules of ``sla.escalation.evaluate``) and the next day anything can change
   (``next_check_on``); an ``UPDATE`` of only the clocks whose evaluation changed; then one ``INSERT …
   SELECT`` of the due escalations not enqueued yet (unique on clock, level, recipient) together with their
   outbox messages (unique dedupe key): the transactional outbox. Because each clock stores the next day it
   can change, a daily run evaluates only the clocks whose day has come (found by one sequential read); a full
   run (first run, changed policy, earlier as-of date, ``--full``) evaluates all. Either checks against the
   store only the escalations that can be missing: levels due since the last run, levels of re-derived clocks,
   and levels or policy assignments the last run did not have (digests kept with each run), so a policy edit
   costs what it changes. On PostgreSQL the evaluation runs in parallel workers. Evaluations of one store
   take turns (an advisory lock per schema on PostgreSQL, the write lock on SQLite) and the unique keys refuse
   duplicates, so two sweeps at the same time enqueue each notice once — the database decides, not process
   memory. No text is rendered here: messages carry the template and role, and ``hub.notify`` renders them
   at send time from the escalation and the clock. Per clock nothing runs in Python.

The policy (ladders, jurisdictions) and the recipient directory are loaded into temporary tables for each
run, so a changed policy file applies at the next sweep (a full one) without re-deriving any clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, DateTime, TextClause, and_, bindparam, exists, func, or_, select, text, union
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.calendar_store import store_calendar
from hub.store import integrity
from hub.store.db import open_store
from hub.store.models import (
    Agency,
    Case,
    Clock,
    Escalation,
    OutboxMessage,
    Recommendation,
    SlaDerivation,
    SlaEvent,
    SlaSweepRun,
)
from sla.calendar import OfficialCalendar
from sla.clocks import (
    ClockDates,
    DerivationConfig,
    DerivedClock,
    derive_case_clocks,
    load_case_facts,
)
from sla.escalation import COPIED_PREFIX, OPERATOR_ROUTE, Directory, evaluate, revoke_stale
from sla.periods import Period
from sla.policy import (
    AGENCY_ROLES,
    CLOCK_KINDS,
    ROUTE_ROLE,
    EscalationPolicy,
    LevelSpec,
    ResolvedPolicy,
    load_policy,
)

__all__ = [
    "EvaluationReport",
    "RecomputeReport",
    "SweepReport",
    "derivation_config",
    "evaluate_clocks",
    "recompute",
    "state_counts",
    "sweep",
]

ACTOR = "sla-sweep"
#: How far before the last sweep's start the change scan reaches (transactions still open at that time).
WRITER_MARGIN = dt.timedelta(hours=1)
#: ``next_check_on`` of a clock that must be evaluated at the next sweep, whatever its as-of date.
CHECK_NOW = dt.date(1970, 1, 1)


def derivation_config(policy: EscalationPolicy) -> DerivationConfig:
    """Periods from the policy and the legal rules (shipped plus the policy's ``local_rules``)."""
    return DerivationConfig(
        follow_up_period=Period.parse(policy.follow_up_period),
        rules=policy.rules,
        lawsuit_decision_period=Period.parse(policy.lawsuit_decision_period),
    )


# ---------------------------------------------------------------------------------------------------------
# 1. Recompute.


@dataclass
class RecomputeReport:
    candidates: int = 0
    created: int = 0
    changed: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    revoked: int = 0
    #: year → digest of the calendar this recompute used (stored with the run: a change re-derives that year)
    calendar_digests: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "calendar_digests"}


def _calendar_changed(session: Session, last: SlaSweepRun | None, digests: dict[str, str]) -> Any:
    """Cases with a clock that needed a year whose schedule changed since the last run (imported, corrected, a
    package upgrade): the calendar's content is an input of every deadline. A run without digests (before
    migration 0008) compares nothing; clocks waiting for a year are re-derived anyway."""
    if last is None or not last.calendar_digests:
        return None
    years = sorted(int(y) for y, d in digests.items() if last.calendar_digests.get(y) != d)
    years += [int(y) for y in last.calendar_digests if y not in digests]
    if not years:
        return None
    reach = func.coalesce(Clock.breach_after, Clock.deadline_all_weekends, Clock.deadline_official)
    # a deadline's computation reads days from the start to its latest date, and the last days of December
    # belong to the next year's New Year block
    overlaps = [(Clock.start_on <= dt.date(y, 12, 31)) & (reach >= dt.date(y - 1, 12, 29)) for y in sorted(set(years))]
    return select(Clock.case_pk).where(Clock.start_on.is_not(None), or_(*overlaps))


def _candidates(session: Session, rules: str, full: bool, digests: dict[str, str] | None = None) -> list[int]:
    """Cases whose clock inputs may have changed since the last sweep (a superset; recompute compares digests).

    After a first sweep the scan is bounded by the last run's start (less an hour for writers whose
    transactions were still open): cases, recommendations and events written since, markers of another rule
    version, and clocks still waiting for a calendar year. The first sweep compares every case's marker.
    """
    if full:
        return list(session.scalars(select(Case.id).order_by(Case.id)))
    last = _last_run(session)
    # still waiting for a calendar year (whatever the state: a breach after the latest date too), and clocks of a
    # year whose schedule changed: re-derived, so a loaded or corrected year takes effect at the next sweep
    waiting = select(Clock.case_pk).where(or_(Clock.state == "calendar_missing", Clock.calendar_missing.is_(True)))
    if last is not None:
        changed = _calendar_changed(session, last, digests or {})
        since = last.started_at - WRITER_MARGIN
        parts = [
            select(Case.id).where(Case.updated_at > since),
            select(Recommendation.case_pk).where(Recommendation.updated_at > since),
            select(SlaEvent.case_pk).where(SlaEvent.recorded_at > since),
            waiting,
        ]
        if changed is not None:
            parts.append(changed)
        if last.rules_digest != rules:
            parts.append(select(SlaDerivation.case_pk).where(SlaDerivation.rules_digest != rules))
        return sorted(session.scalars(union(*parts)))
    d = SlaDerivation
    stale = or_(
        d.case_pk.is_(None),
        d.rules_digest != rules,
        Case.updated_at > d.computed_at,
        exists().where(Recommendation.case_pk == Case.id, Recommendation.updated_at > d.computed_at),
        exists().where(SlaEvent.case_pk == Case.id, SlaEvent.recorded_at > d.computed_at),
        Case.id.in_(waiting),
    )
    return list(session.scalars(select(Case.id).outerjoin(d, d.case_pk == Case.id).where(stale).order_by(Case.id)))


def _explanation(dc: DerivedClock) -> dict[str, Any]:
    return {**dc.explanation, "inputs_digest": dc.inputs_digest}


def recompute(
    factory: sessionmaker[Session] | None = None,
    *,
    as_of: dt.date,
    policy: EscalationPolicy | None = None,
    calendar: OfficialCalendar | None = None,
    case_pks: Sequence[int] | None = None,
    full: bool = False,
    actor: str = ACTOR,
    chunk: int = 500,
) -> RecomputeReport:
    """Re-derive the clocks of cases whose inputs changed (or ``case_pks``, or all with ``full``). Idempotent.

    Writers of facts that do not go through the registry importer should bump ``Recommendation.updated_at``
    (or call this with ``case_pks``) so the change is seen.
    """
    factory = factory or open_store()
    policy = policy or load_policy()
    config = derivation_config(policy)
    rules = config.digest
    report = RecomputeReport()
    with factory() as session:
        cal = calendar if calendar is not None else store_calendar(session)
        report.calendar_digests = cal.digests()
        pks = list(case_pks) if case_pks is not None else _candidates(session, rules, full, report.calendar_digests)
        directory = Directory.build(session, policy) if pks else None
    report.candidates = len(pks)
    for start in range(0, len(pks), chunk):
        part = pks[start : start + chunk]
        with factory() as session, session.begin():
            _recompute_chunk(session, part, as_of, policy, cal, config, directory, actor, report)  # type: ignore[arg-type]
    return report


def _recompute_chunk(
    session: Session,
    case_pks: list[int],
    as_of: dt.date,
    policy: EscalationPolicy,
    cal: OfficialCalendar,
    config: DerivationConfig,
    directory: Directory,
    actor: str,
    report: RecomputeReport,
) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Two sweeps re-deriving the same case take turns; the second then finds nothing to change.
        session.execute(select(Case.id).where(Case.id.in_(case_pks)).order_by(Case.id).with_for_update())
    watermark = dt.datetime.now(dt.UTC)
    facts = load_case_facts(session, case_pks)
    meta = {
        pk: (cid, region, domain)
        for pk, cid, region, domain in session.execute(
            select(Case.id, Case.case_id, Case.region_code, Case.domain).where(Case.id.in_(case_pks))
        )
    }
    recs = {
        rn: (pk, agency_pk)
        for pk, rn, agency_pk in session.execute(
            select(Recommendation.id, Recommendation.rec_number, Recommendation.agency_pk).where(
                Recommendation.case_pk.in_(case_pks)
            )
        )
    }
    agency_of = {pk: agency_pk for pk, agency_pk in recs.values()}
    existing: dict[int, dict[str, Clock]] = {}
    for clock in session.execute(select(Clock).where(Clock.case_pk.in_(case_pks))).scalars():
        existing.setdefault(clock.case_pk, {})[clock.clock_key] = clock
    markers = {
        m.case_pk: m
        for m in session.execute(select(SlaDerivation).where(SlaDerivation.case_pk.in_(case_pks))).scalars()
    }
    for pk in case_pks:
        case = facts.get(pk)
        if case is None:
            continue
        case_id, region, domain = meta[pk]
        resolved = policy.resolve(region, domain)
        derived = derive_case_clocks(case, config=config, calendar=cal)
        rows = existing.get(pk, {})
        changes: list[dict[str, Any]] = []
        for dc in derived:
            rec_pk, agency_pk = recs.get(dc.rec_number or "", (None, None))
            row = rows.pop(dc.key, None)
            new = dc.stored_fields()
            if row is not None and row.inputs_digest == dc.inputs_digest and _row_fields(row) == new:
                report.unchanged += 1
                continue
            ev = evaluate(dc, as_of, resolved)
            if row is None:
                row = Clock(clock_key=dc.key, case_pk=pk, recommendation_pk=rec_pk)
                session.add(row)
                before = None
                report.created += 1
            else:
                before = _row_fields(row)
                report.changed += 1
            for name, value in new.items():
                setattr(row, name, value)
            row.recommendation_pk = rec_pk
            row.state, row.level = ev.state.value, ev.level
            row.next_check_on = CHECK_NOW
            row.explanation = _jsonable(_explanation(dc))
            row.inputs_digest = dc.inputs_digest
            row.computed_at = watermark
            session.flush()
            changes.append(_change(dc.key, before, new))
            if before is not None:
                report.revoked += revoke_stale(
                    session,
                    clock_pk=row.id,
                    clock_key=dc.key,
                    clock=dc,
                    as_of=as_of,
                    policy=resolved,
                    directory=directory,
                    agency_pk=agency_pk,
                    case_id=case_id,
                    region_code=region,
                    actor=actor,
                    changes=change_lines(changes[-1]),
                )
        for key, row in rows.items():  # derived before, not any more (e.g. a promise withdrawn on correction)
            if row.outcome == "closed" and row.inputs_digest == "withdrawn":
                continue
            before = _row_fields(row)
            row.outcome, row.resolved_on, row.met_on, row.state, row.level = "closed", None, None, "closed", None
            row.next_check_on = None
            row.inputs_digest = "withdrawn"
            row.explanation = {
                **(row.explanation or {}),
                "withdrawn": "更正后的记录不再产生此时钟，已关闭 / the "
                "corrected records no longer give this clock: closed",
            }
            row.computed_at = watermark
            report.withdrawn += 1
            changes.append(_change(key, before, _row_fields(row)))
            dates = _dates(row)
            agency_pk = agency_of.get(row.recommendation_pk)
            report.revoked += revoke_stale(
                session,
                clock_pk=row.id,
                clock_key=key,
                clock=dates,
                as_of=as_of,
                policy=resolved,
                directory=directory,
                agency_pk=agency_pk,
                case_id=case_id,
                region_code=region,
                actor=actor,
                changes=["更正后的记录不再产生此期限 / the corrected records no longer give this deadline"],
            )
            if not session.scalar(select(func.count()).select_from(Escalation).where(Escalation.clock_pk == row.id)):
                # nothing was ever sent about it: the corrected records are as if it had never existed
                session.delete(row)
        inputs_digest = audit.digest(sorted(dc.inputs_digest for dc in derived))
        if changes:
            audit.append(
                session,
                actor=actor,
                action="clock.recompute",
                object_type="case",
                object_id=case_id,
                before=[c["before"] for c in changes],
                after=[c["after"] for c in changes],
                detail={"as_of": as_of.isoformat(), "clocks": changes},
            )
        marker = markers.get(pk)
        if marker is None:
            session.add(
                SlaDerivation(
                    case_pk=pk, inputs_digest=inputs_digest, rules_digest=config.digest, computed_at=watermark
                )
            )
        else:
            marker.inputs_digest, marker.rules_digest, marker.computed_at = inputs_digest, config.digest, watermark


def _row_fields(row: Clock) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "start_on": row.start_on,
        "period": row.period,
        "deadline_official": row.deadline_official,
        "deadline_all_weekends": row.deadline_all_weekends,
        "breach_after": row.breach_after,
        "outcome": row.outcome,
        "resolved_on": row.resolved_on,
        "met_on": row.met_on,
        "short_period": bool(row.short_period),
        "incomplete": bool(row.incomplete),
        "calendar_missing": bool(row.calendar_missing),
    }


def _dates(row: Clock) -> ClockDates:
    return ClockDates(
        kind=row.kind,
        start_on=row.start_on,
        deadline_official=row.deadline_official,
        deadline_all_weekends=row.deadline_all_weekends,
        breach_after=row.breach_after,
        outcome=row.outcome,
        resolved_on=row.resolved_on,
        short_period=bool(row.short_period),
        calendar_missing=bool(row.calendar_missing),
    )


def _change(key: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    fields = sorted(k for k in after if before is None or before.get(k) != after[k])
    return {
        "clock_key": key,
        "fields": {k: [None if before is None else _iso(before.get(k)), _iso(after[k])] for k in fields},
        "before": _jsonable(before),
        "after": _jsonable(after),
    }


FIELD_LABELS = {
    "start_on": "起算日（送达日）/ start",
    "deadline_official": "届满日 / deadline",
    "deadline_all_weekends": "届满日（全部周末口径）/ deadline (all weekends)",
    "breach_after": "认定逾期的届满日 / deadline for a breach",
    "outcome": "结果 / outcome",
    "resolved_on": "结果日期 / outcome date",
    "period": "期间 / period",
    "incomplete": "回复不完整 / incomplete reply",
}


def change_lines(change: dict[str, Any]) -> list[str]:
    """What changed in a clock, one line per field a reader cares about (for correction notices): dates and
    states only, never personal data."""
    lines = []
    for name, (old, new) in change.get("fields", {}).items():
        if name in FIELD_LABELS:
            lines.append(f"{FIELD_LABELS[name]}：{old if old is not None else '—'} → {new if new is not None else '—'}")
    return lines


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _iso(value)


# ---------------------------------------------------------------------------------------------------------
# SQL pieces of step 2 (PostgreSQL and SQLite).


class _Sql:
    """Dialect fragments: date arithmetic, LEAST, row addresses and temporary tables differ; the rest is
    portable SQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        #: PostgreSQL: small policy tables written into the evaluation as ``VALUES`` lists with bound parameters
        #: (scans of temporary tables are parallel-restricted; a ``VALUES`` list lets the whole evaluation of a
        #: million clocks run in parallel workers). Their parameters are in :attr:`inline_params`.
        self.inline: dict[str, str] = {}
        self.inline_params: dict[str, Any] = {}

    def source(self, table: str, alias: str) -> str:
        """``FROM`` item for a policy table: its ``VALUES`` list on PostgreSQL, else the temporary table."""
        if table in self.inline:
            return f"(SELECT * FROM {self.inline[table]}) {alias}"
        return f"{table} {alias}"

    def agency_key(self, column: str) -> str:
        """The addressee agency as a key of ``sla_rcpt``: the agency when the directory knows it, else 0 (on
        PostgreSQL a bound array parameter, no join — the evaluation stays parallel-safe)."""
        if self.pg:
            return f"CASE WHEN {column} = ANY(CAST(:agencies AS BIGINT[])) THEN {column} ELSE 0 END"
        return f"CASE WHEN {column} IN (SELECT pk FROM sla_agency) THEN {column} ELSE 0 END"

    def values(self, table: str, columns: Sequence[tuple[str, str, str]], rows: list[dict[str, Any]]) -> None:
        """Register ``rows`` of ``table`` as an inline ``VALUES`` list: columns (name, row key, SQL type),
        every value a bound parameter cast to its type."""
        if not self.pg or not rows:
            return
        body = []
        for i, row in enumerate(rows):
            cells = []
            for name, key, sql_type in columns:
                param = f"{table}_{name}_{i}"
                self.inline_params[param] = row[key]
                cells.append(f"CAST(:{param} AS {sql_type})")
            body.append("(" + ", ".join(cells) + ")")
        names = ", ".join(name for name, _key, _type in columns)
        self.inline[table] = f"(VALUES {', '.join(body)}) AS {table}_v({names})"

    def date(self, name: str = "d") -> str:
        return f"CAST(:{name} AS DATE)" if self.pg else f":{name}"

    def add_days(self, date_sql: str, days_sql: str) -> str:
        if self.pg:
            return f"({date_sql} + ({days_sql}))"
        return f"date({date_sql}, printf('%+d days', {days_sql}))"

    def least(self, *items: str) -> str:
        """The earliest non-NULL date, or NULL."""
        if self.pg:
            return f"LEAST({', '.join(items)})"
        far = "'9999-12-31'"
        return f"NULLIF(min({', '.join(f'COALESCE({i}, {far})' for i in items)}), {far})"

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.pg else f"{a} IS NOT {b}"

    @property
    def fence(self) -> str:
        """Keeps a subquery from being merged into the outer query (PostgreSQL would otherwise copy its
        expressions into every place the outer query uses them and compute them again there)."""
        return "OFFSET 0" if self.pg else "LIMIT -1 OFFSET 0"

    @property
    def tid(self) -> str:
        """The physical address of a clock row: an UPDATE joined on it fetches exactly the rows it changes,
        and skips a row another transaction has changed meanwhile (a recompute re-marks it for the next run)."""
        return "ctid" if self.pg else "id"

    def temp(self, name: str, columns: str) -> None:
        """A temporary table for this transaction (PostgreSQL drops it at commit; SQLite's is dropped by
        :meth:`drop` — a connection of the pool outlives the run)."""
        if self.pg:
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        else:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns})")

    def drop(self, *names: str) -> None:
        if not self.pg:
            for name in names:
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


def _insert_rows(
    conn: Connection, table: str, keys: Sequence[str], rows: list[dict[str, Any]], chunk: int = 500
) -> None:
    """Multi-row INSERTs (a row-at-a-time executemany costs a round trip per row on PostgreSQL)."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values = ", ".join("(" + ", ".join(f":{k}_{i}" for k in keys) + ")" for i in range(len(part)))
        params = {f"{k}_{i}": row[k] for i, row in enumerate(part) for k in keys}
        conn.execute(text(f"INSERT INTO {table} VALUES {values}"), params)


#: Recipient rows of ``sla_rcpt``: how the recipient key and the route key are completed per clock.
_BY_CASE = 0  # a procurator role: recipient "<role>:" || case_id, route "<route role>@" || region_code
_AGENCY = 1  # an agency role resolved through the directory: both keys as stored
_UNRESOLVED = 2  # an agency role of a clock without a (known) addressee: "unresolved:<role>:" || case_id

_SLOT_FIELDS = ("l", "o", "s", "fo", "ub", "esc", "soon")


def _level_fields(lv: LevelSpec | None) -> dict[str, int | None]:
    """A level as numbers: number, offsets (long and short periods), counted from the official deadline
    (offset ≤ 0) or from ``breach_after``, a reminder ending at breach, the state it marks."""
    if lv is None:
        return dict.fromkeys(_SLOT_FIELDS)
    return {
        "l": lv.level,
        "o": lv.offset_days,
        "s": lv.offset_for(True),
        "fo": int(lv.offset_days <= 0),
        "ub": int(lv.expires_at_breach),
        "esc": int(lv.marks == "escalated"),
        "soon": int(lv.marks == "due_soon"),
    }


def _load_tables(
    sql: _Sql, policy: EscalationPolicy, directory: Directory, as_of: dt.date, known: set[str] | None
) -> tuple[int, list[str], bool]:
    """The policy and the recipient directory as small temporary tables for this run; returns the slot count,
    the digests of this run's levels and assignments, and whether any of them is not in ``known`` (the last
    run's; ``None``: no usable last run). ``fresh`` on a row of ``sla_pol`` or ``sla_lvl`` marks it new.

    Loaded at every run, so a changed policy file applies at the next sweep without re-deriving any clock.

    * ``sla_pol``: (region, domain) of the cases → policy key and due-soon windows;
    * ``sla_ladder``: one row per (policy, clock kind) with the ladder's levels side by side in slots 1…K, so
      the state of a clock is computed from its own row — no join that multiplies a million clocks by their
      levels only to group them back;
    * ``sla_lvl``: the same levels one per row (``lid``, ``slot``), to list the escalations due;
    * ``sla_rcpt``: per level and addressee agency (``akey``; 0: none or not in the directory) the recipients
      in policy order, a recipient two roles reach kept once — the first role wins, as in
      ``sla.escalation.level_recipients`` — with the outbox payload (template, role, as-of date: the texts are
      rendered at send time from these, ``hub.notify``);
    * ``sla_agency``: the agencies of the directory; ``sla_dir``: route key → addresses.
    """
    conn = sql.conn
    pairs = conn.execute(text("SELECT DISTINCT region_code, domain FROM cases")).all()
    resolved_by_key: dict[str, ResolvedPolicy] = {}
    pol_rows = []
    for region, domain in pairs:
        resolved = policy.resolve(region, domain)
        resolved_by_key.setdefault(resolved.key, resolved)
        pol_rows.append(
            {
                "r": region,
                "d": domain,
                "k": resolved.key,
                "ds": resolved.due_soon_days,
                "sds": resolved.short_due_soon_days,
                "digest": _digest("pol", region, domain, resolved.key),
            }
        )
    slots = max([1] + [len(r.levels(kind)) for r in resolved_by_key.values() for kind in CLOCK_KINDS])
    agencies = sorted({pk for pk, _role in directory.agency_routes})
    ladder_rows: list[dict[str, Any]] = []
    lvl_rows: list[dict[str, Any]] = []
    rcpt_rows: list[dict[str, Any]] = []
    for key, resolved in resolved_by_key.items():
        for kind in CLOCK_KINDS:
            levels = resolved.levels(kind)
            ladder: dict[str, Any] = {"k": key, "kind": kind}
            for slot in range(1, slots + 1):
                fields = _level_fields(levels[slot - 1] if slot <= len(levels) else None)
                ladder.update({f"{name}{slot}": value for name, value in fields.items()})
            ladder_rows.append(ladder)
            for slot, lv in enumerate(levels, start=1):
                lid = len(lvl_rows) + 1
                recipients = [
                    row for akey in [0, *agencies] for row in _recipient_rows(lid, akey, lv, directory, as_of)
                ]
                # the level as the escalations see it: number, due-date offsets, recipients (payloads hold the
                # as-of date and are left out)
                digest = _digest(
                    "lvl",
                    key,
                    kind,
                    slot,
                    _level_fields(lv),
                    [(r["akey"], r["mode"], r["recipient"], r["route"]) for r in recipients],
                )
                lvl_rows.append(
                    {
                        "lid": lid,
                        "slot": slot,
                        "k": key,
                        "kind": kind,
                        "name": lv.name,
                        "label": lv.label,
                        "digest": digest,
                        **_level_fields(lv),
                    }
                )
                first = len(rcpt_rows) + 1
                rcpt_rows += [{"rid": first + i, **row} for i, row in enumerate(recipients)]
    digests = sorted({row["digest"] for row in pol_rows} | {row["digest"] for row in lvl_rows})
    for row in (*pol_rows, *lvl_rows):
        row["fresh"] = int(known is None or row["digest"] not in known)
    fresh = any(row["fresh"] for row in (*pol_rows, *lvl_rows))
    slot_columns = ", ".join(f"{name}{slot} INTEGER" for slot in range(1, slots + 1) for name in _SLOT_FIELDS)
    payload_type = "JSON" if sql.pg else "TEXT"
    sql.temp(
        "sla_pol",
        "region_code VARCHAR(6), domain VARCHAR(32), policy_key VARCHAR(80), "
        "due_soon INTEGER, short_due_soon INTEGER, fresh INTEGER",
    )
    sql.temp("sla_ladder", f"policy_key VARCHAR(80), kind VARCHAR(16), {slot_columns}")
    sql.temp(
        "sla_lvl",
        "lid INTEGER, slot INTEGER, policy_key VARCHAR(80), kind VARCHAR(16), name VARCHAR(40), "
        "label VARCHAR(200), level INTEGER, o INTEGER, s INTEGER, fo INTEGER, ub INTEGER, esc INTEGER, "
        "soon INTEGER, fresh INTEGER",
    )
    sql.temp(
        "sla_rcpt",
        "rid INTEGER, lid INTEGER, akey BIGINT, mode INTEGER, recipient VARCHAR(200), "
        f"route_key VARCHAR(200), payload {payload_type}",
    )
    sql.temp("sla_agency", "pk BIGINT")
    sql.temp("sla_dir", "route_key VARCHAR(200), channel VARCHAR(16), address VARCHAR(300), addr_key VARCHAR(16)")
    _insert_rows(conn, "sla_pol", ("r", "d", "k", "ds", "sds", "fresh"), pol_rows)
    sql.values(
        "sla_pol",
        (
            ("region_code", "r", "VARCHAR(6)"),
            ("domain", "d", "VARCHAR(32)"),
            ("policy_key", "k", "VARCHAR(80)"),
            ("due_soon", "ds", "INTEGER"),
            ("short_due_soon", "sds", "INTEGER"),
            ("fresh", "fresh", "INTEGER"),
        ),
        pol_rows,
    )
    sql.values(
        "sla_ladder",
        (
            ("policy_key", "k", "VARCHAR(80)"),
            ("kind", "kind", "VARCHAR(16)"),
            *((f"{n}{s}", f"{n}{s}", "INTEGER") for s in range(1, slots + 1) for n in _SLOT_FIELDS),
        ),
        ladder_rows,
    )
    sql.inline_params["agencies"] = agencies
    _insert_rows(
        conn, "sla_ladder", ("k", "kind", *(f"{n}{s}" for s in range(1, slots + 1) for n in _SLOT_FIELDS)), ladder_rows
    )
    _insert_rows(conn, "sla_lvl", ("lid", "slot", "k", "kind", "name", "label", *_SLOT_FIELDS, "fresh"), lvl_rows)
    _insert_rows(conn, "sla_rcpt", ("rid", "lid", "akey", "mode", "recipient", "route", "payload"), rcpt_rows)
    _insert_rows(conn, "sla_agency", ("pk",), [{"pk": pk} for pk in agencies])
    entries = [{"rk": e.route_key, "c": e.channel, "ad": e.address, "k": e.addr_key} for e in directory.entries]
    _insert_rows(conn, "sla_dir", ("rk", "c", "ad", "k"), entries)
    # Indexes, so that a nested loop over them (chosen for a daily run's few rows) is a probe, never a scan.
    for name, columns in (
        ("sla_lvl", "lid"),
        ("sla_rcpt", "lid, akey"),
        ("sla_rcpt", "rid"),
        ("sla_dir", "route_key"),
        ("sla_agency", "pk"),
    ):
        conn.exec_driver_sql(f"CREATE INDEX ix_{name}_{columns.replace(', ', '_')} ON {name} ({columns})")
    if sql.pg:
        for name in ("sla_pol", "sla_ladder", "sla_lvl", "sla_rcpt", "sla_agency", "sla_dir"):
            conn.exec_driver_sql(f"ANALYZE {name}")
    return slots, digests, fresh


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def _recipient_rows(lid: int, akey: int, lv: LevelSpec, directory: Directory, as_of: dt.date) -> list[dict[str, Any]]:
    """The recipients of one level for clocks addressed to agency ``akey`` (0: none) — what
    ``sla.escalation.level_recipients`` gives, with the parts that depend on the case left to SQL."""
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for r in lv.recipients:
        if r.role not in AGENCY_ROLES:
            mode, recipient, route = _BY_CASE, f"{r.role}:", f"{ROUTE_ROLE[r.role]}@"
        elif akey and (akey, r.role) in directory.agency_routes:
            mode, (recipient, route) = _AGENCY, directory.agency_routes[(akey, r.role)]
        else:
            mode, recipient, route = _UNRESOLVED, f"unresolved:{r.role}:", OPERATOR_ROUTE
        payload = json.dumps({"template": r.template or lv.template, "role": r.role, "as_of": as_of.isoformat()})
        out.setdefault(
            (mode, recipient),
            {"lid": lid, "akey": akey, "mode": mode, "recipient": recipient, "route": route, "payload": payload},
        )
    return list(out.values())


def _t(statement: str) -> TextClause:
    """``text()`` with ``:now`` typed, so SQLite stores it in the same format as the ORM does."""
    clause = text(statement)
    if ":now" in statement:
        clause = clause.bindparams(bindparam("now", type_=DateTime(timezone=True)))
    return clause


def _evaluated(sql: _Sql, slots: int, work: str) -> str:
    """The clocks of the work set with their state, level and next check day on :d — the rules of
    ``sla.escalation.evaluate`` and ``sla.clocks.base_state``, in three layers so that each date is computed
    once per clock: (1) the dates — each level's due date (``sla.escalation.level_due_on``: offsets ≤ 0 from
    the official deadline, > 0 from ``breach_after``, the later reading of make-up working days, 民法典
    Art. 203 — no agency is accused a day early) and the start of the due-soon window; (2) whether the clock
    runs (:func:`sla.clocks.is_open`) and which levels are active (from the due date on; a reminder only up
    to ``breach_after``); (3) state, highest active level, and the next day any of this can change.
    Columns also carry what listing the escalations needs (case, recommendation, policy, ``akey``: the
    addressee agency as a key of ``sla_rcpt`` — 0 when the clock has none or the directory does not know it —
    and ``recheck``: the clock was re-derived since the last run)."""
    d, add = sql.date(), sql.add_days
    numbers = range(1, slots + 1)
    window = "(CASE WHEN c.short_period THEN p.short_due_soon ELSE p.due_soon END)"
    dates = ", ".join(
        f"ld.l{i}, ld.ub{i}, ld.esc{i}, ld.soon{i}, "
        + add(
            f"(CASE WHEN ld.fo{i} = 1 THEN c.deadline_official WHEN ld.fo{i} = 0 THEN c.breach_after END)",
            f"(CASE WHEN c.short_period THEN ld.s{i} ELSE ld.o{i} END)",
        )
        + f" AS due{i}"
        for i in numbers
    )
    layer1 = f"""
        SELECT c.id, c.{sql.tid} AS tid, c.state AS old_state, c.level AS old_level, c.next_check_on AS old_next,
               c.kind, c.recommendation_pk, c.start_on, c.breach_after, c.outcome, c.resolved_on,
               CASE WHEN c.calendar_missing THEN 1 ELSE 0 END AS cal_missing,
               CASE WHEN c.next_check_on = {sql.date("recheck")} THEN 1 ELSE 0 END AS recheck,
               CASE WHEN c.outcome IS NOT NULL AND (c.resolved_on IS NULL OR c.resolved_on <= {d}) THEN 1 ELSE 0
               END AS stopped,
               CASE WHEN c.start_on <= {d} AND c.breach_after IS NOT NULL
                         AND (c.outcome IS NULL OR c.resolved_on > {d}) THEN 1 ELSE 0 END AS is_open,
               k.case_id, k.region_code, p.policy_key, {add("c.deadline_official", f"-{window}")} AS soon_from,
               {sql.agency_key("r.agency_pk")} AS akey, p.fresh AS pol_fresh,
               {dates}
        FROM clocks c
        JOIN cases k ON k.id = c.case_pk
        JOIN {sql.source("sla_pol", "p")} ON p.region_code = k.region_code AND p.domain = k.domain
        JOIN {sql.source("sla_ladder", "ld")} ON ld.policy_key = p.policy_key AND ld.kind = c.kind
        LEFT JOIN recommendations r ON r.id = c.recommendation_pk
        WHERE {work}
        {sql.fence}"""
    active = ", ".join(
        f"CASE WHEN v.is_open = 1 AND v.due{i} <= {d} AND (v.ub{i} = 0 OR {d} <= v.breach_after) THEN 1 ELSE 0 END "
        f"AS a{i}"
        for i in numbers
    )
    layer2 = f"SELECT v.*, {active} FROM ({layer1}) v {sql.fence}"

    def any_(flag: str) -> str:
        return " OR ".join(f"(e.a{i} = 1 AND e.{flag}{i} = 1)" for i in numbers)

    level = " ".join(f"WHEN e.a{i} = 1 THEN e.l{i}" for i in reversed(numbers))
    next_day = sql.least(
        f"CASE WHEN e.start_on > {d} THEN e.start_on END",
        f"CASE WHEN e.outcome IS NOT NULL AND e.resolved_on > {d} THEN e.resolved_on END",
        f"CASE WHEN e.soon_from > {d} THEN e.soon_from END",
        f"CASE WHEN {add('e.breach_after', '1')} > {d} THEN {add('e.breach_after', '1')} END",
        *(f"CASE WHEN e.breach_after IS NOT NULL AND e.due{i} > {d} THEN e.due{i} END" for i in numbers),
    )
    carried = ", ".join(f"e.a{i}, e.due{i}" for i in numbers)
    return f"""
        SELECT e.id, e.tid, e.old_state, e.old_level, e.old_next, e.kind, e.recommendation_pk, e.case_id,
            e.region_code, e.policy_key, e.akey, e.pol_fresh, e.recheck, {carried},
            CASE
                WHEN e.stopped = 1 THEN e.outcome
                WHEN e.start_on IS NULL OR e.start_on > {d} THEN 'pending'
                WHEN e.breach_after IS NULL THEN 'calendar_missing'
                WHEN {d} > e.breach_after THEN CASE WHEN {any_("esc")} THEN 'escalated' ELSE 'breached' END
                WHEN e.cal_missing = 1 THEN 'calendar_missing'
                WHEN {d} >= e.soon_from OR {any_("soon")} THEN 'due_soon'
                ELSE 'running'
            END AS state,
            CASE {level} END AS level,
            CASE WHEN e.stopped = 1 THEN NULL ELSE {next_day} END AS next_check_on
        FROM ({layer2}) e
        {sql.fence}"""


# ---------------------------------------------------------------------------------------------------------
# 2. Evaluate states and enqueue escalations (one transaction).


@dataclass
class EvaluationReport:
    mode: str = "daily"
    evaluated: int = 0
    states_changed: int = 0
    enqueued: dict[int, int] = field(default_factory=dict)
    messages: int = 0
    copies: int = 0  # escalations to bodies the recommendation was copied to


def _last_run(session: Session) -> SlaSweepRun | None:
    return session.execute(select(SlaSweepRun).order_by(SlaSweepRun.id.desc()).limit(1)).scalar_one_or_none()


def _mode(last: SlaSweepRun | None, as_of: dt.date, policy: EscalationPolicy, full: bool) -> str:
    """``full`` re-evaluates every clock: first run, a changed policy, an as-of date before the last one."""
    if full or last is None or last.policy_fingerprint != policy.fingerprint or as_of < last.as_of:
        return "full"
    return "daily"


def evaluate_clocks(
    factory: sessionmaker[Session] | None = None,
    *,
    as_of: dt.date,
    policy: EscalationPolicy | None = None,
    full: bool = False,
    actor: str = ACTOR,
    calendar_digests: dict[str, str] | None = None,
) -> EvaluationReport:
    """Give clocks their state and level on ``as_of`` and enqueue the escalations due, set-based, atomically.

    Daily mode reads only clocks whose ``next_check_on`` has come; every other open clock provably has the same
    state, level and due levels as at its last evaluation. Full mode reads them all. Whatever the number of
    clocks the work is a count, one ``INSERT … SELECT`` of the escalations due and not enqueued yet together
    with their outbox messages, and one ``UPDATE`` of only the clocks whose state, level or next check day
    changed (``IS DISTINCT FROM``; an unchanged clock is not written). Evaluations of one store take turns (a
    transaction-scoped advisory lock per schema on PostgreSQL, the write lock on SQLite), so the second of two
    concurrent sweeps finds the work done; the unique keys of ``escalations`` (clock, level, recipient) and
    ``outbox`` (dedupe key) refuse a duplicate even without the lock.
    """
    factory = factory or open_store()
    policy = policy or load_policy()
    now = dt.datetime.now(dt.UTC)
    report = EvaluationReport()
    with factory() as session, session.begin():
        conn = session.connection()
        sql = _Sql(conn)
        if sql.pg:  # one evaluation at a time per store (schema); SQLite's write lock does the same
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('pilhub.sla.evaluate:' || current_schema()))"))
            # Compiling these long expressions (JIT) costs more than it saves at this size.
            conn.exec_driver_sql("SET LOCAL jit = off")
        last = _last_run(session)  # read under the lock: the previous evaluation has committed
        report.mode = _mode(last, as_of, policy, full)
        directory = Directory.build(session, policy)
        # What the last run has enqueued is known level by level: for a level and an assignment of cases to a
        # policy that were in force then, every escalation due by its as-of date exists (each run enqueues all
        # that are due, and a clock not evaluated had no level falling due — its next check day says so).
        known = set(last.level_digests or []) if last is not None and as_of >= last.as_of else None
        slots, digests, fresh = _load_tables(sql, policy, directory, as_of, known)
        if sql.pg and report.mode == "full":
            conn.exec_driver_sql("SET LOCAL work_mem = '512MB'")
            if known is None or fresh:
                # Every due level of every clock is checked against the store: hash anti-join and the sort of a
                # backlog's escalations in memory. The row estimates of the computed filters are guesses; a
                # nested loop chosen on a guess that meets a million rows is the one plan that must not happen.
                conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        elif sql.pg:  # a few per cent of the clocks: index probes (escalations' unique key, row addresses)
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        d = sql.date()
        params: dict[str, Any] = {
            "d": as_of if sql.pg else as_of.isoformat(),
            "recheck": CHECK_NOW if sql.pg else CHECK_NOW.isoformat(),
            "now": now,
            **sql.inline_params,
        }
        # The work set: clocks whose day has come (daily) or all (full), by a sequential read — an index on
        # next_check_on would turn every state change into a write of all indexes (migration 0006).
        work = f"c.next_check_on <= {d}" if report.mode == "daily" else "1 = 1"
        # So a run need only check against the store the levels due since the last run, every level of a
        # re-derived clock, and the levels and assignments the last run did not have (a policy edit: a full
        # run, whose cost then follows what the edit changed); whatever was enqueued before is skipped anyway
        # (anti-join, unique key). Without a last run, or for an earlier as-of date, everything is checked.
        newly = None
        if known is not None and last is not None:
            params["last"] = last.as_of if sql.pg else last.as_of.isoformat()
            newly = f"(u.due_on > {sql.date('last')} OR u.recheck = 1 OR u.fresh = 1)"
        apply = _apply_pg if sql.pg else _apply_sqlite
        last_id = integrity.last_escalation_id(conn)  # this run's escalations come above it (read by a range)
        report.evaluated, report.states_changed, report.enqueued, report.messages = apply(
            sql, _evaluated(sql, slots, work), work, slots, newly, params
        )
        copies, copy_messages = _enqueue_copies(session, policy, directory, now, as_of, last_id)
        report.copies, report.messages = sum(copies.values()), report.messages + copy_messages
        for level, n in copies.items():  # copies are escalations of their level like any other
            report.enqueued[level] = report.enqueued.get(level, 0) + n
        sql.drop("sla_pol", "sla_ladder", "sla_lvl", "sla_rcpt", "sla_agency", "sla_dir", "sla_act", "sla_due")
        escalations = sum(report.enqueued.values())
        session.add(
            SlaSweepRun(
                as_of=as_of,
                mode=report.mode,
                policy_fingerprint=policy.fingerprint,
                rules_digest=derivation_config(policy).digest,
                level_digests=digests,
                calendar_digests=calendar_digests or None,
                evaluated=report.evaluated,
                escalations=escalations,
                messages=report.messages,
                started_at=now,
                finished_at=dt.datetime.now(dt.UTC),
            )
        )
        if escalations or report.messages:
            audit.append(
                session,
                actor=actor,
                action="escalation.enqueue",
                object_type="sweep",
                object_id=as_of.isoformat(),
                after={"by_level": report.enqueued, "messages": report.messages},
                detail={
                    "as_of": as_of.isoformat(),
                    "enqueued_at": now.isoformat(),
                    "mode": report.mode,
                    "by_level": {str(k): v for k, v in sorted(report.enqueued.items())},
                    "messages": report.messages,
                    "policy": policy.fingerprint,
                },
            )
    return report


def _enqueue_copies(
    session: Session, policy: EscalationPolicy, directory: Directory, now: dt.datetime, as_of: dt.date, after_id: int
) -> tuple[dict[int, int], int]:
    """Copies of this run's notices for the bodies each recommendation was copied to (抄送, 临沧市人大常委会决定 §三(四)).

    What they receive is the policy's ``copied_to.levels``; the copies go out with the escalations this run
    enqueued, in the same transaction, so each is made once (the ``escalations`` unique key refuses a second).
    A body already addressed by that level (e.g. the people's congress at level 4) gets no second copy; a
    supervisory commission never gets one (only a confirmed proposal reaches it); a name the agency registry does
    not know goes to the operator, named. Few rows: only recommendations with ``copied_to`` and escalations of this
    run are read — found by a range of their ids (above ``after_id``, read before the run's insert) on the primary
    key, not by their enqueue time, which no index covers (an index on it would be written for every escalation).
    """
    levels = tuple(policy.copied_to.levels)
    if not levels:
        return {}, 0
    rows = session.execute(
        select(
            Escalation.clock_pk,
            Escalation.level,
            Escalation.level_name,
            Escalation.due_on,
            Clock.kind,
            Recommendation.copied_to,
            Case.case_id,
            Case.region_code,
            Case.domain,
        )
        .join(Clock, Clock.id == Escalation.clock_pk)
        .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
        .join(Case, Case.id == Clock.case_pk)
        .where(
            Escalation.id > after_id,
            Escalation.enqueued_at == now,
            Escalation.level.in_(levels),
            Escalation.recipient.not_like(f"{COPIED_PREFIX}%"),
        )
    ).all()
    # one row per (clock, level) with a non-empty copied_to (no DISTINCT: PostgreSQL cannot compare JSON)
    rows = list({(r.clock_pk, r.level): r for r in rows if r.copied_to}.values())
    if not rows:
        return {}, 0
    agencies = {a.name: a for a in session.execute(select(Agency)).scalars()}
    made: dict[int, int] = {}
    messages = 0
    for clock_pk, level, level_name, due_on, kind, copied_to, case_id, region, domain in rows:
        spec = next((lv for lv in policy.resolve(region, domain).levels(kind) if lv.level == level), None)
        if spec is None:
            continue
        existing = set(
            session.scalars(
                select(Escalation.recipient).where(Escalation.clock_pk == clock_pk, Escalation.level == level)
            )
        )
        for name in dict.fromkeys(str(n) for n in copied_to):
            agency = agencies.get(name)
            if agency is not None and agency.kind == "supervisory_commission":
                continue  # never automatically: a procurator confirms a referral (pilhub review referral)
            if agency is not None:
                target, route = f"agency:{agency.code}", f"agency:{agency.code}"
            else:
                target, route = f"unresolved:copied_to:{name}", OPERATOR_ROUTE
            recipient = f"{COPIED_PREFIX}{target}"[:200]
            if target in existing or recipient in existing:
                continue
            esc = Escalation(
                clock_pk=clock_pk,
                level=level,
                level_name=level_name,
                recipient=recipient,
                due_on=due_on,
                enqueued_at=now,
            )
            session.add(esc)
            session.flush()
            made[level] = made.get(level, 0) + 1
            payload = {
                "template": policy.copied_to.template or spec.template,
                "role": "copied_to",
                "as_of": as_of.isoformat(),
                "copied_name": name,
            }
            for entry in directory.addresses(route):
                session.add(
                    OutboxMessage(
                        dedupe_key=f"esc:{esc.id}:{entry.channel}:{entry.addr_key}",
                        escalation_pk=esc.id,
                        channel=entry.channel,
                        recipient=entry.address.replace("{case_id}", case_id),
                        subject=spec.label,
                        body="",
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                messages += 1
    session.flush()
    return made, messages


def _active(slots: int, ev: str = "ev") -> str:
    """The active levels of the evaluated clocks (one row each), with the addressee agency key (``akey``)."""
    numbers = range(1, slots + 1)
    pick = " ".join(f"WHEN {i} THEN e.{{0}}{i}" for i in numbers)
    return f"""
        SELECT e.id AS clock_pk, l.lid, l.level, CASE l.slot {pick.format("due")} END AS due_on,
               e.akey, e.case_id, e.region_code, e.recheck,
               CASE WHEN l.fresh = 1 OR e.pol_fresh = 1 THEN 1 ELSE 0 END AS fresh
        FROM {ev} e
        JOIN sla_lvl l ON l.policy_key = e.policy_key AND l.kind = e.kind
        WHERE e.level IS NOT NULL AND CASE l.slot {pick.format("a")} END = 1
    """


_ACT_COLUMNS = (
    "clock_pk BIGINT, lid INTEGER, level INTEGER, due_on DATE, akey BIGINT, case_id VARCHAR(64), "
    "region_code VARCHAR(6), recheck INTEGER, fresh INTEGER"
)


def _due(sql: _Sql, newly: str | None, active: str = "sla_act") -> str:
    """The escalations due on :d and not enqueued yet: one row per (clock, active level, recipient) of
    ``sla_act`` — in a daily run (``newly``) only levels due since the last run or of re-derived clocks — that
    is not in ``escalations`` (an anti-join on its unique key: a hash anti-join in a full run, index probes in
    a daily one). Rows carry ids of the small policy tables (``lid`` the level, ``rid`` the recipient row)
    rather than names, labels and payloads."""
    recipient = "(CASE WHEN rc.mode = 1 THEN rc.recipient ELSE rc.recipient || u.case_id END)"
    return f"""
        SELECT u.clock_pk, u.level, u.lid, u.due_on, {recipient} AS recipient,
               CASE WHEN rc.mode = 0 THEN rc.route_key || u.region_code ELSE rc.route_key END AS route_key,
               u.case_id, rc.rid
        FROM {active} u
        JOIN sla_rcpt rc ON rc.lid = u.lid AND rc.akey = u.akey
        WHERE {f"{newly} AND " if newly else ""}NOT EXISTS (
            SELECT 1 FROM escalations x WHERE x.clock_pk = u.clock_pk AND x.level = u.level AND x.recipient = {recipient})
    """


def _changed(sql: _Sql, ev: str = "ev") -> str:
    return (
        f"{sql.distinct(f'{ev}.state', f'{ev}.old_state')} OR {sql.distinct(f'{ev}.level', f'{ev}.old_level')} "
        f"OR {sql.distinct(f'{ev}.next_check_on', f'{ev}.old_next')}"
    )


#: A message per address of the escalation's route (dedupe key ``esc:<id>:<channel>:<address key>``); its text
#: is rendered when it is sent (``hub.notify``) from the template and role in the payload.
_OUTBOX_COLUMNS = (
    "dedupe_key, escalation_pk, channel, recipient, subject, body, payload, status, attempts, "
    "next_attempt_at, created_at"
)


def _message(escalation_id: str) -> str:
    return (
        f"'esc:' || {escalation_id} || ':' || dir.channel || ':' || dir.addr_key, {escalation_id}, "
        "dir.channel, REPLACE(dir.address, '{case_id}', u.case_id), l.label, '', rc.payload, 'pending', 0, "
        ":now, :now"
    )


_Applied = tuple[int, int, dict[int, int], int]


def _apply_pg(sql: _Sql, evaluated: str, work: str, slots: int, newly: str | None, params: dict[str, Any]) -> _Applied:
    """PostgreSQL: evaluate the work set once, update the clocks whose evaluation changed, insert the
    escalations due and their outbox messages — all in the transaction of the states (the transactional outbox:
    all or nothing).

    1. The evaluation goes into a temporary table (``sla_ev``: only the clocks to write or with a level due) by
       ``CREATE TABLE … AS``, the one kind of writing statement whose query PostgreSQL runs in parallel workers
       (the policy tables are ``VALUES`` lists for this — :meth:`_Sql.values`); it is analysed, so the planner —
       which cannot estimate the computed filters of the evaluation — knows how many rows the next statements
       meet (index probes for a daily run's few, hash joins for a full run's million).
    2. The update joins on the row address read in step 1: a clock another transaction changed meanwhile (a
       recompute, which marks it for the next run) is skipped rather than overwritten with a state computed
       from its old dates; a TID scan fetches exactly the changed rows.
    3. The escalations due (active levels × recipients, less those in ``escalations``) and their messages in
       one statement. Escalation ids are drawn before the insert, in key order (both indexes of
       ``escalations`` grow at their right edge), so each message is built from the row of its escalation.
       Plain inserts, no ``ON CONFLICT``: the anti-join, read under the advisory lock, has left out everything
       enqueued before, and should a duplicate come anyway the unique key raises and the whole transaction
       rolls back. Nothing is written twice, and nothing half.
    """
    conn = sql.conn
    changed = _changed(sql)
    # The work set is read by a (parallel) sequential scan and joined by hashing whatever its size: the filter
    # on computed next-check days cannot be estimated, and a nested loop chosen on a low guess probes cases
    # and recommendations once per row.
    nestloop = conn.exec_driver_sql("SHOW enable_nestloop").scalar_one()  # restored for the statements below
    conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
    conn.execute(
        text(
            f"CREATE TEMP TABLE sla_ev ON COMMIT DROP AS SELECT * FROM ({evaluated}) ev "
            f"WHERE ev.level IS NOT NULL OR {changed}"
        ),
        params,
    )
    if nestloop == "on":
        conn.exec_driver_sql("SET LOCAL enable_nestloop = on")
    conn.exec_driver_sql("ANALYZE sla_ev")
    evaluated_n = conn.execute(text(f"SELECT COUNT(*) FROM clocks c WHERE {work}"), params).scalar_one()
    # Keyed tags of the new state, level and next check day, computed here for exactly the clocks to write (the
    # key never reaches the database) and written by the same UPDATE as the values: no second pass.
    changed_rows = conn.execute(
        text(f"SELECT ev.id, ev.state, ev.level, ev.next_check_on FROM sla_ev ev WHERE {changed}")
    )
    integrity.load_tags(conn, "sla_ctag", integrity.tag_rows("clocks", changed_rows, integrity.STATE_FIELDS))
    updated = conn.execute(
        text(f"""
        UPDATE clocks SET state = ev.state, level = ev.level, next_check_on = ev.next_check_on, state_tags = t.tags
        FROM sla_ev ev JOIN sla_ctag t ON t.pk = ev.id
        WHERE clocks.ctid = ANY(ARRAY(SELECT tid FROM sla_ev ev WHERE {changed})) AND clocks.ctid = ev.tid
          AND ({changed})
    """)
    ).rowcount
    sequence = conn.execute(
        text("SELECT CAST(CAST(pg_get_serial_sequence('escalations', 'id') AS regclass) AS oid)")
    ).scalar_one()
    active = f"({_active(slots, 'sla_ev')})"
    # The escalations due, their ids drawn in key order, kept for this transaction: their tags are computed from
    # these rows and inserted with them.
    due_n = conn.execute(
        _t(f"""
        CREATE TEMP TABLE sla_new ON COMMIT DROP AS
        SELECT nextval(CAST({int(sequence)} AS regclass)) AS id, x.*
        FROM ({_due(sql, newly, active)} ORDER BY 1, 2, 5) x
    """),
        params,
    ).rowcount
    if not due_n:
        return int(evaluated_n), max(int(updated), 0), {}, 0
    conn.exec_driver_sql("ANALYZE sla_new")
    new_rows = conn.execute(
        text(
            "SELECT u.id, u.clock_pk, u.level, l.name, u.recipient, u.due_on "
            "FROM sla_new u JOIN sla_lvl l ON l.lid = u.lid"
        )
    )
    integrity.load_tags(conn, "sla_etag", integrity.tag_rows("escalations", new_rows, integrity.FIELDS["escalations"]))
    messages, by_level = conn.execute(
        _t(f"""
        WITH es AS (
            INSERT INTO escalations (id, clock_pk, level, level_name, recipient, due_on, enqueued_at, row_tags)
            SELECT u.id, u.clock_pk, u.level, l.name, u.recipient, u.due_on, :now, t.tags
            FROM sla_new u JOIN sla_lvl l ON l.lid = u.lid JOIN sla_etag t ON t.pk = u.id
            ORDER BY u.id
            RETURNING level
        ),
        msg AS (
            INSERT INTO outbox ({_OUTBOX_COLUMNS})
            SELECT {_message("u.id")}
            FROM sla_new u JOIN sla_dir dir ON dir.route_key = u.route_key
                 JOIN sla_lvl l ON l.lid = u.lid JOIN sla_rcpt rc ON rc.rid = u.rid
            RETURNING 1
        )
        SELECT (SELECT COUNT(*) FROM msg),
               (SELECT string_agg(level || ':' || n, ',') FROM (SELECT level, COUNT(*) AS n FROM es GROUP BY level) g)
    """),
        params,
    ).one()
    enqueued = {int(k): int(v) for k, v in (part.split(":") for part in by_level.split(","))} if by_level else {}
    return int(evaluated_n), max(int(updated), 0), enqueued, int(messages)


def _apply_sqlite(
    sql: _Sql, evaluated: str, work: str, slots: int, newly: str | None, params: dict[str, Any]
) -> _Applied:
    """SQLite (the write lock serialises sweeps): the same steps as statements over temporary tables; new
    escalations are found by their enqueue timestamp."""
    conn = sql.conn
    conn.exec_driver_sql("DROP TABLE IF EXISTS temp.ev")
    conn.execute(text(f"CREATE TEMP TABLE ev AS {evaluated}"), params)
    sql.temp("sla_act", _ACT_COLUMNS)
    conn.execute(text(f"INSERT INTO sla_act {_active(slots)}"), params)
    sql.temp(
        "sla_due",
        "clock_pk BIGINT, level INTEGER, lid INTEGER, due_on DATE, recipient VARCHAR(200), "
        "route_key VARCHAR(200), case_id VARCHAR(64), rid INTEGER",
    )
    conn.execute(text(f"INSERT INTO sla_due {_due(sql, newly)}"), params)
    last_id = integrity.last_escalation_id(conn)  # the escalations this run adds are above it (row tags below)
    conn.execute(
        _t("""
        INSERT INTO escalations (clock_pk, level, level_name, recipient, due_on, enqueued_at)
        SELECT u.clock_pk, u.level, l.name, u.recipient, u.due_on, :now FROM sla_due u JOIN sla_lvl l ON l.lid = u.lid
        ORDER BY u.clock_pk, u.level, u.recipient
        ON CONFLICT DO NOTHING
    """),
        params,
    )
    new = (
        "JOIN escalations es ON es.clock_pk = u.clock_pk AND es.level = u.level AND es.recipient = u.recipient "
        "AND es.enqueued_at = :now"
    )
    messages = conn.execute(
        _t(f"""
        INSERT INTO outbox ({_OUTBOX_COLUMNS})
        SELECT {_message("es.id")}
        FROM sla_due u {new} JOIN sla_dir dir ON dir.route_key = u.route_key
             JOIN sla_lvl l ON l.lid = u.lid JOIN sla_rcpt rc ON rc.rid = u.rid
        ORDER BY 1
        ON CONFLICT DO NOTHING
    """),
        params,
    ).rowcount
    enqueued = {
        int(level): int(n)
        for level, n in conn.execute(_t(f"SELECT u.level, COUNT(*) FROM sla_due u {new} GROUP BY u.level"), params)
    }
    changed = conn.execute(
        text(f"""
        UPDATE clocks SET state = ev.state, level = ev.level, next_check_on = ev.next_check_on
        FROM ev WHERE clocks.id = ev.tid AND ({_changed(sql)})
    """),
        params,
    ).rowcount
    integrity.seal_clock_states(conn, f"SELECT ev.id FROM ev WHERE {_changed(sql)}")  # keyed tags, same transaction
    if enqueued:
        integrity.seal_escalations(conn, params["now"], after_id=last_id)
    evaluated_n = conn.execute(text("SELECT COUNT(*) FROM ev")).scalar_one()
    sql.drop("ev")
    return int(evaluated_n), max(changed, 0), enqueued, messages  # sqlite3 may not count UPDATE … FROM


# ---------------------------------------------------------------------------------------------------------
# The whole sweep.


@dataclass
class SweepReport:
    as_of: dt.date
    recompute: RecomputeReport
    evaluation: EvaluationReport
    states: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def enqueued(self) -> dict[int, int]:
        return self.evaluation.enqueued

    @property
    def messages(self) -> int:
        return self.evaluation.messages

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "recompute": self.recompute.as_dict(),
            "mode": self.evaluation.mode,
            "evaluated": self.evaluation.evaluated,
            "states_changed": self.evaluation.states_changed,
            "states": self.states,
            "enqueued": {str(k): v for k, v in sorted(self.enqueued.items())},
            "messages": self.messages,
            "warnings": self.warnings,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def state_counts(session: Session) -> dict[str, int]:
    """Clocks by state. A decision-to-sue clock not started yet (the agency may still perform) is not counted:
    it exists only as the date it would start on."""
    counts = dict(
        session.execute(
            select(Clock.state, func.count())
            .where(or_(Clock.kind != "lawsuit", Clock.state != "pending"))
            .group_by(Clock.state)
        )
        .tuples()
        .all()
    )
    return dict(sorted(counts.items()))


def _warnings(session: Session, as_of: dt.date | None = None) -> list[str]:
    out: list[str] = []
    rows = session.execute(
        select(Clock.explanation, Clock.deadline_official).where(
            Clock.calendar_missing.is_(True), or_(Clock.outcome.is_(None), Clock.state == "calendar_missing")
        )
    ).all()
    if rows:
        years = sorted({y for e, _ in rows for y in (e or {}).get("calendar_missing_years", [])})
        listed = "、".join(str(y) for y in years)
        out.append(
            f"{len(rows)} 个时钟的届满日落在尚未录入国务院节假日安排的年份（{listed}）：届满日为区间，提醒自最早可能日"
            f"起算，超期只在最晚可能日之后认定；通知公布后请用 `pilhub calendar import` 录入 / {len(rows)} clocks "
            f"end in a year without its State Council schedule ({listed}): their deadline is a range, reminders count "
            "from the earliest date, a breach only after the latest; load the notice with `pilhub calendar import`"
        )
        passed = [d for _, d in rows if as_of is not None and d is not None and d < as_of]
        if passed:
            out.append(
                f"告警：{len(passed)} 个时钟已过最早可能届满日，而{listed}年安排仍未录入——是否超期取决于尚未录入的"
                f"通知，请尽快录入 / ALERT: {len(passed)} clocks are past their earliest possible deadline while the "
                f"schedule of {listed} is still unknown — whether they are breached depends on it: import the notice"
            )
    announced = select(SlaEvent.case_pk).where(SlaEvent.kind == "announcement")
    unknown = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            and_(
                Case.procedure.in_(("civil", "criminal_incidental_civil")),
                Case.litigation_status == "announcement",
                Case.status != "closed",
                Case.id.not_in(announced),
            )
        )
    )
    if unknown:
        out.append(
            f"{unknown} 件民事公益诉讼案件处于公告阶段但未登记公告日期，无法计算30日公告期间；请用 "
            f"`pilhub sla event CASE_ID --kind announcement --on DATE` 登记 / {unknown} civil cases are in the "
            "announcement stage without a recorded announcement date: record it to start the 30-day clock"
        )
    return out


def _calendar_alert(factory: sessionmaker[Session], as_of: dt.date, policy: EscalationPolicy) -> int:
    """Alert the operator (the policy's ``operator`` contacts, through the outbox) on each day clocks are past
    their earliest possible deadline while their year's notice is still unknown: whether they are breached
    depends on it, so enforcement must not wait silently. One message per day and contact (unique dedupe key)."""
    from sqlalchemy.exc import IntegrityError

    from hub.store.models import OutboxMessage

    with factory() as session:
        rows = session.execute(
            select(Case.case_id, Clock.clock_key, Clock.deadline_official, Clock.breach_after, Clock.explanation)
            .join(Case, Case.id == Clock.case_pk)
            .where(Clock.calendar_missing.is_(True), Clock.state == "calendar_missing", Clock.deadline_official < as_of)
            .order_by(Clock.deadline_official, Clock.id)
        ).all()
    if not rows:
        return 0
    years = sorted({y for *_x, e in rows for y in (e or {}).get("calendar_missing_years", [])})
    listed = "、".join(str(y) for y in years)
    lines = [f"{cid} {key}: {earliest} … {latest}" for cid, key, earliest, latest, _e in rows[:50]]
    if len(rows) > 50:
        lines.append(f"…（共 {len(rows)} 个 / {len(rows)} in all）")
    subject = f"【pilhub 日历告警】{listed}年节假日安排未录入，{len(rows)} 个时钟已过最早可能届满日"
    body = (
        f"截至 {as_of}，{len(rows)} 个时钟已过最早可能届满日，而{listed}年国务院节假日安排仍未录入：是否超期取决于该"
        f"通知。请取得通知原文后运行 `pilhub calendar import 通知.txt`。/ As of {as_of}, {len(rows)} clocks are past "
        f"their earliest possible deadline while the State Council schedule of {listed} is not loaded; whether they "
        "are breached depends on it. Import the notice with `pilhub calendar import NOTICE.txt`.\n" + "\n".join(lines)
    )
    sent = 0
    for contact in policy.operator:
        key = f"calendar-missing:{listed}:{as_of.isoformat()}:{contact.channel}:{contact.address}"[:300]
        try:
            with factory() as session, session.begin():
                if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
                    continue
                session.add(
                    OutboxMessage(
                        dedupe_key=key,
                        channel=contact.channel,
                        recipient=contact.address,
                        subject=subject,
                        body=body,
                        payload={
                            "kind": "calendar_missing",
                            "years": years,
                            "clocks": len(rows),
                            "as_of": as_of.isoformat(),
                        },
                    )
                )
            sent += 1
        except IntegrityError:  # a concurrent sweep queued it first
            continue
    return sent


def sweep(
    factory: sessionmaker[Session] | None = None,
    *,
    as_of: dt.date,
    policy: EscalationPolicy | None = None,
    calendar: OfficialCalendar | None = None,
    full: bool = False,
    actor: str = ACTOR,
) -> SweepReport:
    """Recompute changed clocks, then evaluate clocks on ``as_of`` and enqueue due escalations. Idempotent."""
    factory = factory or open_store()
    policy = policy or load_policy()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rec = recompute(factory, as_of=as_of, policy=policy, calendar=calendar, full=full, actor=actor)
    timings["recompute"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    evaluation = evaluate_clocks(
        factory, as_of=as_of, policy=policy, full=full, actor=actor, calendar_digests=rec.calendar_digests
    )
    timings["evaluate_and_enqueue"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    with factory() as session:
        states = state_counts(session)
        warnings = _warnings(session, as_of)
    if _calendar_alert(factory, as_of, policy):
        warnings.append("已通知运维 / the operator has been alerted (outbox)")
    timings["report"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return SweepReport(as_of, rec, evaluation, states, warnings, timings)
