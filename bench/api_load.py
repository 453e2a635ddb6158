"""Load test of the API as ``pilhub serve`` runs it: parallel clients mixing dashboards, case lists and PDF reports.

Loads the sample registry into a fresh store (SQLite file, or a private PostgreSQL schema), creates tokens (one
congress token shared by every PDF client — the lowest role, as a people's congress office would download —
and one supervisor token per district), starts ``pilhub serve`` (uvicorn, one process) and runs for
``--seconds``:

* ``--pdf`` clients downloading the annual report as PDF with the congress token, back to back (honouring
  ``429 Retry-After``: the per-token render limit);
* the remaining clients as supervisors opening the dashboard (``/meta``, ``/figures``, the due-soon and overdue
  clock lists, a chart), listing cases and opening one — each "page" one request, back to back.

Reports per request class and role: count, p50, p99, max (seconds), errors (5xx, 4xx other than 429,
connection failures, timeouts) and 429s. Target: 0 errors and supervisor p99 under 2 s on SQLite with 20 PDF
downloads running::

    python bench/api_load.py --clients 50 --pdf 20 --seconds 60
    PILHUB_BENCH_POSTGRES_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test python bench/api_load.py --postgres
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SUPERVISORS = {
    "330802": "柯城区",
    "330803": "衢江区",
    "330822": "常山县",
    "330824": "开化县",
    "330825": "龙游县",
    "330881": "江山市",
}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, tokens_file: Path) -> dict[str, str]:
    from hub.api.tokens import create_token
    from hub.samples import load_sample_registry
    from hub.store import open_store

    loaded = load_sample_registry(open_store(url), actor="bench")
    assert loaded["cases"].rejected == 0
    tokens = {"congress": create_token(tokens_file, role="congress", region="3308", name="衢州市人大常委会")[0]}
    for code, name in SUPERVISORS.items():
        tokens[code] = create_token(tokens_file, role="supervisor", region=code, name=f"{name}人民检察院")[0]
    return tokens


def _case_ids(url: str) -> dict[str, list[str]]:
    from sqlalchemy import select

    from hub.store import open_store
    from hub.store.models import Case

    by_region: dict[str, list[str]] = defaultdict(list)
    with open_store(url)() as session:
        for case_id, region in session.execute(select(Case.case_id, Case.region_code)):
            by_region[region].append(case_id)
    return by_region


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.throttled: dict[str, int] = defaultdict(int)

    def call(self, client: httpx.Client, klass: str, path: str, token: str, params: dict[str, Any]) -> float | None:
        started = time.perf_counter()
        try:
            res = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors[klass].append(type(exc).__name__)
            return None
        took = time.perf_counter() - started
        with self.lock:
            if res.status_code == 429:
                self.throttled[klass] += 1
                return float(res.headers.get("Retry-After", "1"))
            if res.status_code != 200:
                self.errors[klass].append(f"HTTP {res.status_code}")
                return None
            self.latency[klass].append(took)
        return 0.0


def _supervisor(stop: threading.Event, base: str, rec: Recorder, token: str, cases: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    pages = [
        ("supervisor.dashboard.meta", "/api/v1/meta", {}),
        ("supervisor.dashboard.figures", "/api/v1/figures", {"year": 2018}),
        ("supervisor.dashboard.clocks", "/api/v1/clocks/due_soon", {}),
        ("supervisor.dashboard.clocks", "/api/v1/clocks/overdue", {}),
        ("supervisor.dashboard.chart", "/api/v1/charts/agencies", {"year": 2018}),
        ("supervisor.case_list", "/api/v1/cases", {"limit": 50}),
    ]
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            klass, path, params = rnd.choice(pages)
            rec.call(client, klass, path, token, params)
            if cases and rnd.random() < 0.3:
                rec.call(client, "supervisor.case", f"/api/v1/cases/{rnd.choice(cases)}", token, {})


def _pdf(stop: threading.Event, base: str, rec: Recorder, token: str) -> None:
    with httpx.Client(base_url=base, timeout=300) as client:
        while not stop.is_set():
            wait = rec.call(client, "congress.pdf", "/api/v1/report", token, {"year": 2018, "format": "pdf"})
            if wait:
                stop.wait(wait)


def _summary(rec: Recorder, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for klass in sorted(set(rec.latency) | set(rec.errors) | set(rec.throttled)):
        values = sorted(rec.latency.get(klass, []))
        out[klass] = {
            "ok": len(values),
            "per_s": round(len(values) / seconds, 2),
            "p50_s": round(statistics.median(values), 3) if values else None,
            "p99_s": round(values[min(len(values) - 1, int(len(values) * 0.99))], 3) if values else None,
            "max_s": round(values[-1], 3) if values else None,
            "errors": len(rec.errors.get(klass, [])),
            "error_kinds": sorted(set(rec.errors.get(klass, []))),
            "throttled_429": rec.throttled.get(klass, 0),
        }
    supervisor = sorted(v for k, vs in rec.latency.items() if k.startswith("supervisor") for v in vs)
    out["supervisor.all"] = {
        "ok": len(supervisor),
        "p50_s": round(statistics.median(supervisor), 3) if supervisor else None,
        "p99_s": round(supervisor[min(len(supervisor) - 1, int(len(supervisor) * 0.99))], 3) if supervisor else None,
    }
    out["errors_total"] = sum(len(v) for v in rec.errors.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pdf", type=int, default=20, help="of the clients, how many download PDFs")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--postgres", action="store_true", help="PILHUB_BENCH_POSTGRES_URL (a private schema)")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="the pilhub checkout to serve (to compare with an older one)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(args.checkout.resolve()))

    work = Path(tempfile.mkdtemp(prefix="pilhub-load-"))
    env = {
        **os.environ,
        "PILHUB_VAR_DIR": str(work / "var"),
        "PILHUB_API_TOKENS_FILE": str(work / "tokens.yaml"),
        "PILHUB_SECRET_KEY": os.environ.get("PILHUB_SECRET_KEY")
        or "b1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "PILHUB_INDEX_KEY": os.environ.get("PILHUB_INDEX_KEY") or base64.b64encode(secrets.token_bytes(32)).decode(),
        "PYTHONPATH": str(args.checkout.resolve()),
    }
    schema = None
    if args.postgres:
        import sqlalchemy as sa

        base_url = os.environ["PILHUB_BENCH_POSTGRES_URL"]
        schema = f"load_{uuid.uuid4().hex[:10]}"
        with sa.create_engine(base_url).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{work / 'store.db'}"
    env["PILHUB_DATABASE_URL"] = url
    os.environ.update({k: env[k] for k in ("PILHUB_VAR_DIR", "PILHUB_SECRET_KEY", "PILHUB_INDEX_KEY")})
    tokens = _prepare(url, work / "tokens.yaml")
    cases = _case_ids(url)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hub.cli.main", "serve", "--port", str(port)],
        env=env,
        cwd=work,
        stdout=(work / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        warm = httpx.get(
            f"{base}/api/v1/report",
            params={"year": 2018, "format": "pdf"},
            headers={"Authorization": f"Bearer {tokens['congress']}"},
            timeout=300,
        )
        assert warm.status_code == 200, warm.text  # starts the render worker before the clock runs
        rec, stop = Recorder(), threading.Event()
        threads = [threading.Thread(target=_pdf, args=(stop, base, rec, tokens["congress"])) for _ in range(args.pdf)]
        regions = list(SUPERVISORS)
        for i in range(args.clients - args.pdf):
            region = regions[i % len(regions)]
            threads.append(
                threading.Thread(target=_supervisor, args=(stop, base, rec, tokens[region], cases[region], i))
            )
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join(300)
        elapsed = time.monotonic() - started
        result = {
            "checkout": str(args.checkout),
            "engine": "postgresql" if args.postgres else "sqlite",
            "clients": args.clients,
            "pdf_clients": args.pdf,
            "seconds": round(elapsed, 1),
            "cores": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            **_summary(rec, elapsed),
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if schema:
            import sqlalchemy as sa

            with sa.create_engine(os.environ["PILHUB_BENCH_POSTGRES_URL"]).begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
