"""The models against agency records the project has never seen (``heldout/``, written by hand).

``pilhub clues run --as-of DATE --json`` must find exactly the subjects the definitions give — no miss,
no false clue — each with the records that make it true; a second run changes no key.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli.main import app
from hub.clues.run import CLUE_KEYS


def _run(*args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["clues", "run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _by_model(clues: list[dict[str, Any]], model: str) -> dict[str, dict[str, Any]]:
    return {c["subject"]: c for c in clues if c["model"] == model}


def test_run_finds_exactly_the_defined_subjects(heldout: dict[str, Any]) -> None:
    clues = _run("--as-of", heldout["as_of"])
    assert all(tuple(c) == CLUE_KEYS for c in clues)
    for model in ("restoration-missing", "repeat-offender"):
        found = _by_model(clues, model)
        assert sorted(found) == sorted(heldout["expected"][model]), model
        for subject, clue in found.items():
            assert clue["key"] == f"{model}:{subject}"
            assert clue["status"] == "new"
            assert clue["first_seen"] == clue["last_seen"] == heldout["as_of"]
            assert clue["evidence"], subject


def test_evidence_names_the_current_records_and_their_landings(heldout_fast: dict[str, Any]) -> None:
    from hub.store import session_scope
    from hub.store.models import AgencyRecord, RawLanding

    clues = _run("--as-of", heldout_fast["as_of"])
    repeat = _by_model(clues, "repeat-offender")
    # three decisions across two agencies, one sent with a lower-case credit code
    abc = repeat["91330802MA2ABC1091"]["evidence"]
    assert sorted((e["agency_code"], e["kind"], e["source_record_id"]) for e in abc) == [
        ("330800-scjg", "market.penalty", "SJ-001"),
        ("330800-sthj", "env.penalty", "HB-001"),
        ("330800-sthj", "env.penalty", "HB-002"),
    ]
    restoration = _by_model(clues, "restoration-missing")
    with session_scope() as session:
        for clue in (*repeat.values(), *restoration.values()):
            for item in clue["evidence"]:
                record = session.get(AgencyRecord, item["record_id"])
                assert record is not None and record.is_current
                assert (record.agency_code, record.kind, record.source_id, record.version) == (
                    item["agency_code"],
                    item["kind"],
                    item["source_record_id"],
                    item["version"],
                )
                assert record.content_hash == item["content_hash"]
                landing = session.get(RawLanding, item["landing_id"])
                assert landing is not None and landing.content_hash == item["landing_hash"]


def test_second_run_changes_no_key_and_adds_no_clue(heldout_fast: dict[str, Any]) -> None:
    from hub.store import session_scope
    from hub.store.models import Clue

    first = _run("--as-of", heldout_fast["as_of"])
    second = _run("--as-of", heldout_fast["as_of"])
    assert [c["key"] for c in first] == [c["key"] for c in second]
    assert first == second
    with session_scope() as session:
        assert session.scalar(select(func.count(Clue.id))) == len(first)


def test_a_clue_that_stops_holding_is_kept_and_marked(heldout_fast: dict[str, Any]) -> None:
    from hub.store import session_scope
    from hub.store.models import Clue

    _run("--as-of", heldout_fast["as_of"], "--model", "restoration-missing")
    # on 2026-12-03 the acceptance of 第41号 is on record: that clue lapses; 第13号 is now old enough
    later = _by_model(_run("--as-of", "2026-12-03", "--model", "restoration-missing"), "restoration-missing")
    assert "龙林罚决字〔2024〕第41号" not in later
    assert "龙林罚决字〔2024〕第13号" in later and later["龙林罚决字〔2024〕第13号"]["first_seen"] == "2026-12-03"
    with session_scope() as session:
        lapsed = session.execute(
            select(Clue).where(Clue.key == "restoration-missing:龙林罚决字〔2024〕第41号")
        ).scalar_one()
        assert lapsed.holds is False and lapsed.lapsed_on.isoformat() == "2026-12-03"
        expected = len(heldout_fast["expected"]["restoration-missing"]) + 1  # every earlier clue, and 第13号
        assert session.scalar(select(func.count(Clue.id)).where(Clue.model == "restoration-missing")) == expected
