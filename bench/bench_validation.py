"""Benchmark: env.penalty record validation throughput on one core (target ≥ 100,000 records/s).

Not a test. Records are generated as a connector would hand them over after parsing
JSON (all values strings), every record with its own party, credit code, document
number, violation facts, fine and payload hash; decision dates fall in one year and
legal bases come from eight statutes, as in a real feed. One record in ten is written
in a looser form an agency might send (2018年3月21日, 12.5万元, lower-case credit code,
〔〕 written as []). Memos are cleared before each run, so repeated runs do not help.

    .venv/bin/python bench/bench_validation.py [N [TRIALS]]

Throughput is measured per core by CPU time (``time.process_time``) and by wall time,
over many short trials of 20,000 records each; batches of 10,000 mirror how a loader
validates a feed. The best trial is the figure least disturbed by other processes
on a shared 2-vCPU machine (a busy sibling vCPU can halve single-thread speed); the
median is printed beside it. Exit status 1 when the best is below 100,000 records/s.
"""

from __future__ import annotations

import random
import sys
import time
import timeit
from typing import Any

from schemas.identifiers.credit_code import CREDIT_CODE_CHARSET, credit_code_check_char, org_code_check_char
from schemas.memo import clear_memos
from schemas.validation import validate_records

_COUNTIES = ("330802", "330803", "330822", "330824", "330825", "330881")
_ORG_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_LEGAL_BASES = tuple(f"《中华人民共和国水污染防治法》第八十三条第{n}项" for n in "一二三四") + tuple(
    f"《中华人民共和国大气污染防治法》第{n}条" for n in ("九十九", "一百", "一百零八", "一百一十七")
)


def make_credit_code(rng: random.Random) -> str:
    """A valid random enterprise credit code (91 + region + org code + check)."""
    region = rng.choice(_COUNTIES)
    body = "".join(rng.choice(_ORG_BODY_CHARS) for _ in range(8))
    first17 = f"91{region}{body}{org_code_check_char(body)}"
    assert set(first17) <= set(CREDIT_CODE_CHARSET)
    return first17 + credit_code_check_char(first17)


def make_records(n: int, seed: int = 20180321) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        loose = i % 10 == 0
        code = make_credit_code(rng)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        records.append(
            {
                "source_agency": "zj.qz.sthjj",
                "source_system": "环境行政处罚系统",
                "source_record_id": f"CF-2018-{i:08d}",
                "kind": "env.penalty",
                "schema_version": "1.0.0",
                "fetched_at": "2018-12-31T08:00:00+08:00",
                "payload_hash": f"{rng.getrandbits(256):064x}",
                "doc_number": f"衢环罚[2018]{i + 1}号" if loose else f"衢环罚〔2018〕{i + 1}号",
                "party_name": f"衢州市第{i}化工有限公司",
                "credit_code": code.lower() if loose else code,
                "violation_facts": f"该单位{i}号废水排放口化学需氧量浓度超过《污水综合排放标准》规定限值{month}倍。",
                "legal_basis": rng.choice(_LEGAL_BASES),
                "decision_date": f"2018年{month}月{day}日" if loose else f"2018-{month:02d}-{day:02d}",
                "fine_amount_yuan": f"{rng.randint(1, 100) / 2}万元" if loose else str(rng.randint(1000, 1_000_000)),
                "region_code": code[2:8],
            }
        )
    return records


def _throughput(records: list[dict[str, Any]], chunk: int) -> tuple[float, float]:
    """Records/s by CPU time of this process and by wall time, through :func:`validate_records`."""
    clear_memos()  # every trial starts cold: values repeat only as often as within the generated feed
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(records), chunk):
        result = validate_records("env.penalty", records[start : start + chunk])
        assert len(result.valid) == min(chunk, len(records) - start)
    return len(records) / (time.process_time() - cpu), len(records) / (time.perf_counter() - wall)


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 200_000
    trials = int(argv[2]) if len(argv) > 2 else 20
    chunk = 10_000
    records = make_records(n)
    validate_records("env.penalty", records[:1000])  # warm up
    per_trial = 20_000
    runs = [
        _throughput(records[start : start + per_trial], chunk)
        for start in (((t * per_trial) % n) for t in range(trials))
    ]
    reference = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5, timer=time.process_time)) / 2000
    cpu = sorted(r[0] for r in runs)
    wall = sorted(r[1] for r in runs)
    print(
        f"env.penalty: {trials} trials of {per_trial:,} records (batches of {chunk:,}), one core: "
        f"best {cpu[-1]:,.0f} records/s, median {cpu[len(cpu) // 2]:,.0f} records/s (CPU time); "
        f"wall best {wall[-1]:,.0f}, median {wall[len(wall) // 2]:,.0f}"
    )
    print(f"machine reference (how busy the shared CPU was): sum(range(1000)) takes {reference * 1e6:.1f} µs")
    return 0 if cpu[-1] >= 100_000 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
