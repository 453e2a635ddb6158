"""Versions across batches are ordered by the source's update time, not by arrival.

An agency's read replica that lags, a newest-first list that shifted between two pulls, or a
backfill of an old window delivers a record *older* than the version already stored. Each stored
version keeps its source update time, so such a delivery is recognised as stale: counted as a
duplicate (its raw body stays landed), never made current again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.ingest import loader
from hub.ingest.loader import load_batch
from hub.store.db import open_store
from hub.store.models import AgencyRecord
from tests.ingest.conftest import receipt, spec


@pytest.fixture
def factory(store_url):
    return open_store(store_url)


@pytest.fixture(autouse=True)
def _fast_batch_check(monkeypatch):
    from hub.ingest.batch_check import BatchVerdict

    monkeypatch.setattr(
        "hub.ingest.loader.check_batch", lambda kind, rows, prev=None: BatchVerdict(False, {"suite": "stand-in"})
    )


def _load(factory, items):
    with factory() as session, session.begin():
        return load_batch(session, spec(), items)


def _versions(factory, source_id="SD-001"):
    with factory() as session:
        return [
            (row.version, row.is_current, row.payload["received_date"], row.source_update_time)
            for row in session.execute(
                select(AgencyRecord).where(AgencyRecord.source_id == source_id).order_by(AgencyRecord.version)
            ).scalars()
        ]


def _at(item, when):
    item.cursor = when
    return item


def test_an_older_version_delivered_in_a_later_batch_is_stale_and_the_newer_stays_current(factory):
    first = _load(factory, [_at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:05+08:00"), receipt(2)])
    assert (first.loaded, first.duplicates) == (2, 0)
    # The next pull reads a replica that has not seen the update yet: the old version of SD-001.
    stale = _load(factory, [_at(receipt(1, day="2018-03-10"), "2026-12-01T08:00:00+08:00"), receipt(2)])
    assert (stale.received, stale.loaded, stale.duplicates, stale.quarantined) == (2, 0, 2, 0)
    assert stale.stale == 1
    assert _versions(factory) == [(1, True, "2018-03-12", "2026-12-01T09:00:05+08:00")]
    # A genuinely newer version afterwards is version 2 and current.
    newer = _load(factory, [_at(receipt(1, day="2018-03-15"), "2026-12-02T10:00:00+08:00")])
    assert (newer.loaded, newer.duplicates, newer.stale) == (1, 0, 0)
    assert _versions(factory) == [
        (1, False, "2018-03-12", "2026-12-01T09:00:05+08:00"),
        (2, True, "2018-03-15", "2026-12-02T10:00:00+08:00"),
    ]


def test_update_times_are_compared_as_instants_not_as_text(factory):
    """01:30 UTC is 09:30 in Beijing: later than 09:00+08:00 although its text sorts first."""
    _load(factory, [_at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:00+08:00")])
    later = _load(factory, [_at(receipt(1, day="2018-03-14"), "2026-12-01T01:30:00+00:00")])
    assert (later.loaded, later.duplicates) == (1, 0)
    earlier = _load(factory, [_at(receipt(1, day="2018-03-09"), "2026-12-01T00:30:00+00:00")])  # 08:30 Beijing
    assert (earlier.loaded, earlier.duplicates, earlier.stale) == (0, 1, 1)
    assert [(v, cur, day) for v, cur, day, _ in _versions(factory)] == [
        (1, False, "2018-03-12"),
        (2, True, "2018-03-14"),
    ]


def test_the_same_update_time_with_other_content_is_a_new_version(factory):
    """An agency that corrects a record without touching its update time: the correction is kept (as before)."""
    _load(factory, [_at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:00+08:00")])
    same_time = _load(factory, [_at(receipt(1, day="2018-03-13"), "2026-12-01T09:00:00+08:00")])
    assert (same_time.loaded, same_time.duplicates) == (1, 0)
    assert [(v, cur, day) for v, cur, day, _ in _versions(factory)] == [
        (1, False, "2018-03-12"),
        (2, True, "2018-03-13"),
    ]


def test_without_an_update_time_versions_follow_the_content_as_before(factory):
    _load(factory, [_at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:00+08:00")])
    unknown = _load(factory, [_at(receipt(1, day="2018-03-10"), None)])  # the delivery says nothing
    assert (unknown.loaded, unknown.duplicates) == (1, 0)
    assert _versions(factory)[-1] == (2, True, "2018-03-10", None)
    after_unknown = _load(factory, [_at(receipt(1, day="2018-03-08"), "2020-01-01T00:00:00+08:00")])
    assert (after_unknown.loaded, after_unknown.duplicates) == (1, 0)  # nothing stored to compare with


def test_a_batch_with_a_stale_copy_and_a_newer_version_of_one_record(factory):
    """Stale first, then newer, in one delivery: the stale copy is a duplicate, the newer one version 2."""
    _load(factory, [_at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:00+08:00")])
    mixed = _load(
        factory,
        [
            _at(receipt(1, day="2018-03-10"), "2026-12-01T08:00:00+08:00"),
            _at(receipt(1, day="2018-03-12"), "2026-12-01T09:00:00+08:00"),
            _at(receipt(1, day="2018-03-16"), "2026-12-03T09:00:00+08:00"),
        ],
    )
    assert (mixed.received, mixed.loaded, mixed.duplicates, mixed.stale) == (3, 1, 2, 1)
    assert [(v, cur, day) for v, cur, day, _ in _versions(factory)] == [
        (1, False, "2018-03-12"),
        (2, True, "2018-03-16"),
    ]


def test_older_reads_raw_cursor_text_of_streams_without_a_declared_zone():
    assert loader._older("2026-12-01 08:00:00", "2026-12-01 09:00:00")
    assert not loader._older("2026-12-01 09:00:00", "2026-12-01 09:00:00")
    assert loader._older("20261201080000", "20261201090000")  # not ISO: compared as text, as the cursor is
    assert not loader._older(None, "2026-12-01T09:00:00+08:00")
    assert not loader._older("2026-12-01T09:00:00+08:00", None)
