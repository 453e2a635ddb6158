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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
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


def check_batch(kind: str, rows: Sequence[dict[str, Any]], previous_row_count: int | None = None) -> BatchVerdict:
    """Run the kind's expectation suite over ``rows`` (model dumps, one per source id, or :class:`SuiteRows`)."""
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
    from schemas.expectations import suite_column_names
    from schemas.registry import personal_data_fields

    columns: dict[str, None] = dict.fromkeys(suite_column_names(kind))  # without importing GX (start-up)
    for path in personal_data_fields(kind):
        if "." not in path:
            columns[path] = None
    return tuple(columns)


def _frame(kind: str, rows: Sequence[dict[str, Any]]) -> Any:
    """The batch as a DataFrame of :func:`suite_columns`, built column by column.

    A column is there when any row has the key, as with ``DataFrame.from_records(rows)``
    (a missing required column must still fail its checks, a missing personal one is skipped).
    Rows are model dumps, so they nearly always share their keys: each of the first row's
    columns is then read with ``map(itemgetter(column), rows)`` at C speed; a row without one
    of them sends the batch the slow way (``dict.get`` per cell) — the same frame either way.
    """
    import pandas as pd

    if isinstance(rows, SuiteRows):
        return rows.frame()
    columns = suite_columns(kind)
    first = rows[0]
    data: dict[str, list[Any]] | None = {}
    try:
        for c in columns:
            if c in first:
                data[c] = list(map(itemgetter(c), rows))  # type: ignore[index]
            elif any(c in r for r in rows):
                data[c] = [r.get(c) for r in rows]  # type: ignore[index]
    except KeyError:
        data = None
    if data is None:
        present: set[str] = set()
        keys = first.keys()
        if all(r.keys() == keys for r in rows):
            present.update(keys)
        else:
            for r in rows:
                present.update(r)
        data = {c: [r.get(c) for r in rows] for c in columns if c in present}
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


# --- the suite's columns, gathered page by page ---------------------------------------------------


class _Absent:
    """A cell whose row had no such key (read as ``None``; the column exists if any picked row has the key)."""

    def __repr__(self) -> str:
        return "<absent>"

    def __reduce__(self) -> str:
        return "_ABSENT"  # the one instance, also after pickling


_ABSENT: Any = _Absent()


@cache
def _text_dtype() -> Any:
    """The dtype pandas gives a column of text and nulls, if it is Arrow-backed (pandas 3: ``str``), else ``None``."""
    import pandas as pd

    dtype = pd.Series(["a", None]).dtype
    return dtype if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" else None


def _text_array(values: list[Any]) -> Any:
    """``values`` as an Arrow ``large_string`` array if every value is text or ``None``, else ``None``."""
    if _text_dtype() is None:
        return None
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.large_string())
    except Exception:  # noqa: BLE001 - a number, a boolean, a list, an absent cell, a lone surrogate: keep the objects
        return None


@dataclass
class SuiteChunk:
    """The suite's columns of a run of consecutive valid records (a page), gathered from their model dumps.

    Gathered right after the dumps are made, while they are in the processor's caches, so
    the dumps need not be kept until the batch is loaded, and compact:
    a column of text (and nulls) is an Arrow array, any other column
    the Python values, ``_ABSENT`` where a row had no such key (columns no row has are left
    out). :meth:`SuiteRows.frame` builds from chunks exactly the frame :func:`_frame`
    builds from the dumps themselves.
    """

    length: int
    columns: dict[str, Any]  # name → pyarrow large_string Array | list

    @classmethod
    def gather(cls, kind: str, dumps: list[dict[str, Any]], names: tuple[str, ...] | None = None) -> SuiteChunk:
        columns: dict[str, Any] = {}
        for name in names if names is not None else suite_columns(kind):
            try:
                values = list(map(itemgetter(name), dumps))
            except KeyError:
                values = [d.get(name, _ABSENT) for d in dumps]
                if all(v is _ABSENT for v in values):
                    continue
            text = _text_array(values)
            columns[name] = values if text is None else text
        return cls(len(dumps), columns)


class SuiteRows(Sequence[dict[str, Any]]):
    """The rows :func:`check_batch` runs the suite over, as chunks of columns (what the loader holds).

    ``positions`` picks rows (indices into the chunks joined, in the order given) — the
    latest content of each source id when a batch repeats one; ``None`` takes every row.
    Read as a sequence it yields dicts (for callers that want rows); :func:`_frame` takes
    the columns as they are.
    """

    def __init__(self, kind: str, chunks: list[SuiteChunk], positions: list[int] | None = None) -> None:
        self.kind = kind
        self.chunks = chunks
        self.positions = positions
        self._length = sum(c.length for c in chunks) if positions is None else len(positions)
        self._rows: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        if self._rows is None:
            self._rows = list(self)
        return self._rows[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = self._columns()
        names = list(columns)
        for n in range(self._length):
            yield {name: columns[name][n] for name in names if columns[name][n] is not _ABSENT}

    def _columns(self) -> dict[str, list[Any]]:
        """Every column as Python values of the picked rows (``_ABSENT`` kept)."""
        out: dict[str, list[Any]] = {}
        for name in suite_columns(self.kind):
            values = self._values(name)
            if values is not None:
                out[name] = values
        return out

    def _values(self, name: str) -> list[Any] | None:
        parts = [chunk.columns.get(name) for chunk in self.chunks]
        if all(part is None for part in parts):
            return None
        joined: list[Any] = []
        for chunk, part in zip(self.chunks, parts, strict=True):
            if part is None:
                joined.extend([_ABSENT] * chunk.length)
            elif isinstance(part, list):
                joined.extend(part)
            else:
                joined.extend(part.to_pylist())
        return joined if self.positions is None else [joined[n] for n in self.positions]

    def frame(self) -> Any:
        """The DataFrame :func:`_frame` builds from the same rows as dicts — same columns, values and dtypes.

        A column present in no picked row is left out; a column of text and nulls with at least
        one text becomes the Arrow-backed text dtype pandas infers for it (joined from the
        chunks' Arrow arrays without a Python object per cell); any other column is built from
        its Python values, which pandas infers as it always did.
        """
        import pandas as pd

        text_dtype = _text_dtype()
        data: dict[str, Any] = {}
        for name in suite_columns(self.kind):
            parts = [chunk.columns.get(name) for chunk in self.chunks]
            if all(part is None for part in parts):
                continue
            if text_dtype is not None and all(part is not None and not isinstance(part, list) for part in parts):
                import pyarrow as pa

                array = pa.concat_arrays(parts) if len(parts) != 1 else parts[0]
                if self.positions is not None:
                    array = array.take(pa.array(self.positions, type=pa.int64()))
                if array.null_count < len(array):  # some text: pandas' text dtype
                    data[name] = pd.arrays.ArrowStringArray(array, dtype=text_dtype)
                    continue
                if len(array):
                    data[name] = [None] * len(array)  # nulls only: an object column, as pandas infers it
                    continue
            values = self._values(name)
            assert values is not None
            if all(v is _ABSENT for v in values):
                continue  # no picked row has the key
            data[name] = [None if v is _ABSENT else v for v in values]
        return pd.DataFrame(data, index=pd.RangeIndex(self._length))
