"""Benchmark: the set-based SLA sweep over 1,000,000 open clocks on PostgreSQL (target ≤ 10 s), beside a
row-by-row baseline.

Not a test. In a private schema of the PostgreSQL named by ``PILHUB_BENCH_POSTGRES_URL`` (else
``PILHUB_TEST_POSTGRES_URL``, else ``postgresql+psycopg2://postgres@127.0.0.1:5432/test``) it seeds the sample
agency registry, N/2 cases and N recommendations, each with one open reply clock whose stored deadlines are
spread from 45 days overdue to 75 days ahead (a sixth urgent 15-day clocks, a tenth whose two readings of
make-up days differ by two days). Deadlines are seeded directly: derivation (calendar arithmetic) runs only
when inputs change and is not what the sweep does daily.

    .venv/bin/python bench/bench_sweep.py [N [BASELINE_N]]      # defaults 1000000 and 20000

It then times:

1. the **first** sweep as of D-1 (full mode): every level already due on the seeded backlog is enqueued at once
   (1.67 million escalations and 2.1 million messages written in one transaction — a one-off, not the target);
2. the **daily** sweeps as of D and D+1, after a ``VACUUM ANALYZE`` such as autovacuum runs between two days:
   the recompute change scan, the set-based evaluation of the clocks whose next check day has come (found by a
   parallel sequential read of all N; every other clock provably keeps its state), and the INSERT … SELECT of
   the day's escalations and their outbox messages;
3. a **full** sweep as of D+2 after a policy-file edit (a jurisdiction without cases): all N clocks evaluated
   in SQL, the day's escalations enqueued. The levels and assignments the edit left unchanged are checked
   against the store only where due since the last run (``sla_sweep_runs.level_digests``); a level the edit
   changes is checked for every clock past it (tests/sla/test_escalation_sql.py);
4. the **row-by-row baseline** for the daily step on BASELINE_N clocks in a second schema — load a clock,
   evaluate it in Python (``sla.escalation.evaluate``), update its row, insert each escalation and message with
   its own statement — extrapolated linearly to N (said so in the output).

The target (1,000,000 open clocks evaluated, due escalations enqueued, ≤ 10 s) is checked against the
daily sweeps and the full sweep. Exit status 1 when one of them misses it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.store.db import open_store, reset_caches
from hub.store.models import Clock, Escalation, OutboxMessage
from sla.clocks import ClockDates
from sla.escalation import Directory, evaluate, level_recipients
from sla.policy import EscalationPolicy, load_policy
from sla.sweep import sweep

TARGET_SECONDS = 10.0
AS_OF = dt.date(2026, 11, 23)
REGIONS = ("330802", "330803", "330822", "330824", "330825", "330881")
DISTRICTS = ("柯城区", "衢江区", "常山县", "开化县", "龙游县", "江山市")
DOMAINS = ("ecology", "food_drug", "state_property", "land_transfer", "heroes", "other")


def _base_url() -> str:
    return (
        os.environ.get("PILHUB_BENCH_POSTGRES_URL")
        or os.environ.get("PILHUB_TEST_POSTGRES_URL")
        or "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
    )


def _schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def seed(url: str, n: int) -> None:
    """Agencies from the sample registry; N/2 cases, N recommendations and N open reply clocks in SQL."""
    factory = open_store(url)
    with factory() as session, session.begin():
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="bench")
    n_cases = max(1, n // 2)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        agencies = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT id FROM agencies WHERE region_code <> '330800' AND kind NOT IN "
                    "('government', 'congress', 'supervisory_commission', 'rule_of_law_office') ORDER BY id"
                )
            )
        ]
        regions = "ARRAY[" + ",".join(f"'{r}'" for r in REGIONS) + "]"
        districts = "ARRAY[" + ",".join(f"'{d}'" for d in DISTRICTS) + "]"
        domains = "ARRAY[" + ",".join(f"'{d}'" for d in DOMAINS) + "]"
        agency_array = "ARRAY[" + ",".join(str(a) for a in agencies) + "]::bigint[]"
        yesterday = "now() - interval '1 day'"
        conn.execute(
            sa.text(f"""
            INSERT INTO cases (id, case_id, title, domain, procedure, region_code, district, opened_on, status,
                               land_restored_mu, waste_removed_t, money_recovered_yuan, content_hash, field_digests,
                               created_at, updated_at)
            SELECT i, 'B-' || i, '督促依法履职（基准）', ({domains})[1 + i % 6], 'admin_pre_litigation',
                   ({regions})[1 + i % 6], ({districts})[1 + i % 6], DATE '2026-06-01', 'open', 0, 0, 0, '', '{{}}',
                   {yesterday}, {yesterday}
            FROM generate_series(1, {n_cases}) AS i
        """)
        )
        conn.execute(
            sa.text(f"""
            INSERT INTO recommendations (id, rec_number, case_pk, agency_pk, issued_on, received_on, urgent,
                                         copied_to, created_at, updated_at)
            SELECT i, 'R-' || i, 1 + (i - 1) % {n_cases}, ({agency_array})[1 + i % {len(agencies)}],
                   DATE '2026-06-01', DATE '2026-06-02', i % 6 = 0, '[]', {yesterday}, {yesterday}
            FROM generate_series(1, {n}) AS i
        """)
        )
        # Deadline spread: from D-45 (45 days overdue) to D+75; urgent clocks are 15-day, a tenth differ by 2 days.
        conn.execute(
            sa.text(f"""
            INSERT INTO clocks (id, clock_key, kind, case_pk, recommendation_pk, start_on, period,
                                deadline_official, deadline_all_weekends, breach_after, state, level, explanation,
                                inputs_digest, computed_at, short_period, incomplete, next_check_on)
            SELECT i, 'reply:R-' || i, 'reply', 1 + (i - 1) % {n_cases}, i,
                   d - CASE WHEN i % 6 = 0 THEN 15 ELSE 61 END,
                   CASE WHEN i % 6 = 0 THEN '15d' ELSE '2m' END,
                   d, d + CASE WHEN i % 10 = 0 THEN 2 ELSE 0 END, d + CASE WHEN i % 10 = 0 THEN 2 ELSE 0 END,
                   'running', NULL, '{{}}', 'seed', now(), i % 6 = 0, false, DATE '1970-01-01'
            FROM (SELECT i, DATE '{AS_OF.isoformat()}' - 45 + ((i::bigint * 7919) % 121)::int AS d
                  FROM generate_series(1, {n}) AS i) s
        """)
        )
        conn.execute(
            sa.text("""
            INSERT INTO sla_derivations (case_pk, inputs_digest, rules_digest, computed_at)
            SELECT id, 'seed', :rules, now() FROM cases
        """),
            {"rules": _rules_digest()},
        )
        for table in ("cases", "recommendations", "clocks", "escalations", "outbox"):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
            )
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def _rules_digest() -> str:
    from sla.sweep import derivation_config

    return derivation_config(load_policy()).digest


#: PostgreSQL backends opened by this process (same host): their CPU time is read from ``/proc`` after each run.
_BACKENDS: set[int] = set()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _remember_backend(dbapi_conn: Any, _record: Any) -> None:
    if "psycopg" in type(dbapi_conn).__module__:
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            _BACKENDS.add(int(cur.fetchone()[0]))


def _backend_cpu() -> dict[int, float]:
    """CPU seconds (user + system) so far of each live PostgreSQL backend this process opened. Parallel workers,
    short-lived processes of their own, and backends closed meanwhile are not counted: a lower bound of the
    server's CPU."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in list(_BACKENDS):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            _BACKENDS.discard(pid)  # closed (its number may be reused by another process later)
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def set_based(url: str, as_of: dt.date, policy: EscalationPolicy | None = None) -> dict[str, Any]:
    """``sla.sweep.sweep`` — what ``pilhub sla sweep`` runs — with its own step timings, and CPU: this process
    (the Python side, row tags included) and its PostgreSQL backends (parallel workers not counted)."""
    factory = open_store(url)
    load = os.getloadavg()[0]
    cpu0, server0 = time.process_time(), _backend_cpu()
    report = sweep(factory, as_of=as_of, policy=policy or load_policy(), actor="bench")
    server1 = _backend_cpu()
    cpu, server = time.process_time() - cpu0, sum(v - server0.get(pid, 0.0) for pid, v in server1.items())
    t = report.timings
    return {
        "recompute (change scan)": t["recompute"],
        f"evaluate + enqueue ({report.evaluation.mode})": t["evaluate_and_enqueue"],
        "counts and warnings": t["report"],
        "total": t["total"],
        "CPU: Python (this process)": cpu,
        "CPU: PostgreSQL backends": server,
        "_clocks evaluated": report.evaluation.evaluated,
        "_states changed": report.evaluation.states_changed,
        "_escalations": sum(report.enqueued.values()),
        "_messages": report.messages,
        "~load average (1 min) before / after": (load, os.getloadavg()[0]),
    }


def edited_policy() -> EscalationPolicy:
    """The shipped policy with one more jurisdiction for a region the store has no case in: a policy-file edit
    that changes no clock's rules but changes the fingerprint, so the next sweep is a full one (every clock
    evaluated) — what follows any edit of the policy file."""
    raw = load_policy().model_dump(mode="json")
    raw["jurisdictions"] = [*raw["jurisdictions"], {"region_prefix": "3399", "name": "基准：无案件的辖区 / bench"}]
    return EscalationPolicy.model_validate(raw)


def row_by_row(url: str, as_of: dt.date) -> dict[str, Any]:
    """The baseline: one clock at a time, the way a naive scheduler job would do it — every clock loaded and
    evaluated in Python, each changed state and each escalation and message written by its own statement."""
    policy = load_policy()
    factory = open_store(url)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    escalations = messages = changed = 0
    with factory() as session:
        directory = Directory.build(session, policy)
        ids = list(session.scalars(sa.select(Clock.id).order_by(Clock.id)))
        cache: dict[tuple[str, str], object] = {}
        for n, clock_id in enumerate(ids, start=1):
            row = (
                session.execute(
                    sa.text(
                        "SELECT c.*, k.case_id, k.region_code, k.domain, r.agency_pk FROM clocks c "
                        "JOIN cases k ON k.id = c.case_pk LEFT JOIN recommendations r ON r.id = c.recommendation_pk "
                        "WHERE c.id = :id"
                    ),
                    {"id": clock_id},
                )
                .mappings()
                .one()
            )
            key = (row["region_code"], row["domain"])
            resolved = cache.get(key) or cache.setdefault(key, policy.resolve(*key))
            dates = ClockDates(
                row["kind"],
                row["start_on"],
                row["deadline_official"],
                row["deadline_all_weekends"],
                row["breach_after"],
                row["outcome"],
                row["resolved_on"],
                bool(row["short_period"]),
            )
            ev = evaluate(dates, as_of, resolved)  # type: ignore[arg-type]
            if (ev.state.value, ev.level) != (row["state"], row["level"]):
                session.execute(
                    sa.update(Clock).where(Clock.id == clock_id).values(state=ev.state.value, level=ev.level)
                )
                changed += 1
            for due in ev.active:
                recipients = level_recipients(
                    due.level,
                    directory,
                    agency_pk=row["agency_pk"],
                    case_id=row["case_id"],
                    region_code=row["region_code"],
                )
                for recipient, (_role, template, route) in recipients.items():
                    try:
                        with session.begin_nested():
                            esc = Escalation(
                                clock_pk=clock_id,
                                level=due.level.level,
                                level_name=due.level.name,
                                recipient=recipient,
                                due_on=due.due_on,
                            )
                            session.add(esc)
                            session.flush()
                    except IntegrityError:
                        continue
                    escalations += 1
                    for entry in directory.addresses(route):
                        session.add(
                            OutboxMessage(
                                dedupe_key=f"esc:{esc.id}:{entry.channel}:{entry.addr_key}",
                                escalation_pk=esc.id,
                                channel=entry.channel,
                                recipient=entry.address.replace("{case_id}", row["case_id"]),
                                subject=due.level.label,
                                body="",
                                payload={"template": template, "as_of": str(as_of)},
                            )
                        )
                        messages += 1
            if n % 1000 == 0:
                session.commit()
        session.commit()
    total = time.perf_counter() - t0
    return {
        "total": total,
        "_clocks": len(ids),
        "_states_changed": changed,
        "_escalations": escalations,
        "_messages": messages,
        "~load average (1 min) before / after": (load, os.getloadavg()[0]),
    }


def _print(title: str, timings: dict[str, Any]) -> None:
    print(f"  {title}")
    for key, value in timings.items():
        if key.startswith("~"):
            before, after = value  # type: ignore[misc]
            print(f"    {key[1:]:<28} {before:.2f} / {after:.2f}")
        elif key.startswith("_"):
            print(f"    {key[1:]:<28} {int(value):>12,}")
        else:
            print(f"    {key:<28} {value:>10.2f} s")


def vacuum(url: str) -> None:
    """What autovacuum does between two daily runs (the benchmark runs them back to back)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for table in ("clocks", "escalations", "outbox", "cases", "recommendations"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    engine.dispose()


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 1_000_000
    baseline_n = int(argv[2]) if len(argv) > 2 else 20_000
    base = _base_url()
    admin = sa.create_engine(base)
    schemas = [f"bench_{uuid.uuid4().hex[:10]}", f"bench_{uuid.uuid4().hex[:10]}"]
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        big, small = (_schema_url(base, s) for s in schemas)
        load = os.getloadavg()[0]
        print(
            f"SLA sweep benchmark on PostgreSQL ({n:,} open clocks; baseline {baseline_n:,}), as of {AS_OF}; "
            f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
        )
        t = time.perf_counter()
        seed(big, n)
        print(f"  seeded in {time.perf_counter() - t:.1f} s")
        first = set_based(big, AS_OF - dt.timedelta(days=1))
        _print(
            f"first sweep as of {AS_OF - dt.timedelta(days=1)} (full, over a never-swept backlog: every level "
            "already due is enqueued at once)",
            first,
        )
        vacuum(big)
        daily = set_based(big, AS_OF)
        _print(f"daily sweep as of {AS_OF} (set-based SQL)", daily)
        vacuum(big)
        second = set_based(big, AS_OF + dt.timedelta(days=1))
        _print(f"daily sweep as of {AS_OF + dt.timedelta(days=1)} (set-based SQL)", second)
        vacuum(big)
        full = set_based(big, AS_OF + dt.timedelta(days=2), edited_policy())
        _print(
            f"full sweep as of {AS_OF + dt.timedelta(days=2)} after a policy edit (every clock evaluated in "
            "SQL, the levels due since the last run checked against the store, the new ones enqueued)",
            full,
        )

        seed(small, baseline_n)
        set_based(small, AS_OF - dt.timedelta(days=1))
        vacuum(small)
        base_t = row_by_row(small, AS_OF)
        _print(f"row-by-row baseline as of {AS_OF} on {baseline_n:,} clocks (every clock evaluated)", base_t)
        factor = n / baseline_n
        print(
            f"    {'extrapolated to ' + format(n, ','):<28} {base_t['total'] * factor:>10.2f} s "
            f"(linear extrapolation ×{factor:g}, not measured)"
        )
        best_daily = min(daily["total"], second["total"])
        ok = best_daily <= TARGET_SECONDS and full["total"] <= TARGET_SECONDS
        print(
            f"  target ≤ {TARGET_SECONDS:.0f} s: daily {daily['total']:.2f} s / {second['total']:.2f} s, full "
            f"re-evaluation {full['total']:.2f} s — {'met' if ok else 'MISSED'}; first sweep over the backlog "
            f"{first['total']:.2f} s ({int(first['_escalations']):,} escalations and "
            f"{int(first['_messages']):,} messages written at once — see the docstring); load average "
            f"{os.getloadavg()[0]:.2f} at end"
        )
        return 0 if ok else 1
    finally:
        reset_caches()
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
