"""Fast paths of the pull that must decide exactly as the plain code did.

* JSON parsed by msgspec where it accepts the text, by ``json.loads`` otherwise: the same
  documents (types, key order, floats, big ints), the same refusals, and ``plain`` only for
  float-free documents;
* a page prepared at once (``Stream.prepare_many``, the compiled mapping) against record
  by record (``Stream.prepare``), failures and their reasons included;
* the JSON depth limit, now checked on the text (``_text_within_depth``), against the walk
  over the parsed document (``_check_depth``) — hostile strings full of brackets, quotes
  and escapes included, around the limit;
* the sandbox's page cache: a cached page is byte-identical to a freshly rendered one, and
  nothing is cached or served from cache while a fault mode is on.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.registry import CONNECTORS, get_connector
from connectors.sandbox import start_sandbox
from connectors.sandbox.dataset import build_dataset
from connectors.sandbox.server import SandboxRequest
from connectors.sdk import PageNumber, Stream
from connectors.sdk.errors import BodyFormatError, BodyLimitError
from connectors.sdk.formats import _check_depth, _decode_json, _text_within_depth, parse_body
from connectors.sdk.safe_xml import MAX_DEPTH
from hub.ingest.incoming import Incoming
from hub.ingest.loader import raw_hash
from schemas.errors import InvalidValue

_PIECES = [*'ab[]{}"\\/中\n ', "\\u005b", '\\"', "\u2028", "\\\\"]
_NASTY = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_NASTY, inner, max_size=4),
    max_leaves=40,
)


def _walk_ok(document: object) -> bool:
    try:
        _check_depth(document, "", "")
    except BodyLimitError:
        return False
    return True


def _nest(value: object, depth: int, rng: random.Random) -> object:
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {'k"[{': value}
    return value


@settings(max_examples=500, deadline=None)
@given(_json, st.integers(min_value=0, max_value=MAX_DEPTH + 3), st.integers(0, 2**32), st.booleans())
def test_text_depth_check_agrees_with_the_walk(value, depth, seed, ascii_only):
    document = _nest(value, depth, random.Random(seed))
    text = json.dumps(document, ensure_ascii=ascii_only)
    assert _text_within_depth(text) == _walk_ok(json.loads(text))


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_the_limit_itself(depth):
    text = "[" * depth + json.dumps(']]}{"\\[') + "]" * depth
    json.loads(text)  # the check is for texts that parsed
    assert _text_within_depth(text) == (depth <= MAX_DEPTH)
    if depth <= MAX_DEPTH:
        assert parse_body(text, "json").records
    else:
        with pytest.raises(BodyLimitError):
            parse_body(text, "json")


def _get(system, path: str, query: dict[str, str]) -> bytes:  # type: ignore[no-untyped-def]
    headers = {"x-api-key": system.env("")["PILHUB_CONN_WATER_API_KEY"]}
    response = system.handle(SandboxRequest("GET", path, path, query, headers, b""))
    body = response.body
    return body if isinstance(body, bytes) else str(body).encode()


def test_sandbox_page_cache_serves_identical_pages_and_stays_out_of_the_way_of_faults():
    with start_sandbox(systems=["water"], scale=5) as sandbox:
        water = sandbox.system("water")
        query = {"page": "2", "page_size": "5"}
        fresh = _get(water, "/api/water/replies", query)
        assert water._pages  # rendered once, kept
        assert _get(water, "/api/water/replies", query) == fresh
        assert water.prerender(5) > 2 and _get(water, "/api/water/replies", {"page": "1", "page_size": "5"})

        sandbox.set_faults(["malformed_records"])  # record faults depend on the delivery count: never cached
        cached_pages = len(water._pages)
        faulty = _get(water, "/api/water/replies", {"page": "1", "page_size": "500"})
        assert len(water._pages) == cached_pages
        assert b"2018-13-01" in faulty  # the garbled first delivery really was rendered afresh
        sandbox.set_faults([])
        assert _get(water, "/api/water/replies", query) == fresh


# --- JSON: msgspec first, json.loads wherever msgspec refuses ---------------------------------------------

_any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.integers(-(10**40), 10**40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


def _identical(a: object, b: object) -> bool:
    """Equal values of identical types, dict keys in the same order, NaN equal to NaN, -0.0 not 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_identical(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def _floats_in(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_floats_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_floats_in(v) for v in value)
    return False


@settings(max_examples=600, deadline=None)
@given(_any_json, st.booleans(), st.booleans())
def test_fast_json_parse_returns_what_json_loads_returns(value, ascii_only, pretty):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if pretty else None)  # NaN, Infinity included
    document, plain = _decode_json(text)
    assert _identical(document, json.loads(text))
    assert not (plain and _floats_in(document))  # plain: no float anywhere (msgspec saw none)
    try:
        utf8 = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written as it is: not a body that decoded as UTF-8
        return
    again, again_plain = _decode_json(text, utf8=utf8)  # a body received as UTF-8 is parsed from its bytes
    assert _identical(again, document) and again_plain == plain


@pytest.mark.parametrize(
    "text",
    [
        "18446744073709551616",
        "-9223372036854775809",
        "9" * 4300,
        "-0",
        "-0.0",
        "1E400",
        "-1e-400",
        "2.2250738585072011e-308",
        '{"a":1,"b":2,"a":3}',
        '"\\ud800"',
        '"\\udc00\\ud800"',
        '"\\ud83d\\ude00"',
        "NaN",
        "[Infinity, -Infinity]",
        ' \t\n[1, {"x" : null}]\r\n',
        '{"\\u0000":"\\u2028"}',
        '"\x7f"',
    ],
)
def test_fast_json_parse_edge_cases(text):
    document, plain = _decode_json(text)
    assert _identical(document, json.loads(text))
    assert not (plain and _floats_in(document))


@pytest.mark.parametrize(
    "text", ['"a\x01b"', "[1,]", '{"a":1,}', "01", "1.", "[1] x", "\x0c[1]", '"\\x41"', "nul", "9" * 4301]
)
def test_fast_json_parse_refuses_what_json_loads_refuses(text):
    with pytest.raises(BodyLimitError if text[0] == "9" else BodyFormatError):
        parse_body(text, "json")


def test_utf8_body_is_parsed_as_its_text():
    text = json.dumps({"data": {"list": [{"id": "一", "n": 1}, {"id": "二", "x": [1.5, None]}]}}, ensure_ascii=False)
    a = parse_body(text, "json", "data.list")
    b = parse_body(text, "json", "data.list", utf8=text.encode())
    assert _identical(a.document, b.document) and a.records == b.records
    assert not a.plain and not b.plain  # a float
    c = parse_body(json.dumps([{"id": "一"}], ensure_ascii=False), "json")
    assert c.plain and parse_body("id\n1\n", "csv").plain


# --- preparing a page at once ------------------------------------------------------------------------------


def _fields(item: Incoming) -> tuple[object, ...]:
    return (
        item.raw,
        item.source_id,
        item.mapped,
        item.fetched_at,
        item.cursor,
        item.signature,
        item.landing_pk,
        [(r.field, r.code, r.zh, r.en) for r in item.reasons],
    )


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_prepare_many_prepares_as_prepare_does(name):
    connector = get_connector(name)
    data = build_dataset(20181231, 1, (name,)).records[name]
    fetched = datetime(2026, 11, 23, tzinfo=UTC)
    compared = 0
    for stream in connector.streams:
        raws = data.get(stream.name) or []
        if stream.format == "json":
            parsed = parse_body(json.dumps(raws, ensure_ascii=False), "json")
            raws, plain = parsed.records, parsed.plain
        else:
            plain = False
        pk = stream.primary_key if isinstance(stream.primary_key, str) else "x"
        raws = [
            *raws,
            {},
            {pk: "  "},
            *([] if stream.signed else [["not", "a dict"]]),
        ]  # prepare() itself needs dicts when signed
        one_by_one = [stream.prepare(r, None, fetched, 3) for r in raws]
        at_once = stream.prepare_many(raws, None, fetched, 3, plain=plain)
        assert [_fields(i) for i in at_once] == [_fields(i) for i in one_by_one]
        for item in at_once:
            assert item.raw_hash in (None, raw_hash(item.raw))
        compared += len(raws)
    assert compared


def _bad_code(record: dict) -> str:
    raise InvalidValue("code.bad", "编码无效", "bad code")


def test_compiled_mapping_names_the_failing_field_as_before():
    stream = Stream(
        "s",
        "agency.receipt",
        "/x",
        "id",
        PageNumber(),
        cursor_field="t",
        mapping={"a": "a", "b": "b.c", "c": _bad_code, "d": "d"},
    )
    records = [
        {"id": "1", "a": "x", "b": {"c": 2}, "t": "2018"},  # bad_code raises: the reason names field c
        {"id": 2, "a": "", "b": "not a dict", "d": 0},  # dig on text gives None
        {"id": "", "a": "x"},  # no source id
    ]
    at_once = Stream.prepare_many(stream, records, None, datetime(2026, 1, 1, tzinfo=UTC))
    one_by_one = [stream.prepare(r, None, datetime(2026, 1, 1, tzinfo=UTC)) for r in records]
    assert [_fields(i) for i in at_once] == [_fields(i) for i in one_by_one]
    assert at_once[0].reasons[0].field == "c" and at_once[0].reasons[0].code == "code.bad"
    import pickle  # the compiled mapper is not pickled (pull workers compile their own)

    again = pickle.loads(pickle.dumps(stream)).prepare_many(records, None, datetime(2026, 1, 1, tzinfo=UTC))
    assert [_fields(i) for i in again] == [_fields(i) for i in at_once]
