"""``pilhub quarantine list|show|replay`` — reasons without values, raw record only on request."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hub.cli.main import app
from hub.ingest.loader import load_batch
from hub.store.db import open_store
from tests.ingest.conftest import receipt, spec

runner = CliRunner()


def test_list_show_and_replay(sqlite_url, monkeypatch):
    monkeypatch.setenv("PILHUB_DATABASE_URL", sqlite_url)
    factory = open_store(sqlite_url)
    with factory() as session, session.begin():
        load_batch(session, spec(), [receipt(1), receipt(2, receiver="李秀英", day="2018-02-30")])

    listed = runner.invoke(app, ["quarantine", "list", "--json"])
    assert listed.exit_code == 0
    [item] = json.loads(listed.stdout)
    assert item["source_id"] == "SD-002" and item["reasons"] == ["date.invalid"]

    shown = runner.invoke(app, ["quarantine", "show", str(item["id"])])
    assert shown.exit_code == 0 and "李秀英" not in shown.stdout and "received_date" in shown.stdout
    raw = runner.invoke(app, ["quarantine", "show", str(item["id"]), "--raw"])
    assert "李秀英" in raw.stdout  # only when asked (and audited)

    # Replay resolves the stream through the registry (water/receipts) and re-maps the raw record:
    # the date is still impossible, so the item stays held and the command exits 1.
    replayed = runner.invoke(app, ["quarantine", "replay", "--all"])
    assert replayed.exit_code == 1 and "still_held" in replayed.stdout
    assert runner.invoke(app, ["quarantine", "replay"]).exit_code == 2
    assert runner.invoke(app, ["quarantine", "show", "999"]).exit_code == 2
