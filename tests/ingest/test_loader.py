"""The loader: idempotent, versioned loads; quarantine with reasons; counts that always add up."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hub.ingest.landing import land, landed_body
from hub.ingest.loader import load_batch
from hub.ingest.quarantine import replay
from hub.ingest.reasons import Reason
from hub.ingest.sealing import open_json
from hub.store.db import open_store
from hub.store.models import AgencyRecord, AuditEntry, ConnectorState, QuarantineItem
from tests.ingest.conftest import receipt, spec


@pytest.fixture
def factory(store_url):
    return open_store(store_url)


@pytest.fixture
def sqlite_factory(sqlite_url):
    return open_store(sqlite_url)


@pytest.fixture(autouse=True)
def _fast_batch_check(request, monkeypatch):
    if "real_suite" not in request.fixturenames:
        from hub.ingest.batch_check import BatchVerdict

        monkeypatch.setattr(
            "hub.ingest.loader.check_batch", lambda kind, rows, prev=None: BatchVerdict(False, {"suite": "stand-in"})
        )


@pytest.fixture
def real_suite() -> None:
    """Run the real Great Expectations suite."""


def _load(factory, items, **kw):
    with factory() as session, session.begin():
        return load_batch(session, spec(**kw), items)


def test_same_content_is_a_duplicate_changed_content_a_new_version(factory):
    first = _load(factory, [receipt(1), receipt(2), receipt(3)])
    assert (first.received, first.loaded, first.duplicates, first.quarantined) == (3, 3, 0, 0)
    again = _load(factory, [receipt(1), receipt(2), receipt(3, day="2018-03-11"), receipt(2)])
    assert (again.received, again.loaded, again.duplicates, again.quarantined) == (4, 1, 3, 0)
    with factory() as session:
        rows = (
            session.execute(
                select(AgencyRecord).where(AgencyRecord.source_id == "SD-003").order_by(AgencyRecord.version)
            )
            .scalars()
            .all()
        )
        assert [(r.version, r.is_current) for r in rows] == [(1, False), (2, True)]
        assert rows[0].payload["received_date"] == "2018-03-10" and rows[1].payload["received_date"] == "2018-03-11"
        assert (
            session.execute(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("ingest.batch_%"))
            ).scalar_one()
            == 2
        )


def test_personal_data_is_split_out_and_encrypted(sqlite_factory):
    factory = sqlite_factory
    _load(factory, [receipt(1, receiver="张秀英")])
    with factory() as session:
        row = session.execute(select(AgencyRecord)).scalar_one()
    assert "receiver" not in row.payload and "张秀英" not in json.dumps(row.payload, ensure_ascii=False)
    assert "张秀英" not in (row.personal_enc or "")
    assert open_json(row.personal_enc, "agency_records.personal_enc") == {"receiver": "张秀英"}


def test_invalid_records_are_quarantined_with_field_reasons_and_counts_add_up(factory):
    bad_date = receipt(2, day="2018-02-30")
    unmapped = receipt(3)
    unmapped.mapped, unmapped.reasons = (
        None,
        [Reason("signature", "signature.missing", "记录未签名", "record is unsigned")],
    )
    outcome = _load(factory, [receipt(1), bad_date, unmapped])
    assert (outcome.received, outcome.loaded, outcome.duplicates, outcome.quarantined) == (3, 1, 0, 2)
    with factory() as session:
        items = {i.source_id: i for i in session.execute(select(QuarantineItem)).scalars()}
    assert items["SD-002"].reasons[0]["field"] == "received_date"
    assert items["SD-002"].reasons[0]["zh"] and items["SD-002"].reasons[0]["en"]
    assert "2018-02-30" not in json.dumps(items["SD-002"].reasons[0]["field"])
    assert open_json(items["SD-002"].raw_enc, "quarantine.raw_enc")["raw"]["received"] == "2018-02-30"
    assert items["SD-003"].reasons[0]["code"] == "signature.missing"


def test_cursor_stops_at_a_newly_quarantined_record_but_not_at_a_known_bad_one(factory):
    items = [receipt(1), receipt(5, day="2018-02-30"), receipt(9)]
    first = _load(factory, items)
    assert first.cursor_after == items[1].cursor  # the next pull fetches the bad record again
    again = _load(factory, [receipt(1), receipt(5, day="2018-02-30"), receipt(9)], cursor_before=first.cursor_after)
    assert again.quarantined == 1 and again.cursor_after == items[2].cursor  # same bytes again: move on
    with factory() as session:
        assert session.execute(select(func.count()).select_from(QuarantineItem)).scalar_one() == 1  # not stored twice
        assert session.get(ConnectorState, ("330800-sl", "receipts")).cursor == items[2].cursor
    fixed = _load(factory, [receipt(5)])
    assert fixed.loaded == 1 and fixed.superseded == 1


def test_replay_after_a_mapping_fix_loads_the_records(factory):
    broken = [receipt(n) for n in (1, 2)]
    for item in broken:
        item.mapped = {k: v for k, v in item.mapped.items() if k != "receiving_agency"}  # a mapping bug drops a field
    outcome = _load(factory, broken)
    assert outcome.quarantined == 2
    with factory() as session:
        assert {r["code"] for i in session.execute(select(QuarantineItem)).scalars() for r in i.reasons} == {"missing"}

    def still_broken(agency, stream):
        return "test", lambda session, raw, fetched_at, landing: _without_agency(receipt(int(raw["id"][-3:])))

    assert {r.outcome for r in replay(factory, all_held=True, resolver=still_broken)} == {"still_held"}

    def fixed(agency, stream):
        return "test", lambda session, raw, fetched_at, landing: receipt(int(raw["id"][-3:]))

    results = replay(factory, all_held=True, resolver=fixed)
    assert [r.outcome for r in results] == ["loaded", "loaded"]
    with factory() as session:
        assert session.execute(select(func.count()).select_from(AgencyRecord)).scalar_one() == 2
        assert {i.status for i in session.execute(select(QuarantineItem)).scalars()} == {"replayed"}
    assert replay(factory, results[0].item_id, resolver=fixed)[0].outcome == "error"  # not held any more


def _without_agency(item):
    item.mapped.pop("receiving_agency")
    return item


def test_a_batch_failing_a_blocking_expectation_is_held_whole_then_replayed(sqlite_factory, real_suite):
    factory = sqlite_factory
    items = [receipt(n) for n in range(1, 4)]
    held = _load(factory, items, previous_row_count=200)  # collapse from 200 rows to 3: blocking
    assert held.status == "quarantined" and (held.loaded, held.quarantined) == (0, 3)
    with factory() as session:
        item = session.execute(select(QuarantineItem)).scalar_one()
        assert item.scope == "batch" and item.reasons[0]["code"].startswith("batch.")
        assert session.execute(select(func.count()).select_from(AgencyRecord)).scalar_one() == 0

    def resolver(agency, stream):
        return "test", lambda session, raw, fetched_at, landing: receipt(int(raw["id"][-3:]))

    result = replay(factory, item.id, resolver=resolver)[0]
    assert (result.outcome, result.loaded) == ("loaded", 3)
    normal = _load(factory, [receipt(n) for n in range(4, 8)])
    assert normal.status == "loaded"
    from hub.store.models import IngestBatch

    with factory() as session:
        batch = session.get(IngestBatch, normal.batch_pk)
        assert batch.validation["success"] is True and "expectations" in batch.validation
        assert "王建国" not in json.dumps(batch.validation, ensure_ascii=False)  # no row values in results


def test_landing_keeps_the_exact_bytes_encrypted(sqlite_factory):
    factory = sqlite_factory
    body = "案件编号,面积\r\n龙林罚决字〔2018〕第3号,3.5亩\r\n".encode("gb18030")
    with factory() as session, session.begin():
        row = land(
            session,
            agency_code="330800-ly",
            stream="cases",
            body=body,
            request={"method": "GET", "url": "http://x/a.csv"},
            status_code=200,
            content_type="text/csv",
            encoding="gb18030",
        )
        assert body not in row.body_enc
        assert landed_body(row) == body


def test_an_older_version_met_after_a_newer_one_is_a_duplicate_not_the_current_version(factory):
    """A record updated while a newest-first list is walked is read new on one page and old on a later one
    (or the other way round over two walks): deduplicated by (source id, update time), the newer stays current."""
    newer = receipt(1, day="2018-03-12")
    newer.cursor = "2026-12-01T09:00:05+08:00"
    older = receipt(1, day="2018-03-10")
    older.cursor = "2026-12-01T08:00:00+08:00"
    outcome = _load(factory, [newer, older])
    assert (outcome.loaded, outcome.duplicates, outcome.quarantined) == (1, 1, 0)
    with factory() as session:
        rows = session.execute(select(AgencyRecord.version, AgencyRecord.is_current)).all()
    assert rows == [(1, True)]
    with factory() as session:
        payload = session.execute(select(AgencyRecord.payload)).scalar_one()
    stored = json.dumps(payload, ensure_ascii=False) if not isinstance(payload, bytes | str) else str(payload)
    assert "2018-03-12" in stored and "2018-03-10" not in stored  # the stored version is the newer one


def test_in_update_time_order_both_versions_are_kept_and_the_newer_is_current(factory):
    older = receipt(2, day="2018-03-10")
    older.cursor = "2026-12-01T08:00:00+08:00"
    newer = receipt(2, day="2018-03-12")
    newer.cursor = "2026-12-01T09:00:05+08:00"
    outcome = _load(factory, [older, newer])
    assert (outcome.loaded, outcome.duplicates) == (2, 0)
    with factory() as session:
        rows = session.execute(
            select(AgencyRecord.version, AgencyRecord.is_current).order_by(AgencyRecord.version)
        ).all()
    assert rows == [(1, False), (2, True)]
