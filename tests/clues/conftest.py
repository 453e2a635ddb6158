"""Loading agency record files for the clue tests through ``pilhub records load`` (the whole pipeline: raw
landing, record contract, batch checks, versioning)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

HELDOUT = Path(__file__).with_name("heldout")
AGENCIES = Path(__file__).parents[2] / "hub" / "samples" / "agencies.yaml"


def load_file(kind: str, path: Path, agency: str) -> dict[str, Any]:
    """Load one JSON Lines file of records in contract field names (plus ``source_record_id``) as an agency's
    integration engineer would: ``pilhub records load KIND FILE --agency CODE``; every record must load."""
    from typer.testing import CliRunner

    from hub.cli.main import app

    result = CliRunner().invoke(app, ["records", "load", kind, str(path), "--agency", agency, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["quarantined"] == 0, report
    return report


def import_agencies() -> None:
    """The agency registry the project ships (the sending agencies must be registered)."""
    from typer.testing import CliRunner

    from hub.cli.main import app

    result = CliRunner().invoke(app, ["agencies", "import", str(AGENCIES)])
    assert result.exit_code == 0, result.output


def load_heldout() -> dict[str, Any]:
    import_agencies()
    manifest = json.loads((HELDOUT / "manifest.json").read_text(encoding="utf-8"))
    for kind, name, agency in manifest["files"]:
        load_file(kind, HELDOUT / name, agency)
    return manifest


@pytest.fixture
def heldout(use_store: str) -> dict[str, Any]:
    """A store holding the held-out records (see heldout/README.md), loaded through the full pipeline."""
    return load_heldout()


@pytest.fixture
def heldout_fast(use_store: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The held-out records with the batch suite (Great Expectations) stood in: same records, faster."""
    from hub.ingest.batch_check import BatchVerdict

    monkeypatch.setattr(
        "hub.ingest.loader.check_batch", lambda kind, rows, prev=None: BatchVerdict(False, {"suite": "stand-in"})
    )
    return load_heldout()
