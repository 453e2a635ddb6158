"""Benchmark for comparison: the same water-bureau pull as ``bench_pull.py``, done by dlt's REST API source.

dlt is NOT a dependency of pilhub (neither runtime nor dev): it lives in a separate venv, and
only the pulling process runs there. The sandbox is started by the project's venv in a
subprocess, exactly as ``bench_pull.py`` starts it (its ``_serve``: scaled to the requested
number of records, replies and delivery receipts half each, every page pre-rendered before
the clock starts). Setup, once::

    python3 -m venv /tmp/dlt-venv
    /tmp/dlt-venv/bin/pip install 'dlt[duckdb,sqlalchemy]==1.31.0'

Run (from the repository root)::

    /tmp/dlt-venv/bin/python bench/bench_dlt.py --records 100000 --destination sqlite
    /tmp/dlt-venv/bin/python bench/bench_dlt.py --records 100000 --destination duckdb

``--project-python`` (default ``.venv/bin/python``, then ``/work/main/.venv/bin/python``)
runs the sandbox. dlt's declarative config mirrors ``connectors/agencies/water.py``:
``X-Api-Key`` header, page numbers with ``page_size=1000`` and the page count at
``data.pages``, records at ``data.list``, primary key ``id``, written with
``merge`` (pilhub's load is idempotent too; ``--write-disposition append`` for dlt's
cheapest path). The clock covers ``pipeline.run`` (extract, normalize, load); dlt's import
is before it. CPU time is the pulling process's own (all its threads, DuckDB's included; the
sandbox is a separate process and not counted); the CPU of child processes ended during the
pull is printed too (0 with dlt's defaults: normalize runs in-process). CPU per record is the
figure to compare on a busy machine, where wall-clock mostly measures the other work. dlt does no record contract, batch expectations,
encryption of personal data, raw landing or audit — the figures compare a bare
HTTP → table load with pilhub's full pull.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STREAMS = ("replies", "receipts")
PAGE_SIZE = 1000  # connectors/agencies/water.py: PageNumber(size=1000, ...)
MARK = "SANDBOX "


class _StdoutConn:
    """Stands in for the pipe end of ``bench_pull._serve``: sends its message as one JSON line."""

    def send(self, message: object) -> None:
        print(MARK + json.dumps(message), flush=True)


class _StdinClosed:
    """Stands in for the stop event: the sandbox stops when the pulling process closes our stdin."""

    def wait(self) -> None:
        sys.stdin.read()


def serve(records: int) -> None:
    """Run in the project's venv: the sandbox exactly as ``bench_pull.py`` starts it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_pull import _serve

    _serve(records, PAGE_SIZE, _StdoutConn(), _StdinClosed())


def _project_python(given: str | None) -> str:
    for candidate in (given, str(ROOT / ".venv/bin/python"), "/work/main/.venv/bin/python"):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("no project venv found: pass --project-python")


def _reported_total(url: str, key: str, stream: str) -> int:
    """The agency's own count of the stream (``data.total``), read outside dlt."""
    req = urllib.request.Request(f"{url}/api/water/{stream}?page=1&page_size=1", headers={"X-Api-Key": key})
    with urllib.request.urlopen(req) as reply:
        return int(json.load(reply)["data"]["total"])


def _count(destination: str, target: Path, dataset: str, stream: str) -> tuple[int, int]:
    """Rows and distinct ids loaded into the destination table of ``stream``."""
    sql = f"SELECT count(*), count(DISTINCT id) FROM {dataset}.{stream}"
    if destination == "duckdb":
        import duckdb

        with duckdb.connect(str(target), read_only=True) as db:
            return db.execute(sql).fetchone()  # type: ignore[return-value]
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as db:  # dlt's sqlite attaches the dataset as a database of this name
        db.exec_driver_sql(f"ATTACH DATABASE '{target.parent / (target.stem + '__' + dataset + '.db')}' AS {dataset}")
        return tuple(db.exec_driver_sql(sql).one())  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--destination", choices=("sqlite", "duckdb"), default="sqlite")
    parser.add_argument("--write-disposition", choices=("merge", "append", "replace"), default="merge")
    parser.add_argument("--project-python", help="python of the project's venv (runs the sandbox)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.records)
        return

    work = Path(tempfile.mkdtemp(prefix="dlt-bench-"))
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [_project_python(args.project_python), __file__, "--serve", "--records", str(args.records)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith(MARK):
                url, env = json.loads(line[len(MARK) :])
                break
        else:
            sys.exit("the sandbox did not start")
        key = env["PILHUB_CONN_WATER_API_KEY"]
        print(f"sandbox ready at {url} ({time.perf_counter() - t0:.1f}s to generate the data)")
        truth = {s: _reported_total(url, key, s) for s in STREAMS}

        os.environ["DLT_DATA_DIR"] = str(work / "dlt")  # pipeline state off the home folder
        os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"  # not the "column had no data" notice
        warnings.filterwarnings("ignore", module="dlt")  # SQLAlchemy notes about dlt's merge SQL
        import dlt
        from dlt.sources.rest_api import rest_api_source

        config = {
            "client": {
                "base_url": url,
                "auth": {"type": "api_key", "name": "X-Api-Key", "api_key": key, "location": "header"},
                "paginator": {
                    "type": "page_number",
                    "base_page": 1,
                    "page_param": "page",
                    "total_path": "data.pages",
                },
            },
            "resource_defaults": {
                "primary_key": "id",
                "write_disposition": args.write_disposition,
                "endpoint": {"params": {"page_size": PAGE_SIZE}, "data_selector": "data.list"},
            },
            "resources": [{"name": s, "endpoint": {"path": f"api/water/{s}"}} for s in STREAMS],
        }
        dataset = "water"
        if args.destination == "duckdb":
            target = work / "bench.duckdb"
            destination = dlt.destinations.duckdb(str(target))
        else:
            target = work / "bench.db"
            destination = dlt.destinations.sqlalchemy(f"sqlite:///{target}")
        pipeline = dlt.pipeline(
            pipeline_name="water_bench", destination=destination, dataset_name=dataset, pipelines_dir=str(work / "p")
        )

        load_before = os.getloadavg()
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        info = pipeline.run(rest_api_source(config))
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes dlt ended, if any
        info.raise_on_failed_jobs()
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)

    loaded = 0
    for stream in STREAMS:
        rows, distinct = _count(args.destination, target, dataset, stream)
        loaded += rows
        print(f"  {stream}: loaded {rows} rows, distinct ids {distinct}, agency's reported total {truth[stream]}")
        assert rows == distinct == truth[stream], (stream, rows, distinct, truth[stream])
    print(
        f"dlt {dlt.__version__} → {args.destination} ({args.write_disposition}): pulled {loaded} records in "
        f"{elapsed:.2f}s: {loaded / elapsed:,.0f} records/s"
    )
    print(
        f"pulling-process CPU time {cpu:.2f}s ({cpu / loaded * 1e6:.1f} µs a record, of which system "
        f"{(self1.ru_stime - self0.ru_stime) / loaded * 1e6:.1f}; {loaded / cpu:,.0f} records per CPU-second); ended child processes "
        f"{children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime:.2f}s"
    )
    print(
        f"load average {load_before[0]:.2f} before the pull, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
