"""Pages prepared in pull workers store exactly what in-process preparation stores.

``connectors.sdk.parallel`` hands large streams' pages to worker processes; normally only
streams of 5,000+ records go there, so this test lowers the threshold to one record and
pulls every connector twice into two fresh stores — once in-process, once with workers —
with malformed records switched on (rejects and quarantine on both paths, the same
records corrupted both times) and compares the stores row by row: record versions,
payloads, content hashes, decrypted personal data, landing links, quarantine items with
their decrypted raw records and reasons, batch counts and cursors. Streams that must stay
in-process (signed records, a mapping lambda that cannot be pickled) are checked to have
stayed there, and still compare equal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry import CONNECTORS
from connectors.sdk import parallel
from connectors.sdk.runner import PullSummary, pull
from hub.ingest.loader import PERSONAL_COLUMN, RAW_COLUMN
from hub.ingest.sealing import open_json
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch, QuarantineItem
from tests.connectors.conftest import make_factory


def _without_fetch_time(payload: Any) -> Any:
    data = json.loads(payload) if isinstance(payload, str) else dict(payload)
    data.pop("fetched_at", None)
    return data


def _snapshot(factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything a pull writes, minus wall-clock times and generated nonces."""
    with factory() as session:
        records = sorted(
            (
                r.stream,
                r.source_id,
                r.version,
                r.is_current,
                r.kind,
                r.schema_version,
                r.content_hash,
                json.dumps(_without_fetch_time(r.payload), sort_keys=True, ensure_ascii=False),
                json.dumps(open_json(r.personal_enc, PERSONAL_COLUMN), sort_keys=True, ensure_ascii=False)
                if r.personal_enc
                else None,
                r.landing_id,
            )
            for r in session.execute(select(AgencyRecord)).scalars()
        )
        quarantine = sorted(
            (
                q.stream,
                q.scope,
                q.source_id or "",
                q.raw_hash,
                q.status,
                q.landing_pk or 0,
                json.dumps(q.reasons, sort_keys=True, ensure_ascii=False),
                json.dumps(_without_fetch_time(open_json(q.raw_enc, RAW_COLUMN)), sort_keys=True, ensure_ascii=False),
            )
            for q in session.execute(select(QuarantineItem)).scalars()
        )
        batches = sorted(
            (b.stream, b.status, b.received, b.loaded, b.duplicates, b.quarantined, b.cursor_after or "")
            for b in session.execute(select(IngestBatch)).scalars()
        )
        cursors = sorted(
            (s.agency_code, s.stream, s.cursor or "") for s in session.execute(select(ConnectorState)).scalars()
        )
    return {"records": records, "quarantine": quarantine, "batches": batches, "cursors": cursors}


def _pull_twice(name: str, factory, policy) -> list[PullSummary]:  # type: ignore[no-untyped-def]
    """A faulty pull and its re-run (which supersedes the held items), as in the sandbox tests."""
    return [pull(name, factory=factory, policy=policy), pull(name, factory=factory, policy=policy)]


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_worker_prepared_pages_store_exactly_what_in_process_preparation_stores(
    name, sandbox, sqlite_url, reference_url, fast_policy, monkeypatch
):
    monkeypatch.setenv(parallel.WORKERS_ENV, "0")
    sandbox.set_faults(["malformed_records"])
    in_process = make_factory(reference_url, sandbox)
    expected_runs = _pull_twice(name, in_process, fast_policy)
    assert all(s.worker_pages == 0 for run in expected_runs for s in run.streams)
    expected = _snapshot(in_process)

    parallel.shutdown_pool()
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setenv(parallel.MIN_RECORDS_ENV, "1")
    try:
        sandbox.set_faults(["malformed_records"])  # the same records garbled on their first delivery again
        with_workers = make_factory(sqlite_url, sandbox)
        runs = _pull_twice(name, with_workers, fast_policy)
    finally:
        parallel.shutdown_pool()

    for run, expected_run in zip(runs, expected_runs, strict=True):
        for stream, reference in zip(run.streams, expected_run.streams, strict=True):
            counts = ("fetched", "loaded", "duplicates", "quarantined", "reasons", "status")
            assert {k: getattr(stream, k) for k in counts} == {k: getattr(reference, k) for k in counts}
            spec = CONNECTORS[name].stream(stream.stream)
            stays_here = spec.signed is not None or stream.stream in ("sampling_failures", "judgments")  # lambdas
            if stays_here or stream.pages == 0:
                assert stream.worker_pages == 0
            else:
                assert stream.worker_pages == stream.pages, stream
    assert any(s.quarantined for s in runs[0].streams)  # rejects went through the worker path too
    got = _snapshot(with_workers)
    assert got == expected


def test_a_failing_worker_page_is_prepared_in_process(sandbox, sqlite_url, reference_url, fast_policy, monkeypatch):
    """A worker that breaks (here: raises on every page) costs time, never records."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "0")
    reference = make_factory(reference_url, sandbox)
    pull("water", factory=reference, policy=fast_policy)
    expected = _snapshot(reference)

    def broken(job: parallel.PageJob) -> parallel.PageVerdicts:
        raise RuntimeError("worker crashed")

    parallel.shutdown_pool()
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setenv(parallel.MIN_RECORDS_ENV, "1")
    monkeypatch.setattr(parallel, "prepare_page", broken)  # before the pool forks: the workers inherit it
    try:
        factory = make_factory(sqlite_url, sandbox)
        summary = pull("water", factory=factory, policy=fast_policy)
    finally:
        parallel.shutdown_pool()
    assert summary.ok and all(s.worker_pages == 0 for s in summary.streams)
    assert _snapshot(factory) == expected
