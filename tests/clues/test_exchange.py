"""Clues both ways: an agency's transfer answered through the outbox within its clock; a misconduct clue sent to
the supervisory commission only after a procurator's confirmation, signed, exactly once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from hub.cli.main import app
from tests.clues.conftest import HELDOUT, import_agencies, load_file

MORE = Path(__file__).with_name("more")


def _cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def _send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    out = tmp_path / "notify.jsonl"
    monkeypatch.setenv("PILHUB_NOTIFY_FILE", str(out))
    _cli("outbox", "send")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []


@pytest.fixture
def transfers(use_store: str) -> dt.date:
    import_agencies()
    load_file("agency.clue_transfer", MORE / "agency_clue_transfer.jsonl", "330800-sthj")
    return dt.date.today()


def test_transfer_is_answered_through_the_outbox_within_its_clock(
    transfers: dt.date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli("clues", "clocks", "--as-of", transfers.isoformat())
    listed = {t["transfer_number"]: t for t in json.loads(_cli("clues", "transfers", "--json"))}
    assert sorted(listed) == ["衢环移〔2026〕3号", "衢环移〔2026〕4号"]
    first = listed["衢环移〔2026〕3号"]
    assert first["received_on"] == transfers.isoformat() and first["period"] == "1m" and first["state"] == "awaiting"
    assert first["answer_due"] > transfers.isoformat()

    _cli("clues", "answer", "衢环移〔2026〕3号", "--result", "accepted")
    _cli("clues", "answer", "衢环移〔2026〕3号", "--result", "not_filed", code=2)  # no reasons
    _cli("clues", "answer", "衢环移〔2026〕3号", "--result", "filed", "--case-id", "KC-2026-101")
    _cli("clues", "answer", "衢环移〔2026〕3号", "--result", "not_filed", "--reason", "已立案", code=2)
    sent = _send(tmp_path, monkeypatch)
    assert [(m["recipient"], m["subject"].split(" / ")[0]) for m in sent] == [
        ("330800-sthj", "线索办理结果：衢环移〔2026〕3号 受理"),
        ("330800-sthj", "线索办理结果：衢环移〔2026〕3号 立案"),
    ]
    notice = json.loads(Path(sent[1]["notice_file"]).read_text(encoding="utf-8"))
    assert (notice["document_type"], notice["result"], notice["case_id"]) == (
        "pilhub.clue_answer",
        "filed",
        "KC-2026-101",
    )
    _cli("verify", sent[1]["notice_file"])
    assert _send(tmp_path, monkeypatch) == sent  # nothing new, nothing twice
    listed = {t["transfer_number"]: t for t in json.loads(_cli("clues", "transfers", "--json"))}
    assert listed["衢环移〔2026〕3号"]["state"] == "answered"

    # the unanswered transfer runs out: one reminder to the procuratorate, never two
    late = (transfers + dt.timedelta(days=70)).isoformat()
    report = json.loads(_cli("clues", "clocks", "--as-of", late, "--json"))
    assert (report["transfers_overdue"], report["reminders"]) == (1, 1)
    report = json.loads(_cli("clues", "clocks", "--as-of", late, "--json"))
    assert (report["transfers_overdue"], report["reminders"]) == (0, 0)
    listed = {t["transfer_number"]: t for t in json.loads(_cli("clues", "transfers", "--json"))}
    assert listed["衢环移〔2026〕4号"]["state"] == "overdue"


def test_misconduct_clue_reaches_the_commission_only_after_confirmation_and_once(
    use_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.store import session_scope
    from hub.store.models import MisconductReferral, OutboxMessage

    import_agencies()
    load_file("env.penalty", HELDOUT / "env_penalty_sthj.jsonl", "330800-sthj")
    load_file("market.penalty", HELDOUT / "market_penalty_scjg.jsonl", "330800-scjg")
    _cli("clues", "run", "--as-of", "2026-11-30", "--model", "repeat-offender")
    key = "repeat-offender:91330802MA2ABC1091"
    _cli(
        "clues", "refer", key, "--commission", "330800-sthj", "--facts", "监管人员涉嫌包庇", code=2
    )  # not a commission
    _cli("clues", "refer", key, "--commission", "330800-jw", "--facts", "执法人员涉嫌对屡次违法行为包庇纵容")
    with session_scope() as session:
        referral = session.execute(select(MisconductReferral)).scalar_one()
        assert referral.state == "awaiting_confirmation"
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0  # nothing before confirmation
    assert _send(tmp_path, monkeypatch) == []
    _cli("clues", "refer", key, "--commission", "330800-jw", "--facts", "再次提出", code=2)  # one referral per clue

    _cli("clues", "confirm-referral", str(referral.id), "--by", "procurator-017", "--on", "2026-12-01")
    _cli("clues", "confirm-referral", str(referral.id), "--by", "procurator-017", "--on", "2026-12-01", code=2)
    sent = _send(tmp_path, monkeypatch)
    assert len(sent) == 1 and sent[0]["dedupe_key"] == f"misconduct:{key}"
    notice = json.loads(Path(sent[0]["notice_file"]).read_text(encoding="utf-8"))
    assert notice["document_type"] == "pilhub.misconduct_referral" and notice["clue"] == key
    assert notice["feedback_due"] == "2027-03-01"
    assert sorted(e["source_record_id"] for e in notice["evidence"]) == ["HB-001", "HB-002", "SJ-001"]
    _cli("verify", sent[0]["notice_file"])

    # the database refuses a second referral of the clue and a second message, whatever the code path
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(
            MisconductReferral(
                clue_pk=referral.clue_pk, commission_code="330800-jw", facts="x", proposed_by="t", period="3m"
            )
        )
        session.flush()
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(
            OutboxMessage(dedupe_key=f"misconduct:{key}", channel="inbox", recipient="330800-jw", subject="x", body="x")
        )
        session.flush()

    # the feedback clock: overdue once, then stopped by the commission's feedback
    report = json.loads(_cli("clues", "clocks", "--as-of", "2027-03-02", "--json"))
    assert (report["referrals_overdue"], report["reminders"]) == (1, 1)
    _cli("clues", "feedback", str(referral.id), "--text", "已立案审查", "--on", "2027-03-05")
    with session_scope() as session:
        assert session.get(MisconductReferral, referral.id).state == "answered"
