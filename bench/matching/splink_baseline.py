"""A plain Splink 5 baseline on the same batch files: DuckDB backend, ordinary blocking, unsupervised.

"Plain" on purpose — what a team would set up in an afternoon from Splink's tutorial, to show what
pilhub's engine adds: case parties (and the addressee agency) are exploded into rows, names are
only trimmed, blocking is on exact name, credit code, the first cited number and (region, first
two characters of the name); training is u by random sampling and m by EM; a pair is a link at
match probability ≥ 0.99 and review at ≥ 0.5. The truth rule's gates (domain, time window, public
body citations) are not known to it.

Run as a script (the benchmark starts it in a subprocess so its time and memory are its own):

    python bench/matching/splink_baseline.py CASES.jsonl RECORDS.jsonl OUT.jsonl [--memory-limit 12GB] [--temp-dir D]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def _frames(cases_path: Path, records_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    with cases_path.open(encoding="utf-8") as fh:
        for line in fh:
            c = json.loads(line)
            docs = c.get("doc_numbers") or []
            courts = c.get("court_case_numbers") or []
            parties = list(c.get("parties") or [])
            if c.get("agency"):
                parties.append({"name": c["agency"], "kind": "agency"})
            for p in parties:
                rows.append(
                    {
                        "case_id": c["case_id"],
                        "name": (p.get("name") or "").strip() or None,
                        "credit_code": p.get("credit_code"),
                        "id_number": p.get("id_number"),
                        "address": p.get("address"),
                        "region_code": str(c.get("region_code") or "") or None,
                        "doc_number": docs[0] if docs else None,
                        "court_case_number": courts[0] if courts else None,
                    }
                )
    left = pd.DataFrame(rows)
    left.insert(0, "unique_id", range(len(left)))
    right = pd.read_json(records_path, lines=True, dtype=False)
    right = right.rename(columns={"party_name": "name"})
    right["unique_id"] = range(len(right))
    cols = [
        "unique_id",
        "name",
        "credit_code",
        "id_number",
        "address",
        "region_code",
        "doc_number",
        "court_case_number",
    ]
    for col in cols:
        if col not in right:
            right[col] = None
    right = right[[*cols, "record_id"]].rename(columns={"record_id": "ref_id"}).astype({c: "object" for c in cols[1:]})
    left = left[[*cols, "case_id"]].rename(columns={"case_id": "ref_id"}).astype({c: "object" for c in cols[1:]})
    for frame in (left, right):
        frame["region_code"] = frame["region_code"].map(lambda v: None if v in (None, "", "None") else str(v))
        frame["name2"] = frame["name"].map(lambda v: v[:2] if isinstance(v, str) else None)
    return left, right


def run(
    cases_path: Path, records_path: Path, out_path: Path, memory_limit: str | None, temp_dir: Path | None = None
) -> dict[str, float]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    left, right = _frames(cases_path, records_path)
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    # DuckDB spills what exceeds the limit to disk — by default into ./.tmp of the working directory,
    # which is the checkout; at 1M × 100k that is tens of GB
    spill = temp_dir or Path(tempfile.mkdtemp(prefix="pilhub-splink-spill-"))
    con.execute(f"SET temp_directory='{spill}'")
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.92, 0.8]),
            cl.ExactMatch("credit_code"),
            cl.ExactMatch("id_number"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.ExactMatch("region_code"),
            cl.ExactMatch("doc_number"),
            cl.ExactMatch("court_case_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("credit_code"),
            block_on("doc_number"),
            block_on("region_code", "name2"),
        ],
        retain_matching_columns=False,
        additional_columns_to_retain=["ref_id"],
    )
    linker = Linker(
        [db_api.register(left, table_name="cases"), db_api.register(right, table_name="records")],
        settings,
        log_level=logging.WARNING,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("credit_code"))
    pred = linker.inference.predict(threshold_match_probability=0.5)
    # Decisions and the best row per (record, case) in DuckDB, written straight to the file: pulling
    # hundreds of millions of scored pairs into pandas would cost more memory than the model itself.
    table = pred.physical_name
    n_pairs = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.execute(f"""
        COPY (
            SELECT record_id, case_id, score,
                   CASE WHEN match_probability >= 0.99 THEN 'link' ELSE 'review' END AS decision
            FROM (
                SELECT CASE WHEN source_dataset_l = 'cases' THEN ref_id_r ELSE ref_id_l END AS record_id,
                       CASE WHEN source_dataset_l = 'cases' THEN ref_id_l ELSE ref_id_r END AS case_id,
                       match_weight AS score, match_probability
                FROM {table}
            )
            QUALIFY row_number() OVER (PARTITION BY record_id, case_id ORDER BY match_probability DESC) = 1
        ) TO '{out_path}' (FORMAT JSON)
    """)
    con.close()
    if temp_dir is None:
        shutil.rmtree(spill, ignore_errors=True)
    return {"seconds": time.perf_counter() - t0, "pairs_scored": float(n_pairs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", type=Path)
    ap.add_argument("records", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 12GB")
    ap.add_argument("--temp-dir", type=Path, default=None, help="where DuckDB spills (default: a fresh temp dir)")
    args = ap.parse_args(argv)
    info = run(args.cases, args.records, args.out, args.memory_limit, args.temp_dir)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
