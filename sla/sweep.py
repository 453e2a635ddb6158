"""The periodic sweep: re-derive changed clocks, evaluate clocks in SQL, enqueue due escalations.

``pilhub sla sweep [--as-of DATE]`` and the Airflow task call :func:`sweep`, which runs two steps:

1. :func:`recompute` — clocks whose inputs changed are derived again in Python (``sla.clocks``, calendar
   arithmetic). Candidates are found in SQL: cases, recommendations and events written since the last run
   (indexed ``updated_at`` / ``recorded_at``), plus clocks still waiting for a calendar year; the first run
   compares every case's watermark (``sla_derivations``). An unchanged store costs one query. A changed clock is written with an audit entry (before/after),
   escalations it no longer calls for are revoked (``sla.escalation.revoke_stale``), and it is marked for
   evaluation.
2. :func:`evaluate_clocks` — one transaction of set-based SQL: state and level of each clock on the as-of date
   from its stored dates and the ladder (the rules of ``sla.escalation.evaluate``), the next day anything can
   change (``next_check_on``), then ``INSERT … SELECT … ON CONFLICT DO NOTHING`` of the due escalations
   (unique on clock, level, recipient) and of their outbox messages (unique dedupe key): the transactional
   outbox. Because each clock stores the next day it can change, the daily run reads only the clocks whose day
   has come, through an index; a full run (first run, changed policy, earlier as-of date, ``--full``) reads
   all. Evaluations of one store take turns (an advisory lock per schema on PostgreSQL, the write lock on
   SQLite) and the unique keys refuse duplicates, so two sweeps at the same time enqueue each notice once — the
   database decides, not process memory.
   Texts are rendered at send time (``hub.notify``) from the escalation and the clock.

The policy (ladders, jurisdictions) and the recipient directory are loaded into temporary tables for each
run, so a changed policy file applies at the next sweep (a full one) without re-deriving any clock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, DateTime, TextClause, and_, bindparam, exists, func, or_, select, text, union
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.store.db import open_store
from hub.store.models import Case, Clock, Recommendation, SlaDerivation, SlaEvent, SlaSweepRun
from sla.calendar import OfficialCalendar, default_calendar
from sla.clocks import (
    ClockDates,
    DerivationConfig,
    DerivedClock,
    derive_case_clocks,
    load_case_facts,
)
from sla.escalation import Directory, evaluate, revoke_stale
from sla.periods import Period
from sla.policy import AGENCY_ROLES, ROUTE_ROLE, EscalationPolicy, load_policy

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
    return DerivationConfig(follow_up_period=Period.parse(policy.follow_up_period))


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

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _candidates(session: Session, rules: str, full: bool) -> list[int]:
    """Cases whose clock inputs may have changed since the last sweep (a superset; recompute compares digests).

    After a first sweep the scan is bounded by the last run's start (less an hour for writers whose
    transactions were still open): cases, recommendations and events written since, markers of another rule
    version, and clocks still waiting for a calendar year. The first sweep compares every case's marker.
    """
    if full:
        return list(session.scalars(select(Case.id).order_by(Case.id)))
    last = _last_run(session)
    # still waiting for a calendar year: re-derived each time, so a loaded year takes effect
    waiting = select(Clock.case_pk).where(Clock.state == "calendar_missing")
    if last is not None:
        since = last.started_at - WRITER_MARGIN
        parts = [
            select(Case.id).where(Case.updated_at > since),
            select(Recommendation.case_pk).where(Recommendation.updated_at > since),
            select(SlaEvent.case_pk).where(SlaEvent.recorded_at > since),
            waiting,
        ]
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
    cal = calendar if calendar is not None else default_calendar()
    config = derivation_config(policy)
    rules = config.digest
    report = RecomputeReport()
    with factory() as session:
        pks = list(case_pks) if case_pks is not None else _candidates(session, rules, full)
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
    meta = {pk: (cid, region, domain) for pk, cid, region, domain in session.execute(
        select(Case.id, Case.case_id, Case.region_code, Case.domain).where(Case.id.in_(case_pks)))}
    recs = {rn: (pk, agency_pk) for pk, rn, agency_pk in session.execute(
        select(Recommendation.id, Recommendation.rec_number, Recommendation.agency_pk)
        .where(Recommendation.case_pk.in_(case_pks)))}
    existing: dict[int, dict[str, Clock]] = {}
    for clock in session.execute(select(Clock).where(Clock.case_pk.in_(case_pks))).scalars():
        existing.setdefault(clock.case_pk, {})[clock.clock_key] = clock
    markers = {m.case_pk: m for m in session.execute(
        select(SlaDerivation).where(SlaDerivation.case_pk.in_(case_pks))).scalars()}
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
                    session, clock_pk=row.id, clock_key=dc.key, clock=dc, as_of=as_of, policy=resolved,
                    directory=directory, agency_pk=agency_pk, case_id=case_id, region_code=region, actor=actor,
                )
        for key, row in rows.items():  # derived before, not any more (e.g. a promise withdrawn on correction)
            if row.outcome == "closed" and row.inputs_digest == "withdrawn":
                continue
            before = _row_fields(row)
            row.outcome, row.resolved_on, row.met_on, row.state, row.level = "closed", None, None, "closed", None
            row.next_check_on = None
            row.inputs_digest = "withdrawn"
            row.explanation = {**(row.explanation or {}), "withdrawn": "更正后的记录不再产生此时钟，已关闭 / the "
                               "corrected records no longer give this clock: closed"}
            row.computed_at = watermark
            report.withdrawn += 1
            changes.append(_change(key, before, _row_fields(row)))
            dates = _dates(row)
            _, agency_pk = recs.get(_rec_of(key), (None, None))
            report.revoked += revoke_stale(
                session, clock_pk=row.id, clock_key=key, clock=dates, as_of=as_of, policy=resolved,
                directory=directory, agency_pk=agency_pk, case_id=case_id, region_code=region, actor=actor,
            )
        inputs_digest = audit.digest(sorted(dc.inputs_digest for dc in derived))
        if changes:
            audit.append(
                session, actor=actor, action="clock.recompute", object_type="case", object_id=case_id,
                before=[c["before"] for c in changes], after=[c["after"] for c in changes],
                detail={"as_of": as_of.isoformat(), "clocks": changes},
            )
        marker = markers.get(pk)
        if marker is None:
            session.add(SlaDerivation(case_pk=pk, inputs_digest=inputs_digest, rules_digest=config.digest,
                                      computed_at=watermark))
        else:
            marker.inputs_digest, marker.rules_digest, marker.computed_at = inputs_digest, config.digest, watermark


def _rec_of(clock_key: str) -> str:
    return clock_key.split(":", 1)[1]


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
    }


def _dates(row: Clock) -> ClockDates:
    return ClockDates(
        kind=row.kind, start_on=row.start_on, deadline_official=row.deadline_official,
        deadline_all_weekends=row.deadline_all_weekends, breach_after=row.breach_after, outcome=row.outcome,
        resolved_on=row.resolved_on, short_period=bool(row.short_period),
    )


def _change(key: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    fields = sorted(k for k in after if before is None or before.get(k) != after[k])
    return {
        "clock_key": key,
        "fields": {k: [None if before is None else _iso(before.get(k)), _iso(after[k])] for k in fields},
        "before": _jsonable(before),
        "after": _jsonable(after),
    }


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
    """Dialect fragments: date arithmetic, LEAST, JSON and temporary tables differ; the rest is portable SQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

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

    def json_object(self, pairs: dict[str, str]) -> str:
        fn = "json_build_object" if self.pg else "json_object"
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"{fn}({args})"

    def temp(self, name: str, columns: str) -> None:
        if self.pg:
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        else:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns})")

    def temp_as(self, name: str, query: str, params: dict[str, Any], *, analyze: bool = False) -> None:
        """A temporary table from a query (dropped at commit). Without ``analyze`` PostgreSQL estimates its
        rows from its size, which is close enough for these joins and saves a statistics pass per table."""
        if self.pg:
            self.conn.execute(text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}"), params)
            if analyze:
                self.conn.exec_driver_sql(f"ANALYZE {name}")
        else:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
            self.conn.execute(text(f"CREATE TEMP TABLE {name} AS {query}"), params)

    def drop(self, *names: str) -> None:
        if not self.pg:
            for name in names:
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")

    def open_clock(self, a: str = "c") -> str:
        """The clock runs on :d — :func:`sla.clocks.is_open`."""
        d = self.date()
        return (f"{a}.start_on <= {d} AND {a}.breach_after IS NOT NULL "
                f"AND ({a}.outcome IS NULL OR {a}.resolved_on > {d})")

    def due_on(self, a: str = "e") -> str:
        """The level's due date — :func:`sla.escalation.level_due_on`."""
        off = f"(CASE WHEN {a}.short_period THEN l.short_offset ELSE l.offset_days END)"
        return (f"(CASE WHEN l.from_official = 1 THEN {self.add_days(f'{a}.deadline_official', off)} "
                f"ELSE {self.add_days(f'{a}.breach_after', off)} END)")


def _insert_rows(conn: Connection, table: str, keys: Sequence[str], rows: list[dict[str, Any]], chunk: int = 200) -> None:
    """Multi-row INSERTs (a row-at-a-time executemany costs a round trip per row on PostgreSQL)."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values = ", ".join("(" + ", ".join(f":{k}_{i}" for k in keys) + ")" for i in range(len(part)))
        params = {f"{k}_{i}": row[k] for i, row in enumerate(part) for k in keys}
        conn.execute(text(f"INSERT INTO {table} VALUES {values}"), params)


def _load_policy_tables(sql: _Sql, policy: EscalationPolicy) -> None:
    """sla_pol: (region, domain) → policy; sla_lvl: ladder levels; sla_rcp: their recipients."""
    sql.temp("sla_pol", "region_code VARCHAR(6), domain VARCHAR(32), policy_key VARCHAR(80), "
             "due_soon INTEGER, short_due_soon INTEGER")
    sql.temp("sla_lvl", "policy_key VARCHAR(80), kind VARCHAR(16), level INTEGER, name VARCHAR(40), "
             "label VARCHAR(200), offset_days INTEGER, short_offset INTEGER, from_official INTEGER, "
             "until_breach INTEGER, escalates INTEGER, soon INTEGER")
    sql.temp("sla_rcp", "policy_key VARCHAR(80), kind VARCHAR(16), level INTEGER, pos INTEGER, "
             "role VARCHAR(40), template VARCHAR(60), agency_role INTEGER, route_role VARCHAR(40)")
    conn = sql.conn
    pairs = conn.execute(text("SELECT DISTINCT region_code, domain FROM cases")).all()
    pol_rows, lvl_rows, rcp_rows, seen = [], [], [], set()
    for region, domain in pairs:
        resolved = policy.resolve(region, domain)
        pol_rows.append({"r": region, "d": domain, "k": resolved.key, "ds": resolved.due_soon_days,
                         "sds": resolved.short_due_soon_days})
        if resolved.key in seen:
            continue
        seen.add(resolved.key)
        for kind, levels in resolved.ladders.items():
            for lv in levels:
                lvl_rows.append({
                    "k": resolved.key, "kind": kind, "level": lv.level, "name": lv.name, "label": lv.label,
                    "off": lv.offset_days, "soff": lv.offset_for(True), "fo": int(lv.offset_days <= 0),
                    "ub": int(lv.expires_at_breach), "esc": int(lv.marks == "escalated"),
                    "soon": int(lv.marks == "due_soon"),
                })
                for pos, r in enumerate(lv.recipients):
                    rcp_rows.append({
                        "k": resolved.key, "kind": kind, "level": lv.level, "pos": pos, "role": r.role,
                        "t": r.template or lv.template, "ar": int(r.role in AGENCY_ROLES),
                        "rr": ROUTE_ROLE.get(r.role, r.role),
                    })
    _insert_rows(conn, "sla_pol", ("r", "d", "k", "ds", "sds"), pol_rows)
    _insert_rows(conn, "sla_lvl", ("k", "kind", "level", "name", "label", "off", "soff", "fo", "ub", "esc", "soon"),
                 lvl_rows)
    _insert_rows(conn, "sla_rcp", ("k", "kind", "level", "pos", "role", "t", "ar", "rr"), rcp_rows)


def _load_directory_tables(sql: _Sql, directory: Directory) -> None:
    """sla_route: (agency, role) → recipient and route; sla_dir: route → addresses."""
    sql.temp("sla_route", "agency_pk BIGINT, role VARCHAR(40), recipient VARCHAR(200), route_key VARCHAR(200)")
    sql.temp("sla_dir", "route_key VARCHAR(200), channel VARCHAR(16), address VARCHAR(300), addr_key VARCHAR(16)")
    routes = [{"a": a, "r": role, "rc": rc, "rk": rk} for (a, role), (rc, rk) in directory.agency_routes.items()]
    _insert_rows(sql.conn, "sla_route", ("a", "r", "rc", "rk"), routes)
    entries = [{"rk": e.route_key, "c": e.channel, "ad": e.address, "k": e.addr_key} for e in directory.entries]
    _insert_rows(sql.conn, "sla_dir", ("rk", "c", "ad", "k"), entries)
    if sql.pg:
        for name in ("sla_pol", "sla_lvl", "sla_rcp", "sla_route", "sla_dir"):
            sql.conn.exec_driver_sql(f"ANALYZE {name}")


def _t(statement: str) -> TextClause:
    """``text()`` with ``:now`` typed, so SQLite stores it in the same format as the ORM does."""
    clause = text(statement)
    if ":now" in statement:
        clause = clause.bindparams(bindparam("now", type_=DateTime(timezone=True)))
    return clause


# ---------------------------------------------------------------------------------------------------------
# 2. Evaluate states and enqueue escalations (one transaction).


@dataclass
class EvaluationReport:
    mode: str = "daily"
    evaluated: int = 0
    states_changed: int = 0
    enqueued: dict[int, int] = field(default_factory=dict)
    messages: int = 0


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
) -> EvaluationReport:
    """Give clocks their state and level on ``as_of`` and enqueue the escalations due, set-based, atomically.

    Daily mode reads only clocks whose ``next_check_on`` has come (an index range); every other open clock
    provably has the same state, level and due levels as at its last evaluation. Full mode reads them all.
    Evaluations of one store take turns (a transaction-scoped advisory lock per schema on PostgreSQL, the
    write lock on SQLite), so the second of two concurrent sweeps finds the work done; the unique keys of
    ``escalations`` and ``outbox`` would refuse a duplicate even without the lock.
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
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
            # SSD storage: a work set of a few per cent of the clocks is cheaper by index than by scan.
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        last = _last_run(session)  # read under the lock: the previous evaluation has committed
        report.mode = _mode(last, as_of, policy, full)
        directory = Directory.build(session, policy)
        _load_policy_tables(sql, policy)
        _load_directory_tables(sql, directory)
        d = sql.date()
        params: dict[str, Any] = {"d": as_of if sql.pg else as_of.isoformat()}

        # The work set: clocks whose day has come (daily: an index range on next_check_on) or all (full), with
        # what evaluation needs. ``recheck`` marks clocks a recompute changed since the last run.
        where = f"WHERE c.next_check_on <= {d}" if report.mode == "daily" else ""
        params["recheck"] = CHECK_NOW if sql.pg else CHECK_NOW.isoformat()
        params["last"] = (last.as_of if sql.pg else last.as_of.isoformat()) if last is not None else params["recheck"]
        sql.temp_as("sla_eval", f"""
            SELECT c.id AS clock_pk, c.kind, c.start_on, c.deadline_official, c.breach_after, c.outcome,
                   c.resolved_on, c.short_period, r.agency_pk, k.case_id, k.region_code, p.policy_key,
                   CASE WHEN c.short_period THEN p.short_due_soon ELSE p.due_soon END AS due_soon,
                   CASE WHEN {sql.open_clock()} THEN 1 ELSE 0 END AS is_open,
                   CASE WHEN c.next_check_on = {sql.date("recheck")} THEN 1 ELSE 0 END AS recheck
            FROM clocks c
            JOIN cases k ON k.id = c.case_pk
            LEFT JOIN recommendations r ON r.id = c.recommendation_pk
            LEFT JOIN sla_pol p ON p.region_code = k.region_code AND p.domain = k.domain
            {where}
        """, params, analyze=True)
        report.evaluated = conn.execute(text("SELECT COUNT(*) FROM sla_eval")).scalar_one()
        # Every level of every clock in the work set: its due date and whether it is active on :d.
        sql.temp_as("sla_lv", f"""
            SELECT e.clock_pk, l.level, l.name, l.label, l.escalates, l.soon, {sql.due_on()} AS due_on,
                   CASE WHEN e.is_open = 1 AND {sql.due_on()} <= {d}
                             AND (l.until_breach = 0 OR {d} <= e.breach_after) THEN 1 ELSE 0 END AS active
            FROM sla_eval e
            JOIN sla_lvl l ON l.policy_key = e.policy_key AND l.kind = e.kind
            WHERE e.breach_after IS NOT NULL
        """, params, analyze=True)
        # State, level and the next day anything can change (sla.escalation.evaluate, sla.clocks.base_state).
        next_day = sql.least(
            f"CASE WHEN e.start_on > {d} THEN e.start_on END",
            f"CASE WHEN e.outcome IS NOT NULL AND e.resolved_on > {d} THEN e.resolved_on END",
            f"CASE WHEN {sql.add_days('e.deadline_official', '-e.due_soon')} > {d} "
            f"THEN {sql.add_days('e.deadline_official', '-e.due_soon')} END",
            f"CASE WHEN {sql.add_days('e.breach_after', '1')} > {d} THEN {sql.add_days('e.breach_after', '1')} END",
            "a.next_level",
        )
        sql.temp_as("sla_new", f"""
            SELECT e.clock_pk,
                CASE
                    WHEN e.outcome IS NOT NULL AND (e.resolved_on IS NULL OR e.resolved_on <= {d}) THEN e.outcome
                    WHEN e.start_on IS NULL OR e.start_on > {d} THEN 'pending'
                    WHEN e.breach_after IS NULL THEN 'calendar_missing'
                    WHEN {d} > e.breach_after THEN CASE WHEN a.esc = 1 THEN 'escalated' ELSE 'breached' END
                    WHEN {d} >= {sql.add_days('e.deadline_official', '-e.due_soon')} OR a.soon = 1 THEN 'due_soon'
                    ELSE 'running'
                END AS state,
                CASE WHEN e.is_open = 1 THEN a.level END AS level,
                CASE WHEN e.outcome IS NOT NULL AND (e.resolved_on IS NULL OR e.resolved_on <= {d}) THEN NULL
                     ELSE {next_day} END AS next_check_on
            FROM sla_eval e
            LEFT JOIN (
                SELECT clock_pk, MAX(CASE WHEN active = 1 THEN level END) AS level,
                       MAX(CASE WHEN active = 1 THEN escalates ELSE 0 END) AS esc,
                       MAX(CASE WHEN active = 1 THEN soon ELSE 0 END) AS soon,
                       MIN(CASE WHEN due_on > {d} THEN due_on END) AS next_level
                FROM sla_lv GROUP BY clock_pk
            ) a ON a.clock_pk = e.clock_pk
        """, params)
        # (daily: the work-set predicate again, so the planner reaches the rows through the same index)
        changed = conn.execute(text(f"""
            UPDATE clocks SET state = n.state, level = n.level, next_check_on = n.next_check_on
            FROM sla_new n
            WHERE clocks.id = n.clock_pk {where.replace("WHERE c.", "AND clocks.")}
              AND (clocks.state <> n.state OR {sql.distinct('clocks.level', 'n.level')}
                   OR {sql.distinct('clocks.next_check_on', 'n.next_check_on')})
        """), params)
        report.states_changed = changed.rowcount

        # Due escalations (first role wins where two roles reach the same recipient). A daily run need only
        # look at levels due since the last run, and at every level of a re-derived clock; whatever was
        # enqueued before is skipped by the unique key.
        newly = (f"AND (lv.due_on > {sql.date('last')} OR e.recheck = 1)" if report.mode == "daily" else "")
        recipient = ("CASE WHEN rc.agency_role = 1 "
                     "THEN COALESCE(ar.recipient, 'unresolved:' || rc.role || ':' || e.case_id) "
                     "ELSE rc.role || ':' || e.case_id END")
        route = ("CASE WHEN rc.agency_role = 1 THEN COALESCE(ar.route_key, 'operator') "
                 "ELSE rc.route_role || '@' || e.region_code END")
        sql.temp_as("sla_due", f"""
            SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.clock_pk, x.level, x.recipient ORDER BY x.pos) AS rn
            FROM (
                SELECT lv.clock_pk, lv.level, lv.name AS level_name, lv.label, rc.role, rc.template,
                       {recipient} AS recipient, {route} AS route_key, e.case_id, lv.due_on, rc.pos
                FROM sla_lv lv
                JOIN sla_eval e ON e.clock_pk = lv.clock_pk
                JOIN sla_rcp rc ON rc.policy_key = e.policy_key AND rc.kind = e.kind AND rc.level = lv.level
                LEFT JOIN sla_route ar ON ar.agency_pk = e.agency_pk AND ar.role = rc.role
                WHERE lv.active = 1 {newly}
            ) x
        """, params)
        # Each due escalation with each address it reaches (the message rows to write).
        sql.temp_as("sla_addr", """
            SELECT u.clock_pk, u.level, u.level_name, u.label, u.recipient, u.role, u.template, u.due_on,
                   dir.channel, dir.addr_key, REPLACE(dir.address, '{case_id}', u.case_id) AS address
            FROM sla_due u JOIN sla_dir dir ON dir.route_key = u.route_key
            WHERE u.rn = 1
        """, params)
        payload = sql.json_object({"template": "a.template", "role": "a.role", "as_of": d})
        columns = ("dedupe_key, escalation_pk, channel, recipient, subject, body, payload, status, attempts, "
                   "next_attempt_at, created_at")
        values = (f"'esc:' || es.id || ':' || a.channel || ':' || a.addr_key, es.id, a.channel, a.address, a.label, "
                  f"'', {payload}, 'pending', 0, :now, :now")
        # Sorted inserts: concurrent sweeps take the unique-index locks in the same order (no deadlock). An
        # escalation another sweep inserted first is skipped here, and its messages with it: that sweep wrote
        # them in its own transaction.
        insert_escalations = """
            INSERT INTO escalations (clock_pk, level, level_name, recipient, due_on, enqueued_at)
            SELECT clock_pk, level, level_name, recipient, due_on, :now FROM sla_due
            WHERE rn = 1
            ORDER BY clock_pk, level, recipient
            ON CONFLICT DO NOTHING
        """
        if sql.pg:  # one statement: the messages of exactly the escalations this statement inserted
            rows = conn.execute(_t(f"""
                WITH es AS ({insert_escalations} RETURNING id, clock_pk, level, recipient),
                msg AS (
                    INSERT INTO outbox ({columns})
                    SELECT {values}
                    FROM es JOIN sla_addr a ON a.clock_pk = es.clock_pk AND a.level = es.level
                                           AND a.recipient = es.recipient
                    ORDER BY 1
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT es.level, COUNT(*), (SELECT COUNT(*) FROM msg) FROM es GROUP BY es.level
            """), {**params, "now": now}).all()
            report.enqueued = {int(level): int(n) for level, n, _ in rows}
            report.messages = int(rows[0][2]) if rows else 0
        else:  # SQLite: the write lock serialises sweeps; new escalations are found by their timestamp
            conn.execute(_t(insert_escalations), {"now": now})
            report.messages = conn.execute(_t(f"""
                INSERT INTO outbox ({columns})
                SELECT {values}
                FROM sla_addr a
                JOIN escalations es ON es.clock_pk = a.clock_pk AND es.level = a.level AND es.recipient = a.recipient
                WHERE es.enqueued_at = :now
                ORDER BY 1
                ON CONFLICT DO NOTHING
            """), {**params, "now": now}).rowcount
            report.enqueued = {
                int(level): int(n)
                for level, n in conn.execute(_t("""
                    SELECT u.level, COUNT(*) FROM sla_due u
                    JOIN escalations es ON es.clock_pk = u.clock_pk AND es.level = u.level
                                        AND es.recipient = u.recipient
                    WHERE u.rn = 1 AND es.enqueued_at = :now
                    GROUP BY u.level
                """), {"now": now})
            }
        sql.drop("sla_pol", "sla_lvl", "sla_rcp", "sla_route", "sla_dir", "sla_eval", "sla_lv",
                 "sla_new", "sla_due", "sla_addr")
        if not sql.pg:  # the sqlite3 module reports no row count for UPDATE … FROM in some versions
            report.states_changed = max(report.states_changed, 0)
        escalations = sum(report.enqueued.values())
        session.add(SlaSweepRun(as_of=as_of, mode=report.mode, policy_fingerprint=policy.fingerprint,
                                rules_digest=derivation_config(policy).digest,
                                evaluated=report.evaluated, escalations=escalations, messages=report.messages,
                                started_at=now, finished_at=dt.datetime.now(dt.UTC)))
        if escalations or report.messages:
            audit.append(
                session, actor=actor, action="escalation.enqueue", object_type="sweep", object_id=as_of.isoformat(),
                after={"by_level": report.enqueued, "messages": report.messages},
                detail={"as_of": as_of.isoformat(), "enqueued_at": now.isoformat(), "mode": report.mode,
                        "by_level": {str(k): v for k, v in sorted(report.enqueued.items())},
                        "messages": report.messages, "policy": policy.fingerprint},
            )
    return report


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
    counts = dict(session.execute(select(Clock.state, func.count()).group_by(Clock.state)).tuples().all())
    return dict(sorted(counts.items()))


def _warnings(session: Session) -> list[str]:
    out: list[str] = []
    missing = session.execute(select(Clock.explanation).where(Clock.state == "calendar_missing")).scalars().all()
    if missing:
        years = sorted({y for e in missing for y in (e or {}).get("calendar_missing_years", [])})
        listed = "、".join(str(y) for y in years)
        out.append(
            f"{len(missing)} 个时钟的届满日落在尚未录入官方节假日安排的年份（{listed}），状态为 calendar_missing，"
            f"不会认定超期；请在国务院公布后更新 sla/data/calendar_overrides.toml 或 PILHUB_CALENDAR_FILE / "
            f"{len(missing)} clocks end in a year without an official calendar ({listed}): calendar_missing, no "
            "breach is declared; load the schedule once published"
        )
    announced = select(SlaEvent.case_pk).where(SlaEvent.kind == "announcement")
    unknown = session.scalar(
        select(func.count()).select_from(Case).where(
            and_(Case.procedure.in_(("civil", "criminal_incidental_civil")), Case.litigation_status == "announcement",
                 Case.status != "closed", Case.id.not_in(announced))
        )
    )
    if unknown:
        out.append(
            f"{unknown} 件民事公益诉讼案件处于公告阶段但未登记公告日期，无法计算30日公告期间；请用 "
            f"`pilhub sla event CASE_ID --kind announcement --on DATE` 登记 / {unknown} civil cases are in the "
            "announcement stage without a recorded announcement date: record it to start the 30-day clock"
        )
    return out


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
    evaluation = evaluate_clocks(factory, as_of=as_of, policy=policy, full=full, actor=actor)
    timings["evaluate_and_enqueue"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    with factory() as session:
        states = state_counts(session)
        warnings = _warnings(session)
    timings["report"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return SweepReport(as_of, rec, evaluation, states, warnings, timings)
