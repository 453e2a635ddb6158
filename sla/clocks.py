"""Deadline clocks derived from recorded events — never counters updated in place.

Why derived: a corrected receipt date, a change of urgency or a late reply must give the same answer as if the
right data had been there from the start (STYLE.md, ServiceNow SLA: clocks rebuilt from history). So a clock is
a pure function of a case's recorded facts (:class:`CaseFacts`) and the calendar: :func:`derive_case_clocks`.
What it derives does not depend on the as-of date — start, both deadlines, ``breach_after``, and how and when
the recorded events stopped the clock (``outcome``/``resolved_on``). The state of a given day is then a
second, cheap function of those stored dates (:func:`base_state` here, the ladder part in
``sla.escalation.evaluate``), which ``sla.sweep`` also evaluates in SQL over a million rows.

Which rule binds depends on where and when (``sla.rules``, ``sla/data/rules.yaml``): the case's region code
and the recommendation's receipt date select the rules, and every clock's explanation names the rules applied
(``rules_applied``, ``citation``) — notices cite exactly those.

The clocks of a recommendation (DOMAIN.md, "A case's life"):

* ``reply`` — from the day of receipt (送达之日, not counted), the period of the rule in force there then: one
  month under the 2015 pilot measures (13 pilot provinces, 2015-07-01 … 2017-06-30); two months / 15 days when
  urgent under 法释〔2018〕6号 Art. 21 from 2018-03-02; none in between — the clock is then
  ``no_statutory_period``, never a breach. Stopped by the first reply that counts, judged with
  :func:`sla.periods.is_on_time` against ``breach_after`` (a reply posted in time is on time, 民事诉讼法
  Art. 85). Where a local rule adds a duty (Lincang, 5309xx, from 2020-08-30: an urgent reply carries supporting
  evidence), a reply without it is *incomplete* — recorded, flagged, but it does not stop the clock.
* ``rectification`` — one clock per promised rectification date; a later promise never erases a missed one.
* ``follow_up`` — rounds: a follow-up investigation (跟进调查) after a reply with partial or no rectification
  (running out = the agency is not performing), a 回头看 after full rectification, a new investigation after a
  rebound. An objective obstacle recorded by the procurator suspends an investigation (中止).
* ``lawsuit`` — the procuratorate's decision to sue an agency that still does not perform.
* ``announcement`` — for civil cases, the announcement period of the rule in force (法释〔2018〕6号 Art. 13:
  30 days), from the recorded announcement date.

A withdrawn recommendation ends its clocks ``withdrawn`` on the day; closing a case ends running clocks but keeps
a breach that already happened (outcome ``breached``).

A clock whose deadline falls in a year without an official calendar has a range: ``deadline_official`` is the
earliest date it can fall on (never a statutory holiday), ``breach_after`` the latest plausible one, and the flag
``calendar_missing``. Reminders count from the earliest date, a breach only after the latest; in between the
state is ``calendar_missing`` (``sla.escalation.evaluate``), and the sweep alerts the operator once the earliest
date has passed with the year still unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import digest
from hub.store.models import Case, Recommendation, SlaEvent
from sla.calendar import OfficialCalendar, default_calendar
from sla.periods import DualDeadline, Period, PeriodUnit, compute_both, compute_suspended, is_on_time
from sla.rules import RuleSet, shipped_rules

__all__ = [
    "EVENT_KINDS",
    "RULES_VERSION",
    "CaseFacts",
    "ClockDates",
    "ClockKind",
    "ClockState",
    "DerivationConfig",
    "DerivedClock",
    "EventFacts",
    "RecommendationFacts",
    "ReplyFacts",
    "base_state",
    "derive_case_clocks",
    "is_open",
    "load_case_facts",
    "record_event",
]

#: Bump when a derivation rule changes: every case is then re-derived by the next sweep.
RULES_VERSION = "2026-12-suspension-moves-off-rest-days-3"

#: Periods of this many days or fewer take the short reminder offsets (15-day urgent replies: 3 days).
SHORT_PERIOD_MAX_DAYS = 15

#: Between the end of the pilot and the interpretation no national text fixed a reply period (DOMAIN.md).
GAP_STARTS = dt.date(2017, 7, 1)
INTERPRETATION_STARTS = dt.date(2018, 3, 2)
CIVIL_PROCEDURES = ("civil", "criminal_incidental_civil")
# Litigation under way: the pre-litigation reply no longer decides anything (行政诉讼法 Art. 25(4)).
LITIGATION_STARTED = ("filed", "judged")


class ClockKind(StrEnum):
    REPLY = "reply"
    RECTIFICATION = "rectification"
    FOLLOW_UP = "follow_up"
    ANNOUNCEMENT = "announcement"
    LAWSUIT = "lawsuit"


class ClockState(StrEnum):
    """The states of a clock. ``escalated`` comes with a level; ``incomplete`` is a flag, not a state."""

    PENDING = "pending"  # not yet received (no start), or the start is after the as-of date
    RUNNING = "running"
    DUE_SOON = "due_soon"
    MET = "met"
    MET_LATE = "met_late"
    BREACHED = "breached"
    ESCALATED = "escalated"
    CLOSED = "closed"
    CALENDAR_MISSING = "calendar_missing"
    #: no rule fixed a period for this place on this date (e.g. 2017-07-01 … 2018-03-01): never a breach
    NO_STATUTORY_PERIOD = "no_statutory_period"
    WITHDRAWN = "withdrawn"  # the recommendation was withdrawn: nothing escalates after that date
    SUSPENDED = "suspended"  # 中止: an objective obstacle recorded by the procurator, not yet resumed


#: States in which a clock is stopped for good (``breached`` as an outcome: closed or superseded after a breach).
FINAL_STATES = (
    ClockState.MET,
    ClockState.MET_LATE,
    ClockState.CLOSED,
    ClockState.NO_STATUTORY_PERIOD,
    ClockState.WITHDRAWN,
)

KIND_LABELS = {
    "reply": "检察建议书面回复期限 / reply to the recommendation",
    "rectification": "承诺整改期限 / promised rectification",
    "follow_up": "跟进调查/“回头看”期限 / follow-up",
    "announcement": "民事公益诉讼公告期间 / civil announcement period",
    "lawsuit": "决定是否提起行政公益诉讼 / decision to sue",
}

EVENT_KINDS = ("announcement", "follow_up_done", "withdrawn", "obstacle", "resume", "closed", "lawsuit_decided")
#: Events that concern one recommendation and must name it.
REC_EVENT_KINDS = ("follow_up_done", "withdrawn", "obstacle", "resume", "lawsuit_decided")
RECTIFICATION_STATUSES = ("full", "partial", "none")


# ---------------------------------------------------------------------------------------------------------
# Facts: what was recorded. Everything a clock depends on, and nothing else (no personal data).


@dataclass(frozen=True)
class ReplyFacts:
    seq: int
    replied_on: dt.date
    posted_on: dt.date | None = None
    has_evidence: bool = False
    rectification_due: dt.date | None = None
    rectified: bool | None = None
    rectified_on: dt.date | None = None
    rebound: bool | None = None
    rectification_status: str | None = None  # full | partial | none; derived from ``rectified`` when absent

    @property
    def effective_on(self) -> dt.date:
        """The day the reply was made: posted date when known (time in the post is not counted)."""
        return self.posted_on if self.posted_on is not None else self.replied_on

    @property
    def status(self) -> str | None:
        """full / partial / none, or None when the reply says nothing about rectification."""
        if self.rectification_status is not None:
            return self.rectification_status
        if self.rectified is None:
            return None
        return "full" if self.rectified else "none"

    @property
    def done_on(self) -> dt.date:
        """When a full rectification was complete (the reply date when not recorded)."""
        return self.rectified_on or self.replied_on


@dataclass(frozen=True)
class EventFacts:
    kind: str
    occurred_on: dt.date
    rec_number: str | None = None
    seq: int = 0  # recording order: the latest event of a kind wins
    note: str | None = None  # institutional text (a rebound event names its clue and evidence records)


@dataclass(frozen=True)
class RecommendationFacts:
    rec_number: str
    issued_on: dt.date
    received_on: dt.date | None
    urgent: bool
    replies: tuple[ReplyFacts, ...] = ()
    pk: int | None = None
    withdrawn_on: dt.date | None = None  # registry ``withdrawn_on``


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    procedure: str
    status: str
    litigation_status: str | None = None
    recommendations: tuple[RecommendationFacts, ...] = ()
    events: tuple[EventFacts, ...] = ()
    pk: int | None = None
    region_code: str = ""  # GB/T 2260: selects the rules that bind the case
    closed_on: dt.date | None = None  # registry ``closed_on``

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def latest_event(self, kind: str, rec_number: str | None = None) -> EventFacts | None:
        matching = [e for e in self.events if e.kind == kind and e.rec_number == rec_number]
        return max(matching, key=lambda e: e.seq) if matching else None

    def events_of(self, rec_number: str, *kinds: str) -> list[EventFacts]:
        return sorted(
            (e for e in self.events if e.kind in kinds and e.rec_number == rec_number),
            key=lambda e: (e.occurred_on, e.seq),
        )

    @property
    def closing_date(self) -> dt.date | None:
        """When the case was closed: a recorded ``closed`` event (a correction) wins over the registry date."""
        event = self.latest_event("closed")
        return event.occurred_on if event is not None else self.closed_on

    def withdrawal_date(self, rec: RecommendationFacts) -> dt.date | None:
        event = self.latest_event("withdrawn", rec.rec_number)
        return event.occurred_on if event is not None else rec.withdrawn_on


@dataclass(frozen=True)
class DerivationConfig:
    """The configurable part of derivation (policy file and rules); part of every inputs digest."""

    follow_up_period: Period = field(default_factory=lambda: Period.months(6))
    rules: RuleSet = field(default_factory=shipped_rules)
    lawsuit_decision_period: Period = field(default_factory=lambda: Period.months(1))

    @property
    def digest(self) -> str:
        return digest(
            {
                "rules": RULES_VERSION,
                "follow_up": str(self.follow_up_period),
                "short": SHORT_PERIOD_MAX_DAYS,
                "law": self.rules.digest,
                "lawsuit": str(self.lawsuit_decision_period),
            }
        )


# ---------------------------------------------------------------------------------------------------------
# Derived clocks.


@dataclass(frozen=True)
class ClockDates:
    """The as-of-independent dates of a clock: all the state evaluation (Python or SQL) needs."""

    kind: str
    start_on: dt.date | None
    deadline_official: dt.date | None
    deadline_all_weekends: dt.date | None
    breach_after: dt.date | None
    #: met | met_late | closed | breached | withdrawn | suspended | no_statutory_period
    outcome: str | None = None
    resolved_on: dt.date | None = None
    short_period: bool = False
    #: a needed year's notice is unknown: deadline_official is the earliest date, breach_after the latest
    calendar_missing: bool = False


@dataclass(frozen=True)
class DerivedClock(ClockDates):
    key: str = ""
    rec_number: str | None = None
    period: str | None = None
    incomplete: bool = False
    explanation: dict[str, Any] = field(default_factory=dict)
    inputs_digest: str = ""

    @property
    def met_on(self) -> dt.date | None:
        return self.resolved_on if self.outcome in ("met", "met_late") else None

    def stored_fields(self) -> dict[str, Any]:
        """The column values of the ``clocks`` row (also the before/after of the audit entry)."""
        return {
            "kind": self.kind,
            "start_on": self.start_on,
            "period": self.period,
            "deadline_official": self.deadline_official,
            "deadline_all_weekends": self.deadline_all_weekends,
            "breach_after": self.breach_after,
            "outcome": self.outcome,
            "resolved_on": self.resolved_on,
            "met_on": self.met_on,
            "short_period": self.short_period,
            "incomplete": self.incomplete,
            "calendar_missing": self.calendar_missing,
        }


def base_state(clock: ClockDates, as_of: dt.date) -> ClockState | None:
    """The state where the ladder plays no part, or None while the clock runs.

    The order matters and is the same in SQL (``sla.sweep``): a recorded stop wins (from its day on: a clock
    withdrawn, closed, suspended or superseded on a day runs until then); no start (not yet received) or a start
    after the as-of date is ``pending``; no ``breach_after`` means the calendar of a needed year is missing.
    """
    if clock.outcome is not None and (clock.resolved_on is None or clock.resolved_on <= as_of):
        return ClockState(clock.outcome)
    if clock.start_on is None or clock.start_on > as_of:
        return ClockState.PENDING
    if clock.breach_after is None:  # not derivable (stored before dates were ranges)
        return ClockState.CALENDAR_MISSING
    return None


def is_open(clock: ClockDates, as_of: dt.date) -> bool:
    """Whether the clock runs on ``as_of`` (only open clocks are due-soon, breached or escalated)."""
    return base_state(clock, as_of) is None


def _deadline_lines(both: DualDeadline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "official": both.official.explain().splitlines(),
        "differs": both.differs,
    }
    if both.differs:
        out["all_weekends"] = both.all_weekends.explain().splitlines()
    return out


def _period_short(period: Period) -> bool:
    return period.unit is PeriodUnit.DAYS and period.count <= SHORT_PERIOD_MAX_DAYS


def _finish(clock: DerivedClock, inputs: Any, config: DerivationConfig) -> DerivedClock:
    return replace(clock, inputs_digest=digest({"inputs": inputs, "config": config.digest}))


def _open_on(clock: DerivedClock, day: dt.date) -> bool:
    """Whether the clock had not stopped before ``day`` (a stop on ``day`` itself counts as open that day)."""
    return clock.outcome is None or (clock.resolved_on is not None and clock.resolved_on > day)


def _end(
    case: CaseFacts,
    rec: RecommendationFacts | None,
    clock: DerivedClock,
    *,
    litigation_closes: bool = False,
) -> DerivedClock:
    """End a clock by withdrawal of its recommendation or by the case's closing, on their dates.

    * Withdrawn (registry ``withdrawn_on`` or a ``withdrawn`` event): the clock ends ``withdrawn`` on that day;
      what it was before stays (escalations due before the day stay recorded), nothing escalates after it.
    * Case closed on a known day: a clock still running ends ``closed`` that day — unless its deadline had
      already passed, in which case the breach that happened is kept (outcome ``breached``: final, no further
      escalation). Closing never erases a breach.
    * Case closed on an unknown day (imported closed, no date recorded): ``closed`` from the start, as nobody
      can say a breach happened before the closing — no one is accused on a guess.
    """
    explanation = dict(clock.explanation)
    withdrawn = case.withdrawal_date(rec) if rec is not None else None
    if withdrawn is not None and _open_on(clock, withdrawn):
        explanation["outcome"] = (
            f"检察建议已于 {withdrawn} 撤回，时钟终止，此后不再升级 / the recommendation was withdrawn on {withdrawn}: "
            "the clock ends, nothing escalates after that day"
        )
        return replace(clock, outcome="withdrawn", resolved_on=withdrawn, explanation=explanation)
    if case.closed:
        closed_on = case.closing_date
        if closed_on is None:
            if clock.outcome is None or clock.resolved_on is None:
                explanation["outcome"] = (
                    "案件已办结（办结日期未记录），时钟关闭；未认定办结前超期 / case closed on an unrecorded day: the clock "
                    "is closed and no breach before the closing is claimed"
                )
                return replace(clock, outcome="closed", resolved_on=None, explanation=explanation)
            return clock
        if _open_on(clock, closed_on):
            if clock.start_on is not None and clock.breach_after is not None and clock.breach_after < closed_on:
                explanation["outcome"] = (
                    f"案件于 {closed_on} 办结，此前已于 {clock.breach_after} 届满而未履行，超期事实保留 / case closed on "
                    f"{closed_on}, after the deadline of {clock.breach_after} had passed: the breach is kept"
                )
                return replace(clock, outcome="breached", resolved_on=closed_on, explanation=explanation)
            explanation["outcome"] = (
                f"案件于 {closed_on} 办结，时钟关闭 / case closed on {closed_on}: the clock is closed"
            )
            return replace(clock, outcome="closed", resolved_on=closed_on, explanation=explanation)
        return clock
    if litigation_closes and case.litigation_status in LITIGATION_STARTED and clock.outcome is None:
        explanation["outcome"] = (
            "已进入诉讼程序，诉前回复期限不再监督 / litigation started: the pre-litigation reply is no longer supervised"
        )
        return replace(clock, outcome="closed", explanation=explanation)
    return clock


def _suspensions(case: CaseFacts, rec: RecommendationFacts) -> list[tuple[dt.date, dt.date | None]]:
    """(obstacle, resumed) intervals recorded by the procurator for a recommendation, in order."""
    out: list[tuple[dt.date, dt.date | None]] = []
    for event in case.events_of(rec.rec_number, "obstacle", "resume"):
        if event.kind == "obstacle" and (not out or out[-1][1] is not None):
            out.append((event.occurred_on, None))
        elif event.kind == "resume" and out and out[-1][1] is None and event.occurred_on >= out[-1][0]:
            out[-1] = (out[-1][0], event.occurred_on)
    return out


def _apply_suspension(
    clock: DerivedClock,
    intervals: list[tuple[dt.date, dt.date | None]],
    stop_on: dt.date | None,
    cal: OfficialCalendar,
) -> tuple[DerivedClock, dt.date | None]:
    """中止: an objective obstacle suspends a running clock; resumption lets it run again for the rest of its
    period. Returns the clock with moved dates, and the day it stands suspended from if not resumed (and not
    stopped before). An obstacle recorded after the deadline does not undo a breach that already happened.
    ``stop_on``: when the agency's duty was met, if it was.

    The raw end of the period (a promised date: that date) moves by the days suspended, and the moved last day
    is counted like every other deadline: off a statutory rest day to the next working day, with a range while
    a year's notice is unknown (民法典 Art. 203; 民事诉讼法 Art. 85(3); :func:`sla.periods.compute_suspended`)."""
    if clock.start_on is None or clock.breach_after is None or clock.deadline_official is None:
        return clock, None
    raw_end = Period.parse(clock.period).raw_end(clock.start_on) if clock.period else clock.deadline_official
    notes: list[str] = []
    suspended_days = 0
    after = clock.breach_after
    moved = None
    suspended_from: dt.date | None = None
    for obstacle, resumed in intervals:
        if obstacle < clock.start_on or obstacle > after or (stop_on is not None and stop_on <= obstacle):
            continue
        if resumed is None:
            notes.append(f"{obstacle} 起因客观障碍中止 / suspended from {obstacle} (objective obstacle)")
            suspended_from = obstacle
            break
        days = (resumed - obstacle).days
        suspended_days += days
        moved = compute_suspended(raw_end, suspended_days, cal)
        after = moved.breach_after
        notes.append(
            f"{obstacle} 中止，{resumed} 恢复，期限顺延 {days} 日 / suspended {obstacle}, resumed "
            f"{resumed}: the deadline moves by {days} days"
        )
    if moved is None:
        if suspended_from is None:
            return clock, None
        return replace(clock, explanation={**clock.explanation, "suspension": notes}), suspended_from
    explanation = {**clock.explanation, "suspension": notes, "suspended_deadline": moved.explain()}
    if moved.calendar_missing:
        explanation["calendar_missing_years"] = list(moved.missing_years)
    else:  # moved out of an unknown year: the range no longer applies
        explanation.pop("calendar_missing_years", None)
    clock = replace(
        clock,
        deadline_official=moved.official,
        deadline_all_weekends=moved.all_weekends,
        breach_after=moved.breach_after,
        calendar_missing=moved.calendar_missing,
        explanation=explanation,
    )
    return clock, suspended_from


# --- reply ---------------------------------------------------------------------------------------------


def _no_period_reason(case: CaseFacts, on: dt.date) -> str:
    if GAP_STARTS <= on < INTERPRETATION_STARTS:
        return (
            f"{on}（送达日）处于2017年7月1日至2018年3月1日之间：试点已结束、法释〔2018〕6号尚未施行，没有全国统一规定的回复"
            "期限，不认定超期 / received between 2017-07-01 and 2018-03-01: no national text fixed a reply period — "
            "no breach is declared"
        )
    return (
        f"{on}（送达日）在本地区（{case.region_code or '未知'}）没有有效的回复期限规则（如非试点地区的试点期间），不认定"
        f"超期 / no reply-period rule bound region {case.region_code or '?'} on {on}: no breach is declared"
    )


def _reply_clock(
    case: CaseFacts, rec: RecommendationFacts, cal: OfficialCalendar, config: DerivationConfig
) -> DerivedClock:
    rules = config.rules
    on = rec.received_on or rec.issued_on  # the receipt date selects the rules; the issue date until received
    period_rule = rules.select("reply_period", case.region_code, on)
    urgent_rule = rules.select("urgent_reply_period", case.region_code, on) if rec.urgent else None
    evidence_rule = rules.select("urgent_reply_evidence", case.region_code, on) if rec.urgent else None
    applied = urgent_rule or period_rule
    inputs = {
        "case": [case.status, case.litigation_status, case.region_code, case.closing_date],
        "rec": [rec.issued_on, rec.received_on, rec.urgent, case.withdrawal_date(rec)],
        "replies": [[r.seq, r.replied_on, r.posted_on, r.has_evidence] for r in rec.replies],
        "rules": [r.id for r in (applied, evidence_rule) if r is not None],
    }
    applied_rules = [r.as_explanation() for r in (applied, evidence_rule) if r is not None]
    explanation: dict[str, Any] = {
        "rules_applied": applied_rules,
        "citation": "；".join(r["citation"] for r in applied_rules),
        "selected_on": on.isoformat(),
        "selected_by": "送达日期 / receipt date"
        if rec.received_on
        else "制发日期（尚未送达，暂定）/ issue date (not yet received: provisional)",
    }
    if applied is None:
        reason = _no_period_reason(case, on)
        explanation.update(
            rule=reason,
            outcome=reason,
            replies=[{"seq": r.seq, "replied_on": r.replied_on, "posted_on": r.posted_on} for r in rec.replies],
        )
        clock = DerivedClock(
            kind="reply",
            key=f"reply:{rec.rec_number}",
            rec_number=rec.rec_number,
            period=None,
            start_on=rec.received_on,
            deadline_official=None,
            deadline_all_weekends=None,
            breach_after=None,
            outcome="no_statutory_period",
            explanation=explanation,
        )
        return _finish(_end(case, rec, clock, litigation_closes=True), inputs, config)
    period = applied.period_value
    assert period is not None
    rule_text = f"{applied.citation()}：{applied.source.text or ''} / {applied.kind} {period}"
    if rec.urgent and urgent_rule is None:
        rule_text += "（该规则无紧急情形的较短期限 / that rule has no shorter urgent period）"
    if evidence_rule is not None:
        rule_text += f"；{evidence_rule.citation()}：{evidence_rule.source.text or ''}"
    explanation.update(rule=rule_text, period=str(period))
    needs_evidence = evidence_rule is not None
    base = DerivedClock(
        kind="reply",
        key=f"reply:{rec.rec_number}",
        rec_number=rec.rec_number,
        period=str(period),
        start_on=None,
        deadline_official=None,
        deadline_all_weekends=None,
        breach_after=None,
        short_period=_period_short(period),
    )
    if rec.received_on is None:
        explanation["start"] = "尚未送达（无送达日期），时钟未开始 / not yet received: the clock has not started"
        return _finish(_end(case, rec, replace(base, explanation=explanation), litigation_closes=True), inputs, config)

    both = compute_both(rec.received_on, period, cal)
    explanation.update(_deadline_lines(both))
    calendar_missing = both.calendar_missing
    # with a year's notice unknown, breach_after is the latest plausible date: a breach only after it
    breach_after = both.breach_after
    if calendar_missing:
        explanation["calendar_missing_years"] = list(both.missing_years)
        explanation["deadline_range"] = [both.official.date, both.breach_after]
    clock = replace(
        base,
        start_on=rec.received_on,
        deadline_official=both.official.date,
        deadline_all_weekends=both.all_weekends.date,
        breach_after=breach_after,
        calendar_missing=calendar_missing,
    )
    judged_against = both.breach_after  # the latest plausible date when the calendar is missing
    replies_note: list[dict[str, Any]] = []
    counted: ReplyFacts | None = None
    incomplete = False
    for reply in sorted(rec.replies, key=lambda r: (r.effective_on, r.seq)):
        note: dict[str, Any] = {
            "seq": reply.seq,
            "replied_on": reply.replied_on,
            "posted_on": reply.posted_on,
            "has_evidence": reply.has_evidence,
            "rectification_status": reply.status,
        }
        if counted is not None:
            note["counted"] = False
            note["why"] = "已有在先回复 / an earlier reply already stopped the clock"
        elif needs_evidence and not reply.has_evidence:
            assert evidence_rule is not None
            incomplete = True
            note["counted"] = False
            note["why"] = (
                f"依照{evidence_rule.citation()}（仅适用于{evidence_rule.jurisdiction_name}），紧急情形的回复须附相关"
                "证明材料，本回复未附，视为不完整，不停止计时 / under this local rule an urgent reply must come with "
                "supporting evidence: incomplete, the clock keeps running"
            )
        else:
            counted = reply
            note["counted"] = True
        replies_note.append(note)
    explanation["replies"] = replies_note
    if counted is not None:
        on_time = is_on_time(judged_against, counted.replied_on, counted.posted_on)
        when = counted.effective_on
        if calendar_missing and on_time and not is_on_time(both.official.date, counted.replied_on, counted.posted_on):
            explanation["outcome"] = (
                f"回复日 {when} 在届满日可能范围 {both.official.date} 至 {both.breach_after} 之内，待国务院通知录入后"
                f"判定 / reply of {when} falls inside the possible range of the deadline: judged once the year's "
                "notice is loaded"
            )
            return _finish(
                _end(case, rec, replace(clock, explanation=explanation), litigation_closes=True), inputs, config
            )
        outcome = "met" if on_time else "met_late"
        how = "邮寄日 / posted" if counted.posted_on is not None else "收到日 / received"
        explanation["outcome"] = (
            f"{'按期' if on_time else '逾期'}回复（{how} {when}；以较晚届满日 {judged_against} 判断，邮寄在途时间不计，"
            f"民事诉讼法第85条）/ {'on time' if on_time else 'late'} ({how} {when}, against {judged_against})"
        )
        if on_time and both.differs and when > both.official.date:
            explanation["note"] = (
                "按官方口径已逾期，按“全部周末休息”口径按期，不认定超期 / late under the official reading, on time "
                "under all-weekends: not a breach"
            )
        done = replace(clock, outcome=outcome, resolved_on=when, explanation=explanation)
        return _finish(_end(case, rec, done, litigation_closes=True), inputs, config)
    explanation["incomplete"] = incomplete
    return _finish(
        _end(case, rec, replace(clock, incomplete=incomplete, explanation=explanation), litigation_closes=True),
        inputs,
        config,
    )


# --- rectification promises ----------------------------------------------------------------------------


#: Separates a clock's ordinal from the recommendation number: "/" cannot occur in a registry id (ID_PATTERN), so
#: ``rectification:<rec>/2`` never collides with another recommendation's key.
ORDINAL_SEPARATOR = "/"


def _promise_key(rec: RecommendationFacts, ordinal: int) -> str:
    return (
        f"rectification:{rec.rec_number}"
        if ordinal == 1
        else f"rectification:{rec.rec_number}{ORDINAL_SEPARATOR}{ordinal}"
    )


def _rectification_clocks(
    case: CaseFacts, rec: RecommendationFacts, cal: OfficialCalendar, config: DerivationConfig
) -> list[DerivedClock]:
    """One clock per promised rectification date (each promise is its own clock).

    A later promise made before an earlier one's date replaces it (``closed`` on the day of the new promise);
    made after that date, it does not erase the missed one: the earlier clock ends ``breached`` on the day of
    the new promise (the breach stays, the new promise's clock takes over). Full rectification stops the open
    promise (met / met_late); an objective obstacle suspends it (中止).
    """
    replies = sorted(rec.replies, key=lambda r: (r.effective_on, r.seq))
    promising = [r for r in replies if r.rectification_due is not None]
    if not promising:
        return []
    full = next((r for r in replies if r.status == "full"), None)
    intervals = _suspensions(case, rec)
    out: list[DerivedClock] = []
    for ordinal, promise in enumerate(promising, start=1):
        due = promise.rectification_due
        assert due is not None
        later = promising[ordinal] if ordinal < len(promising) else None
        inputs = {
            "case": [case.status, case.closing_date],
            "promise": [promise.seq, promise.replied_on, promise.posted_on, due],
            "later": [later.seq, later.effective_on] if later else None,
            "full": [full.seq, full.done_on] if full else None,
            "withdrawn": case.withdrawal_date(rec),
            "suspensions": intervals,
        }
        explanation: dict[str, Any] = {
            "rule": "被建议机关书面回复中承诺的整改完成日期（难以按期整改的须提出整改方案并书面说明）/ the rectification "
            "date promised in the agency's reply",
            "promise": {"reply_seq": promise.seq, "replied_on": promise.replied_on, "due": due, "ordinal": ordinal},
            "note": "承诺日期为机关自定的期日，不适用休息日顺延；每次承诺各为一个时钟 / a promised date is a day the agency "
            "chose (not moved off rest days); each promise is its own clock",
        }
        clock = DerivedClock(
            kind="rectification",
            key=_promise_key(rec, ordinal),
            rec_number=rec.rec_number,
            period=None,
            start_on=promise.effective_on,
            deadline_official=due,
            deadline_all_weekends=due,
            breach_after=due,
            short_period=(due - promise.effective_on).days <= SHORT_PERIOD_MAX_DAYS,
            explanation=explanation,
        )
        done_on = full.done_on if full is not None else None
        clock, suspended = _apply_suspension(clock, intervals, done_on, cal)
        assert clock.breach_after is not None
        if later is not None and (done_on is None or done_on > later.effective_on):
            new_on = later.effective_on
            if new_on > clock.breach_after:
                clock = replace(
                    clock,
                    outcome="breached",
                    resolved_on=new_on,
                    explanation={
                        **clock.explanation,
                        "outcome": f"承诺日期 {clock.breach_after} 已过而未完成整改；{new_on} 的新承诺不"
                        f"消除此前的逾期 / the promised date {clock.breach_after} was missed; the new promise of {new_on} "
                        "does not erase it",
                    },
                )
            else:
                clock = replace(
                    clock,
                    outcome="closed",
                    resolved_on=new_on,
                    explanation={
                        **clock.explanation,
                        "outcome": f"于 {new_on} 在期限届满前重新承诺，由新承诺接续 / replaced on "
                        f"{new_on}, before its date, by a new promise",
                    },
                )
        elif done_on is not None and (suspended is None or done_on >= suspended):
            outcome = "met" if done_on <= clock.breach_after else "met_late"
            clock = replace(
                clock,
                outcome=outcome,
                resolved_on=max(done_on, clock.start_on or done_on),
                explanation={**clock.explanation, "outcome": f"整改完成于 {done_on} / rectified on {done_on}"},
            )
        elif suspended is not None:
            clock = replace(clock, outcome="suspended", resolved_on=suspended)
        out.append(_finish(_end(case, rec, clock), inputs, config))
    return out


# --- follow-up: investigation after an incomplete rectification, and 回头看 after a full one --------------


def _follow_up_key(rec: RecommendationFacts, ordinal: int) -> str:
    return f"follow_up:{rec.rec_number}" if ordinal == 1 else f"follow_up:{rec.rec_number}{ORDINAL_SEPARATOR}{ordinal}"


#: Sequence numbers of rebound reports read from events: after every reply of the registry.
REBOUND_REPORT_SEQ = 1_000_000


def _rebound_reports(case: CaseFacts, rec: RecommendationFacts) -> list[ReplyFacts]:
    """Look-back evidence of rebound (反弹回潮) recorded as a ``rebound`` event on the recommendation — by a
    supervision model that found a new penalty, exceedance or enforcement case against the party after the
    rectification (the clue and its evidence records are named in the event's note) — read, for the follow-up
    rounds only, like a reply reporting rebound on that day: the look-back round ends and a new follow-up
    investigation runs from it. The reply clock never sees it (it is not the agency's reply)."""
    return [
        ReplyFacts(seq=REBOUND_REPORT_SEQ + e.seq, replied_on=e.occurred_on, rebound=True)
        for e in case.events_of(rec.rec_number, "rebound")
    ]


def _follow_up_clocks(
    case: CaseFacts, rec: RecommendationFacts, cal: OfficialCalendar, config: DerivationConfig
) -> tuple[list[DerivedClock], list[tuple[dt.date, str, dt.date | None]]]:
    """Follow-up rounds of a recommendation, and the days its agency was found not performing.

    * A reply with **partial or no rectification** (人民检察院公益诉讼办案规则: a timely reply with no or only partial
      rectification is not performing) opens a follow-up investigation (跟进调查): due on the date the reply
      promised, else after the policy's ``follow_up_period``. Full rectification by then ends it ``met``; when
      it runs out the agency counts as **not performing** (the round is breached, and the decision-to-sue clock
      starts). An objective obstacle recorded by the procurator suspends it; resumption lets it run again.
    * **Full rectification** opens a 回头看 round (the procurators check for fake rectification), ended by a
      ``follow_up_done`` event; a reply reporting **rebound** (``rebound: true``) ends it and opens a new
      investigation round — and so does rebound found by a supervision model (a ``rebound`` event, below).
    """
    rules = config.rules
    replies = sorted([*rec.replies, *_rebound_reports(case, rec)], key=lambda r: (r.effective_on, r.seq))
    rebound_notes = {REBOUND_REPORT_SEQ + e.seq: e.note for e in case.events_of(rec.rec_number, "rebound") if e.note}
    intervals = _suspensions(case, rec)
    done_events = case.events_of(rec.rec_number, "follow_up_done")
    rounds: list[DerivedClock] = []
    not_performing: list[tuple[dt.date, str, dt.date | None]] = []
    period = config.follow_up_period

    def investigation(reply: ReplyFacts, why: str, use_promise: bool = True) -> tuple[DerivedClock, Any]:
        start = reply.effective_on
        rule = rules.select("follow_up_investigation", case.region_code, start)
        np_rule = rules.select("not_performing", case.region_code, start)
        if use_promise and reply.rectification_due is not None and reply.rectification_due > start:
            due, dl, dw, ba, miss = (
                reply.rectification_due,
                reply.rectification_due,
                reply.rectification_due,
                reply.rectification_due,
                False,
            )
            how = f"回复承诺的整改日期 {due} / the date the reply promised"
            lines: dict[str, Any] = {}
        else:
            both = compute_both(start, period, cal)
            dl, dw, miss = both.official.date, both.all_weekends.date, both.calendar_missing
            ba = both.breach_after  # the latest plausible date while a year's notice is unknown
            how = f"策略 follow_up_period（{period}）/ the policy's follow-up period"
            lines = _deadline_lines(both)
        applied = [r.as_explanation() for r in (rule, np_rule) if r is not None]
        explanation = {
            "round": "investigation",
            "rule": f"{why}；跟进调查至{how} / follow-up investigation until {how}",
            "rules_applied": applied,
            "citation": "；".join(r["citation"] for r in applied) or "《人民检察院公益诉讼办案规则》",
            "opened_by_reply": reply.seq,
            **lines,
        }
        clock = DerivedClock(
            kind="follow_up",
            key="",
            rec_number=rec.rec_number,
            period=None if lines == {} else str(period),
            start_on=start,
            deadline_official=dl,
            deadline_all_weekends=dw,
            breach_after=ba,
            calendar_missing=miss,
            short_period=False,
            explanation=explanation,
        )
        return clock, [reply.seq, start, reply.rectification_due, str(period)]

    open_inv: tuple[DerivedClock, Any] | None = None
    open_check: tuple[DerivedClock, Any] | None = None

    def close(
        item: tuple[DerivedClock, Any], outcome: str | None, on: dt.date | None, note: str, stop_on: dt.date | None
    ) -> None:
        clock, inputs = item
        clock, suspended = (
            _apply_suspension(clock, intervals, stop_on, cal)
            if clock.explanation.get("round") == "investigation"
            else (clock, None)
        )
        if outcome is not None and (suspended is None or (on is not None and on >= suspended)):
            if outcome in ("met", "met_late") and clock.breach_after is not None and on is not None:
                outcome = "met" if on <= clock.breach_after else "met_late"
            clock = replace(clock, outcome=outcome, resolved_on=on, explanation={**clock.explanation, "outcome": note})
        elif suspended is not None:
            clock = replace(clock, outcome="suspended", resolved_on=suspended)
        key = _follow_up_key(rec, len(rounds) + 1)
        clock = _end(case, rec, replace(clock, key=key))
        if (
            clock.explanation.get("round") == "investigation"
            and clock.breach_after is not None
            and (
                clock.outcome is None
                or (
                    clock.outcome != "suspended"
                    and clock.resolved_on is not None
                    and clock.resolved_on > clock.breach_after
                )
            )
        ):
            ended = clock.resolved_on if clock.outcome in ("met", "met_late") else None
            not_performing.append((clock.breach_after, key, ended))
            clock = replace(
                clock,
                explanation={
                    **clock.explanation,
                    "not_performing_after": clock.breach_after,
                    "not_performing": "期满仍未完全整改，认定为不依法履行职责 / rectification "
                    "not complete when it ran out: the agency is not performing its duty",
                },
            )
        rounds.append(
            _finish(
                clock,
                {
                    "round": inputs,
                    "events": [[e.occurred_on, e.seq] for e in done_events],
                    "suspensions": intervals,
                    "closed": case.closing_date,
                    "withdrawn": case.withdrawal_date(rec),
                    "status": case.status,
                },
                config,
            )
        )

    for reply in replies:
        status = reply.status
        if status in ("partial", "none") and open_inv is None and open_check is None:
            label = "部分整改" if status == "partial" else "未整改"
            open_inv = investigation(reply, f"回复为{label}（{status}）/ the reply reports {status} rectification")
        elif status == "full":
            if open_inv is not None:
                close(
                    open_inv,
                    "met",
                    reply.done_on,
                    f"整改完成于 {reply.done_on} / rectification complete on {reply.done_on}",
                    reply.done_on,
                )
                open_inv = None
            if open_check is None:
                start = reply.done_on
                both = compute_both(start, period, cal)
                explanation = {
                    "round": "check",
                    "rule": "整改完成后“回头看”，防止虚假整改、反弹回潮；期间由策略 follow_up_period 配置"
                    f"（{period}）/ follow-up after rectification, period from the policy",
                    **_deadline_lines(both),
                }
                clock = DerivedClock(
                    kind="follow_up",
                    key="",
                    rec_number=rec.rec_number,
                    period=str(period),
                    start_on=start,
                    deadline_official=both.official.date,
                    deadline_all_weekends=both.all_weekends.date,
                    breach_after=both.breach_after,
                    calendar_missing=both.calendar_missing,
                    short_period=_period_short(period),
                    explanation=explanation,
                )
                open_check = (clock, [reply.seq, start, str(period)])
        if reply.rebound and open_check is not None:
            check_start = open_check[0].start_on or reply.effective_on
            if reply.effective_on > check_start:
                close(
                    open_check,
                    "met",
                    reply.effective_on,
                    f"回头看发现反弹回潮（{reply.effective_on}），转入跟进调查 / "
                    f"rebound found on {reply.effective_on}: a new follow-up investigation opens",
                    None,
                )
                found_on = reply.effective_on
            else:  # reported on the reply that reported the rectification: the finding's own date is unknown
                close(
                    open_check,
                    "closed",
                    None,
                    "回头看结果（反弹回潮）已记录但未记日期，时钟关闭，自整改完成日起重新跟进调查 "
                    "/ rebound recorded without a date: closed; a new investigation runs from the rectification "
                    "date",
                    None,
                )
                found_on = check_start
            open_check = None
            if open_inv is None:
                evidence = rebound_notes.get(reply.seq)  # a supervision model's clue and its evidence records
                open_inv = investigation(
                    replace(reply, replied_on=found_on, posted_on=None),
                    "整改后反弹回潮 / rebound after rectification" + (f"（{evidence}）" if evidence else ""),
                    use_promise=False,
                )
    if open_inv is not None:
        close(open_inv, None, None, "", None)
    if open_check is not None:
        clock, _inputs = open_check
        done = next((e for e in reversed(done_events) if clock.start_on and e.occurred_on >= clock.start_on), None)
        rebound_flag = next((r.rebound for r in reversed(replies) if r.rebound is not None), None)
        judged = (
            done is not None
            and clock.breach_after is not None
            and (
                not clock.calendar_missing
                or done.occurred_on <= (clock.deadline_official or done.occurred_on)
                or done.occurred_on > clock.breach_after
            )
        )  # inside an unknown year's range: judged once it is known
        if judged and done is not None:
            close(
                open_check,
                "met",
                done.occurred_on,
                f"回头看完成于 {done.occurred_on} / follow-up done on {done.occurred_on}",
                None,
            )
        elif rebound_flag is False:
            close(
                open_check,
                "closed",
                None,
                "回头看结果已记录（未反弹），日期未记录，时钟关闭 / follow-up result recorded "
                "(no rebound) without a date: closed",
                None,
            )
        else:
            close(open_check, None, None, "", None)
    return rounds, not_performing


# --- the decision to sue ----------------------------------------------------------------------------


def _lawsuit_clocks(
    case: CaseFacts,
    rec: RecommendationFacts,
    reply: DerivedClock,
    not_performing: list[tuple[dt.date, str, dt.date | None]],
    cal: OfficialCalendar,
    config: DerivationConfig,
) -> list[DerivedClock]:
    """The procuratorate's decision to sue (行政诉讼法 Art. 25(4)) once the agency is found not performing.

    Not performing: no counted reply by the reply deadline (a later reply ends this clock: the follow-up takes
    over), or a follow-up investigation that ran out without full rectification. The period is the policy's
    ``lawsuit_decision_period`` — an internal supervision deadline, no statute fixes one. Ended by a
    ``lawsuit_decided`` event, or by litigation being filed.
    """
    starts: list[tuple[dt.date, str, dt.date | None]] = []
    after = reply.breach_after
    if after is not None:
        if reply.outcome is None:
            starts.append((after, reply.key, None))
        elif reply.outcome == "met_late":
            starts.append((after, reply.key, reply.resolved_on))
        elif reply.outcome in ("closed", "withdrawn", "breached") and reply.resolved_on and reply.resolved_on > after:
            starts.append((after, reply.key, None))
    starts.extend(not_performing)
    if not starts or rec.received_on is None:
        return []
    rule = config.rules.select("lawsuit", case.region_code, starts[0][0])
    period = config.lawsuit_decision_period
    decided = case.events_of(rec.rec_number, "lawsuit_decided")
    out: list[DerivedClock] = []
    for ordinal, (start, source_key, ended_by_reply) in enumerate(sorted(starts), start=1):
        both = compute_both(start, period, cal)
        explanation: dict[str, Any] = {
            "rule": f"行政机关仍不依法履行职责的，检察院依法提起行政公益诉讼；决定期限为策略 lawsuit_decision_period（{period}），"
            "属内部监督期限 / the procuratorate sues an agency that still does not perform; the period is the "
            "policy's internal deadline",
            "rules_applied": [rule.as_explanation()] if rule else [],
            "citation": rule.citation() if rule else "",
            "follows": source_key,
            **_deadline_lines(both),
        }
        clock = DerivedClock(
            kind="lawsuit",
            key=f"lawsuit:{rec.rec_number}" + ("" if ordinal == 1 else f"{ORDINAL_SEPARATOR}{ordinal}"),
            rec_number=rec.rec_number,
            period=str(period),
            start_on=start,
            deadline_official=both.official.date,
            deadline_all_weekends=both.all_weekends.date,
            breach_after=both.breach_after,
            calendar_missing=both.calendar_missing,
            short_period=False,
            explanation=explanation,
        )
        decision = next((e for e in decided if e.occurred_on >= start), None)
        if decision is not None and clock.breach_after is not None:
            outcome = "met" if decision.occurred_on <= clock.breach_after else "met_late"
            clock = replace(
                clock,
                outcome=outcome,
                resolved_on=decision.occurred_on,
                explanation={
                    **explanation,
                    "outcome": f"已于 {decision.occurred_on} 作出是否起诉的决定 / decided on {decision.occurred_on}",
                },
            )
        elif ended_by_reply is not None:
            clock = replace(
                clock,
                outcome="closed",
                resolved_on=ended_by_reply,
                explanation={
                    **explanation,
                    "outcome": f"机关于 {ended_by_reply} 逾期回复，转入跟进调查 / the agency replied late on "
                    f"{ended_by_reply}: the follow-up takes over",
                },
            )
        elif case.litigation_status in LITIGATION_STARTED:
            clock = replace(
                clock,
                outcome="met",
                explanation={
                    **explanation,
                    "outcome": "已提起诉讼（日期未记录）/ litigation filed (date not recorded)",
                },
            )
        inputs = {
            "start": [start, source_key, ended_by_reply],
            "decided": [[e.occurred_on, e.seq] for e in decided],
            "lit": case.litigation_status,
            "closed": case.closing_date,
            "status": case.status,
            "withdrawn": case.withdrawal_date(rec),
        }
        out.append(_finish(_end(case, rec, clock), inputs, config))
    return out


def _announcement_clock(case: CaseFacts, cal: OfficialCalendar, config: DerivationConfig) -> DerivedClock | None:
    if case.procedure not in CIVIL_PROCEDURES:
        return None
    event = case.latest_event("announcement")
    if event is None:
        return None
    rule = config.rules.select("announcement_period", case.region_code, event.occurred_on)
    inputs = {
        "case": [case.status, case.procedure, case.closing_date, case.region_code],
        "announced": event.occurred_on,
        "rule": rule.id if rule else None,
    }
    if rule is None:
        reason = (
            f"公告日 {event.occurred_on} 没有适用的公告期间规则，不计算期间 / no announcement-period rule bound "
            f"{case.region_code or '?'} on {event.occurred_on}"
        )
        clock = DerivedClock(
            kind="announcement",
            key=f"announcement:{case.case_id}",
            start_on=event.occurred_on,
            deadline_official=None,
            deadline_all_weekends=None,
            breach_after=None,
            outcome="no_statutory_period",
            explanation={"rule": reason, "outcome": reason},
        )
        return _finish(clock, inputs, config)
    period = rule.period_value
    assert period is not None
    both = compute_both(event.occurred_on, period, cal)
    explanation: dict[str, Any] = {
        "rule": f"{rule.citation()}：{rule.source.text or ''}；期满后法律规定的机关和有关组织不提起诉讼的，检察院可以提起 "
        "/ a 30-day announcement, after which the procuratorate may sue",
        "rules_applied": [rule.as_explanation()],
        "citation": rule.citation(),
        "period": str(period),
        **_deadline_lines(both),
    }
    clock = DerivedClock(
        kind="announcement",
        key=f"announcement:{case.case_id}",
        period=str(period),
        start_on=event.occurred_on,
        deadline_official=both.official.date,
        deadline_all_weekends=both.all_weekends.date,
        breach_after=both.breach_after,
        calendar_missing=both.calendar_missing,
        short_period=False,
        explanation=explanation,
    )
    # with a year's notice unknown, breach_after is the latest plausible date: the procuratorate may sue only after it
    ended = both.breach_after + dt.timedelta(days=1)
    explanation["outcome"] = (
        f"公告期间于 {both.breach_after} 届满 / the announcement period ends on {both.breach_after}"
    )
    clock = replace(clock, outcome="met", resolved_on=ended, explanation=explanation)
    return _finish(_end(case, None, clock), inputs, config)


def derive_case_clocks(
    case: CaseFacts, *, config: DerivationConfig | None = None, calendar: OfficialCalendar | None = None
) -> list[DerivedClock]:
    """Every clock of a case, derived from its recorded facts alone (pure; no database, no today)."""
    config = config or DerivationConfig()
    cal = calendar if calendar is not None else default_calendar()
    clocks: list[DerivedClock] = []
    for rec in case.recommendations:
        reply = _reply_clock(case, rec, cal, config)
        clocks.append(reply)
        clocks.extend(_rectification_clocks(case, rec, cal, config))
        follow_ups, not_performing = _follow_up_clocks(case, rec, cal, config)
        clocks.extend(follow_ups)
        clocks.extend(_lawsuit_clocks(case, rec, reply, not_performing, cal, config))
    announcement = _announcement_clock(case, cal, config)
    if announcement is not None:
        clocks.append(announcement)
    return clocks


# ---------------------------------------------------------------------------------------------------------
# Facts from the store, and recording events.


def load_case_facts(session: Session, case_pks: Sequence[int]) -> dict[int, CaseFacts]:
    """The facts of the given cases (recommendations, replies, events) in a few set-based queries."""
    if not case_pks:
        return {}
    cases = session.execute(
        select(
            Case.id, Case.case_id, Case.procedure, Case.status, Case.litigation_status, Case.region_code, Case.closed_on
        ).where(Case.id.in_(case_pks))
    ).all()
    recs = (
        session.execute(select(Recommendation).where(Recommendation.case_pk.in_(case_pks)).order_by(Recommendation.id))
        .scalars()
        .all()
    )
    events = session.execute(
        select(
            SlaEvent.case_pk, SlaEvent.kind, SlaEvent.occurred_on, SlaEvent.id, Recommendation.rec_number, SlaEvent.note
        )
        .outerjoin(Recommendation, Recommendation.id == SlaEvent.recommendation_pk)
        .where(SlaEvent.case_pk.in_(case_pks))
    ).all()
    recs_by_case: dict[int, list[RecommendationFacts]] = {}
    for rec in recs:
        replies = tuple(
            ReplyFacts(
                seq=r.seq,
                replied_on=r.replied_on,
                posted_on=r.posted_on,
                has_evidence=bool(r.has_evidence),
                rectification_due=r.rectification_due,
                rectified=r.rectified,
                rectified_on=r.rectified_on,
                rebound=r.rebound,
                rectification_status=r.rectification_status,
            )
            for r in rec.replies
        )
        recs_by_case.setdefault(rec.case_pk, []).append(
            RecommendationFacts(
                rec_number=rec.rec_number,
                issued_on=rec.issued_on,
                received_on=rec.received_on,
                urgent=bool(rec.urgent),
                replies=replies,
                pk=rec.id,
                withdrawn_on=rec.withdrawn_on,
            )
        )
    events_by_case: dict[int, list[EventFacts]] = {}
    for case_pk, kind, occurred_on, event_id, rec_number, note in events:
        events_by_case.setdefault(case_pk, []).append(EventFacts(kind, occurred_on, rec_number, event_id, note))
    return {
        pk: CaseFacts(
            case_id=case_id,
            procedure=procedure,
            status=status,
            litigation_status=litigation_status,
            recommendations=tuple(recs_by_case.get(pk, ())),
            events=tuple(events_by_case.get(pk, ())),
            pk=pk,
            region_code=region_code or "",
            closed_on=closed_on,
        )
        for pk, case_id, procedure, status, litigation_status, region_code, closed_on in cases
    }


class EventError(ValueError):
    """An event that cannot be recorded (unknown case, kind or recommendation)."""


def record_event(
    session: Session,
    *,
    case_id: str,
    kind: str,
    occurred_on: dt.date,
    actor: str,
    rec_number: str | None = None,
    note: str | None = None,
) -> SlaEvent:
    """Record a dated event the registry lacks, with an audit entry.

    Kinds: ``announcement`` (civil announcement date), ``follow_up_done`` (回头看 done), ``withdrawn`` (the
    recommendation was withdrawn), ``obstacle`` / ``resume`` (an objective obstacle suspends the follow-up, 中止, and
    its end lets it run again), ``closed`` (the day the case was closed), ``lawsuit_decided`` (the procuratorate
    decided whether to sue).

    The next sweep re-derives the case's clocks (the event's ``recorded_at`` is after the case's watermark).
    """
    if kind not in EVENT_KINDS:
        raise EventError(f"未知事件类型 {kind!r} / unknown event kind; expected one of {EVENT_KINDS}")
    case = session.execute(select(Case).where(Case.case_id == case_id)).scalar_one_or_none()
    if case is None:
        raise EventError(f"案件不存在 / no such case: {case_id}")
    rec_pk = None
    if rec_number is not None:
        rec = session.execute(
            select(Recommendation).where(Recommendation.rec_number == rec_number, Recommendation.case_pk == case.id)
        ).scalar_one_or_none()
        if rec is None:
            raise EventError(f"本案无此检察建议 / no recommendation {rec_number} in case {case_id}")
        rec_pk = rec.id
    elif kind in REC_EVENT_KINDS:
        raise EventError(f"事件 {kind} 须用 --rec 指明检察建议编号 / {kind} needs the recommendation number (--rec)")
    if note:  # institutional text: a person of the case named in it (or an ID or phone number) is masked
        from hub.free_text import mask_text
        from hub.personal_data import decrypt

        persons = [decrypt(p.name_enc, "parties.name") or "" for p in case.parties if p.kind == "person"]
        note = mask_text(note, [p for p in persons if p])
    event = SlaEvent(
        case_pk=case.id,
        recommendation_pk=rec_pk,
        kind=kind,
        occurred_on=occurred_on,
        note=note,
        recorded_by=actor,
        recorded_at=dt.datetime.now(dt.UTC),
    )
    session.add(event)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sla.event",
        object_type="case",
        object_id=case_id,
        after={"kind": kind, "occurred_on": occurred_on, "rec_number": rec_number},
        detail={"kind": kind, "occurred_on": occurred_on.isoformat(), "rec_number": rec_number},
    )
    return event
