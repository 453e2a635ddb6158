"""A crash between fetch and store — or inside the load transaction — loses and duplicates nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.ingest.pull import PullHooks, pull
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch, RawLanding
from tests.connectors.conftest import make_factory, record_set


class Crash(RuntimeError):
    pass


def _raise(*_args):
    raise Crash("simulated crash")


@pytest.mark.parametrize(
    ("point", "store_url"),
    [
        ("after_fetch", "sqlite"),
        ("before_commit", "sqlite"),
        pytest.param("before_commit", "postgres", marks=pytest.mark.postgres, id="before_commit-postgres"),
    ],
    indirect=["store_url"],
)
def test_crash_then_rerun_loses_and_duplicates_nothing(point, sandbox, store_url, reference_url, fast_policy):
    reference = make_factory(reference_url, sandbox)
    pull("market", factory=reference, policy=fast_policy)
    expected = record_set(reference)

    factory = make_factory(store_url, sandbox)
    pull("market", stream="penalties", factory=factory, policy=fast_policy)  # an earlier, successful pull
    with factory() as session:
        cursor_before = session.get(ConnectorState, ("330800-scjg", "penalties")).cursor
    sandbox.set_faults([])  # fresh delivery history on the server
    hooks = PullHooks(**{point: _raise})
    with pytest.raises(Crash):
        pull("market", factory=factory, policy=fast_policy, hooks=hooks)
    with factory() as session:
        assert session.get(ConnectorState, ("330800-scjg", "penalties")).cursor == cursor_before  # not advanced
        assert session.execute(select(func.count()).select_from(RawLanding)).scalar_one() > 0  # bodies kept
        failed = session.execute(select(IngestBatch).where(IngestBatch.status == "failed")).scalars().all()
        assert len(failed) == 1 and failed[0].loaded == 0

    summary = pull("market", factory=factory, policy=fast_policy)
    for s in summary.streams:
        assert s.fetched == s.loaded + s.duplicates + s.quarantined
    assert record_set(factory) == expected
    with factory() as session:
        assert session.execute(select(func.max(AgencyRecord.version))).scalar_one() == 1
