"""The loader's batch paths decide exactly as the record-by-record code they replace.

* ``_split_many`` (one key plan per batch, the payload encoded from a struct, the payload
  column assembled from cached pieces) against ``_split_valid`` for sandbox records of
  every kind, and for dumps it must hand back to ``_split_valid`` (other keys, values that
  cannot be dict keys);
* the batch suite's columns gathered page by page (``SuiteChunk``/``SuiteRows``) against the
  frame built from the dumps themselves — same columns, values and dtypes — with rows
  picked (repeated ids), columns absent from some rows, all-null columns, mixed types; and
  the Great Expectations result over both;
* the two ways to the current versions of a batch's ids (index lookups, or one scan of a
  small stream);
* the pull's pause of the cyclic collector, and the identity memo of timestamps.
"""

from __future__ import annotations

import gc
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from connectors.registry import CONNECTORS, get_connector
from connectors.sandbox.dataset import build_dataset
from hub.ingest import loader
from hub.ingest.batch_check import SuiteChunk, SuiteRows, _frame, suite_columns
from hub.ingest.incoming import Incoming
from hub.ingest.loader import BatchSpec, _split_many, _split_valid, check_records, load_batch
from hub.store.db import open_store
from schemas.registry import RECORD_KINDS
from schemas.validation import dump_records, validate_records
from tests.ingest.conftest import receipt, spec

FETCHED = datetime(2026, 11, 23, tzinfo=UTC)


def _dumps_of_every_kind() -> dict[str, list[dict[str, Any]]]:
    """Model dumps of the sandbox's records of every stream (signatures left aside: mapped directly)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(CONNECTORS):
        connector = get_connector(name)
        data = build_dataset(20181231, 1, (name,)).records[name]
        for stream in connector.streams:
            items = []
            for raw in data.get(stream.name) or data.get(stream.name.replace("_", "-")) or []:
                record = raw
                if stream.signed is not None:
                    record = {k: v for k, v in raw.items() if k not in ("signature", "sig", "key_id")}
                try:
                    mapped = stream.map_record(record)
                except Exception:  # noqa: BLE001 - a record the sandbox garbles on purpose
                    continue
                items.append(Incoming(raw, stream.source_id_of(record) or "x", mapped, FETCHED))
            b = BatchSpec(connector.agency_code, stream.name, stream.kind, connector.system)
            rows = [loader.build_envelope(b, "1.0.0", i) for i in items]
            models = [m for _, m in validate_records(stream.kind, rows).valid]
            out.setdefault(stream.kind, []).extend(dump_records(stream.kind, models))
    return out


_DUMPS = _dumps_of_every_kind()


def _valid_fields(entry: loader.Valid) -> tuple[Any, ...]:
    return entry.item.source_id, entry.personal_json, entry.chash, entry.stored, entry.dump


@pytest.mark.parametrize("kind", sorted(_DUMPS))
def test_split_many_is_split_valid(kind):
    dumps = _DUMPS[kind]
    assert dumps, kind
    items = [Incoming({}, str(n), None, FETCHED) for n in range(len(dumps))]
    assert [_valid_fields(v) for v in _split_many(kind, items, dumps)] == [
        _valid_fields(_split_valid(kind, i, d)) for i, d in zip(items, dumps, strict=True)
    ]
    odd = [dict(d) for d in dumps[:4]]
    odd[1]["extra"] = "x"  # a key the first dump does not have
    odd[2].pop(next(iter(odd[2])))  # a key missing
    odd[3]["signature"] = ["not", "hashable"]  # cannot key the cached tail
    items = items[:4]
    assert [_valid_fields(v) for v in _split_many(kind, items, odd)] == [
        _valid_fields(_split_valid(kind, i, d)) for i, d in zip(items, odd, strict=True)
    ]


def _chunks(kind: str, dumps: list[dict[str, Any]], size: int) -> list[SuiteChunk]:
    return [SuiteChunk.gather(kind, dumps[n : n + size]) for n in range(0, len(dumps), size)]


def _same_frame(kind: str, dumps: list[dict[str, Any]], size: int, positions: list[int] | None = None) -> None:
    rows = dumps if positions is None else [dumps[n] for n in positions]
    expected = _frame(kind, rows)
    suite_rows = SuiteRows(kind, _chunks(kind, dumps, size), positions)
    got = _frame(kind, suite_rows)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert list(suite_rows) == [{k: v for k, v in r.items() if k in got.columns} for r in rows]


@pytest.mark.parametrize("kind", sorted(_DUMPS))
def test_suite_columns_make_the_frame_the_dumps_make(kind):
    dumps = _DUMPS[kind]
    for size in (1, 7, len(dumps)):
        _same_frame(kind, dumps, size)
    picked = list(range(len(dumps)))[::-3][: max(1, len(dumps) // 2)]  # repeated ids: some rows, reordered
    _same_frame(kind, dumps, 5, picked)
    columns = suite_columns(kind)
    odd = [dict(d) for d in (dumps * 12)[:12]]
    for n, d in enumerate(odd):
        if n % 2:
            d.pop(columns[-1], None)  # absent from some rows
        d[columns[2]] = None  # null in every row
        if n < 6:
            d[columns[3]] = None  # null in a whole first chunk, text later
        if n == 7:
            d[columns[4]] = 12  # a number among texts
    _same_frame(kind, odd, 6)
    _same_frame(kind, odd, 6, [1, 3, 5])  # the rows with text in columns[3] are not picked: all null there


def test_the_suite_gives_the_same_result_over_columns(monkeypatch):
    from schemas.expectations import validate_batch

    kind = "agency.reply"
    dumps = _DUMPS[kind]
    via_dumps = validate_batch(kind, _frame(kind, dumps), as_of=date(2026, 11, 23)).to_dict()
    via_columns = validate_batch(kind, _frame(kind, SuiteRows(kind, _chunks(kind, dumps, 4))), as_of=date(2026, 11, 23))
    assert via_columns.to_dict() == via_dumps


def test_a_batch_checked_page_by_page_loads_as_one_checked_whole(sqlite_url, monkeypatch):
    seen: list[list[dict[str, Any]]] = []

    def suite(kind, rows, previous=None):  # the rows the suite would see
        from hub.ingest.batch_check import BatchVerdict

        seen.append(list(rows))
        return BatchVerdict(False, {"suite": "stand-in"})

    monkeypatch.setattr("hub.ingest.loader.check_batch", suite)
    columns = suite_columns("agency.receipt")
    items = [receipt(n) for n in range(1, 9)] + [receipt(3, receiver="李四")] + [receipt(4)]  # a change, a repeat
    paged = check_records(spec(), "1.0.0", items[:5], columns=columns)
    paged.extend(check_records(spec(), "1.0.0", items[5:], columns=columns))
    whole = check_records(spec(), "1.0.0", items)
    from tests.ingest.store_copies import copy_of

    path = sqlite_url.removeprefix("sqlite:///")
    second = copy_of(path, path.replace("store.db", "store2.db"))  # both stores empty
    stores = []
    for url, checked in ((sqlite_url, paged), (second, whole)):
        with open_store(url)() as session, session.begin():
            out = load_batch(session, spec(), items, checked=checked)
        stores.append(out.as_dict() | {"batch": None})
    assert stores[0] == stores[1]
    assert len(seen[0]) == len(seen[1]) == 8  # the latest content of each id, in first-seen order
    pd.testing.assert_frame_equal(_frame("agency.receipt", seen[0]), _frame("agency.receipt", seen[1]))
    assert [r["receiver"] for r in seen[0]][2] == "李四"


def test_current_versions_by_lookup_and_by_scan_agree(sqlite_url, monkeypatch):
    from hub.ingest.batch_check import BatchVerdict

    monkeypatch.setattr("hub.ingest.loader.check_batch", lambda kind, rows, prev=None: BatchVerdict(False, {}))
    factory = open_store(sqlite_url)
    with factory() as session, session.begin():
        load_batch(session, spec(), [receipt(n) for n in range(1, 30)])
        load_batch(session, spec(), [receipt(n, receiver="张三") for n in range(20, 25)])  # versions 2
    later = [receipt(n, receiver="张三") for n in range(18, 26)] + [receipt(99)]
    with factory() as session:
        few = {i.source_id: [i] for i in later}  # 9 ids, 34 rows in the stream: looked up in the index
        looked_up = loader._current_versions(session, spec(), few)
        many = few | {f"NEW-{n}": [receipt(n)] for n in range(40)}  # 49 ids: the stream is scanned once
        scanned = loader._current_versions(session, spec(), many)
    assert looked_up == scanned
    assert {sid: ver for sid, (_, _, ver, _) in scanned.items()} == {
        f"SD-{n:03d}": (2 if 20 <= n < 25 else 1) for n in range(18, 26)
    }
    assert {sid: updated for sid, (*_, updated) in scanned.items()} == {  # each version's source update time
        f"SD-{n:03d}": receipt(n).cursor for n in range(18, 26)
    }
    with factory() as session:  # a stream with nothing yet: one count, nothing else
        assert loader._current_versions(session, spec(stream="other"), many) == {}


def test_the_collector_is_paused_for_a_pull_and_back_after(monkeypatch):
    from connectors.sdk.runner import _collector_paused

    assert gc.isenabled()
    inside: list[bool] = []
    with _collector_paused():
        inside.append(gc.isenabled())
        done = threading.Event()

        def other_pull() -> None:
            with _collector_paused():
                inside.append(gc.isenabled())
            done.set()

        threading.Thread(target=other_pull).start()
        done.wait(5)
        inside.append(gc.isenabled())  # the other pull ended first: still paused for this one
    assert inside == [False, False, False] and gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_timestamps_are_remembered_by_identity_only():
    from schemas.memo import memoised

    calls: list[Any] = []

    def validator(value: Any) -> Any:
        calls.append(value)
        return value

    check = memoised(validator)
    moment = datetime(2026, 11, 23, 8, tzinfo=timezone(timedelta(hours=8)))
    same_instant = moment.astimezone(UTC)
    assert check(moment) is moment and check(moment) is moment
    assert check(same_instant) is same_instant  # equal, not the same: validated (and kept) on its own
    assert calls == [moment, same_instant]
    day = date(2018, 3, 21)
    check(day), check(day), check([1]), check([1])  # a list is never remembered
    assert calls[2:] == [day, [1], [1]]


def test_batch_encryption_draws_a_fresh_nonce_for_every_value():
    from hub.ingest.sealing import encrypt_many
    from hub.personal_data import decrypt

    sealed = encrypt_many([b'{"a":1}', None, *([b'{"a":1}'] * 200)], loader.PERSONAL_COLUMN)
    tokens = [t for t in sealed if t is not None]
    assert sealed[1] is None and len(set(tokens)) == len(tokens) == 201  # same text, another nonce each time
    assert {decrypt(t, loader.PERSONAL_COLUMN) for t in tokens} == {'{"a":1}'}


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_suite_column_names_without_gx_are_the_columns_of_the_built_suite(kind):
    """The pull gathers the suite's columns before Great Expectations is imported; they must be the suite's own."""
    from schemas.expectations import build_suite, suite_column_names

    from_suite: dict[str, None] = {}
    for expectation in build_suite(kind, previous_row_count=1).expectations:
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if kwargs.get(key):
                from_suite[kwargs[key]] = None
    assert suite_column_names(kind) == tuple(from_suite)
