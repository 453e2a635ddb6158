"""Every connector with every fault on, at a size where its streams span many pages (≥ 3,000 records, pages of 1,000).

At the sandbox's toy size every stream fits on one page, so a fault that costs a page — the
previous page served again in place of the next one, with the records of the repeated page
now clean where they had been garbled — never shows. At a realistic size it did: the water
bureau (≈ 20,000 records, pages of 1,000) lost a whole page of receipts in two pulls that both
ended ``loaded``, and later incremental pulls never brought them back. Here two pulls of each
connector with every fault on must leave the store equal to a clean pull of the same data —
or say ``incomplete`` (and then a later pull completes it).

The page size comes from the deployment setting ``PILHUB_CONN_<NAME>_PAGE_SIZE`` (no code
edit); agencies that cap it silently (the market bureau serves at most 500) are followed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.registry import CONNECTORS
from connectors.sandbox import sandbox_env, start_sandbox
from connectors.sandbox.dataset import build_dataset
from connectors.sdk.http import RetryPolicy
from connectors.sdk.pagination import DirectoryListing
from hub.ingest.pull import PullSummary, pull
from tests.connectors.conftest import make_factory, record_set

MIN_RECORDS = 3000
PAGE = 1000
#: A directory of daily files has one page per file: ~450 records are already hundreds of pages (at
#: 3,000 records the three pulls take minutes on a shared two-core machine, almost all of it per-file overhead).
MIN_RECORDS_IN_FILES = 450
#: Pages of 1,000 signed or XML records take longer than the toy tests' 0.12 s to render on a busy machine;
#: a directory of daily files is many small bodies (and the ``timeouts`` fault then costs its delay many times).
POLICY = RetryPolicy(
    connect_timeout=2.0, read_timeout=2.0, max_attempts=8, backoff_base=0.002, backoff_max=0.01, retry_after_max=5
)
FILES_POLICY = replace(POLICY, read_timeout=0.3)


def _files(name: str) -> bool:
    return all(isinstance(s.paginator, DirectoryListing) for s in CONNECTORS[name].streams)


def _policy_and_delay(name: str) -> tuple[RetryPolicy, float]:
    """The retry policy for the connector and the sandbox's ``timeouts`` delay (just beyond the read timeout)."""
    policy = FILES_POLICY if _files(name) else POLICY
    return policy, policy.read_timeout + 0.3


def _scale_for(name: str) -> int:
    """The smallest power-of-two scale at which the connector's largest stream has enough records to span many pages."""
    wanted = MIN_RECORDS_IN_FILES if _files(name) else MIN_RECORDS
    scale = 1
    while True:
        data = build_dataset(20181231, scale, (name,))
        streams = data.records.get(name, {})
        if max((len(rows) for rows in streams.values()), default=0) >= wanted or scale > 4096:
            return scale
        scale *= 2


def _counts_add_up(summary: PullSummary) -> None:
    for s in summary.streams:
        assert s.status in ("loaded", "quarantined", "incomplete"), (s.stream, s.error)
        assert s.fetched == s.loaded + s.duplicates + s.quarantined, s


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_two_faulty_pulls_at_scale_store_exactly_the_clean_data(name, sqlite_url, reference_url, monkeypatch):
    fast_policy, delay = _policy_and_delay(name)
    monkeypatch.setenv(f"PILHUB_CONN_{name.upper()}_PAGE_SIZE", str(PAGE))
    monkeypatch.setenv(f"PILHUB_CONN_{name.upper()}_REWALK_PAUSE", "0.01")
    scale = _scale_for(name)
    with (
        start_sandbox(retry_after="0.01", timeout_delay=delay, slow_delay=0.01, scale=scale, systems=[name]) as sandbox,
        sandbox_env(sandbox),
    ):
        clean = make_factory(reference_url, sandbox)
        first = pull(name, factory=clean, policy=fast_policy)
        _counts_add_up(first)
        assert max(s.distinct_ids for s in first.streams) >= (MIN_RECORDS_IN_FILES if _files(name) else MIN_RECORDS)
        assert max(s.pages for s in first.streams) >= 3
        assert all(s.status == "loaded" for s in first.streams)
        expected = record_set(clean)

        sandbox.set_faults(["all"])
        faulty = make_factory(sqlite_url, sandbox)
        runs = [pull(name, factory=faulty, policy=fast_policy, raise_on_error=False) for _ in range(2)]
        for run in runs:
            _counts_add_up(run)
        assert sum(s.retries + s.throttled + s.refetched_pages for s in runs[0].streams) > 0  # the faults were there
        if any(s.status == "incomplete" for s in runs[-1].streams):  # it may say so — then a later pull completes it
            sandbox.set_faults([])
            _counts_add_up(pull(name, factory=faulty, policy=fast_policy))
        assert record_set(faulty) == expected
