"""Contract breaks found by the hostile-input tests in parsers owned by other modules — reported, not fixed here.

Each test states the documented behaviour and is marked ``xfail`` until the owner fixes
the parser; the ``reason`` carries the suggested fix. When one starts passing (XPASS),
delete its marker and its entry in ``hostile_targets.KNOWN_BUGS``: it stays as a regression test.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from hub.registry.errors import LineError
from hub.registry.importer import parse_line
from schemas.errors import InvalidValue
from schemas.identifiers import validate_case_number, validate_doc_number
from schemas.values import parse_date, parse_money_yuan

HUGE_INT = "9" * 5000  # beyond Python's 4300-digit int/str conversion limit
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.xfail(
    reason="hub.registry.importer.parse_line: json.loads raises ValueError (not JSONDecodeError) for integers "
    "over 4300 digits, which escapes and aborts the whole import. Fix: catch ValueError (JSONDecodeError is "
    "a subclass) and return LineError('(line)', '数字过长', 'number too long').",
    strict=False,
)
def test_registry_line_with_a_huge_number_is_a_line_error() -> None:
    result = parse_line(3, '{"case_id": "KC-1", "outcomes": {"money_recovered_yuan": ' + HUGE_INT + "}}")
    assert isinstance(result, list) and all(isinstance(e, LineError) for e in result)


@pytest.mark.xfail(
    reason="hub.registry.importer.parse_line: deeply nested JSON raises RecursionError out of json.loads. "
    "Fix: catch RecursionError and return LineError('(line)', 'JSON 嵌套过深', 'JSON nested too deeply'); "
    "optionally cap the line length first (a case line is never megabytes).",
    strict=False,
)
def test_registry_line_nested_too_deeply_is_a_line_error() -> None:
    result = parse_line(3, DEEP_JSON)
    assert isinstance(result, list) and result[0].field == "(line)"


# Found here, fixed by the owner meanwhile (schemas.money: fast paths now guarded); kept as a regression test.
@pytest.mark.parametrize("value", ["9" * 40, 10**30])
def test_money_with_more_than_26_digits_is_invalid_value(value: object) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_money_yuan(value)
    assert info.value.code == "money.too_large"


# Found here, fixed by the owner meanwhile (schemas.dates: sNaN); kept as a regression test.
def test_date_from_a_signalling_nan_is_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        parse_date(Decimal("sNaN"))


@pytest.mark.xfail(
    reason="schemas.dates._from_number: int(value) on a Decimal with a huge exponent builds the whole integer "
    "before the range check — Decimal('1E+999999') costs about a minute of CPU (a denial of service when a "
    "feed's numbers are read as Decimal). Fix: compare against the serial / yyyymmdd bounds before int().",
    strict=False,
)
def test_date_from_a_decimal_with_a_huge_exponent_is_rejected_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidValue):
        parse_date(Decimal("1E+99999"))  # ~0.7 s today; 1E+999999 takes about a minute
    assert time.perf_counter() - started < 0.05


# Found here, fixed by the owner meanwhile (schemas.identifiers: serial length); kept as a regression test.
@pytest.mark.parametrize(
    ("validate", "text"),
    [
        (validate_case_number, "（2018）浙0824民初" + "1" * 5000 + "号"),
        (validate_doc_number, "衢检行公建〔2018〕" + "1" * 5000 + "号"),
    ],
)
def test_identifier_serial_with_thousands_of_digits(validate, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue):
        validate(text)


def _parse_body(text: str, fmt: str) -> None:
    """Run the connector SDK's body parser; pass only on its documented error."""
    formats = pytest.importorskip("connectors.sdk.formats")
    errors = pytest.importorskip("connectors.sdk.errors")
    with pytest.raises(errors.ConnectorError):
        formats.parse_body(text, fmt)


@pytest.mark.xfail(
    reason="connectors.sdk.formats.parse_body (json, jsonl): catches only JSONDecodeError; a > 4300-digit "
    "integer raises ValueError out of the runner. Fix: catch ValueError and raise a non-retryable "
    "BodyFormatError('数字过长', 'number too long') — or parse with parse_int=Decimal-with-length-check.",
    strict=False,
)
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_body_with_a_huge_number_is_a_body_format_error(fmt: str) -> None:
    _parse_body('{"fine": ' + HUGE_INT + "}", fmt)


@pytest.mark.xfail(
    reason="connectors.sdk.formats.parse_body (json, jsonl): deeply nested JSON raises RecursionError. Fix: catch "
    "RecursionError → BodyFormatError('JSON 嵌套过深', 'JSON nested too deeply'); it is not transient, so "
    "do not retry it.",
    strict=False,
)
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_body_nested_too_deeply_is_a_body_format_error(fmt: str) -> None:
    _parse_body(DEEP_JSON, fmt)


@pytest.mark.xfail(
    reason="connectors.sdk.safe_xml: expat builds a 50 000-deep tree and the recursive element_to_dict then "
    "raises RecursionError. Fix: count depth in StartElementHandler and raise UnsafeXmlError beyond e.g. 64 "
    "levels (no agency document nests deeper than a handful).",
    strict=False,
)
def test_xml_body_nested_too_deeply_is_refused() -> None:
    deep = "<r><rec>" + "<a>" * 50_000 + "x" + "</a>" * 50_000 + "</rec></r>"
    _parse_body(deep, "xml")


def test_known_bugs_list_names_real_tests() -> None:
    from hostile_targets import KNOWN_BUGS

    names = {name for name in globals() if name.startswith("test_")}
    assert {bug.test for bug in KNOWN_BUGS} <= names
    assert json.dumps([bug.target for bug in KNOWN_BUGS])
