"""The fast paths of the loader write byte-for-byte what the straightforward code wrote.

Every stored hash (content hash, raw payload hash, quarantine hash) was taken over
``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)``;
``hub.ingest.canonical`` produces it with msgspec where the two agree. Checked here: every
code point, a million floats on both sides of the exponent boundary, the non-JSON types
that must fall back, arbitrary JSON values (hypothesis), and — end to end — the payload
column, personal-data JSON and content hash of sandbox records of every kind against the
reference implementation the loader used before; the batch encryption of personal data;
and the SQLite bulk insert against SQLAlchemy Core's own insert of the same rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from hub.ingest.canonical import canonical_bytes, canonical_text, is_plain_json, stdlib_canonical
from hub.ingest.loader import (
    _RECORDS,
    DELIVERY_FIELDS,
    PERSONAL_COLUMN,
    BatchSpec,
    Valid,
    _insert_records,
    _stored_payload,
    check_records,
)
from hub.ingest.personal_split import split_personal
from hub.ingest.sealing import encrypt_many
from hub.personal_data import decrypt
from hub.store.db import open_store


def _same(value: Any) -> None:
    assert canonical_bytes(value) == stdlib_canonical(value).encode("utf-8")
    assert canonical_text(value) == stdlib_canonical(value)


def test_every_code_point_and_key_order():
    chars = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    _same({"k": chars})
    rng = random.Random(1)
    _same({chr(c) + "x": n for n, c in enumerate(rng.sample(range(0x20, 0xD800), 3000))})
    _same({"\x00": 1, "\x1f": [1, "\u2028\u2029\x7f"], "": None, "中文": "，。"})


def test_floats_agree_or_take_the_reference_path():
    rng = random.Random(2)
    values = [0.0, -0.0, 1e-4, 9.999e-5, 1e16, 9999999999999998.0, 1e-7, 2.5e-5, 1.5e300, 5e-324, 0.1]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(300_000)]
    values += [rng.random() * 10 ** rng.randint(-8, 20) for _ in range(300_000)]
    for value in values:
        if math.isfinite(value):
            assert canonical_bytes(value) == stdlib_canonical(value).encode(), value
    for value in (math.nan, math.inf, -math.inf):
        _same({"v": value})  # NaN / Infinity, as json.dumps writes them


class Colour(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Tag(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        date(2018, 3, 21),
        Decimal("12.50"),
        {1, 2},
        b"bytes",
        Tag("x"),
        Colour.RED,
        Level.HIGH,
        (1, "a", None),
        {"nested": [{"at": datetime(2018, 1, 1, tzinfo=UTC)}]},
        {1: "int key"},
        {"big": 10**30},
    ],
)
def test_values_msgspec_would_print_differently_fall_back(value):
    _same(value)


def test_lone_surrogates_fail_alike():
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"x": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        stdlib_canonical({"x": "\ud800"}).encode()
    assert canonical_text({"x": "\ud800"}) == stdlib_canonical({"x": "\ud800"})
    assert not is_plain_json(float("nan")) and is_plain_json({"a": [1, "b", None, True, 0.5]})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_arbitrary_json_values(value):
    try:
        expected = stdlib_canonical(value).encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


# --- the stored form, against the implementation the loader used before ---------------------------------------


def _reference(kind: str, dump: dict[str, Any]) -> tuple[str, str, str]:
    """The previous loader: split with split_personal, serialise with json.dumps, hash, build the payload column."""
    core = {k: v for k, v in dump.items() if k not in DELIVERY_FIELDS}
    payload, personal = split_personal(kind, core)
    payload_json = stdlib_canonical(payload)
    personal_json = stdlib_canonical(personal) if personal else ""
    chash = hashlib.sha256(f"{payload_json}\x00{personal_json}".encode()).hexdigest()
    delivery = stdlib_canonical({k: dump.get(k) for k in DELIVERY_FIELDS})
    stored = delivery if payload_json == "{}" else payload_json[:-1] + "," + delivery[1:]
    return stored, personal_json, chash


def _sandbox_items(name: str) -> list[tuple[BatchSpec, list[Any]]]:
    from connectors.registry import get_connector
    from connectors.sandbox.dataset import build_dataset
    from connectors.sdk.formats import parse_body

    connector = get_connector(name)
    data = build_dataset(20181231, 1, (name,)).records[name]
    out = []
    fetched = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    for stream in connector.streams:
        if stream.signed is not None or stream.name not in data:
            continue
        raws = data[stream.name]
        if stream.format == "json":  # through the parser, as a pull sees them (floats included)
            raws = parse_body(json.dumps(raws, ensure_ascii=False), "json").records
        items = [stream.prepare(r, None, fetched, 7) for r in raws]
        spec = BatchSpec(connector.agency_code, stream.name, stream.kind, connector.system)
        out.append((spec, items))
    return out


@pytest.mark.parametrize("name", ["court", "forestry", "market", "water"])
def test_stored_payload_personal_json_and_content_hash_are_unchanged(name):
    from schemas.validation import dump_records, validate_records

    checked_any = 0
    for spec, items in _sandbox_items(name):
        checked = check_records(spec, "1.0.0", items)
        shipped = check_records(spec, "1.0.0", items, columns=("source_record_id",))
        if checked.valid:
            column = shipped.suite[0].columns["source_record_id"]
            sids = column if isinstance(column, list) else column.to_pylist()
            assert sids == [entry.dump["source_record_id"] for entry in checked.valid]
        for entry, sent in zip(checked.valid, shipped.valid, strict=True):
            from hub.ingest.loader import build_envelope

            model = validate_records(spec.kind, [build_envelope(spec, "1.0.0", entry.item)]).valid[0][1]
            dump = dump_records(spec.kind, [model])[0]
            assert dump == model.model_dump(mode="json")
            stored, personal_json, chash = _reference(spec.kind, dump)
            assert (_stored_payload(entry), entry.personal_json.decode(), entry.chash) == (stored, personal_json, chash)
            assert (sent.stored.decode(), sent.personal_json, sent.chash) == (stored, entry.personal_json, chash)
            assert sent.dump is None  # the suite's columns were gathered instead
            checked_any += 1
    assert checked_any > 0


def test_batch_encryption_reads_back_with_the_hub_key_ring():
    plains = [json.dumps({"receiver": "张秀英"}, ensure_ascii=False).encode(), None, b"{}"]
    sealed = encrypt_many(plains, PERSONAL_COLUMN)
    assert sealed[1] is None and sealed[0] != sealed[2] and sealed[0].startswith("v1:")
    assert [decrypt(s, PERSONAL_COLUMN) for s in sealed] == ['{"receiver": "张秀英"}', None, "{}"]
    assert encrypt_many([plains[0]], PERSONAL_COLUMN)[0] != sealed[0]  # a fresh nonce every time


def test_sqlite_bulk_insert_writes_what_sqlalchemy_core_writes(sqlite_url):
    factory = open_store(sqlite_url)
    spec = BatchSpec("330800-sl", "receipts", "agency.receipt", "sl-ywxt")
    from tests.ingest.conftest import receipt

    items = [receipt(n) for n in range(1, 4)]
    items[1].fetched_at = datetime(2026, 11, 23, 16, 0, tzinfo=timezone(timedelta(hours=8)))  # an aware non-UTC time
    checked = check_records(spec, "1.0.0", items)
    planned: list[tuple[str, int, bool, Valid]] = [
        (e.item.source_id or "", n + 1, n != 1, e) for n, e in enumerate(checked.valid)
    ]
    sealed = [f"v1:t:{n}" for n in range(len(planned))]
    with factory() as session, session.begin():
        _insert_records(session, spec, "1.0.0", planned, sealed)
        conn = session.connection()
        core = [
            {
                "agency_code": "x",
                "stream": spec.stream,
                "source_id": sid,
                "version": ver,
                "is_current": cur,
                "kind": spec.kind,
                "schema_version": "1.0.0",
                "payload": _stored_payload(entry),
                "personal_enc": sealed[n],
                "content_hash": entry.chash,
                "landing_id": entry.item.landing_pk,
                "fetched_at": entry.item.fetched_at,
                "loaded_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
            for n, (sid, ver, cur, entry) in enumerate(planned)
        ]
        conn.execute(insert(_RECORDS), core)
        columns = "source_id, version, is_current, kind, schema_version, payload, personal_enc, content_hash, landing_id, fetched_at"
        fast = conn.execute(
            text(f"SELECT {columns} FROM agency_records WHERE agency_code = '330800-sl' ORDER BY id")
        ).all()
        reference = conn.execute(
            text(f"SELECT {columns} FROM agency_records WHERE agency_code = 'x' ORDER BY id")
        ).all()
        types = conn.execute(
            text(
                "SELECT typeof(is_current), typeof(fetched_at), typeof(loaded_at), typeof(payload) FROM agency_records"
            )
        ).all()
        payload_bytes = conn.execute(
            text("SELECT agency_code, hex(payload) FROM agency_records ORDER BY agency_code, id")
        ).all()
    assert fast == reference and len(fast) == 3
    assert set(types) == {("integer", "text", "text", "text")}  # the payload's UTF-8 bytes are stored as TEXT
    assert [h for a, h in payload_bytes if a == "x"] == [h for a, h in payload_bytes if a != "x"]
