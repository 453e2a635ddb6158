"""The life of a recommendation after the reply, and no accusation without a confirmed basis (store, CLI).

Withdrawn, partially rectified, never rectified, closed-after-breach and re-promised recommendations end in the
states the law gives them, with their history in ``pilhub sla status CASE --all --json``; a notice already sent
and revoked by a correction gets exactly one correction notice; the supervisory commission receives nothing until
a procurator confirms; bodies a recommendation was copied to receive what the policy says.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.cli.main import app
from hub.notify.file import read_deliveries
from hub.registry.importer import import_cases, read_lines
from hub.store import open_store
from hub.store.models import Escalation, OutboxMessage
from sla.calendar import OfficialCalendar
from sla.clocks import CaseFacts, EventFacts, RecommendationFacts, ReplyFacts, derive_case_clocks
from sla.escalation import evaluate
from sla.policy import load_policy

runner = CliRunner()
D = dt.date.fromisoformat
CAL = OfficialCalendar.load()
POLICY = load_policy()
AGENCY = "衢州市生态环境局柯城分局"
COMMISSION = "agency:330802-jw"  # 衢州市柯城区监察委员会


def _line(
    case_id: str,
    received: str,
    *replies: dict[str, Any],
    status: str = "open",
    closed_on: str | None = None,
    withdrawn_on: str | None = None,
    copied_to: list[str] | None = None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "rec_id": f"{case_id}号",
        "agency": AGENCY,
        "issued_on": received,
        "received_on": received,
        "urgent": False,
        "replies": list(replies),
        "copied_to": copied_to or [],
    }
    if withdrawn_on:
        rec["withdrawn_on"] = withdrawn_on
    line: dict[str, Any] = {
        "case_id": case_id,
        "title": "督促整治非法排污（测试）",
        "domain": "ecology",
        "procedure": "admin_pre_litigation",
        "region_code": "330802",
        "district": "柯城区",
        "opened_on": "2024-01-02",
        "status": status,
        "recommendations": [rec],
    }
    if closed_on:
        line["closed_on"] = closed_on
    return line


def _import(tmp: Path, *lines: dict[str, Any]) -> None:
    path = tmp / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines), encoding="utf-8")
    report = import_cases(read_lines(path), open_store())
    assert report.rejected == 0


@pytest.fixture
def store(use_store: str, tmp_path: Path) -> str:
    factory = open_store(use_store)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    return use_store


def _sweep(day: str) -> dict[str, Any]:
    result = runner.invoke(app, ["sla", "sweep", "--as-of", day, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _status(case_id: str, day: str) -> dict[str, dict[str, Any]]:
    result = runner.invoke(app, ["sla", "status", case_id, "--all", "--json", "--as-of", day])
    assert result.exit_code == 0, result.output
    return {row["clock_key"]: row for row in json.loads(result.stdout)}


def _events(row: dict[str, Any]) -> list[str]:
    return [e["event"] for e in row["history"]]


# --- the five endings, through the registry, the CLI and the sweep --------------------------------------------


def test_recommendations_end_in_the_states_the_law_gives_them(store: str, tmp_path: Path) -> None:
    _import(
        tmp_path,
        # withdrawn (by a recorded event, below): received 2024-08-01, two months → 10-08, no reply
        _line("WD-1", "2024-08-01"),
        # partial rectification in a timely reply, promised by 07-31: a follow-up investigation until then
        _line(
            "PR-1",
            "2024-03-20",
            {
                "replied_on": "2024-04-15",
                "has_evidence": True,
                "rectification_status": "partial",
                "rectification_due": "2024-07-31",
            },
        ),
        # never rectified: a timely reply saying nothing was done (rectified: false → none), no promise
        _line("NR-1", "2024-03-20", {"replied_on": "2024-04-15", "rectified": False}),
        # closed after the breach: no reply, deadline 10-08, closed on 11-01
        _line("CB-1", "2024-08-01", status="closed", closed_on="2024-11-01"),
        # closed before the deadline: nothing is claimed
        _line("CB-2", "2024-08-01", status="closed", closed_on="2024-09-20"),
        # re-promised after missing the first promise
        _line(
            "RP-1",
            "2024-03-20",
            {"replied_on": "2024-04-15", "rectification_due": "2024-07-31"},
            {"replied_on": "2024-08-20", "rectification_due": "2024-09-30"},
        ),
    )
    _sweep("2024-08-01")  # RP-1's first promise (07-31) is missed: breach alert
    _sweep("2024-10-09")  # WD-1 breached: the breach alert is enqueued, not yet sent
    event = runner.invoke(app, ["sla", "event", "WD-1", "--kind", "withdrawn", "--rec", "WD-1号", "--on", "2024-10-20"])
    assert event.exit_code == 0, event.output
    for day in ("2024-10-21", "2024-10-23", "2024-11-01", "2024-11-07", "2024-11-20", "2024-12-31"):
        _sweep(day)
    day = "2024-12-31"

    wd = _status("WD-1", day)["reply:WD-1号"]
    assert (wd["state"], wd["outcome"], wd["resolved_on"]) == ("withdrawn", "withdrawn", "2024-10-20")
    notices = [e for e in wd["history"] if e["event"] == "notice"]
    assert {e["level"] for e in notices} == {2}  # the breach alert of 10-09; nothing after the withdrawal on 10-20
    assert all(m["status"] == "cancelled" for e in notices for m in e["messages"])  # pending notices revoked
    assert _events(wd)[-1] == "withdrawn"
    assert "lawsuit:WD-1号" in _status("WD-1", day) and _status("WD-1", day)["lawsuit:WD-1号"]["state"] == "withdrawn"

    pr = _status("PR-1", day)
    assert pr["reply:PR-1号"]["state"] == "met"
    follow = pr["follow_up:PR-1号"]
    # the follow-up ladder has no escalation level: breached, and the agency counts as not performing
    assert (follow["state"], follow["deadline_official"], follow["not_performing"]) == ("breached", "2024-07-31", True)
    assert follow["explanation"]["round"] == "investigation" and "breach" in _events(follow)
    assert pr["lawsuit:PR-1号"]["start_on"] == "2024-07-31" and pr["lawsuit:PR-1号"]["state"] in (
        "breached",
        "escalated",
    )

    nr = _status("NR-1", day)
    assert nr["reply:NR-1号"]["state"] == "met"
    assert (nr["follow_up:NR-1号"]["deadline_official"], nr["follow_up:NR-1号"]["not_performing"]) == (
        "2024-10-15",
        True,
    )
    assert nr["follow_up:NR-1号"]["state"] == "breached"
    assert "人民检察院公益诉讼办案规则" in nr["follow_up:NR-1号"]["citation"]

    cb = _status("CB-1", day)["reply:CB-1号"]
    assert (cb["state"], cb["outcome"], cb["resolved_on"]) == ("breached", "breached", "2024-11-01")
    fired = {e["level"] for e in cb["history"] if e["event"] == "notice"}
    assert fired == {2, 3}  # level 4 (11-07) falls after the closing: never sent
    cb2 = _status("CB-2", day)["reply:CB-2号"]
    assert (cb2["state"], cb2["resolved_on"]) == ("closed", "2024-09-20")
    assert [e for e in cb2["history"] if e["event"] == "notice"] == []

    rp = _status("RP-1", day)
    first, second = rp["rectification:RP-1号"], rp["rectification:RP-1号/2"]
    assert (first["state"], first["outcome"], first["resolved_on"]) == ("breached", "breached", "2024-08-20")
    assert {e["level"] for e in first["history"] if e["event"] == "notice"} == {2}  # the missed promise was reported
    assert second["deadline_official"] == "2024-09-30" and second["state"] in ("breached", "escalated")


# --- obstacle (中止) and resumption, and rebound: pure derivation -----------------------------------------------


def _follow_ups(*events: EventFacts, replies: tuple[ReplyFacts, ...]) -> list[Any]:
    rec = RecommendationFacts("柯检行公建〔2024〕7号", D("2024-03-19"), D("2024-03-20"), False, replies)
    case = CaseFacts("KC-O-1", "admin_pre_litigation", "open", None, (rec,), events, region_code="330802")
    return [c for c in derive_case_clocks(case, calendar=CAL) if c.kind == "follow_up"]


def test_an_objective_obstacle_suspends_the_follow_up_and_resumption_lets_it_run_again() -> None:
    partial = (ReplyFacts(1, D("2024-04-15"), rectification_status="partial", rectification_due=D("2024-07-31")),)
    (plain,) = _follow_ups(replies=partial)
    (held,) = _follow_ups(EventFacts("obstacle", D("2024-06-01"), "柯检行公建〔2024〕7号", 1), replies=partial)
    assert (held.outcome, held.resolved_on) == ("suspended", D("2024-06-01"))
    resolved = POLICY.resolve("330802", "ecology")
    assert evaluate(held, D("2024-09-01"), resolved).state.value == "suspended"  # never breached while suspended
    (resumed,) = _follow_ups(
        EventFacts("obstacle", D("2024-06-01"), "柯检行公建〔2024〕7号", 1),
        EventFacts("resume", D("2024-06-11"), "柯检行公建〔2024〕7号", 2),
        replies=partial,
    )
    # 10 days suspended: 07-31 + 10 = 2024-08-10, a Saturday — a rest day, so the last day is Monday 08-12
    # (民法典 Art. 203; 民事诉讼法 Art. 85(3)), as for every other deadline
    assert plain.breach_after == D("2024-07-31") and resumed.breach_after == D("2024-08-12")
    assert resumed.deadline_official == resumed.deadline_all_weekends == D("2024-08-12")
    assert resumed.outcome is None and evaluate(resumed, D("2024-08-12"), resolved).state.value != "breached"
    assert evaluate(resumed, D("2024-08-13"), resolved).state.value == "breached"
    assert any("民法典第203条" in line for line in resumed.explanation["suspended_deadline"])


REC_O = "柯检行公建〔2024〕7号"


def _promises(*events: EventFacts, due: str) -> list[Any]:
    rec = RecommendationFacts(
        REC_O,
        D("2025-03-19"),
        D("2025-03-20"),
        False,
        (ReplyFacts(1, D("2025-04-15"), rectification_status="partial", rectification_due=D(due)),),
    )
    case = CaseFacts("KC-O-2", "admin_pre_litigation", "open", None, (rec,), events, region_code="330802")
    return [c for c in derive_case_clocks(case, calendar=CAL) if c.kind in ("rectification", "follow_up")]


def _held(obstacle: str, resume: str) -> tuple[EventFacts, EventFacts]:
    return EventFacts("obstacle", D(obstacle), REC_O, 1), EventFacts("resume", D(resume), REC_O, 2)


def test_a_deadline_moved_by_a_suspension_onto_national_day_moves_past_the_official_2025_holidays() -> None:
    # 2025 notice (国办发明电〔2024〕12号): 国庆节、中秋节 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班.
    # Promised 2025-09-26 (Fri); suspended 09-02 … 09-07 = 5 days → 10-01, inside the block → Thursday 10-09.
    # The block as the chinesecalendar package publishes it (not this project's data): 10-01 … 10-08 off, 10-09 works.
    assert [chinese_calendar.is_workday(D(f"2025-10-{d:02d}")) for d in range(1, 12)] == [False] * 8 + [True] * 3
    for clock in _promises(*_held("2025-09-02", "2025-09-07"), due="2025-09-26"):
        assert (clock.deadline_official, clock.deadline_all_weekends, clock.breach_after) == (
            D("2025-10-09"),
            D("2025-10-09"),
            D("2025-10-09"),
        ), clock.key
        assert not clock.calendar_missing


def test_a_deadline_moved_onto_a_make_up_saturday_shows_both_readings() -> None:
    # Promised 2025-09-30 (Tue); suspended 09-10 … 09-21 = 11 days → Saturday 2025-10-11, a make-up working day
    # in the official calendar: the official reading keeps it, all-weekends moves to Monday 10-13; a breach is
    # declared only after the later date.
    (rect, follow) = _promises(*_held("2025-09-10", "2025-09-21"), due="2025-09-30")
    for clock in (rect, follow):
        assert (clock.deadline_official, clock.deadline_all_weekends, clock.breach_after) == (
            D("2025-10-11"),
            D("2025-10-13"),
            D("2025-10-13"),
        ), clock.key


def test_a_suspension_moves_the_raw_end_of_a_period_not_its_already_shifted_last_day() -> None:
    # Partial rectification replied 2024-04-19 with no promised date: the policy's 6 months end on Saturday
    # 2024-10-19, so the last day is Monday 10-21. Suspended 2 days (06-03 … 06-05): the raw end moves to Monday
    # 10-21, a working day — 10-21, not the shifted 10-21 + 2 = 10-23.
    replies = (ReplyFacts(1, D("2024-04-19"), rectification_status="partial"),)
    (plain,) = _follow_ups(replies=replies)
    assert plain.breach_after == D("2024-10-21")
    (moved,) = _follow_ups(*_held("2024-06-03", "2024-06-05"), replies=replies)
    assert (moved.deadline_official, moved.breach_after) == (D("2024-10-21"), D("2024-10-21"))


def test_a_deadline_moved_into_a_year_without_a_calendar_is_a_range_that_never_ends_on_a_statutory_holiday() -> None:
    # No 2027 notice: promised 2027-01-31, suspended 01-10 … 01-15 = 5 days → 2027-02-05, 除夕 — a statutory
    # holiday whatever the notice says (全国年节及纪念日放假办法 as amended 2024: 除夕–初三 = 02-05 … 02-08), so
    # the earliest possible last day is Tuesday 02-09, and a breach waits for the latest plausible one.
    assert not CAL.covers(2027)
    rec = RecommendationFacts(
        REC_O,
        D("2026-11-02"),
        D("2026-11-03"),
        False,
        (ReplyFacts(1, D("2026-12-01"), rectification_due=D("2027-01-31")),),
    )
    case = CaseFacts(
        "KC-O-3", "admin_pre_litigation", "open", None, (rec,), _held("2027-01-10", "2027-01-15"), region_code="330802"
    )
    (rect,) = [c for c in derive_case_clocks(case, calendar=CAL) if c.kind == "rectification"]
    assert rect.calendar_missing and rect.deadline_official == D("2027-02-09")
    assert rect.breach_after is not None and rect.breach_after > D("2027-02-09")
    assert rect.explanation["calendar_missing_years"] == [2027]


def test_rebound_opens_a_new_follow_up() -> None:
    replies = (
        ReplyFacts(1, D("2024-04-15"), rectified=True, rectified_on=D("2024-05-10")),
        ReplyFacts(2, D("2024-09-01"), rebound=True),
    )
    check, again = _follow_ups(replies=replies)
    assert (check.explanation["round"], check.outcome, check.resolved_on) == ("check", "met", D("2024-09-01"))
    assert (again.explanation["round"], again.start_on, again.outcome) == ("investigation", D("2024-09-01"), None)


# --- a revoked notice that was sent gets one correction notice ----------------------------------------------------


def test_a_sent_notice_revoked_by_a_correction_gets_exactly_one_correction_notice(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = tmp_path / "notices.jsonl"
    monkeypatch.setenv("PILHUB_NOTIFY_FILE", str(notices))
    _import(tmp_path, _line("CO-1", "2024-08-01"))
    _sweep("2024-10-09")  # breach alert to the procurator and the department head
    assert runner.invoke(app, ["outbox", "send"]).exit_code == 0
    sent = [d for d in read_deliveries(notices) if "逾期告警" in d["subject"]]
    assert len(sent) == 2
    # the agency's reply had been posted on 10-08 (the last day) and arrives late in the records: on time
    _import(tmp_path, _line("CO-1", "2024-08-01", {"replied_on": "2024-10-11", "posted_on": "2024-10-08"}))
    for day in ("2024-10-12", "2024-10-13"):  # two sweeps: the correction must not be doubled
        _sweep(day)
    assert runner.invoke(app, ["outbox", "send"]).exit_code == 0
    corrections = [d for d in read_deliveries(notices) if d["subject"].startswith("【更正通知】")]
    assert len(corrections) == len(sent) == 2
    assert {c["recipient"] for c in corrections} == {s["recipient"] for s in sent}
    body = corrections[0]["body"]
    assert "逾期告警" in body and "结果 / outcome：— → met" in body
    with open_store()() as s:
        keys = s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("corr:%"))).all()
    assert len(keys) == len(set(keys)) == 2
    status = _status("CO-1", "2024-10-13")["reply:CO-1号"]
    assert status["state"] == "met"
    assert any(m["correction"] for e in status["history"] if e["event"] == "notice" for m in e["messages"])


# --- the supervisory commission only on a procurator's confirmation; copies as the policy says ------------------


def _commission_messages() -> int:
    with open_store()() as s:
        return len(
            s.scalars(
                select(OutboxMessage.id).join(Escalation).where(Escalation.recipient.like(f"%{COMMISSION}"))
            ).all()
        )


def test_the_supervisory_commission_receives_nothing_without_confirmation(store: str, tmp_path: Path) -> None:
    _import(
        tmp_path,
        _line(
            "SC-1",
            "2024-08-01",
            copied_to=["衢州市柯城区人大常委会", "衢州市柯城区监察委员会", "衢州市柯城区人民政府", "某不存在的机关"],
        ),
        _line("SC-2", "2024-08-01"),
    )
    for day in ("2024-10-09", "2024-10-23", "2024-11-07", "2024-12-31"):
        _sweep(day)
    # level 4 fired for both: proposals to the procurators, nothing to the commission (not even as a copy)
    assert _commission_messages() == 0
    listed = json.loads(runner.invoke(app, ["review", "referral", "list", "--json"]).stdout)
    by_case = {p["case_id"]: p for p in listed}
    assert set(by_case) == {"SC-1", "SC-2"} and all(p["decision"] is None for p in listed)
    # copies: the government at levels 3 and 4, the congress at level 3 only (level 4 already addresses it), the
    # unknown body to the operator, named — and never the commission
    with open_store()() as s:
        copies = set(
            s.execute(select(Escalation.level, Escalation.recipient).where(Escalation.recipient.like("copied:%"))).all()
        )
    assert copies == {
        (3, "copied:agency:330802-rdcwh"),
        (3, "copied:agency:330802-gov"),
        (4, "copied:agency:330802-gov"),
        (3, "copied:unresolved:copied_to:某不存在的机关"),
        (4, "copied:unresolved:copied_to:某不存在的机关"),
    }

    reject = runner.invoke(
        app, ["review", "referral", "reject", str(by_case["SC-2"]["id"]), "--reason", "未发现公职人员违纪违法线索"]
    )
    assert reject.exit_code == 0, reject.output
    assert _commission_messages() == 0
    confirm = runner.invoke(app, ["review", "referral", "confirm", str(by_case["SC-1"]["id"])])
    assert confirm.exit_code == 0, confirm.output
    assert _commission_messages() == 1
    again = runner.invoke(app, ["review", "referral", "confirm", str(by_case["SC-1"]["id"])])
    assert again.exit_code == 1 and "已" in again.output
    _sweep("2025-01-05")
    assert _commission_messages() == 1  # the sweep never adds one
    assert json.loads(runner.invoke(app, ["review", "referral", "list", "--json"]).stdout) == []
