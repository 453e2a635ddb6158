"""Contract breaks found by the hostile-input tests in parsers owned by other modules — now regression tests.

Each test states the documented behaviour. A newly found break is added here marked
``xfail`` (its ``reason`` carrying the suggested fix) with an entry in
``hostile_targets.KNOWN_BUGS``; once the owner fixes the parser, the marker and the entry
go and the test stays. All breaks found so far are fixed (the comment above each test
says where):

* registry lines with a > 4300-digit number or deep nesting → ``LineError`` (``hub.registry.importer``);
* connector JSON / JSON Lines bodies with either → ``BodyLimitError``, not retried (``connectors.sdk.formats``);
* XML nested beyond ``MAX_DEPTH`` → ``UnsafeXmlError`` as elements open (``connectors.sdk.safe_xml``);
* ``parse_date(Decimal('1E+999999'))`` → range-checked before ``int()`` (``schemas.dates``).
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


# Fixed in hub.registry.importer.parse_line (ValueError → LineError).
def test_registry_line_with_a_huge_number_is_a_line_error() -> None:
    result = parse_line(3, '{"case_id": "KC-1", "outcomes": {"money_recovered_yuan": ' + HUGE_INT + "}}")
    assert isinstance(result, list) and all(isinstance(e, LineError) for e in result)


# Fixed in hub.registry.importer.parse_line (RecursionError → LineError).
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


# Fixed in schemas.dates._from_number / excel_serial_to_date (range check before int()).
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


def _parse_body(text: str, fmt: str) -> BaseException:
    """Run the connector SDK's body parser; pass only on its documented error, and return it."""
    from connectors.sdk import errors, formats

    with pytest.raises(errors.ConnectorError) as info:
        formats.parse_body(text, fmt)
    return info.value


def _refused_without_retry(exc: BaseException) -> bool:
    """A content limit, not a garbled transfer: never a ``TransientFetchError`` (which the runner refetches)."""
    from connectors.sdk.errors import BodyLimitError, TransientFetchError, UnsafeXmlError

    return isinstance(exc, BodyLimitError | UnsafeXmlError) and not isinstance(exc, TransientFetchError)


# Fixed in connectors.sdk.formats (ValueError → BodyLimitError, refused without a refetch).
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_body_with_a_huge_number_is_a_body_format_error(fmt: str) -> None:
    exc = _parse_body('{"fine": ' + HUGE_INT + "}", fmt)
    assert _refused_without_retry(exc) and "4300" in str(exc)


# Fixed in connectors.sdk.formats (RecursionError and depth > MAX_DEPTH → BodyLimitError).
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("depth", [100_000, 65])
def test_json_body_nested_too_deeply_is_a_body_format_error(fmt: str, depth: int) -> None:
    exc = _parse_body("[" * depth + "]" * depth, fmt)
    assert _refused_without_retry(exc) and "嵌套过深" in str(exc)


def test_json_body_nested_to_the_limit_still_parses() -> None:
    from connectors.sdk.formats import parse_body
    from connectors.sdk.safe_xml import MAX_DEPTH

    assert len(parse_body("[" * MAX_DEPTH + "]" * MAX_DEPTH, "json").records) == 1  # the limit itself is fine


# Fixed in connectors.sdk.safe_xml (depth counted in the start-element handler).
def test_xml_body_nested_too_deeply_is_refused() -> None:
    deep = "<r><rec>" + "<a>" * 50_000 + "x" + "</a>" * 50_000 + "</rec></r>"
    exc = _parse_body(deep, "xml")
    assert _refused_without_retry(exc) and "nested too deeply" in str(exc)


def test_runner_refuses_a_hostile_page_at_once_and_keeps_it(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """One request, no refetch: the stream fails naming the kept raw landing; the cursor stays put."""
    from sqlalchemy import func, select

    from connectors.sdk.config import ConnectorConfig
    from connectors.sdk.http import Fetched, HttpClient
    from hub.ingest.pull import pull
    from hub.store import open_store
    from hub.store.db import reset_caches
    from hub.store.models import ConnectorState, IngestBatch, RawLanding

    calls: list[str] = []

    def hostile_get(self: HttpClient, path: str, params: dict | None = None) -> Fetched:  # type: ignore[type-arg]
        calls.append(path)
        body = ('{"items": [{"record_id": "R1", "fkje": ' + HUGE_INT + "}]}").encode()
        return Fetched(
            f"http://agency.invalid{path}", {"method": "GET", "url": path}, 200, "application/json", {}, body
        )

    monkeypatch.setattr(HttpClient, "get", hostile_get)
    factory = open_store(f"sqlite:///{tmp_path / 'hostile.db'}")
    try:
        config = ConnectorConfig("environment", base_url="http://agency.invalid", api_key="k")
        summary = pull("environment", stream="penalties", factory=factory, config=config, raise_on_error=False)
        (result,) = summary.streams
        assert calls == ["/api/v1/penalties"] and result.refetched_bodies == 0
        assert result.status == "failed" and "raw landing" in (result.error or "") and "4300" in (result.error or "")
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(RawLanding)) == 1  # the body is kept as evidence
            assert s.get(IngestBatch, result.batch_id).status == "failed"  # type: ignore[union-attr]
            assert s.get(ConnectorState, ("330800-sthj", "penalties")) is None  # cursor not advanced
    finally:
        reset_caches()


def test_known_bugs_list_names_real_tests() -> None:
    from hostile_targets import KNOWN_BUGS

    names = {name for name in globals() if name.startswith("test_")}
    assert {bug.test for bug in KNOWN_BUGS} <= names
    assert json.dumps([bug.target for bug in KNOWN_BUGS])
