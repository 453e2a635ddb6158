"""Clock derivation from recorded facts (pure) and the state of a clock on a day, checked by hand.

Every expected date below was counted by hand against the rules in DOMAIN.md ("Statutory periods") and the
official calendar: start day not counted; N months = same-numbered day; a last day on a rest day moves to the
next working day; both readings of make-up working days, breach only after the later one.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sla.calendar import OfficialCalendar
from sla.clocks import (
    CaseFacts,
    ClockState,
    DerivationConfig,
    DerivedClock,
    EventFacts,
    RecommendationFacts,
    ReplyFacts,
    base_state,
    derive_case_clocks,
)
from sla.escalation import evaluate
from sla.periods import Period
from sla.policy import load_policy

D = dt.date.fromisoformat
CAL = OfficialCalendar.load()
POLICY = load_policy()
RESOLVED = POLICY.resolve("330802", "ecology")


ZHEJIANG = "330802"  # 衢州市柯城区: national rules only (not a 2015 pilot province)
LINCANG = "530902"  # 临沧市临翔区: the Lincang decision's evidence rule binds here (from 2020-08-30)
YUNNAN_PILOT = "530102"  # 昆明市: Yunnan was a 2015 pilot province


def _case(
    *recs: RecommendationFacts,
    status: str = "open",
    procedure: str = "admin_pre_litigation",
    litigation_status: str | None = None,
    events: tuple[EventFacts, ...] = (),
    region: str = ZHEJIANG,
) -> CaseFacts:
    return CaseFacts("KC-T-001", procedure, status, litigation_status, tuple(recs), events, region_code=region)


def _rec(
    received: str | None,
    *replies: ReplyFacts,
    urgent: bool = False,
    issued: str | None = None,
    number: str = "柯检行公建〔2024〕1号",
) -> RecommendationFacts:
    issued_on = D(issued) if issued else (D(received) - dt.timedelta(days=2) if received else D("2024-07-30"))
    return RecommendationFacts(number, issued_on, D(received) if received else None, urgent, tuple(replies))


def _reply(
    replied: str,
    posted: str | None = None,
    *,
    evidence: bool = True,
    promise: str | None = None,
    rectified: bool | None = None,
    rectified_on: str | None = None,
    rebound: bool | None = None,
    seq: int = 1,
) -> ReplyFacts:
    return ReplyFacts(
        seq,
        D(replied),
        D(posted) if posted else None,
        evidence,
        D(promise) if promise else None,
        rectified,
        D(rectified_on) if rectified_on else None,
        rebound,
    )


def _clock(case: CaseFacts, kind: str = "reply") -> DerivedClock:
    clocks = [c for c in derive_case_clocks(case, calendar=CAL) if c.kind == kind]
    assert len(clocks) == 1, clocks
    return clocks[0]


def _state(clock: DerivedClock, day: str) -> str:
    return evaluate(clock, D(day), RESOLVED).state.value


# (id, facts, expected official, expected all-weekends, breach_after, outcome, resolved_on, [(day, state)])
REPLY_TABLE = [
    (
        "2m, Oct 1 falls in National Day → 10-08 (the issue's example), no reply",
        _rec("2024-08-01"),
        "2024-10-08",
        "2024-10-08",
        "2024-10-08",
        None,
        None,
        [
            ("2024-08-01", "running"),
            ("2024-09-30", "running"),
            ("2024-10-01", "due_soon"),
            ("2024-10-08", "due_soon"),
            ("2024-10-09", "breached"),
            ("2024-10-23", "escalated"),
        ],
    ),
    (
        "2m ending on a 调休 Saturday: official 10-12, all-weekends 10-14, breach only after 10-14",
        _rec("2024-08-12"),
        "2024-10-12",
        "2024-10-14",
        "2024-10-14",
        None,
        None,
        [
            ("2024-10-05", "due_soon"),
            ("2024-10-13", "due_soon"),
            ("2024-10-14", "due_soon"),
            ("2024-10-15", "breached"),
        ],
    ),
    (
        "reply received on the all-weekends deadline (after the official one): met, not a breach",
        _rec("2024-08-12", _reply("2024-10-14")),
        "2024-10-12",
        "2024-10-14",
        "2024-10-14",
        "met",
        "2024-10-14",
        [("2024-10-13", "due_soon"), ("2024-10-14", "met")],
    ),
    (
        "urgent, 15 days (Art. 21(2)): 2026-11-10 → 11-25",
        _rec("2026-11-10", urgent=True),
        "2026-11-25",
        "2026-11-25",
        "2026-11-25",
        None,
        None,
        [("2026-11-21", "running"), ("2026-11-22", "due_soon"), ("2026-11-26", "breached")],
    ),
    (
        "urgent across Spring Festival 2025: 01-25 Sat; 01-26 is a make-up Sunday (official), 01-27 all-weekends",
        _rec("2025-01-10", _reply("2025-01-27"), urgent=True),
        "2025-01-26",
        "2025-01-27",
        "2025-01-27",
        "met",
        "2025-01-27",
        [("2025-01-27", "met")],
    ),
    (
        "reply on time (received well before the deadline)",
        _rec("2024-03-20", _reply("2024-04-15")),
        "2024-05-20",
        "2024-05-20",
        "2024-05-20",
        "met",
        "2024-04-15",
        [("2024-04-14", "running"), ("2024-04-15", "met")],
    ),
    (
        "late reply: met_late on the day it came",
        _rec("2024-03-20", _reply("2024-06-10")),
        "2024-05-20",
        "2024-05-20",
        "2024-05-20",
        "met_late",
        "2024-06-10",
        [("2024-05-21", "breached"), ("2024-06-04", "escalated"), ("2024-06-10", "met_late")],
    ),
    (
        "posted on the last day, received three days later: on time (民事诉讼法 Art. 85, time in the post)",
        _rec("2024-03-20", _reply("2024-05-23", "2024-05-20")),
        "2024-05-20",
        "2024-05-20",
        "2024-05-20",
        "met",
        "2024-05-20",
        [("2024-05-20", "met"), ("2024-05-23", "met")],
    ),
    (
        "posted a day late: met_late",
        _rec("2024-03-20", _reply("2024-05-24", "2024-05-21")),
        "2024-05-20",
        "2024-05-20",
        "2024-05-20",
        "met_late",
        "2024-05-21",
        [("2024-05-21", "met_late")],
    ),
    (
        "Lincang: urgent reply without evidence is incomplete: the clock keeps running and breaches",
        _rec("2025-09-10", _reply("2025-09-20", evidence=False), urgent=True),
        "2025-09-25",
        "2025-09-25",
        "2025-09-25",
        None,
        None,
        [("2025-09-20", "running"), ("2025-09-26", "breached")],
    ),
    (
        "Lincang urgent: incomplete reply, then one with evidence after the deadline → met_late on the second",
        _rec("2025-09-10", _reply("2025-09-20", evidence=False), _reply("2025-09-29", seq=2), urgent=True),
        "2025-09-25",
        "2025-09-25",
        "2025-09-25",
        "met_late",
        "2025-09-29",
        [("2025-09-26", "breached")],
    ),
    (
        "non-urgent reply without evidence still counts (evidence is required for urgent replies)",
        _rec("2024-03-20", _reply("2024-04-15", evidence=False)),
        "2024-05-20",
        "2024-05-20",
        "2024-05-20",
        "met",
        "2024-04-15",
        [("2024-04-15", "met")],
    ),
    (
        "pilot province, received before 2017-07-01: one month (2015 pilot measures Art. 40), 06-03 Sat → 06-05",
        _rec("2017-05-03", issued="2017-05-02"),
        "2017-06-05",
        "2017-06-05",
        "2017-06-05",
        None,
        None,
        [("2017-06-06", "breached")],
    ),
    (
        "pilot province, urgent under the pilot measures: still one month, no evidence needed",
        _rec("2017-05-03", _reply("2017-05-20", evidence=False), urgent=True, issued="2017-05-02"),
        "2017-06-05",
        "2017-06-05",
        "2017-06-05",
        "met",
        "2017-05-20",
        [("2017-05-20", "met")],
    ),
]


@pytest.mark.parametrize(
    ("label", "rec", "official", "weekends", "breach", "outcome", "resolved", "days"),
    REPLY_TABLE,
    ids=[row[0][:60] for row in REPLY_TABLE],
)
def test_reply_clock_table(
    label: str,
    rec: RecommendationFacts,
    official: str,
    weekends: str,
    breach: str,
    outcome: str | None,
    resolved: str | None,
    days: list[tuple[str, str]],
) -> None:
    region = LINCANG if label.startswith("Lincang") else YUNNAN_PILOT if label.startswith("pilot") else ZHEJIANG
    clock = _clock(_case(rec, region=region))
    assert (clock.deadline_official, clock.deadline_all_weekends, clock.breach_after) == (
        D(official),
        D(weekends),
        D(breach),
    ), label
    assert clock.outcome == outcome
    assert clock.resolved_on == (D(resolved) if resolved else None)
    assert clock.start_on == rec.received_on
    for day, state in days:
        assert _state(clock, day) == state, (label, day)


def test_incomplete_is_a_flag_not_a_state() -> None:
    clock = _clock(_case(_rec("2025-09-10", _reply("2025-09-20", evidence=False), urgent=True), region=LINCANG))
    assert clock.incomplete and clock.outcome is None
    assert clock.explanation["replies"][0]["counted"] is False
    assert "证明材料" in clock.explanation["replies"][0]["why"]
    completed = _clock(
        _case(
            _rec("2025-09-10", _reply("2025-09-20", evidence=False), _reply("2025-09-22", seq=2), urgent=True),
            region=LINCANG,
        )
    )
    assert not completed.incomplete and completed.outcome == "met"


def test_not_received_is_pending() -> None:
    clock = _clock(_case(_rec(None)))
    assert clock.start_on is None and clock.deadline_official is None
    assert _state(clock, "2026-11-23") == "pending"
    assert base_state(clock, D("2030-01-01")) is ClockState.PENDING


def test_start_after_the_as_of_date_is_pending() -> None:
    clock = _clock(_case(_rec("2024-08-01")))
    assert _state(clock, "2024-07-31") == "pending"


def test_deadline_in_2027_is_calendar_missing_with_a_range() -> None:
    # 2026-12-05 + 2m = 2027-02-05, 除夕: statutory → earliest 2-09; latest plausible 2-15
    clock = _clock(_case(_rec("2026-12-05")))
    assert clock.calendar_missing
    assert (clock.deadline_official, clock.breach_after) == (D("2027-02-09"), D("2027-02-15"))
    assert clock.explanation["calendar_missing_years"] == [2027]
    for day in ("2026-12-10", "2027-02-09", "2027-02-12", "2027-02-15"):  # no breach before the latest date
        assert _state(clock, day) == "calendar_missing"
    assert _state(clock, "2027-02-16") in ("breached", "escalated")  # enforcement does not stop
    # far from any festival the range is one day: still flagged (the year is unknown), breached after it
    plain = _clock(_case(_rec("2026-11-12")))
    assert plain.calendar_missing and plain.deadline_official == plain.breach_after == D("2027-01-12")
    assert _state(plain, "2027-01-12") == "calendar_missing" and _state(plain, "2027-01-13") != "calendar_missing"


def test_calendar_missing_reply_judged_against_the_range() -> None:
    clock = _clock(_case(_rec("2026-12-05", _reply("2027-02-09"))))  # on the earliest date: on time whatever
    assert clock.outcome == "met" and _state(clock, "2027-02-09") == "met"
    inside = _clock(_case(_rec("2026-12-05", _reply("2027-02-11"))))  # inside the range: undecided
    assert inside.outcome is None and _state(inside, "2027-02-12") == "calendar_missing"
    late = _clock(_case(_rec("2026-12-05", _reply("2027-02-20"))))  # after the latest date: late whatever
    assert late.outcome == "met_late"


def test_closed_case_and_started_litigation_close_an_unanswered_reply_clock() -> None:
    assert _clock(_case(_rec("2024-03-20"), status="closed")).outcome == "closed"
    assert _state(_clock(_case(_rec(None), status="closed")), "2026-11-23") == "closed"
    suing = _case(_rec("2024-03-20"), procedure="admin_litigation", litigation_status="filed")
    assert _state(_clock(suing), "2024-06-30") == "closed"
    # a recorded reply wins over closing
    assert _clock(_case(_rec("2024-03-20", _reply("2024-06-10")), status="closed")).outcome == "met_late"


def test_rectification_clock_from_the_promised_date() -> None:
    base = _rec("2024-03-20", _reply("2024-04-15", promise="2024-07-31"))
    clock = _clock(_case(base), "rectification")
    assert (clock.start_on, clock.breach_after, clock.period) == (D("2024-04-15"), D("2024-07-31"), None)
    assert clock.deadline_official == clock.deadline_all_weekends == D("2024-07-31")  # a promised day: no shift
    assert [_state(clock, d) for d in ("2024-07-20", "2024-07-24", "2024-08-01", "2024-08-15")] == [
        "running",
        "due_soon",
        "breached",
        "escalated",
    ]
    on_time = _clock(
        _case(
            _rec("2024-03-20", _reply("2024-04-15", promise="2024-07-31", rectified=True, rectified_on="2024-07-30"))
        ),
        "rectification",
    )
    assert (on_time.outcome, on_time.resolved_on) == ("met", D("2024-07-30"))
    late = _clock(
        _case(
            _rec(
                "2024-03-20",
                _reply("2024-04-15", promise="2024-07-31"),
                _reply("2024-09-01", rectified=True, rectified_on="2024-08-20", seq=2),
            )
        ),
        "rectification",
    )
    assert (late.outcome, late.resolved_on) == ("met_late", D("2024-08-20"))
    undated = _clock(
        _case(_rec("2024-03-20", _reply("2024-04-15", promise="2024-07-31", rectified=True))), "rectification"
    )
    assert undated.resolved_on == D("2024-04-15")  # completion date not recorded: the reply's date


def test_each_promise_is_its_own_clock_and_a_timely_new_promise_replaces_the_old() -> None:
    clocks = [
        c
        for c in derive_case_clocks(
            _case(
                _rec(
                    "2024-03-20",
                    _reply("2024-04-15", promise="2024-07-31"),
                    _reply("2024-07-25", promise="2024-09-30", seq=2),
                )
            ),
            calendar=CAL,
        )
        if c.kind == "rectification"
    ]
    first, second = clocks
    assert (first.breach_after, first.outcome, first.resolved_on) == (D("2024-07-31"), "closed", D("2024-07-25"))
    assert (second.key, second.start_on, second.breach_after, second.outcome) == (
        "rectification:柯检行公建〔2024〕1号/2",
        D("2024-07-25"),
        D("2024-09-30"),
        None,
    )


def test_a_later_promise_never_erases_a_missed_one() -> None:
    facts = _case(
        _rec(
            "2024-03-20", _reply("2024-04-15", promise="2024-07-31"), _reply("2024-08-20", promise="2024-09-30", seq=2)
        )
    )
    first, second = [c for c in derive_case_clocks(facts, calendar=CAL) if c.kind == "rectification"]
    assert (first.outcome, first.resolved_on) == ("breached", D("2024-08-20"))
    assert _state(first, "2024-08-10") == "breached" and _state(first, "2025-01-01") == "breached"
    assert second.outcome is None and _state(second, "2024-09-01") == "running"


def test_follow_up_clock_six_months_after_rectification() -> None:
    facts = _case(
        _rec("2025-09-10", _reply("2025-10-10", promise="2026-02-28", rectified=True, rectified_on="2026-03-01"))
    )
    clock = _clock(facts, "follow_up")
    assert (clock.start_on, clock.period, clock.breach_after) == (D("2026-03-01"), "6m", D("2026-09-01"))
    assert _state(clock, "2026-08-17") == "running"
    assert _state(clock, "2026-08-18") == "due_soon"  # the follow-up ladder reminds 14 days before: due soon
    assert evaluate(clock, D("2026-08-18"), RESOLVED).level == 1
    assert _state(clock, "2026-09-02") == "breached"
    done = _case(
        *facts.recommendations,
        events=(EventFacts("follow_up_done", D("2026-08-20"), facts.recommendations[0].rec_number, 1),),
    )
    assert _clock(done, "follow_up").outcome == "met"
    rebound = _case(
        _rec(
            "2025-09-10",
            _reply("2025-10-10", promise="2026-02-28", rectified=True, rectified_on="2026-03-01", rebound=True),
        )
    )
    check, again = [c for c in derive_case_clocks(rebound, calendar=CAL) if c.kind == "follow_up"]
    assert check.outcome == "closed" and check.explanation["round"] == "check"
    # rebound opens a new follow-up investigation (from the rectification date: the finding's date is unknown)
    assert (again.key, again.explanation["round"], again.start_on, again.outcome) == (
        "follow_up:柯检行公建〔2024〕1号/2",
        "investigation",
        D("2026-03-01"),
        None,
    )


def test_follow_up_period_is_configurable() -> None:
    facts = _case(
        _rec("2025-09-10", _reply("2025-10-10", promise="2026-02-28", rectified=True, rectified_on="2026-03-01"))
    )
    clocks = derive_case_clocks(facts, config=DerivationConfig(Period.months(3)), calendar=CAL)
    follow = next(c for c in clocks if c.kind == "follow_up")
    assert follow.breach_after == D("2026-06-01") and follow.period == "3m"


def test_announcement_clock_needs_a_recorded_date() -> None:
    civil = _case(procedure="civil", litigation_status="announcement")
    assert derive_case_clocks(civil, calendar=CAL) == []  # the registry has no announcement date: no guess
    announced = _case(procedure="civil", events=(EventFacts("announcement", D("2026-06-01")),))
    clock = _clock(announced, "announcement")
    assert (clock.period, clock.breach_after) == ("30d", D("2026-07-01"))  # 法释〔2018〕6号 Art. 13
    assert [_state(clock, d) for d in ("2026-06-20", "2026-06-28", "2026-07-01", "2026-07-02")] == [
        "running",
        "due_soon",
        "due_soon",
        "met",
    ]


def test_same_facts_same_digest_and_a_correction_changes_it() -> None:
    a = _clock(_case(_rec("2024-08-01")))
    b = _clock(_case(_rec("2024-08-01")))
    corrected = _clock(_case(_rec("2024-08-05")))
    assert a.inputs_digest == b.inputs_digest != corrected.inputs_digest
    assert a.stored_fields() == b.stored_fields()


def test_explanation_cites_the_rule_and_both_readings() -> None:
    clock = _clock(_case(_rec("2024-08-12")))
    assert clock.explanation["citation"] == (
        "《最高人民法院 最高人民检察院关于检察公益诉讼案件适用法律若干问题的解释》（法释〔2018〕6号）第二十一条第二款"
    )
    assert [r["id"] for r in clock.explanation["rules_applied"]] == ["spc_spp_2018_art21_reply"]
    assert clock.explanation["differs"] is True
    assert any("2024-10-14" in line for line in clock.explanation["all_weekends"])
