"""Loading agency record files for the clue tests: ``pilhub records load`` when the command exists, else the
same pipeline (raw landing, record contract, versioning) through ``hub.ingest`` directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

HELDOUT = Path(__file__).with_name("heldout")
AGENCIES = Path(__file__).parents[2] / "hub" / "samples" / "agencies.yaml"
FETCHED = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def _has_records_load() -> bool:
    from hub.cli.main import app

    return any(getattr(g, "name", None) == "records" for g in app.registered_groups)


def load_file(kind: str, path: Path, agency: str) -> dict[str, Any]:
    """Load one JSON Lines file of records in contract field names (plus ``source_record_id``)."""
    if _has_records_load():
        from typer.testing import CliRunner

        from hub.cli.main import app

        result = CliRunner().invoke(app, ["records", "load", kind, str(path), "--agency", agency, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)
    from hub.ingest.incoming import Incoming
    from hub.ingest.landing import land
    from hub.ingest.loader import BatchSpec, load_batch
    from hub.store import session_scope

    body = path.read_bytes()
    rows = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    with session_scope() as session:
        landing = land(
            session,
            agency_code=agency,
            stream=f"file:{kind}",
            body=body,
            request={"file": path.name},
            status_code=None,
            content_type="application/x-ndjson",
            fetched_at=FETCHED,
        )
        items = [
            Incoming(
                row,
                str(row["source_record_id"]),
                {k: v for k, v in row.items() if k != "source_record_id"},
                FETCHED,
                landing_pk=landing.id,
            )
            for row in rows
        ]
        spec = BatchSpec(
            agency_code=agency,
            stream=f"file:{kind}",
            kind=kind,
            source_system="file",
            run_id=f"test:{path.name}",
            advance_cursor=False,
        )
        outcome = load_batch(session, spec, items)
    assert outcome.quarantined == 0, outcome
    return {"loaded": outcome.loaded, "duplicates": outcome.duplicates}


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
