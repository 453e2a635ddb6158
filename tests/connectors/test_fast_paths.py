"""Fast paths of the pull that must decide exactly as the plain code did.

* the JSON depth limit, now checked on the text (``_text_within_depth``), against the walk
  over the parsed document (``_check_depth``) — hostile strings full of brackets, quotes
  and escapes included, around the limit;
* the sandbox's page cache: a cached page is byte-identical to a freshly rendered one, and
  nothing is cached or served from cache while a fault mode is on.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sandbox import start_sandbox
from connectors.sandbox.server import SandboxRequest
from connectors.sdk.errors import BodyLimitError
from connectors.sdk.formats import _check_depth, _text_within_depth, parse_body
from connectors.sdk.safe_xml import MAX_DEPTH

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
