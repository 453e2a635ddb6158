"""Completeness you can prove: a stream that provably misses records ends ``incomplete``, holds its cursor,
is marked so in the store and alerts the operators — and a later pull completes it.

The agency here is the water bureau's sandbox with one receipt withheld from every page while
``data.total`` still counts it — what a permission filter gone wrong does. The runner must
notice from the arithmetic alone (distinct ids received < reported total), re-walk, and then
refuse to call the pull ``loaded``.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from connectors.sandbox import sandbox_env, start_sandbox
from hub.ingest.pull import pull
from hub.store.models import ConnectorState, IngestBatch, OutboxMessage
from tests.connectors.conftest import make_factory, record_set


def _withhold(system, record_id: str) -> None:  # type: ignore[no-untyped-def]
    """Serve every page of ``system`` without ``record_id`` while its total still counts it."""
    original = system._page

    def page(stream, since, number, size):  # type: ignore[no-untyped-def]
        response = original(stream, since, number, size)
        body = json.loads(response.body)
        body["data"]["list"] = [r for r in body["data"]["list"] if r["id"] != record_id]
        response.body = json.dumps(body, ensure_ascii=False)
        return response

    system._page = page
    system._pages.clear()  # pages rendered before are cached by the sandbox


def _restore(system, original) -> None:  # type: ignore[no-untyped-def]
    system._page = original
    system._pages.clear()


@pytest.fixture
def water(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PILHUB_CONN_WATER_REWALK_PAUSE", "0.01")
    monkeypatch.setenv("PILHUB_CONN_WATER_PAGE_SIZE", "7")  # several pages even at this size
    with start_sandbox(retry_after="0.01", scale=20, systems=["water"]) as sandbox, sandbox_env(sandbox):
        yield sandbox


def test_a_provably_short_walk_ends_incomplete_holds_the_cursor_alerts_and_a_later_pull_completes_it(
    water, sqlite_url, reference_url, fast_policy
):
    clean = make_factory(reference_url)
    pull("water", factory=clean, policy=fast_policy)
    expected = record_set(clean)

    system = water.system("water")
    receipts = system.records["receipts"]
    missing = receipts[len(receipts) // 2]["id"]
    original_page = system._page
    _withhold(system, missing)
    factory = make_factory(sqlite_url)
    summary = pull("water", factory=factory, policy=fast_policy)  # incomplete is not a failure: no exception
    by_name = {s.stream: s for s in summary.streams}
    short = by_name["receipts"]
    assert short.status == "incomplete"
    assert short.expected_total == len(receipts) and short.distinct_ids == len(receipts) - 1
    assert short.rewalks == 2
    assert short.fetched == short.loaded + short.duplicates + short.quarantined
    assert short.cursor_after is None  # first pull: the cursor stays unset, nothing after it is proven
    assert (
        by_name["replies"].status == "loaded" and by_name["replies"].expected_total == by_name["replies"].distinct_ids
    )
    assert not summary.complete and summary.ok
    with factory() as session:
        batch = session.get(IngestBatch, short.batch_id)
        assert batch is not None and batch.status == "incomplete"
        assert batch.validation["completeness"]["expected_total"] == len(receipts)
        assert batch.validation["completeness"]["distinct_ids"] == len(receipts) - 1
        state = session.get(ConnectorState, ("330800-sl", "receipts"))
        assert state is None or state.cursor is None
        alerts = session.execute(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("pull-incomplete:%"))
        ).scalars()
        alerts = list(alerts)
    assert len(alerts) == 1 and alerts[0].payload["batch"] == short.batch_id
    assert "receipts" in alerts[0].subject

    # An incremental pull while the record is still withheld: the cursor of the complete stream moves,
    # the incomplete one stays where it was.
    again = {s.stream: s for s in pull("water", factory=factory, policy=fast_policy).streams}
    assert again["receipts"].status == "incomplete" and again["receipts"].cursor_before is None

    _restore(system, original_page)  # the agency fixes its filter
    fixed = {s.stream: s for s in pull("water", factory=factory, policy=fast_policy).streams}
    assert fixed["receipts"].status == "loaded" and fixed["receipts"].loaded == 1
    assert fixed["receipts"].cursor_after is not None
    assert record_set(factory) == expected


def test_the_cli_reports_the_completeness_keys_per_stream(water, sqlite_url, monkeypatch):
    from typer.testing import CliRunner

    from hub.cli.main import app

    monkeypatch.setenv("PILHUB_DATABASE_URL", sqlite_url)
    system = water.system("water")
    _withhold(system, system.records["replies"][0]["id"])
    result = CliRunner().invoke(app, ["pull", "water", "--json"])
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    keys = {"status", "fetched", "loaded", "duplicates", "quarantined", "expected_total", "distinct_ids", "rewalks"}
    for stream in out["streams"]:
        assert keys <= set(stream)
    statuses = {s["stream"]: s["status"] for s in out["streams"]}
    assert statuses == {"replies": "incomplete", "receipts": "loaded"}
