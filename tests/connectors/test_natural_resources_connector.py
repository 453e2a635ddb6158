"""The natural-resources bureau's connector — declarations only — against its gateway, clean and faulty.

``connectors/agencies/natural_resources.yaml`` was written from the bureau's interface
document alone. Held here to the gateway's own ground truth (``NaturalResourcesSystem.truth``,
the records as they are after every insert and update the bureau made while the hub was
paging): after the all-faults run and two incremental pulls the store holds every record
exactly once, in its latest version (0 lost, 0 duplicated, 0 stale — each current record's
raw payload hash is the hash of the record the bureau now holds), and the records the
bureau keeps malformed are in quarantine with their reasons. With records counted in
``data.total`` but never served, the pull says ``incomplete`` — counts, cursor held, an
operator alert queued — and the pull after the bureau fixes its gateway completes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.registry import CONNECTORS, SOURCES
from connectors.sandbox import Sandbox, sandbox_env, start_sandbox
from hub.ingest.canonical import raw_payload_hash
from hub.ingest.pull import PullSummary, pull
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch, OutboxMessage, QuarantineItem
from tests.connectors.conftest import make_factory

NAME = "natural_resources"
AGENCY = "330800-zrzy"
STREAMS = ("land_cases", "mining_cases", "restoration_acceptances")
#: Every fault a pull can survive: ``all`` and the two that change the bureau's data.
EVERY_FAULT = ["all", "moving_records", "bad_records"]
REPO = Path(__file__).resolve().parents[2]


def _gateway(scale: int) -> Iterator[Sandbox]:
    with (
        start_sandbox(systems=[NAME], scale=scale, retry_after="0.01", timeout_delay=0.3, slow_delay=0.01) as sb,
        sandbox_env(sb),
    ):
        yield sb


@pytest.fixture
def toy_gateway() -> Iterator[Sandbox]:
    yield from _gateway(1)


@pytest.fixture
def real_gateway() -> Iterator[Sandbox]:
    """≈ 4,000 records: lists of 2,000, 670 and 1,250; pages asked for 1,000 at a time."""
    yield from _gateway(50)


def _hash(record: dict) -> str:  # type: ignore[type-arg]
    return raw_payload_hash(json.loads(json.dumps(record, ensure_ascii=False)))


def _compare_with_truth(factory, gateway: Sandbox, *, bad: bool) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Assert the store equals the gateway's truth; return the records compared per stream."""
    system = gateway.system(NAME)
    compared: dict[str, int] = {}
    with factory() as session:
        for stream in STREAMS:
            truth = system.truth(stream)
            malformed = system.bad_ids(stream) if bad else set()
            rows = session.execute(
                select(AgencyRecord.source_id, AgencyRecord.is_current, AgencyRecord.payload).where(
                    AgencyRecord.agency_code == AGENCY, AgencyRecord.stream == stream
                )
            ).all()
            current = [r for r in rows if r.is_current]
            ids = [r.source_id for r in current]
            assert len(ids) == len(set(ids)), f"{stream}: a record is current twice"  # 0 duplicated
            assert set(ids) == set(truth) - malformed, (
                f"{stream}: lost {sorted(set(truth) - malformed - set(ids))[:5]}, extra {sorted(set(ids) - set(truth))[:5]}"
            )
            stale = [r.source_id for r in current if r.payload["payload_hash"] != _hash(truth[r.source_id])]
            assert not stale, f"{stream}: stale versions of {stale[:5]}"  # 0 stale
            held = session.execute(
                select(QuarantineItem.source_id, QuarantineItem.reasons).where(
                    QuarantineItem.agency_code == AGENCY,
                    QuarantineItem.stream == stream,
                    QuarantineItem.status == "held",
                )
            ).all()
            assert {h.source_id for h in held} == malformed
            assert all(h.reasons and h.reasons[0]["code"] and h.reasons[0]["zh"] and h.reasons[0]["en"] for h in held)
            compared[stream] = len(ids)
    return compared


def _counts_add_up(summary: PullSummary) -> None:
    for s in summary.streams:
        assert s.fetched == s.loaded + s.duplicates + s.quarantined, s


def test_the_connector_is_a_declaration_file_without_code() -> None:
    assert NAME in CONNECTORS, "connectors/agencies/natural_resources.yaml did not load"
    source = SOURCES[NAME]
    assert source.endswith(".yaml")
    text = (REPO / source).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(def|class|import|from) |lambda", text, re.M)
    assert {s.kind for s in CONNECTORS[NAME].streams} == {"nr.land_case", "nr.mining_case", "nr.restoration_acceptance"}


def test_clean_pull_equals_the_gateways_truth(toy_gateway, sqlite_url, fast_policy) -> None:  # type: ignore[no-untyped-def]
    factory = make_factory(sqlite_url)
    summary = pull(NAME, factory=factory, policy=fast_policy)
    _counts_add_up(summary)
    assert {s.status for s in summary.streams} == {"loaded"}
    assert all(s.expected_total == s.distinct_ids == s.loaded for s in summary.streams)
    compared = _compare_with_truth(factory, toy_gateway, bad=False)
    assert all(compared.values())
    with factory() as session:  # areas in 亩 with the unit as reported; money from 万元
        record = session.execute(
            select(AgencyRecord.payload).where(AgencyRecord.stream == "land_cases").limit(1)
        ).scalar_one()
        assert record["area_as_reported"].endswith("平方米") and float(record["area_mu"]) > 0


@pytest.mark.slow
@pytest.mark.parametrize("store_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_all_faults_plus_two_incremental_pulls_equal_the_truth_at_real_size(
    real_gateway, store_url, fast_policy
) -> None:  # type: ignore[no-untyped-def]
    factory = make_factory(store_url)
    real_gateway.set_faults(EVERY_FAULT)
    system = real_gateway.system(NAME)
    runs = [pull(NAME, factory=factory, policy=fast_policy, raise_on_error=False) for _ in range(3)]
    for summary in runs:
        _counts_add_up(summary)
        assert all(s.status in ("loaded", "quarantined", "incomplete") for s in summary.streams), summary
    first = runs[0]
    assert sum(s.short_pages for s in first.streams) > 0  # the silent cap was seen and paging adapted
    assert sum(s.throttled for s in first.streams) > 0  # 4290 on HTTP 200 and 429s backed off
    assert system.inserted and system.updated  # the bureau really was entering records meanwhile
    assert all(system.bad_ids(stream) for stream in STREAMS)  # and some of its records are bad at the source
    assert {s.status for s in runs[-1].streams} <= {"loaded", "quarantined"}
    compared = _compare_with_truth(factory, real_gateway, bad=True)
    assert sum(compared.values()) > 3000
    with factory() as session:
        states = dict(
            session.execute(
                select(ConnectorState.stream, ConnectorState.cursor).where(ConnectorState.agency_code == AGENCY)
            ).all()
        )
    assert all(states[s] and states[s].endswith("+08:00") for s in STREAMS)  # Beijing time, with its offset


def test_records_provably_missing_end_incomplete_and_a_later_pull_completes(
    toy_gateway, sqlite_url, fast_policy, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PILHUB_CONN_NATURAL_RESOURCES_REWALK_PAUSE", "0.01")  # a deployment setting, no code edit
    factory = make_factory(sqlite_url)
    toy_gateway.set_faults(["missing_records"])
    system = toy_gateway.system(NAME)
    hidden = {stream: system.hidden[stream] for stream in STREAMS}
    summary = pull(NAME, factory=factory, policy=fast_policy, raise_on_error=False)
    _counts_add_up(summary)
    by_stream = {s.stream: s for s in summary.streams}
    for stream, missing in hidden.items():
        s = by_stream[stream]
        assert s.status == "incomplete", s
        assert s.expected_total == len(system.truth(stream))
        assert s.distinct_ids == s.expected_total - len(missing) and s.rewalks > 0
        assert s.cursor_after == s.cursor_before is None  # the cursor does not move past what may be skipped
    assert not summary.complete
    with factory() as session:
        batches = session.execute(
            select(IngestBatch.stream, IngestBatch.status).where(IngestBatch.agency_code == AGENCY)
        ).all()
        assert {status for _, status in batches} == {"incomplete"}
        alerts = (
            session.execute(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"pull-incomplete:{AGENCY}:%"))
            )
            .scalars()
            .all()
        )
        assert len(alerts) == len(STREAMS)
        assert session.execute(
            select(ConnectorState.cursor).where(ConnectorState.agency_code == AGENCY)
        ).scalars().all() in (
            [],
            [None] * len(STREAMS),
        )

    toy_gateway.set_faults([])  # the bureau fixes its permission filter
    later = pull(NAME, factory=factory, policy=fast_policy)
    assert {s.status for s in later.streams} == {"loaded"} and later.complete
    _compare_with_truth(factory, toy_gateway, bad=False)
