"""Benchmark: pull 100,000 records from a local sandbox end to end (fetch, land, validate, store on SQLite).

    .venv/bin/python bench/bench_pull.py [--records 100000] [--keep]
    PILHUB_PULL_WORKERS=0 .venv/bin/python bench/bench_pull.py     # force in-process preparation
    PILHUB_PULL_WORKERS=2 .venv/bin/python bench/bench_pull.py     # force two pull workers
    BENCH_PROFILE=/tmp/pull.prof .venv/bin/python bench/bench_pull.py --records 20000   # cProfile of the pull

The water bureau's sandbox is scaled up to the requested number of records (replies and
delivery receipts, half each) and runs in a separate process, as a real agency system
would, so the figure measures the hub's side only. Its pages are rendered before the
clock starts (``WaterSystem.prerender``): a real agency runs on its own machine, this
one shares the hub's two cores, and serving must not be what is measured. The pull is
the same code path as ``pilhub pull water`` and the Airflow task: HTTP with the retry
policy, encrypted raw landing of every page, record contract (pydantic), batch suite
(Great Expectations), personal-data encryption, versioned idempotent load, cursor and
audit in one transaction — and, when a core is idle, record preparation in pull workers
(``connectors.sdk.parallel``; the CPU time of workers is reported with the pulling
process's).

Great Expectations is imported and warmed up before the clock starts (≈3–7 s, once per
worker process, not per pull); the figure is printed with and without that start-up.
Target (issue 4): ≥ 20,000 records/s.

Measured (issue 4 session, 2 cores shared with three other sessions' test runs — load
average 2.7–3.1 throughout, so wall-clock figures are depressed and noisy; the adaptive
policy therefore kept preparation in-process):

* before (HEAD before issue 4, same machine, load 2.70): 100,008 records in 15.28 s —
  **6,543 records/s**, 9.88 s hub CPU (98.8 µs a record);
* after, default configuration, four runs at load 2.9–3.1: **15,324 / 17,066 / 15,561 /
  14,541 records/s**, 49–52 µs of hub CPU a record (≈20,000 records per CPU-second); the
  best run seen, 19,291 records/s at load 3.1;
* after, ``PILHUB_PULL_WORKERS=2`` at load 2.4–3.4: 12,165–15,108 records/s — on cores
  already busy, workers only add the second parse and the trip back (≈32 µs a record
  in a worker, ≈36 µs left in the pulling process); on an idle two-core machine they
  take ≈25 µs a record off the pulling process, which is what the adaptive policy is for.

Per record under cProfile (inflated about 2×; 100,000 records, in-process), before → after:
fetch, landing and parse 40.0 → 10.9 µs (depth check on the text, pre-rendered pages);
mapping 23.8 → 8.4 (relaxed garbage collector during the pull, hot-path lookups);
envelope and raw hash 14.7 → 7.9 and split, canonical JSON, content hash 32.0 → 10.1
(msgspec where it provably prints what ``json.dumps`` printed); pydantic 33.0 → 15.5
(collector) and dumps 4.9 → 3.0 (one list dump); Great Expectations 24.0 → 10.9 (no
per-batch frame fingerprint, only the suite's columns); store 46.5 → 23.8 (one
``executemany`` of plain tuples on SQLite, one cipher for the batch's personal data).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing as mp
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _serve(records: int, page_size: int, conn, stop) -> None:  # type: ignore[no-untyped-def]
    from connectors.sandbox import start_sandbox
    from connectors.sandbox.water import WaterSystem

    scale = max(1, -(-(records // 2) // 3))  # each stream: 3 records per scale unit (plus the sample's own)
    sandbox = start_sandbox(systems=["water"], scale=scale)
    system = sandbox.system("water")
    assert isinstance(system, WaterSystem)
    system.prerender(page_size)  # the agency's side, rendered before the clock starts
    conn.send((sandbox.urls["water"], sandbox.env()))
    stop.wait()
    sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the store for inspection")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pilhub-bench-"))
    os.environ["PILHUB_VAR_DIR"] = str(work)
    os.environ.setdefault("PILHUB_SECRET_KEY", "b1:" + base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ["PILHUB_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    from connectors.registry import get_connector

    page_size = get_connector("water").streams[0].paginator.size  # type: ignore[attr-defined]
    server = ctx.Process(target=_serve, args=(args.records, page_size, child, stop), daemon=True)
    t0 = time.perf_counter()
    server.start()
    url, env = parent.recv()
    os.environ.update(env)
    print(f"sandbox ready at {url} ({time.perf_counter() - t0:.1f}s to generate the data)")

    t0 = time.perf_counter()
    import pandas as pd

    from schemas.expectations import validate_batch

    validate_batch("agency.receipt", pd.DataFrame())  # import and warm up Great Expectations
    warmup = time.perf_counter() - t0
    from connectors.sdk.parallel import shutdown_pool
    from connectors.sdk.runner import pull
    from hub.store.db import open_store

    factory = open_store()
    load_before = os.getloadavg()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            'summary = pull("water", factory=factory)',
            globals(),
            ns := {"pull": pull, "factory": factory},
            os.environ["BENCH_PROFILE"],
        )
        summary = ns["summary"]
    else:
        summary = pull("water", factory=factory)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutdown_pool()  # pull workers, if any were used: their CPU time counts once they are reaped
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = children.ru_utime + children.ru_stime - children0.ru_utime - children0.ru_stime
    stop.set()
    server.join(5)

    fetched = summary.total("fetched")
    for s in summary.streams:
        print(
            f"  {s.stream}: fetched {s.fetched}, loaded {s.loaded}, duplicates {s.duplicates}, quarantined {s.quarantined}, "
            f"{s.pages} pages ({s.worker_pages} prepared in pull workers), {s.seconds:.2f}s"
        )
    assert summary.ok and fetched == summary.total("loaded") >= args.records, summary.as_dict()
    print(
        f"pulled {fetched} records in {elapsed:.2f}s: {fetched / elapsed:,.0f} records/s "
        f"({fetched / (elapsed + warmup):,.0f} records/s counting the {warmup:.1f}s Great Expectations start-up)"
    )
    total_cpu = cpu + worker_cpu
    print(
        f"hub-side CPU time {total_cpu:.2f}s = {cpu:.2f}s pulling process + {worker_cpu:.2f}s pull workers "
        f"({total_cpu / fetched * 1e6:.1f} µs a record; {fetched / total_cpu:,.0f} records per CPU-second)"
    )
    print(
        f"load average {load_before[0]:.2f} before the pull, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores "
        "(other work on the machine: on a busy machine wall-clock exceeds CPU time)"
    )
    print("target ≥ 20,000 records/s:", "met" if fetched / elapsed >= 20_000 else "NOT met")
    if args.keep:
        print(f"store kept at {work / 'bench.db'}")


if __name__ == "__main__":
    main()
