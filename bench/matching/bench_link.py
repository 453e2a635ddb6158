"""Benchmark: pilhub's linkage engine against a plain Splink 5 baseline, same data, one run.

    .venv/bin/python bench/matching/bench_link.py                      # small: 20,000 × 2,000, < 1 min
    .venv/bin/python bench/matching/bench_link.py --records 1000000 --cases 100000

For each generator — A (``hub.matching.synth``, which the engine was tuned on) and B
(``heldout_synth``, written separately and never tuned on) — it writes the batch files, runs
``pilhub link`` and the Splink baseline each in its own subprocess, and reports wall time, peak
resident memory (the process tree, sampled every 50 ms), precision, recall and review rate.
The Splink run has a time limit and a DuckDB memory limit; if it does not finish, the row says
what happened instead of a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from heldout_synth import generate_heldout  # noqa: E402

from hub.matching.batch_io import read_labels, write_jsonl  # noqa: E402
from hub.matching.evaluate import evaluate  # noqa: E402
from hub.matching.synth import generate  # noqa: E402


@dataclass
class Run:
    system: str
    generator: str
    status: str
    seconds: float
    peak_gb: float
    precision: float | None = None
    recall: float | None = None
    review_rate: float | None = None
    # 1-minute load average before and after the run: on a shared machine the wall time means
    # little without it
    load: tuple[float, float] = (0.0, 0.0)


def _measure(cmd: list[str], timeout: float) -> tuple[str, float, float, str]:
    """(status, wall seconds, peak RSS in GB of the process tree, stderr tail).

    A run over the time limit is killed, and its status says so with the peak memory reached —
    "did not finish in N s" is a figure too.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    peak = 0
    status = "ok"
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() - start > timeout:
            proc.kill()
            status = f"did not finish in {timeout:.0f} s (killed), peak memory {peak / 1e9:.1f} GB"
            break
        time.sleep(0.05)
    _out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if status == "ok" and proc.returncode != 0:
        status = f"failed (exit {proc.returncode})"
    return status, seconds, peak / 1e9, (err or "")[-600:]


def _score(links_path: Path, labels_path: Path) -> tuple[float, float, float]:
    """Precision, recall and review rate of a links file against the labels.

    The rule is :func:`hub.matching.evaluate.evaluate`'s (one decision per distinct pair; precision
    over ``link`` lines, recall and review rate over the true pairs), computed in DuckDB straight
    from the files: the Splink baseline writes tens of millions of pairs (37.8 M, 3.5 GB on the
    1M × 100k data), which loaded into pandas took this process past the machine's 24 GB.
    """
    import duckdb

    def lines(path: Path, columns: str) -> str:
        return f"read_json('{path}', format='newline_delimited', columns={{{columns}}})"

    if not links_path.stat().st_size:
        return 1.0, 0.0, 0.0
    con = duckdb.connect()
    con.execute("SET memory_limit='4GB'")
    n_true, n_link, tl, tr = con.execute(f"""
        WITH truth AS (SELECT DISTINCT record_id, case_id FROM {lines(labels_path, "record_id: 'VARCHAR', case_id: 'VARCHAR'")}),
             got AS (SELECT record_id, case_id, first(decision) AS decision
                     FROM {lines(links_path, "record_id: 'VARCHAR', case_id: 'VARCHAR', decision: 'VARCHAR'")}
                     GROUP BY record_id, case_id)
        SELECT (SELECT count(*) FROM truth),
               count(*) FILTER (WHERE g.decision = 'link'),
               count(*) FILTER (WHERE g.decision = 'link' AND t.record_id IS NOT NULL),
               count(*) FILTER (WHERE g.decision = 'review' AND t.record_id IS NOT NULL)
        FROM got g LEFT JOIN truth t ON t.record_id = g.record_id AND t.case_id = g.case_id
    """).fetchone()
    con.close()
    return (tl / n_link if n_link else 1.0), (tl / n_true if n_true else 1.0), (tr / n_true if n_true else 0.0)


def _score_in_pandas(links_path: Path, labels_path: Path) -> tuple[float, float, float]:
    """The same figures through ``evaluate`` (what ``pilhub link --eval`` runs): a check on ``_score``."""
    links = (
        pd.read_json(links_path, lines=True, dtype=False)
        if links_path.stat().st_size
        else pd.DataFrame(columns=["record_id", "case_id", "score", "decision"])
    )
    ev = evaluate(links, read_labels(labels_path))
    return ev.precision, ev.recall, ev.review_rate


def _data(gen: str, n_cases: int, n_records: int, seed: int, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    if gen == "A":
        return generate(n_cases=n_cases, n_records=n_records, seed=seed).write(out)
    cases, records, labels = generate_heldout(n_cases, n_records, seed=seed)
    paths = {k: out / f"{k}.jsonl" for k in ("cases", "records", "labels")}
    write_jsonl(cases, paths["cases"])
    write_jsonl(records, paths["records"])
    write_jsonl(labels, paths["labels"])
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--cases", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--generators", default="A,B", help="A (tuned on), B (held out), or both")
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--splink-timeout", type=float, default=1200.0, help="seconds before the baseline is killed")
    ap.add_argument("--splink-memory-limit", default="16GB", help="DuckDB memory_limit for the baseline")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="pilhub-bench-link-"))
    py = sys.executable
    runs: list[Run] = []
    for gen in [g.strip().upper() for g in args.generators.split(",") if g.strip()]:
        t = time.perf_counter()
        paths = _data(gen, args.cases, args.records, args.seed, work / gen)
        print(
            f"[{gen}] generated {args.records} records × {args.cases} cases in {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
        out = work / gen / "links_pilhub.jsonl"
        before = os.getloadavg()[0]
        status, secs, peak, err = _measure(
            [
                py,
                str(HERE / "run_engine.py"),
                "--cases",
                str(paths["cases"]),
                "--records",
                str(paths["records"]),
                "--out",
                str(out),
            ],
            timeout=3600,
        )
        run = Run("pilhub", gen, status, secs, peak, load=(before, os.getloadavg()[0]))
        if status == "ok":
            figures = _score(out, paths["labels"])
            check = _score_in_pandas(out, paths["labels"])  # pilhub's output is small enough for pandas
            if max(abs(a - b) for a, b in zip(check, figures, strict=True)) > 1e-12:
                raise SystemExit(f"scorers disagree: DuckDB {figures} vs evaluate {check}")
            run.precision, run.recall, run.review_rate = figures
        else:
            print(err, file=sys.stderr)
        runs.append(run)
        if not args.no_splink:
            out = work / gen / "links_splink.jsonl"
            spill = work / gen / "splink-spill"  # DuckDB's spill files; removed even if the run is killed
            before = os.getloadavg()[0]
            status, secs, peak, err = _measure(
                [
                    py,
                    str(HERE / "splink_baseline.py"),
                    str(paths["cases"]),
                    str(paths["records"]),
                    str(out),
                    "--memory-limit",
                    args.splink_memory_limit,
                    "--temp-dir",
                    str(spill),
                ],
                timeout=args.splink_timeout,
            )
            shutil.rmtree(spill, ignore_errors=True)
            run = Run("splink-5 baseline", gen, status, secs, peak, load=(before, os.getloadavg()[0]))
            if status == "ok":
                run.precision, run.recall, run.review_rate = _score(out, paths["labels"])
            else:
                print(err, file=sys.stderr)
            runs.append(run)

    def f(x: float | None) -> str:
        return "—" if x is None else f"{x:.4f}"

    print(f"\n{args.records:,} records × {args.cases:,} cases, seed {args.seed}, {psutil.cpu_count()} cores")
    print(
        f"{'system':<18} {'data':<5} {'wall s':>8} {'peak GB':>8} {'precision':>10} {'recall':>8} {'review':>8} "
        f"{'load':>11}  status"
    )
    for r in runs:
        print(
            f"{r.system:<18} {r.generator:<5} {r.seconds:8.1f} {r.peak_gb:8.2f} {f(r.precision):>10} "
            f"{f(r.recall):>8} {f(r.review_rate):>8} {r.load[0]:5.2f}→{r.load[1]:<5.2f}  {r.status}"
        )
    print(f"load: 1-minute load average before → after each run (the machine has {psutil.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in runs], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
