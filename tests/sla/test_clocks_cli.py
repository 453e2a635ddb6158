"""``pilhub sla sweep | status | event`` and ``pilhub outbox send | list`` on the sample registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.cli.main import app
from hub.notify.file import read_deliveries
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store

runner = CliRunner()


@pytest.fixture
def sample_store(use_store: str, tmp_path: Path) -> str:
    factory = open_store(use_store)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026' in line]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_cases(read_lines(tmp_path / "cases.jsonl"), factory)
    return use_store


def test_sweep_prints_states_and_escalations(sample_store: str) -> None:
    result = runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "即将到期 due soon" in result.output and "新增升级" in result.output
    again = runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23", "--json"])
    report = json.loads(again.stdout)
    assert report["mode"] == "daily" and report["enqueued"] == {} and report["states"]["due_soon"] == 2


def test_status_lists_a_case_with_its_deadline(sample_store: str) -> None:
    runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23"])
    result = runner.invoke(app, ["sla", "status", "KC-2026-059", "--as-of", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["deadline_official"], row["days_left"], row["state"]) == ("2026-11-30", 7, "due_soon")
    table = runner.invoke(app, ["sla", "status", "--as-of", "2026-11-23"], env={"COLUMNS": "220"})
    assert "KC-2026-058" in table.output and "缺日历" in table.output and "KC-2026-056" in table.output


def test_status_of_an_unknown_case_and_a_bad_date(sample_store: str) -> None:
    assert runner.invoke(app, ["sla", "status", "KC-1999-000"]).exit_code == 2
    assert runner.invoke(app, ["sla", "sweep", "--as-of", "2026-02-30"]).exit_code == 2


def test_event_records_an_announcement(sample_store: str) -> None:
    result = runner.invoke(app, ["sla", "event", "KC-2026-055", "--kind", "announcement", "--on", "2026-11-02"])
    assert result.exit_code == 0, result.output
    runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23"])
    status = json.loads(runner.invoke(app, ["sla", "status", "KC-2026-055", "--as-of", "2026-11-23", "--json"]).stdout)
    assert status[0]["kind"] == "announcement" and status[0]["deadline_official"] == "2026-12-02"
    assert runner.invoke(app, ["sla", "event", "KC-2026-055", "--kind", "party", "--on", "2026-11-02"]).exit_code == 2


def test_outbox_send_and_list_with_the_file_channel(sample_store: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    notices = tmp_path / "notices.jsonl"
    monkeypatch.setenv("PILHUB_NOTIFY_FILE", str(notices))
    runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23"])
    result = runner.invoke(app, ["outbox", "send", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sent"] == len(read_deliveries(notices)) > 0 and report["failed"] == 0
    listing = runner.invoke(app, ["outbox", "list", "--status", "sent", "--limit", "3"], env={"COLUMNS": "220"})
    assert listing.exit_code == 0 and "sent" in listing.output
