"""The registry, the declarative connector files, and the connector commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from connectors.registry import BROKEN, CONNECTORS, SOURCES, find_stream
from hub.cli.main import app
from schemas.registry import RECORD_KINDS

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def test_every_stream_maps_to_a_known_record_kind_and_every_connector_file_is_short():
    assert CONNECTORS and not BROKEN, BROKEN  # found, not listed: no count pinned here
    assert {"environment", "forestry", "market", "court", "water"} <= set(CONNECTORS)
    for connector in CONNECTORS.values():
        assert all(s.kind in RECORD_KINDS for s in connector.streams)
        source = (REPO / SOURCES[connector.name]).read_text(encoding="utf-8")
        assert len(source.splitlines()) < 200, connector.name  # declarations only
        assert not re.search(r"^\s*(def|class) |import requests", source, re.M), connector.name
        assert find_stream(connector.agency_code, connector.streams[0].name)[0] is connector


def test_connectors_list_and_discover():
    listed = runner.invoke(app, ["connectors", "list", "--json"])
    assert listed.exit_code == 0
    assert {c["name"] for c in json.loads(listed.stdout)} == set(CONNECTORS)
    found = runner.invoke(app, ["connectors", "discover", "environment", "--json"])
    assert found.exit_code == 0
    catalog = json.loads(found.stdout)
    penalties = next(s for s in catalog if s["stream"] == "penalties")
    assert penalties["signed"] and penalties["kind"] == "env.penalty"
    assert "party_id_number" in penalties["personal_data_fields"]
    assert "doc_number" in penalties["json_schema"]["properties"]
    assert runner.invoke(app, ["connectors", "discover", "nope"]).exit_code == 2


def test_connectors_check_and_pull_commands(sandbox, sqlite_url, monkeypatch):
    monkeypatch.setenv("PILHUB_DATABASE_URL", sqlite_url)
    assert runner.invoke(app, ["connectors", "check", "water"]).exit_code == 0
    result = runner.invoke(app, ["pull", "water", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] and sum(s["loaded"] for s in summary["streams"]) > 0
    again = runner.invoke(app, ["pull", "water", "--stream", "receipts", "--json"])
    assert again.exit_code == 0 and [s["stream"] for s in json.loads(again.stdout)["streams"]] == ["receipts"]
    assert runner.invoke(app, ["pull", "water", "--since", "yesterday"]).exit_code == 2
