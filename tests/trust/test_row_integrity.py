"""Silent row edits: ``pilhub audit verify`` names the table, the row and the field of every direct edit of a
registry, clock or escalation row; a re-import repairs what the export says.

The edits are the ones an insider with database credentials would make: move a recommendation's received date
(a late reply becomes an on-time one and the year's on-time rate rises), rewrite a case title, mark an overdue
clock met, push an escalation's due date, clear the tags, copy one person's sealed name onto another party.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.cli.main import app
from hub.registry.importer import import_cases, read_lines
from hub.reports.figures import ReportQuery, compute_figures
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.integrity import verify_rows
from hub.store.models import AuditEntry, Case, Clock, Escalation, Party, Recommendation
from sla.policy import load_policy
from sla.sweep import sweep

runner = CliRunner()
DEMO_DAY = dt.date(2026, 11, 23)
#: A reply the sample export records as late: received 2018-01-28, replied 2018-05-11 (over two months).
LATE_REC = "龙检行公建〔2018〕4号"


def _load(url: str) -> sessionmaker[Session]:
    factory = open_store(url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    report = import_cases(read_lines(SAMPLE_CASES), factory)
    assert report.rejected == 0, report.errors
    return factory


@pytest.fixture
def swept(store_url: str) -> sessionmaker[Session]:
    factory = _load(store_url)
    report = sweep(factory, as_of=DEMO_DAY, policy=load_policy())
    assert sum(report.enqueued.values()) > 0  # escalations exist to be edited
    return factory


def _findings(factory: sessionmaker[Session]) -> dict[tuple[str, int], tuple[str, ...]]:
    with factory() as s:
        report = verify_rows(s)
    assert report.checked["cases"] == 60 and report.checked["clocks"] > 0 and report.checked["escalations"] > 0
    return {(f.table, f.pk): f.fields for f in report.findings}


def _on_time(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        figures = compute_figures(s, ReportQuery.build(year=2018, today=DEMO_DAY))
    return int(figures["recommendations"]["replied_on_time"])


def test_a_swept_store_verifies_clean(swept: sessionmaker[Session]) -> None:
    assert _findings(swept) == {}
    # … and a second day's sweep, which rewrites states and enqueues more, leaves it clean too.
    sweep(swept, as_of=DEMO_DAY + dt.timedelta(days=40), policy=load_policy())
    assert _findings(swept) == {}


def test_the_sweep_writes_tags_with_its_values_not_in_a_second_pass(swept: sessionmaker[Session]) -> None:
    """On PostgreSQL the day's changed clocks and new escalations get their tags from the sweep's own UPDATE and
    INSERT: no statement rewrites the tags of rows the sweep has just written (SQLite keeps the second pass)."""
    engine = swept.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite re-tags by a second pass over the same rows")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        report = sweep(swept, as_of=DEMO_DAY + dt.timedelta(days=40), policy=load_policy())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.evaluation.states_changed > 0 and sum(report.enqueued.values()) > 0  # rows were written
    clock_updates = [s for s in statements if s.startswith("UPDATE clocks SET state = ")]
    assert len(clock_updates) == 1 and "state_tags = t.tags" in clock_updates[0]
    inserts = [s for s in statements if "INSERT INTO escalations (id, clock_pk" in s]
    assert len(inserts) == 1 and "row_tags" in inserts[0]
    second_pass = [
        s for s in statements if s.startswith(("UPDATE clocks SET state_tags", "UPDATE escalations SET row_tags = v."))
    ]
    assert second_pass == []
    assert _findings(swept) == {}


def test_direct_edits_of_received_on_and_title_are_named(swept: sessionmaker[Session]) -> None:
    before = _on_time(swept)
    with swept() as s, s.begin():
        rec = s.execute(select(Recommendation).where(Recommendation.rec_number == LATE_REC)).scalar_one()
        case_pk = rec.case_pk
        s.execute(text("UPDATE recommendations SET received_on = :d WHERE id = :pk"), {"d": "2018-04-01", "pk": rec.id})
        s.execute(text("UPDATE cases SET title = '督促整改（已办结）' WHERE id = :pk"), {"pk": case_pk})
    assert _on_time(swept) == before + 1  # what the edit was for: a late reply now counts as on time
    found = _findings(swept)
    assert found == {("recommendations", rec.id): ("received_on",), ("cases", case_pk): ("title",)}


def test_clock_and_escalation_edits_are_named_field_by_field(swept: sessionmaker[Session]) -> None:
    with swept() as s, s.begin():
        clock = s.execute(select(Clock).where(Clock.state == "escalated").limit(1)).scalar_one()
        esc = s.execute(select(Escalation).limit(1)).scalar_one()
        other = s.execute(select(Clock).where(Clock.id != clock.id).limit(1)).scalar_one()
        # An overdue clock made to look met, and never checked again; an escalation's due date pushed back.
        s.execute(
            text("UPDATE clocks SET state = 'met', next_check_on = '2099-01-01' WHERE id = :pk"), {"pk": clock.id}
        )
        s.execute(text("UPDATE clocks SET breach_after = '2030-01-01' WHERE id = :pk"), {"pk": other.id})
        s.execute(text("UPDATE escalations SET due_on = '2030-01-01' WHERE id = :pk"), {"pk": esc.id})
    found = _findings(swept)
    assert found[("clocks", clock.id)] == ("state", "next_check_on")
    assert found[("clocks", other.id)] == ("breach_after",)
    assert found[("escalations", esc.id)] == ("due_on",)
    assert len(found) == 3


def test_cleared_tags_and_a_moved_ciphertext_are_caught(swept: sessionmaker[Session]) -> None:
    with swept() as s, s.begin():
        a, b = s.execute(select(Party).where(Party.kind == "person").order_by(Party.id).limit(2)).scalars()
        s.execute(text("UPDATE parties SET name_enc = :v WHERE id = :pk"), {"v": a.name_enc, "pk": b.id})
        case = s.execute(select(Case).order_by(Case.id).limit(1)).scalar_one()
        s.execute(text("UPDATE cases SET row_tags = NULL WHERE id = :pk"), {"pk": case.id})
    found = _findings(swept)
    # The sealed name decrypts (same column), but to the other person's name: the tag says so.
    assert found[("parties", b.id)] == ("name_enc",)
    assert found[("cases", case.id)] == ("(tags)",)


def test_cli_audit_verify_names_table_row_and_field(swept: sessionmaker[Session], use_store: str) -> None:
    ok = runner.invoke(app, ["audit", "verify", "--no-anchor"])
    assert ok.exit_code == 0, ok.output
    with swept() as s, s.begin():
        pk = s.execute(select(Recommendation.id).where(Recommendation.rec_number == LATE_REC)).scalar_one()
        s.execute(text("UPDATE recommendations SET received_on = '2018-04-01' WHERE id = :pk"), {"pk": pk})
    result = runner.invoke(app, ["audit", "verify", "--no-anchor", "--json"])
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["rows"]
    assert rows["ok"] is False
    assert rows["findings"] == [
        {
            "table": "recommendations",
            "id": pk,
            "key": LATE_REC,
            "fields": ["received_on"],
            "reason_zh": "字段值与平台写入时不符（被直接修改）",
            "reason_en": "field no longer matches what the hub wrote (edited directly)",
        }
    ]
    plain = runner.invoke(app, ["audit", "verify", "--no-anchor"])
    assert plain.exit_code == 1 and "recommendations" in plain.output and "received_on" in plain.output


def test_reimport_repairs_direct_edits_instead_of_trusting_its_stored_hash(swept: sessionmaker[Session]) -> None:
    before = _on_time(swept)
    with swept() as s, s.begin():
        rec = s.execute(select(Recommendation).where(Recommendation.rec_number == LATE_REC)).scalar_one()
        case_id = s.execute(select(Case.case_id).where(Case.id == rec.case_pk)).scalar_one()
        s.execute(text("UPDATE recommendations SET received_on = '2018-04-01' WHERE id = :pk"), {"pk": rec.id})
        s.execute(text("UPDATE cases SET title = '已篡改' WHERE case_id = 'KC-2017-001'"))
    assert _on_time(swept) == before + 1
    report = import_cases(read_lines(SAMPLE_CASES), swept)
    assert (report.updated, report.unchanged, report.rejected) == (2, 58, 0), report.as_dict()
    assert _on_time(swept) == before
    with swept() as s:
        repairs: dict[str, Any] = {
            e.object_id: e.detail
            for e in s.execute(select(AuditEntry).where(AuditEntry.action == "case.repair")).scalars()
        }
    assert repairs[case_id]["changed_items"] == [f"recommendations[{LATE_REC}].received_on"]
    assert repairs["KC-2017-001"]["changed_fields"] == ["title"]
    assert _findings(swept) == {}
    # Repaired means repaired: a second import finds nothing to do.
    again = import_cases(read_lines(SAMPLE_CASES), swept)
    assert (again.updated, again.unchanged) == (0, 60)


def test_key_rotation_keeps_rows_verifying(swept: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import os

    from hub.personal_data import keyring, reset_keyring
    from hub.trust.rotation import rotate

    ring = keyring()
    old = f"{ring.current_id}:{base64.b64encode(ring.keys[ring.current_id]).decode()}"
    monkeypatch.setenv("PILHUB_INDEX_KEY", base64.b64encode(ring.index_key).decode())
    monkeypatch.setenv("PILHUB_SECRET_KEY", "k9:" + base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("PILHUB_OLD_SECRET_KEYS", old)
    reset_keyring()
    assert rotate(swept).finished
    assert _findings(swept) == {}  # sealed columns are tagged by their plaintext
