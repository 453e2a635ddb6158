"""A later pull that serves an older version of a record than the one stored leaves the newer one current.

The water bureau's sandbox plays an agency whose record is updated, pulled, and then served again in
its old form — what a backfill of an old window read from a lagging replica delivers. The stale copy
must be counted as a duplicate, not rolled back into the current version.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from connectors.sandbox import sandbox_env, start_sandbox
from hub.ingest.pull import pull
from hub.store.models import AgencyRecord
from tests.connectors.conftest import make_factory


@pytest.fixture
def water(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PILHUB_CONN_WATER_PAGE_SIZE", "7")  # several pages
    with start_sandbox(retry_after="0.01", scale=20, systems=["water"]) as sandbox, sandbox_env(sandbox):
        yield sandbox


def _serve(system, receipts) -> None:  # type: ignore[no-untyped-def]
    """Make the agency serve ``receipts`` (sorted by update time, as it lists them) from now on."""
    system.records["receipts"] = sorted(receipts, key=lambda r: r["updated_at"])
    system._keys.clear()
    system._pages.clear()


def test_a_backfill_serving_an_old_version_leaves_the_newer_one_current(water, store_url, fast_policy):
    system = water.system("water")
    original = list(system.records["receipts"])
    old = original[len(original) // 2]
    corrected = (date.fromisoformat(old["received"]) + timedelta(days=1)).isoformat()  # the agency corrects the date
    newer = {**old, "received": corrected, "updated_at": "2026-12-04T10:00:00+08:00"}
    _serve(system, [newer if r is old else r for r in original])
    factory = make_factory(store_url)
    first = {s.stream: s for s in pull("water", stream="receipts", factory=factory, policy=fast_policy).streams}
    assert first["receipts"].status == "loaded" and first["receipts"].loaded == len(original)

    _serve(system, original)  # the old copy again, e.g. a replica that missed the update
    backfill = pull("water", stream="receipts", since=original[0]["updated_at"], factory=factory, policy=fast_policy)
    again = backfill.streams[0]
    assert again.status == "loaded"
    assert again.fetched == len(original)
    assert (again.loaded, again.duplicates, again.quarantined) == (0, len(original), 0)
    assert again.fetched == again.loaded + again.duplicates + again.quarantined
    with factory() as session:
        rows = session.execute(
            select(AgencyRecord.version, AgencyRecord.is_current, AgencyRecord.payload, AgencyRecord.source_update_time)
            .where(AgencyRecord.stream == "receipts", AgencyRecord.source_id == old["id"])
            .order_by(AgencyRecord.version)
        ).all()
    assert [(v, cur, upd) for v, cur, _, upd in rows] == [(1, True, "2026-12-04T10:00:00+08:00")]
    assert rows[0][2]["received_date"] == corrected

    # The agency really updates it later: that version is stored and current.
    newest = {**old, "updated_at": "2026-12-05T09:00:00+08:00"}  # back to the original date, on purpose
    _serve(system, [newest if r is old else r for r in original])
    latest = pull("water", stream="receipts", factory=factory, policy=fast_policy).streams[0]
    assert latest.status == "loaded" and latest.loaded == 1
    with factory() as session:
        current = session.execute(
            select(AgencyRecord.version, AgencyRecord.payload).where(
                AgencyRecord.source_id == old["id"], AgencyRecord.is_current.is_(True)
            )
        ).one()
    assert current[0] == 2 and current[1]["received_date"] == old["received"]


def test_a_lagging_replica_of_the_natural_resources_gateway_does_not_roll_a_case_back(store_url, fast_policy):
    """A watermark stream (更新时间, ``%Y-%m-%d %H:%M:%S`` Beijing time, newest first): the stored update time is
    the normalised one, and a backfill served by a replica without the bureau's latest update is stale."""
    from hub.ingest.canonical import raw_payload_hash

    with (
        start_sandbox(systems=["natural_resources"], scale=1, retry_after="0.01") as gateway,
        sandbox_env(gateway),
    ):
        system = gateway.system("natural_resources")
        live = system.live["land_cases"]
        rid = sorted(live)[0]
        old = dict(live[rid])
        factory = make_factory(store_url)
        pull("natural_resources", stream="land_cases", factory=factory, policy=fast_policy)

        newer = {
            **old,
            "案件状态": "已结案" if old.get("案件状态") != "已结案" else "立案",
            "更新时间": "2026-12-04 10:00:00",
        }
        live[rid] = newer  # the bureau closes the case
        update = pull("natural_resources", stream="land_cases", factory=factory, policy=fast_policy).streams[0]
        assert (update.status, update.loaded) == ("loaded", 1)

        live[rid] = old  # a replica that missed the update answers the backfill of the whole range
        backfill = pull(
            "natural_resources",
            stream="land_cases",
            since="2000-01-01T00:00:00+08:00",
            factory=factory,
            policy=fast_policy,
        ).streams[0]
        assert backfill.status == "loaded" and backfill.loaded == 0
        assert backfill.duplicates == backfill.fetched == len(live)
        with factory() as session:
            rows = session.execute(
                select(
                    AgencyRecord.version, AgencyRecord.is_current, AgencyRecord.payload, AgencyRecord.source_update_time
                )
                .where(AgencyRecord.stream == "land_cases", AgencyRecord.source_id == rid)
                .order_by(AgencyRecord.version)
            ).all()
    assert [(v, cur, t) for v, cur, _, t in rows] == [
        (1, False, rows[0][3]),
        (2, True, "2026-12-04T10:00:00+08:00"),  # the agency's naive Beijing time, stored with its offset
    ]
    assert rows[1][2]["payload_hash"] == raw_payload_hash(json.loads(json.dumps(newer, ensure_ascii=False)))
