"""Run several DAGs once, in order, through Airflow in ONE process (``DAG.test()``).

``airflow dags test`` pays Airflow's start-up (import, in-process execution API) on every
call; one process running ``dag.test()`` for each DAG pays it once. Used by the demo and
the end-to-end test. Airflow's own output goes to this process's stdout (redirect it to
a log); one JSON line per finished DAG is appended to ``--status FILE`` so a parent can
show progress.

    python -m hub.orchestration.run_dags --status status.jsonl plan.json

``plan.json``: ``[{"dag_id": "...", "conf": {...}, "logical_date": null}, ...]``.
Exit status 0 when every run succeeded, 1 at the first failed run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path


def run(plan: list[dict], status: Path) -> int:
    from airflow.dag_processing.dagbag import DagBag

    from hub.orchestration.env import DAGS_FOLDER

    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        _status(status, {"error": "import_errors", "files": sorted(bag.import_errors)})
        return 1
    for item in plan:
        started = time.monotonic()
        dag = bag.dags[item["dag_id"]]
        logical = item.get("logical_date")
        kwargs = {"run_conf": item.get("conf") or None}
        if logical:
            kwargs["logical_date"] = datetime.fromisoformat(logical)
        dag_run = dag.test(**kwargs)
        state = str(getattr(dag_run, "state", "unknown"))
        _status(status, {"dag_id": item["dag_id"], "state": state, "seconds": round(time.monotonic() - started, 1)})
        if not state.endswith("success"):
            return 1
    return 0


def _status(path: Path, line: dict) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--status", type=Path, required=True)
    args = parser.parse_args()
    return run(json.loads(args.plan.read_text(encoding="utf-8")), args.status)


if __name__ == "__main__":
    sys.exit(main())
