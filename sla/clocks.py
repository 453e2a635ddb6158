"""Deadline clocks derived from recorded events — never counters updated in place.

Why derived: a corrected receipt date, a change of urgency or a late reply must give the same answer as if the
right data had been there from the start (STYLE.md, ServiceNow SLA: clocks rebuilt from history). So a clock is
a pure function of a case's recorded facts (:class:`CaseFacts`) and the calendar: :func:`derive_case_clocks`.
What it derives does not depend on the as-of date — start, both deadlines, ``breach_after``, and how and when
the recorded events stopped the clock (``outcome``/``resolved_on``). The state of a given day is then a
second, cheap function of those stored dates (:func:`base_state` here, the ladder part in
``sla.escalation.evaluate``), which ``sla.sweep`` also evaluates in SQL over a million rows.

The clocks of a recommendation (DOMAIN.md, "A case's life"):

* ``reply`` — from the day of receipt (送达之日, not counted): two months, 15 days when urgent
  (法释〔2018〕6号 Art. 21(2)); one month for recommendations issued before 2017-07-01 (2015 pilot measures
  Art. 40) — :func:`sla.periods.reply_period`. Stopped by the first reply that counts; judged with
  :func:`sla.periods.is_on_time` against ``breach_after`` (a reply posted in time is on time, 民事诉讼法
  Art. 85(4)). An urgent reply must come with supporting evidence (seed 003 §三(五)): one without is
  *incomplete* — recorded, flagged (``incomplete``), but it does not stop the clock.
* ``rectification`` — from the reply that promised a rectification date, due on that date (the latest
  promise governs; earlier ones stay in the explanation). A promised date is a day the agency chose, not a
  statutory period, so it is not moved off rest days. Stopped when rectification is declared complete.
* ``follow_up`` (回头看) — from the day rectification was complete, a configurable period (default six
  months, policy ``follow_up_period``), for the procurators to check for fake rectification and rebound
  (seed 002 §一(二), seed 004 §三(二)). Stopped by a recorded ``follow_up_done`` event, or closed when a
  follow-up result (``rebound``) is recorded without a date.
* ``announcement`` — for civil cases, the 30-day announcement (法释〔2018〕6号 Art. 13), from the
  announcement date. The case registry carries no such date, so the clock exists only once an
  ``announcement`` event is recorded (:func:`record_event`); it is ``met`` when the period has run.

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
from sla.periods import PILOT_RULE_ENDS, DualDeadline, Period, PeriodUnit, compute_both, is_on_time, reply_period

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
RULES_VERSION = "2026-11-sla-1"

#: Periods of this many days or fewer take the short reminder offsets (15-day urgent replies: 3 days).
SHORT_PERIOD_MAX_DAYS = 15

ANNOUNCEMENT_PERIOD = Period.days(30)  # 法释〔2018〕6号 Art. 13
EVENT_KINDS = ("announcement", "follow_up_done")
CIVIL_PROCEDURES = ("civil", "criminal_incidental_civil")
# Litigation under way: the pre-litigation reply no longer decides anything (行政诉讼法 Art. 25(4)).
LITIGATION_STARTED = ("filed", "judged")


class ClockKind(StrEnum):
    REPLY = "reply"
    RECTIFICATION = "rectification"
    FOLLOW_UP = "follow_up"
    ANNOUNCEMENT = "announcement"


class ClockState(StrEnum):
    """The states of issue 5, exactly. ``escalated`` comes with a level; ``incomplete`` is a flag, not a state."""

    PENDING = "pending"  # not yet received (no start), or the start is after the as-of date
    RUNNING = "running"
    DUE_SOON = "due_soon"
    MET = "met"
    MET_LATE = "met_late"
    BREACHED = "breached"
    ESCALATED = "escalated"
    CLOSED = "closed"
    CALENDAR_MISSING = "calendar_missing"


FINAL_STATES = (ClockState.MET, ClockState.MET_LATE, ClockState.CLOSED)

KIND_LABELS = {
    "reply": "检察建议书面回复期限 / reply to the recommendation",
    "rectification": "承诺整改期限 / promised rectification",
    "follow_up": "整改“回头看”期限 / follow-up (回头看)",
    "announcement": "民事公益诉讼公告期间 / civil announcement period",
}


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

    @property
    def effective_on(self) -> dt.date:
        """The day the reply was made: posted date when known (time in the post is not counted)."""
        return self.posted_on if self.posted_on is not None else self.replied_on


@dataclass(frozen=True)
class EventFacts:
    kind: str
    occurred_on: dt.date
    rec_number: str | None = None
    seq: int = 0  # recording order: the latest event of a kind wins


@dataclass(frozen=True)
class RecommendationFacts:
    rec_number: str
    issued_on: dt.date
    received_on: dt.date | None
    urgent: bool
    replies: tuple[ReplyFacts, ...] = ()
    pk: int | None = None


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    procedure: str
    status: str
    litigation_status: str | None = None
    recommendations: tuple[RecommendationFacts, ...] = ()
    events: tuple[EventFacts, ...] = ()
    pk: int | None = None

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def latest_event(self, kind: str, rec_number: str | None = None) -> EventFacts | None:
        matching = [e for e in self.events if e.kind == kind and e.rec_number == rec_number]
        return max(matching, key=lambda e: e.seq) if matching else None


@dataclass(frozen=True)
class DerivationConfig:
    """The configurable part of derivation (from the policy file); part of every inputs digest."""

    follow_up_period: Period = field(default_factory=lambda: Period.months(6))

    @property
    def digest(self) -> str:
        return digest({"rules": RULES_VERSION, "follow_up": str(self.follow_up_period),
                       "short": SHORT_PERIOD_MAX_DAYS})


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
    outcome: str | None = None  # met | met_late | closed
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

    The order matters and is the same in SQL (``sla.sweep``): a recorded stop wins; no start (not yet
    received) or a start after the as-of date is ``pending``; no ``breach_after`` means the calendar of a
    needed year is missing.
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


def _closed_reason(case: CaseFacts, *, litigation_closes: bool) -> str | None:
    if case.closed:
        return "案件已办结，时钟关闭 / case closed: the clock is closed"
    if litigation_closes and case.litigation_status in LITIGATION_STARTED:
        return "已进入诉讼程序，诉前回复期限不再监督 / litigation started: the pre-litigation reply is no longer supervised"
    return None


def _reply_clock(case: CaseFacts, rec: RecommendationFacts, cal: OfficialCalendar, config: DerivationConfig) -> DerivedClock:
    period = reply_period(rec.issued_on, rec.urgent)
    rule = (
        "人民检察院提起公益诉讼试点工作实施办法（2015）第40条：收到检察建议书后一个月内回复 / 2015 pilot measures "
        "Art. 40: one month"
        if rec.issued_on < PILOT_RULE_ENDS
        else (
            "法释〔2018〕6号第21条第2款：情况紧急的，15日内书面回复 / Art. 21(2): 15 days when urgent"
            if rec.urgent
            else "法释〔2018〕6号第21条第2款：收到检察建议书之日起两个月内书面回复 / Art. 21(2): two months"
        )
    )
    needs_evidence = rec.urgent and rec.issued_on >= PILOT_RULE_ENDS
    inputs = {
        "case": [case.status, case.litigation_status],
        "rec": [rec.issued_on, rec.received_on, rec.urgent],
        "replies": [[r.seq, r.replied_on, r.posted_on, r.has_evidence] for r in rec.replies],
    }
    explanation: dict[str, Any] = {"rule": rule, "period": str(period)}
    base = DerivedClock(
        kind="reply", key=f"reply:{rec.rec_number}", rec_number=rec.rec_number, period=str(period),
        start_on=None, deadline_official=None, deadline_all_weekends=None, breach_after=None,
        short_period=_period_short(period),
    )
    closed = _closed_reason(case, litigation_closes=True)
    if rec.received_on is None:
        explanation["start"] = "尚未送达（无送达日期），时钟未开始 / not yet received: the clock has not started"
        if closed:
            explanation["outcome"] = closed
            return _finish(replace(base, outcome="closed", explanation=explanation), inputs, config)
        return _finish(replace(base, explanation=explanation), inputs, config)

    both = compute_both(rec.received_on, period, cal)
    explanation.update(_deadline_lines(both))
    calendar_missing = both.calendar_missing
    # with a year's notice unknown, breach_after is the latest plausible date: a breach only after it
    breach_after = both.breach_after
    if calendar_missing:
        explanation["calendar_missing_years"] = list(both.missing_years)
        explanation["deadline_range"] = [both.official.date, both.breach_after]
    clock = replace(
        base, start_on=rec.received_on, deadline_official=both.official.date,
        deadline_all_weekends=both.all_weekends.date, breach_after=breach_after, calendar_missing=calendar_missing,
    )
    judged_against = both.breach_after  # the latest plausible date when the calendar is missing
    replies_note: list[dict[str, Any]] = []
    counted: ReplyFacts | None = None
    incomplete = False
    for reply in sorted(rec.replies, key=lambda r: (r.effective_on, r.seq)):
        note: dict[str, Any] = {"seq": reply.seq, "replied_on": reply.replied_on, "posted_on": reply.posted_on,
                                "has_evidence": reply.has_evidence}
        if counted is not None:
            note["counted"] = False
            note["why"] = "已有在先回复 / an earlier reply already stopped the clock"
        elif needs_evidence and not reply.has_evidence:
            incomplete = True
            note["counted"] = False
            note["why"] = (
                "紧急情形的回复须附相关证明材料，本回复未附，视为不完整，不停止计时 / an urgent reply must come "
                "with supporting evidence: incomplete, the clock keeps running"
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
            return _finish(replace(clock, explanation=explanation), inputs, config)
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
        return _finish(replace(clock, outcome=outcome, resolved_on=when, explanation=explanation), inputs, config)
    explanation["incomplete"] = incomplete
    if closed:
        explanation["outcome"] = closed
        return _finish(replace(clock, outcome="closed", incomplete=incomplete, explanation=explanation), inputs,
                       config)
    return _finish(replace(clock, incomplete=incomplete, explanation=explanation), inputs, config)


def _rectification_clock(case: CaseFacts, rec: RecommendationFacts, config: DerivationConfig) -> DerivedClock | None:
    promising = [r for r in sorted(rec.replies, key=lambda r: r.seq) if r.rectification_due is not None]
    if not promising:
        return None
    promise = promising[-1]
    due = promise.rectification_due
    assert due is not None
    inputs = {
        "case": [case.status],
        "promises": [[r.seq, r.replied_on, r.rectification_due] for r in promising],
        "rectified": [[r.seq, r.rectified, r.rectified_on, r.replied_on] for r in rec.replies],
    }
    explanation: dict[str, Any] = {
        "rule": "被建议机关书面回复中承诺的整改完成日期（难以按期整改的须提出整改方案并书面说明，seed 004 §五(四)）"
        " / the rectification date promised in the agency's reply",
        "promise": {"reply_seq": promise.seq, "replied_on": promise.replied_on, "due": due},
        "earlier_promises": [{"reply_seq": r.seq, "due": r.rectification_due} for r in promising[:-1]],
        "note": "承诺日期为机关自定的期日，不适用休息日顺延 / a promised date is a day the agency chose, not a "
        "statutory period: not moved off rest days",
    }
    clock = DerivedClock(
        kind="rectification", key=f"rectification:{rec.rec_number}", rec_number=rec.rec_number, period=None,
        start_on=promise.replied_on, deadline_official=due, deadline_all_weekends=due, breach_after=due,
        short_period=(due - promise.replied_on).days <= SHORT_PERIOD_MAX_DAYS,
    )
    declared = [r for r in sorted(rec.replies, key=lambda r: r.seq) if r.rectified is not None]
    if declared and declared[-1].rectified:
        last = declared[-1]
        done_on = last.rectified_on or last.replied_on
        outcome = "met" if done_on <= due else "met_late"
        explanation["outcome"] = (
            f"整改完成于 {done_on}{'' if last.rectified_on else '（完成日期未记录，按回复日计）'} / rectified on "
            f"{done_on}{'' if last.rectified_on else ' (date not recorded: the reply date is used)'}"
        )
        return _finish(replace(clock, outcome=outcome, resolved_on=done_on, explanation=explanation), inputs, config)
    closed = _closed_reason(case, litigation_closes=False)
    if closed:
        explanation["outcome"] = closed
        return _finish(replace(clock, outcome="closed", explanation=explanation), inputs, config)
    return _finish(replace(clock, explanation=explanation), inputs, config)


def _follow_up_clock(
    case: CaseFacts, rec: RecommendationFacts, cal: OfficialCalendar, config: DerivationConfig
) -> DerivedClock | None:
    declared = [r for r in sorted(rec.replies, key=lambda r: r.seq) if r.rectified is not None]
    if not declared or not declared[-1].rectified:
        return None
    last = declared[-1]
    start = last.rectified_on or last.replied_on
    period = config.follow_up_period
    done = case.latest_event("follow_up_done", rec.rec_number)
    inputs = {
        "case": [case.status],
        "start": start,
        "rebound": [r.rebound for r in rec.replies],
        "done": done.occurred_on if done else None,
    }
    both = compute_both(start, period, cal)
    explanation: dict[str, Any] = {
        "rule": "整改完成后“回头看”，防止虚假整改、反弹回潮（seed 002 §一(二)，seed 004 §三(二)）；期间由策略 "
        f"follow_up_period 配置（{period}）/ follow-up after rectification, period from the policy",
        **_deadline_lines(both),
    }
    rebound = next((r.rebound for r in reversed(rec.replies) if r.rebound is not None), None)
    if rebound is not None:
        explanation["rebound"] = rebound
    clock = DerivedClock(
        kind="follow_up", key=f"follow_up:{rec.rec_number}", rec_number=rec.rec_number, period=str(period),
        start_on=start, deadline_official=both.official.date, deadline_all_weekends=both.all_weekends.date,
        breach_after=both.breach_after, calendar_missing=both.calendar_missing,
        short_period=_period_short(period),
    )
    if done is not None and (not both.calendar_missing or done.occurred_on <= both.official.date
                             or done.occurred_on > both.breach_after):
        outcome = "met" if done.occurred_on <= both.breach_after else "met_late"
        explanation["outcome"] = f"回头看完成于 {done.occurred_on} / follow-up done on {done.occurred_on}"
        return _finish(replace(clock, outcome=outcome, resolved_on=done.occurred_on, explanation=explanation),
                       inputs, config)
    if rebound is not None:
        explanation["outcome"] = (
            f"回头看结果已记录（反弹回潮：{'是' if rebound else '否'}），日期未记录，时钟关闭 / follow-up result "
            "recorded without a date: closed"
        )
        return _finish(replace(clock, outcome="closed", explanation=explanation), inputs, config)
    closed = _closed_reason(case, litigation_closes=False)
    if closed:
        explanation["outcome"] = closed
        return _finish(replace(clock, outcome="closed", explanation=explanation), inputs, config)
    return _finish(replace(clock, explanation=explanation), inputs, config)


def _announcement_clock(case: CaseFacts, cal: OfficialCalendar, config: DerivationConfig) -> DerivedClock | None:
    if case.procedure not in CIVIL_PROCEDURES:
        return None
    event = case.latest_event("announcement")
    if event is None:
        return None
    both = compute_both(event.occurred_on, ANNOUNCEMENT_PERIOD, cal)
    inputs = {"case": [case.status, case.procedure], "announced": event.occurred_on}
    explanation: dict[str, Any] = {
        "rule": "法释〔2018〕6号第13条：公告期间为30日；期满后法律规定的机关和有关组织不提起诉讼的，检察院可以提起 "
        "/ Art. 13: a 30-day announcement, after which the procuratorate may sue",
        "period": str(ANNOUNCEMENT_PERIOD),
        **_deadline_lines(both),
    }
    clock = DerivedClock(
        kind="announcement", key=f"announcement:{case.case_id}", period=str(ANNOUNCEMENT_PERIOD),
        start_on=event.occurred_on, deadline_official=both.official.date,
        deadline_all_weekends=both.all_weekends.date,
        breach_after=both.breach_after, calendar_missing=both.calendar_missing,
        short_period=False,
    )
    if case.closed:
        explanation["outcome"] = _closed_reason(case, litigation_closes=False)
        return _finish(replace(clock, outcome="closed", explanation=explanation), inputs, config)
    # with a year's notice unknown, breach_after is the latest plausible date: the procuratorate may sue only after it
    ended = both.breach_after + dt.timedelta(days=1)
    explanation["outcome"] = f"公告期间于 {both.breach_after} 届满 / the announcement period ends on {both.breach_after}"
    return _finish(replace(clock, outcome="met", resolved_on=ended, explanation=explanation), inputs, config)


def derive_case_clocks(
    case: CaseFacts, *, config: DerivationConfig | None = None, calendar: OfficialCalendar | None = None
) -> list[DerivedClock]:
    """Every clock of a case, derived from its recorded facts alone (pure; no database, no today)."""
    config = config or DerivationConfig()
    cal = calendar if calendar is not None else default_calendar()
    clocks: list[DerivedClock] = []
    for rec in case.recommendations:
        clocks.append(_reply_clock(case, rec, cal, config))
        for extra in (_rectification_clock(case, rec, config), _follow_up_clock(case, rec, cal, config)):
            if extra is not None:
                clocks.append(extra)
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
        select(Case.id, Case.case_id, Case.procedure, Case.status, Case.litigation_status).where(Case.id.in_(case_pks))
    ).all()
    recs = (
        session.execute(
            select(Recommendation).where(Recommendation.case_pk.in_(case_pks)).order_by(Recommendation.id)
        )
        .scalars()
        .all()
    )
    events = session.execute(
        select(SlaEvent.case_pk, SlaEvent.kind, SlaEvent.occurred_on, SlaEvent.id, Recommendation.rec_number)
        .outerjoin(Recommendation, Recommendation.id == SlaEvent.recommendation_pk)
        .where(SlaEvent.case_pk.in_(case_pks))
    ).all()
    recs_by_case: dict[int, list[RecommendationFacts]] = {}
    for rec in recs:
        replies = tuple(
            ReplyFacts(
                seq=r.seq, replied_on=r.replied_on, posted_on=r.posted_on, has_evidence=bool(r.has_evidence),
                rectification_due=r.rectification_due, rectified=r.rectified, rectified_on=r.rectified_on,
                rebound=r.rebound,
            )
            for r in rec.replies
        )
        recs_by_case.setdefault(rec.case_pk, []).append(
            RecommendationFacts(
                rec_number=rec.rec_number, issued_on=rec.issued_on, received_on=rec.received_on,
                urgent=bool(rec.urgent), replies=replies, pk=rec.id,
            )
        )
    events_by_case: dict[int, list[EventFacts]] = {}
    for case_pk, kind, occurred_on, event_id, rec_number in events:
        events_by_case.setdefault(case_pk, []).append(EventFacts(kind, occurred_on, rec_number, event_id))
    return {
        pk: CaseFacts(
            case_id=case_id, procedure=procedure, status=status, litigation_status=litigation_status,
            recommendations=tuple(recs_by_case.get(pk, ())), events=tuple(events_by_case.get(pk, ())), pk=pk,
        )
        for pk, case_id, procedure, status, litigation_status in cases
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
    """Record a dated event the registry lacks (announcement date, follow-up done), with an audit entry.

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
    elif kind == "follow_up_done":
        raise EventError("回头看完成须指明检察建议编号 / follow_up_done needs the recommendation number")
    event = SlaEvent(
        case_pk=case.id, recommendation_pk=rec_pk, kind=kind, occurred_on=occurred_on, note=note,
        recorded_by=actor, recorded_at=dt.datetime.now(dt.UTC),
    )
    session.add(event)
    session.flush()
    audit.append(
        session, actor=actor, action="sla.event", object_type="case", object_id=case_id,
        after={"kind": kind, "occurred_on": occurred_on, "rec_number": rec_number},
        detail={"kind": kind, "occurred_on": occurred_on.isoformat(), "rec_number": rec_number},
    )
    return event

