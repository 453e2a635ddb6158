"""Benchmark: every supervision model over 1,000,000 agency records and 100,000 cases (target ≤ 60 s).

Not a test. Seeds a migrated store with agency records written straight into ``agency_records`` (the
contract and the loader are benched elsewhere) — penalties of two agencies, exceedances, forest-land
cases and restorations, licences, sampling failures, judgments and executions, 8 % of them with a
superseded earlier version — and 100,000 registry cases, each with a party, a recommendation and a
reply (60 % declared rectified). Then times ``hub.clues.run.run_models`` for all models at one as-of
date, twice: the first run stores every hit as a new clue, the second refreshes them.

    .venv/bin/python bench/bench_clues.py [RECORDS] [CASES]                       # SQLite file in a temp dir
    PILHUB_BENCH_SQLITE=/tmp/clues-1m.db .venv/bin/python bench/bench_clues.py    # keep / re-use the seeded file
    PILHUB_BENCH_POSTGRES_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_clues.py [RECORDS] [CASES]                   # PostgreSQL (own schema;
                                                                                  # PILHUB_BENCH_PG_SCHEMA=s keeps it)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

AS_OF = dt.date(2026, 11, 30)
REGIONS = ("330802", "330803", "330822", "330824", "330825", "330881")
#: kind → share of the records
MIX = {
    "env.penalty": 0.30,
    "market.penalty": 0.15,
    "env.exceedance": 0.12,
    "forestry.case": 0.12,
    "forestry.restoration": 0.12,
    "market.licence": 0.05,
    "market.sampling_failure": 0.08,
    "court.judgment": 0.03,
    "court.execution": 0.03,
}


def _day(rng: random.Random, span: int = 1100) -> str:
    return (AS_OF - dt.timedelta(days=rng.randrange(span))).isoformat()


def _code(n: int) -> str:
    return f"91{REGIONS[n % 6]}MA{n:08d}"


def _payload(kind: str, n: int, rng: random.Random, companies: int) -> dict:
    company = rng.randrange(companies)
    region = REGIONS[company % 6]
    if kind.endswith(".penalty"):
        issuer = "衢环罚" if kind.startswith("env") else "衢市监罚"
        return {
            "doc_number": f"{issuer}〔2026〕{n}号",
            "party_type": "organisation",
            "credit_code": _code(company),
            "decision_date": _day(rng),
            "fine_amount_yuan": "50000",
            "region_code": region,
            "violation_facts": "超标排放",
            "legal_basis": "水污染防治法第八十三条",
        }
    if kind == "env.exceedance":
        return {
            "site": "排放口",
            "pollutant": "COD",
            "measured_value": "80",
            "limit_value": "50",
            "unit": "mg/L",
            "measured_at": _day(rng) + "T08:00:00+08:00",
            "credit_code": _code(company),
            "region_code": region,
        }
    case_no = n // 2  # a case and its restoration share the number
    if kind == "forestry.case":
        return {
            "case_number": f"龙林罚决字〔2025〕第{case_no}号",
            "case_type": "illegal_occupation",
            "area_mu": "2",
            "location": "林班",
            "region_code": region,
            "occurred_on": _day(rng),
            "filed_on": _day(rng),
            "credit_code": _code(company),
        }
    if kind == "forestry.restoration":
        status = rng.choice(("accepted", "accepted", "in_progress", "completed", "failed_inspection"))
        return {
            "case_number": f"龙林罚决字[2025]第{case_no - 1}号",
            "area_mu": "2",
            "status": status,
            "inspected_on": _day(rng, 900),
        }
    if kind == "market.licence":
        status = rng.choice(("valid", "valid", "expired", "revoked", "cancelled"))
        start = _day(rng, 1500)
        end = (dt.date.fromisoformat(start) + dt.timedelta(days=365 * 2)).isoformat()
        return {
            "licence_number": f"JY1330802{n:07d}",
            "credit_code": _code(company),
            "valid_from": start,
            "valid_to": end,
            "status": status,
            "region_code": region,
        }
    if kind == "market.sampling_failure":
        return {
            "sample_number": f"SC{n}",
            "product_name": "米粉",
            "seller_credit_code": _code(company),
            "failed_items": ["菌落总数"],
            "sampled_on": _day(rng),
            "region_code": region,
            "sector": "food",
        }
    if kind == "court.judgment":
        return {
            "case_number": f"（2025）浙0825民初{n}号",
            "court_name": "龙游县人民法院",
            "decision_type": "judgment",
            "decided_on": _day(rng),
            "outcome": "判令修复",
            "restoration_cost_yuan": str(rng.randrange(0, 500000)),
        }
    return {
        "case_number": f"（2025）浙0825执{n}号",
        "court_name": "龙游县人民法院",
        "basis_case_number": f"（2025）浙0825民初{n - rng.randrange(0, 3) * 7}号",
        "filed_on": _day(rng),
        "status": "in_progress",
    }


def seed(url: str, records: int, cases: int) -> None:
    from hub.store.db import upgrade

    upgrade(url)
    engine = create_engine(url)
    rng = random.Random(20261130)
    companies = max(records // 8, 1000)
    fetched = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    started = time.perf_counter()
    from hub.store.models import Agency, AgencyRecord, Case, Party, Recommendation, Reply

    insert = AgencyRecord.__table__.insert()  # Core: batched (insertmanyvalues) on PostgreSQL too
    rows: list[dict] = []
    written = 0
    with engine.begin() as conn:
        n = 0
        while written < records:
            n += 1
            kind = rng.choices(kinds, weights)[0]
            agency = {"env": "330800-sthj", "market": "330800-scjg", "forestry": "330825-ly", "court": "330825-fy"}[
                kind.split(".")[0]
            ]
            payload = _payload(kind, n, rng, companies)
            versions = 2 if rng.random() < 0.08 and written + 1 < records else 1
            for version in range(1, versions + 1):
                if version == 1 and versions == 2:
                    old = dict(payload)
                    old["region_code"] = payload.get("region_code", "330802")
                    body = old
                else:
                    body = payload
                rows.append(
                    {
                        "agency_code": agency,
                        "stream": kind,
                        "source_id": f"S{n}",
                        "version": version,
                        "is_current": version == versions,
                        "kind": kind,
                        "payload": body,
                        "schema_version": "1.0.0",
                        "content_hash": f"{n:064d}",
                        "fetched_at": fetched,
                        "loaded_at": fetched,
                    }
                )
                written += 1
            if len(rows) >= 20000:
                conn.execute(insert, rows)
                rows.clear()
        if rows:
            conn.execute(insert, rows)
        print(f"  {written} agency records seeded in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        now = fetched
        case_rows, party_rows, rec_rows, reply_rows = [], [], [], []
        for c in range(1, cases + 1):
            region = REGIONS[c % 6]
            case_rows.append(
                {
                    "id": c,
                    "case_id": f"B-{c:06d}",
                    "title": "督促履职",
                    "domain": "ecology",
                    "procedure": "admin_pre_litigation",
                    "region_code": region,
                    "district": "区",
                    "opened_on": dt.date(2024, 1, 1) + dt.timedelta(days=c % 900),
                    "status": "open",
                    "content_hash": "0",
                    "field_digests": "{}",
                    "created_at": now,
                    "updated_at": now,
                    "land": 0,
                    "waste": 0,
                    "money": 0,
                }
            )
            party_rows.append(
                {
                    "case_pk": c,
                    "position": 0,
                    "kind": "company",
                    "name": "某公司",
                    "credit_code": _code(rng.randrange(companies)),
                }
            )
            rec_rows.append(
                {
                    "id": c,
                    "rec_number": f"龙检行公建〔2025〕{c}号",
                    "case_pk": c,
                    "agency_pk": 1,
                    "issued_on": dt.date(2025, 1, 1) + dt.timedelta(days=c % 500),
                    "urgent": False,
                    "copied_to": "[]",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            rectified = rng.random() < 0.6
            reply_rows.append(
                {
                    "recommendation_pk": c,
                    "seq": 1,
                    "replied_on": dt.date(2025, 3, 1) + dt.timedelta(days=c % 500),
                    "has_evidence": True,
                    "rectified": rectified,
                    "rectified_on": (dt.date(2025, 4, 1) + dt.timedelta(days=c % 500)) if rectified else None,
                    "source": "registry",
                }
            )
        conn.execute(
            Agency.__table__.insert(),
            [
                {
                    "id": 1,
                    "code": "330825-ly",
                    "name": "龙游县林业局",
                    "kind": "forestry",
                    "contacts": [],
                    "registered": True,
                    "created_at": now,
                }
            ],
        )
        for row in case_rows:
            row.update(
                land_restored_mu=row.pop("land"),
                waste_removed_t=row.pop("waste"),
                money_recovered_yuan=row.pop("money"),
                field_digests={},
            )
        for row in rec_rows:
            row["copied_to"] = []
        for model, table_rows in (
            (Case, case_rows),
            (Party, party_rows),
            (Recommendation, rec_rows),
            (Reply, reply_rows),
        ):
            for start in range(0, len(table_rows), 20000):
                conn.execute(model.__table__.insert(), table_rows[start : start + 20000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE agency_records, cases, parties, recommendations, replies"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"  {cases} cases (party, recommendation, reply) seeded in {time.perf_counter() - started:.1f} s", flush=True)


def run(url: str) -> list[float]:
    from hub.clues.run import run_models
    from hub.store.db import open_store

    factory = open_store(url)
    times = []
    for attempt in ("first run (all hits new)", "second run (refresh)"):
        started, cpu = time.perf_counter(), time.process_time()
        with factory() as session, session.begin():
            report = run_models(session, AS_OF, actor="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        times.append(seconds)
        per_model = ", ".join(
            f"{k} {v['hits']} hits {v['seconds']:.1f} s (query {v['query_seconds']:.1f} s)"
            for k, v in report.models.items()
        )
        print(
            f"  {attempt}: {seconds:.1f} s wall, {cpu:.1f} s CPU in this process, load {os.getloadavg()[0]:.1f}"
            f" — {report.hits} clues (new {report.new}, refreshed "
            f"{report.refreshed}, unchanged {report.unchanged}); {per_model}",
            flush=True,
        )
    return times


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    os.environ.setdefault("PILHUB_SECRET_KEY", "bench:" + "A" * 43 + "=")
    pg = os.environ.get("PILHUB_BENCH_POSTGRES_URL")
    if pg:
        # PILHUB_BENCH_PG_SCHEMA: keep the seeded schema (re-used when it exists) instead of a throw-away one
        kept = os.environ.get("PILHUB_BENCH_PG_SCHEMA")
        schema = kept or f"bench_clues_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg)
        with admin.begin() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema}
            ).first()
            if not exists:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in pg else "?"
        url = f"{pg}{sep}options=-csearch_path%3D{schema}"
        try:
            print(f"PostgreSQL ({schema}): {records} records, {cases} cases", flush=True)
            if exists:
                with create_engine(url).begin() as conn:
                    for table in ("sla_events", "clues", "clue_runs"):
                        conn.execute(text(f"DELETE FROM {table}"))
            else:
                seed(url, records, cases)
            run(url)
        finally:
            from hub.store.db import reset_caches

            reset_caches()
            if not kept:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        return
    keep = os.environ.get("PILHUB_BENCH_SQLITE")  # a file to keep the seeded store in (re-used when it exists)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep) if keep else Path(tmp) / "clues.db"
        url = f"sqlite:///{path}"
        print(f"SQLite: {records} records, {cases} cases", flush=True)
        if not path.exists():
            seed(url, records, cases)
        else:
            from hub.store.db import get_engine

            with get_engine(url).begin() as conn:  # start from no clues, as after seeding
                for table in ("sla_events", "clues", "clue_runs"):
                    conn.execute(text(f"DELETE FROM {table}"))
        run(url)


if __name__ == "__main__":
    main()
