"""Benchmark: the env.penalty expectation suite over a 1,000,000-row batch (target ≤ 20 s).

Not a test. The batch is generated column-wise in the shape a loader hands over
(model dumps: ``date`` and ``Decimal`` objects, which the suite converts), with one
duplicated id and one missing party name so the blocking checks have something to find. Reported: GX import time (paid once per process)
and the time of :func:`schemas.expectations.validate_batch`, which includes
building the suite, the ephemeral context and the dtype preparation.

    .venv/bin/python bench/bench_gx.py [ROWS]
"""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

_COUNTIES = np.array(["330802", "330803", "330822", "330824", "330825", "330881"])


def make_batch(rows: int, seed: int = 20180321) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(rows)).map("CF-2018-{:08d}".format)
    frame = pd.DataFrame(
        {
            "source_agency": "zj.qz.sthjj",
            "source_system": "环境行政处罚系统",
            "source_record_id": ids,
            "kind": "env.penalty",
            "schema_version": "1.0.0",
            "fetched_at": pd.Timestamp("2018-12-31T00:00:00Z"),
            "payload_hash": "0" * 64,
            "signature": None,
            "doc_number": "衢环罚〔2018〕" + ids.str[-6:] + "号",
            "party_type": "organisation",
            "party_name": "衢州市某化工有限公司",
            "credit_code": "91350100M000100Y43",
            "party_id_number": None,
            "violation_facts": "超标排放",
            "legal_basis": "《中华人民共和国水污染防治法》第八十三条",
            "decision_date": pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "fine_amount_yuan": rng.integers(1_000, 1_000_000, rows).astype("float64"),
            "region_code": rng.choice(_COUNTIES, rows),
        }
    )
    # As model dumps deliver them: date and Decimal objects, not numpy types.
    frame["decision_date"] = frame["decision_date"].dt.date
    frame["fine_amount_yuan"] = [Decimal(int(v)) for v in frame["fine_amount_yuan"]]
    frame.loc[rows // 2, "source_record_id"] = frame.loc[0, "source_record_id"]
    frame.loc[rows // 3, "party_name"] = None
    return frame


def main(argv: list[str]) -> int:
    rows = int(argv[1]) if len(argv) > 1 else 1_000_000
    frame = make_batch(rows)
    start = time.perf_counter()
    import great_expectations  # noqa: F401  (timed separately: paid once per process)

    from schemas.expectations import validate_batch

    imported = time.perf_counter() - start
    start = time.perf_counter()
    result = validate_batch("env.penalty", frame, previous_row_count=rows, as_of=date(2019, 1, 1))
    elapsed = time.perf_counter() - start
    print(f"great_expectations import: {imported:.1f} s")
    print(
        f"env.penalty suite over {rows:,} rows: {elapsed:.1f} s "
        f"({len(result.expectations)} expectations, success={result.success}, "
        f"blocking failures: {[(f.expectation_type, f.column, f.unexpected_count) for f in result.blocking_failures]})"
    )
    return 0 if elapsed <= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
