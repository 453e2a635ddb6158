"""Batch-level checks with Great Expectations 1.x: one expectation suite per record kind.

Record models judge one record at a time; some failures only show across a batch —
the same ``source_record_id`` twice, a column an agency stopped filling, a feed that
suddenly delivers a tenth of yesterday's rows. Each kind's suite is derived from its
model (required fields non-null, enumerations and region codes in their value sets,
dates in the plausible range, amounts non-negative) plus a few cross-field rules, and
every expectation carries ``meta["severity"]``:

* ``blocking`` — the batch is held in quarantine, not loaded: duplicate ids, nulls
  in required columns, values outside enumerations and the GB/T 2260 table,
  non-canonical credit codes, dates outside 1990–2100, negative amounts, a required
  date order (filed after occurred, licence valid_to after valid_from), values that
  do not parse as dates/numbers, and row-count collapse;
* ``warning`` — recorded and shown, the batch still loads: dates after ``as_of``
  (today), amounts above 10亿元, a soft date order (posted before the reply is dated,
  judgment effective before decided …), an exceedance not above its limit, and a
  smaller row-count drop.

Row-count collapse (against the previous batch of the same stream): with a previous
batch of at least :data:`COLLAPSE_MIN_PREVIOUS` rows, fewer than 50 % of its rows is
blocking and fewer than 80 % a warning; with a smaller previous batch (small streams
swing naturally) only an empty batch is blocking and fewer than 50 % a warning.

Results never contain row values: only counts and percentages survive (GX's
``partial_unexpected_list`` and every other value-bearing key are dropped), because
columns such as ``party_name`` are personal data and results are shown widely.

Great Expectations is imported inside the functions: importing it takes seconds and
most callers of :mod:`schemas` never need it.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from pydantic.fields import FieldInfo

from schemas.area import parse_area_mu
from schemas.dates import EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE, parse_date
from schemas.identifiers.credit_code import validate_credit_code
from schemas.identifiers.region import known_region_codes, validate_region_code
from schemas.money import parse_money_yuan
from schemas.registry import RECORD_KINDS, get_model, personal_data_fields

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite

__all__ = [
    "COLLAPSE_BLOCKING_RATIO",
    "COLLAPSE_MIN_PREVIOUS",
    "COLLAPSE_WARNING_RATIO",
    "SUITE_BUILDERS",
    "BatchResult",
    "ExpectationSummary",
    "build_suite",
    "validate_batch",
]

Severity = Literal["blocking", "warning"]

COLLAPSE_BLOCKING_RATIO = 0.5
COLLAPSE_WARNING_RATIO = 0.8
COLLAPSE_MIN_PREVIOUS = 20
#: Amounts above this (10亿元) are not impossible, but worth a look.
IMPLAUSIBLE_AMOUNT_YUAN = 1_000_000_000

# Only these keys of a GX result are kept: counts and percentages, never values.
_SAFE_RESULT_KEYS = ("element_count", "unexpected_count", "unexpected_percent", "missing_count")


@dataclass(frozen=True, slots=True)
class ExpectationSummary:
    """One expectation's outcome, with counts only (no row values)."""

    expectation_type: str
    column: str | None
    severity: Severity
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    observed_row_count: int | None = None  # table-level row-count expectations only
    exception: str | None = None  # the check could not run (e.g. the column is missing)


@dataclass(slots=True)
class BatchResult:
    """Outcome of a suite over one batch; plain data, safe to store with the batch and show."""

    kind: str
    schema_version: str
    row_count: int
    previous_row_count: int | None
    success: bool
    #: personal-data columns absent from the batch (split off before the check), whose checks were not run
    skipped_personal_columns: list[str] = field(default_factory=list)
    blocking_failures: list[ExpectationSummary] = field(default_factory=list)
    warnings: list[ExpectationSummary] = field(default_factory=list)
    expectations: list[ExpectationSummary] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the store."""
        return asdict(self)


# --- suite construction -------------------------------------------------------------------------


def _annotation_parts(annotation: Any) -> Iterator[Any]:
    """Types and metadata inside an annotation, through Annotated and Optional (not into lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        yield from _annotation_parts(base)
        yield from metadata
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _annotation_parts(arg)
    elif origin is None or origin is Literal:
        yield annotation


def _field_parts(info: FieldInfo) -> list[Any]:
    return [*_annotation_parts(info.annotation), *info.metadata]


def _literal_values(info: FieldInfo) -> list[str] | None:
    """The allowed values of a Literal field (possibly Optional), else None."""
    for part in _field_parts(info):
        if typing.get_origin(part) is Literal:
            return [str(v) for v in typing.get_args(part)]
    return None


_ROLE_BY_VALIDATOR: dict[Callable[..., Any], str] = {
    validate_region_code: "region",
    validate_credit_code: "credit",
    parse_date: "date",
    parse_money_yuan: "amount",
    parse_area_mu: "amount",
}


def _column_role(info: FieldInfo) -> str | None:
    """What kind of column a field makes: 'region', 'credit', 'date', 'amount' or None."""
    parts = _field_parts(info)
    for part in parts:
        func = getattr(part, "func", None)
        role = _ROLE_BY_VALIDATOR.get(inspect.unwrap(func)) if callable(func) else None  # through memoised()
        if role is not None:
            return role
    if any(isinstance(part, type) and issubclass(part, Decimal) for part in parts):
        return "amount"
    return None


def _column_roles(kind: str) -> dict[str, str]:
    return {
        name: role for name, info in get_model(kind).model_fields.items() if (role := _column_role(info)) is not None
    }


def _collapse_thresholds(previous: int | None) -> tuple[int, int] | None:
    """(blocking minimum, warning minimum) row counts for the collapse check, or None."""
    if not previous:
        return None
    if previous >= COLLAPSE_MIN_PREVIOUS:
        return math.ceil(previous * COLLAPSE_BLOCKING_RATIO), math.ceil(previous * COLLAPSE_WARNING_RATIO)
    return 1, math.ceil(previous * COLLAPSE_BLOCKING_RATIO)


def _day_number(day: date) -> int:
    """Dates are checked as yyyymmdd integers: GX compares datetime columns one element at a
    time in Python (≈10 s per million rows per expectation) but numbers vectorised."""
    return day.year * 10_000 + day.month * 100 + day.day


def build_suite(
    kind: str,
    *,
    previous_row_count: int | None = None,
    as_of: date | None = None,
    skip_columns: frozenset[str] = frozenset(),
) -> ExpectationSuite:
    """The expectation suite for ``kind`` (pure: no context, no data).

    ``as_of`` is the day after which a date is "in the future" (a warning); it
    defaults to today. ``previous_row_count`` adds the row-count-collapse checks.
    ``skip_columns`` leaves out the checks of those columns (see :func:`validate_batch`).
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe

    model = get_model(kind)
    as_of = as_of or date.today()
    earliest, latest, last_day = _day_number(EARLIEST_PLAUSIBLE), _day_number(LATEST_PLAUSIBLE), _day_number(as_of)
    expectations: list[Any] = []

    def add(expectation: Any, severity: Severity) -> None:
        expectation.meta = {**(expectation.meta or {}), "severity": severity}
        expectations.append(expectation)

    add(gxe.ExpectColumnValuesToBeUnique(column="source_record_id"), "blocking")
    add(gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=[kind]), "blocking")
    roles = _column_roles(kind)
    for name, info in model.model_fields.items():
        if name in skip_columns:
            continue
        if info.is_required():
            add(gxe.ExpectColumnValuesToNotBeNull(column=name), "blocking")
        values = _literal_values(info)
        if values is not None and name != "kind":
            add(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=values), "blocking")
        role = roles.get(name)
        if role == "region":
            add(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=sorted(known_region_codes())), "blocking")
        elif role == "credit":
            pattern = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
            add(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=pattern), "blocking")
        elif role == "date":
            add(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=earliest, max_value=latest), "blocking")
            add(gxe.ExpectColumnValuesToBeBetween(column=name, max_value=last_day), "warning")
        elif role == "amount":
            add(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0), "blocking")
            if name.endswith("_yuan"):
                add(gxe.ExpectColumnValuesToBeBetween(column=name, max_value=IMPLAUSIBLE_AMOUNT_YUAN), "warning")
    for greater, lesser, severity in get_model(kind).ORDERED_FIELDS:  # cross-field rules declared by the model
        if greater in skip_columns or lesser in skip_columns:
            continue
        add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=greater, column_B=lesser, or_equal=True, ignore_row_if="either_value_is_missing"
            ),
            severity,
        )
    thresholds = _collapse_thresholds(previous_row_count)
    if thresholds is not None:
        blocking_min, warning_min = thresholds
        add(gxe.ExpectTableRowCountToBeBetween(min_value=blocking_min), "blocking")
        add(gxe.ExpectTableRowCountToBeBetween(min_value=warning_min), "warning")
    # Passing the expectations to the constructor keeps this pure: add_expectation() needs a context.
    return gx.ExpectationSuite(
        name=f"{kind}@{model.SCHEMA_VERSION}",
        expectations=expectations,
        meta={"kind": kind, "schema_version": model.SCHEMA_VERSION},
    )


def suite_column_names(kind: str) -> tuple[str, ...]:
    """The columns :func:`build_suite`'s expectations read, in the same order — without importing GX.

    A pull gathers these columns page by page as records arrive; Great Expectations itself
    (seconds to import) is needed only when the batch is checked, so a pull process reaches
    its first request without it. ``tests/ingest/test_batch_paths.py`` compares this with the
    columns of the built suite for every kind.
    """
    model = get_model(kind)
    roles = _column_roles(kind)
    columns: dict[str, None] = {"source_record_id": None, "kind": None}
    for name, info in model.model_fields.items():
        if (
            info.is_required()
            or (_literal_values(info) is not None and name != "kind")
            or roles.get(name) in ("region", "credit", "date", "amount")
        ):
            columns[name] = None
    for greater, lesser, _ in model.ORDERED_FIELDS:
        columns[greater] = None
        columns[lesser] = None
    return tuple(columns)


#: kind → zero-argument-compatible builder of that kind's suite (keyword options as in :func:`build_suite`).
SUITE_BUILDERS: dict[str, Callable[..., ExpectationSuite]] = {kind: partial(build_suite, kind) for kind in RECORD_KINDS}


# --- running --------------------------------------------------------------------------------------


def _prepared(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in comparable dtypes: dates as yyyymmdd numbers (see :func:`_day_number`), amounts as float.

    Batches arrive as model dumps (``date``/``Decimal`` objects) or JSON (ISO strings);
    GX compares values with the expectation bounds, which needs one dtype per column.
    A value that does not convert becomes null, which the not-null checks then catch
    for required columns (and :func:`validate_batch` reports as unparseable).
    """
    import pandas as pd

    changes: dict[str, Any] = {}
    for name, role in _column_roles(kind).items():
        if name not in frame.columns:
            continue
        column = frame[name]
        if role == "date":
            if not pd.api.types.is_datetime64_any_dtype(column):
                column = pd.to_datetime(column, errors="coerce", format="mixed")
            numbers = column.dt.year * 10_000 + column.dt.month * 100 + column.dt.day
            # int32 without nulls (float64 with them): GX compares only int64/float64 vectorised,
            # int32 one element at a time in Python. Same values, wider type.
            changes[name] = numbers.astype("int64") if numbers.dtype.kind == "i" else numbers
        elif role == "amount" and not pd.api.types.is_numeric_dtype(column):
            changes[name] = pd.to_numeric(
                column.map(lambda v: float(v) if isinstance(v, Decimal) else v), errors="coerce"
            )
    return frame.assign(**changes) if changes else frame


def _unparseable(original: pd.DataFrame, prepared: pd.DataFrame) -> list[ExpectationSummary]:
    """Values that were present but did not convert (blocking: the column holds garbage)."""
    found = []
    for name in prepared.columns:
        if prepared[name] is original[name]:
            continue
        lost = int(original[name].notna().sum() - prepared[name].notna().sum())
        if lost:
            found.append(
                ExpectationSummary(
                    "pilhub_column_values_parse",
                    name,
                    "blocking",
                    False,
                    element_count=len(original),
                    unexpected_count=lost,
                    unexpected_percent=100.0 * lost / max(len(original), 1),
                )
            )
    return found


def _exception_kind(info: Any) -> str | None:
    """Why a check could not run, without GX's message (an exception message may quote values).

    GX 1.x reports ``{metric_id: {"raised_exception", "exception_message", ...}}``;
    only "missing column" or the exception's class name is kept.
    """
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if not entry.get("raised_exception"):
            continue
        message = str(entry.get("exception_message") or "")
        if "does not exist" in message or "not found" in message:
            return "missing column / 缺少列"
        last_line = str(entry.get("exception_traceback") or "").strip().splitlines()[-1:] or ["Exception"]
        return last_line[0].split(":", 1)[0].rsplit(".", 1)[-1][:80] or "Exception"
    return None


def _summary(result: Any) -> ExpectationSummary:
    config = result.expectation_config
    kwargs = config.kwargs or {}
    raw = result.result or {}
    safe: dict[str, Any] = {key: raw[key] for key in _SAFE_RESULT_KEYS if key in raw}
    exception = _exception_kind(result.exception_info)
    observed = raw.get("observed_value") if config.type.startswith("expect_table_row_count") else None
    return ExpectationSummary(
        expectation_type=config.type,
        column=kwargs.get("column") or (f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None),
        severity=(config.meta or {}).get("severity", "blocking"),
        success=bool(result.success),
        observed_row_count=int(observed) if observed is not None else None,
        exception=exception,
        **safe,
    )


def _no_fingerprints() -> None:
    """Stop GX fingerprinting every in-memory batch.

    For each batch GX hashes the whole DataFrame (MD5 over ``hash_pandas_object``, or over a
    pickle of the frame when a column holds lists, as ``attachments`` does) — twice per
    validation — only to label the batch with ``pandas_data_fingerprint``. Nothing reads that
    marker (results here keep counts only), and at 50,000 rows it cost more than every
    expectation of the suite together (≈18 µs of the ≈25 µs a record). Frames of at least
    ``HASH_THRESHOLD`` bytes are not fingerprinted; a threshold of 0 means none are.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0  # type: ignore[attr-defined]


def validate_batch(
    kind: str,
    dataframe: pd.DataFrame,
    previous_row_count: int | None = None,
    *,
    as_of: date | None = None,
) -> BatchResult:
    """Run ``kind``'s suite over a batch in-process (ephemeral GX context) and summarise it.

    ``success`` is False when any blocking expectation failed (or could not run);
    warnings never affect it. The result holds no row values. A personal-data column
    that is absent altogether (the store may split personal data off first) is not
    checked and is listed in ``skipped_personal_columns``; any other missing column
    fails its checks.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _no_fingerprints()
    model = get_model(kind)
    skipped = [name for name in personal_data_fields(kind) if "." not in name and name not in dataframe.columns]
    suite = build_suite(kind, previous_row_count=previous_row_count, as_of=as_of, skip_columns=frozenset(skipped))
    prepared = _prepared(kind, dataframe)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (
        context.data_sources.add_pandas("pilhub")
        .add_dataframe_asset(kind)
        .add_batch_definition_whole_dataframe("batch")
        .get_batch(batch_parameters={"dataframe": prepared})
    )
    outcome = batch.validate(
        suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}
    )
    summaries = [_summary(r) for r in outcome.results] + _unparseable(dataframe, prepared)
    blocking = [s for s in summaries if not s.success and s.severity == "blocking"]
    warnings = [s for s in summaries if not s.success and s.severity == "warning"]
    return BatchResult(
        kind=kind,
        schema_version=model.SCHEMA_VERSION,
        row_count=len(dataframe),
        previous_row_count=previous_row_count,
        success=not blocking,
        skipped_personal_columns=skipped,
        blocking_failures=blocking,
        warnings=warnings,
        expectations=summaries,
    )
