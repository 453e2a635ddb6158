"""The batch-level contract: the Great Expectations suite of a record kind, run per batch.

Record validation catches a bad field; only a look at the whole batch catches a
feed that went wrong as a whole — every id duplicated, a column suddenly empty, the
row count collapsing. A failed *blocking* expectation holds the whole batch in
quarantine; warnings are recorded with the batch. The suites live with the schemas
(:mod:`schemas.expectations`); this module adapts their result to what the store
keeps (counts only — personal data must not leak into results).

An empty batch is not run through the suite (there is nothing to hold back; an
incremental pull that finds nothing new is normal) but is noted, with a warning when
the previous comparable batch was not empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass
class BatchVerdict:
    blocking: bool
    summary: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)  # [{expectation, zh, en}]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def check_batch(kind: str, rows: list[dict[str, Any]], previous_row_count: int | None = None) -> BatchVerdict:
    """Run the kind's expectation suite over ``rows`` (model dumps, one per source id)."""
    if not rows:
        summary: dict[str, Any] = {
            "kind": kind,
            "row_count": 0,
            "previous_row_count": previous_row_count,
            "success": True,
            "skipped": "empty batch",
        }
        if previous_row_count:
            summary["warnings"] = [
                {
                    "expectation_type": "pilhub_empty_batch",
                    "severity": "warning",
                    "success": False,
                    "observed_row_count": 0,
                }
            ]
        return BatchVerdict(False, summary)
    from schemas.expectations import validate_batch

    result = validate_batch(kind, _frame(kind, rows), previous_row_count=previous_row_count)
    summary = _plain(result.to_dict())
    failures = []
    for failure in result.blocking_failures:
        what = failure.expectation_type + (f"[{failure.column}]" if failure.column else "")
        counts = f"{failure.unexpected_count}/{failure.element_count}" if failure.unexpected_count is not None else ""
        failures.append(
            {
                "expectation": what,
                "field": failure.column or "",
                "zh": f"批次校验未通过：{what}{'（' + counts + ' 行不符）' if counts else ''}",
                "en": f"blocking batch expectation failed: {what}{' (' + counts + ' rows)' if counts else ''}",
            }
        )
    return BatchVerdict(not result.success, summary, failures)


@cache
def suite_columns(kind: str) -> tuple[str, ...]:
    """The columns the kind's suite looks at, and the top-level personal-data fields.

    Everything :func:`check_batch` needs from a record: no expectation reads another column,
    so a frame of these columns gives the suite the same result as the whole model dump,
    without turning list columns (``attachments``) and long unchecked text into pandas
    objects. Personal fields stay in even when unchecked, because the result lists the
    personal columns absent from the batch (``skipped_personal_columns``).
    """
    from schemas.expectations import build_suite
    from schemas.registry import personal_data_fields

    columns: dict[str, None] = {}
    for expectation in build_suite(kind, previous_row_count=1).expectations:
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if kwargs.get(key):
                columns[kwargs[key]] = None
    for path in personal_data_fields(kind):
        if "." not in path:
            columns[path] = None
    return tuple(columns)


def _frame(kind: str, rows: list[dict[str, Any]]) -> Any:
    """The batch as a DataFrame of :func:`suite_columns`, built column by column.

    A column is there when any row has the key, as with ``DataFrame.from_records(rows)``
    (a missing required column must still fail its checks, a missing personal one is skipped).
    """
    import pandas as pd

    present: set[str] = set()
    first = rows[0].keys()
    if all(r.keys() == first for r in rows):
        present.update(first)
    else:
        for r in rows:
            present.update(r)
    columns = {c: [r.get(c) for r in rows] for c in suite_columns(kind) if c in present}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
