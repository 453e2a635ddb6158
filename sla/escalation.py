"""Escalation: which ladder levels are due for a clock on a day, who receives them, and revoking stale ones.

This module is the *reference* of the rules in Python: :func:`evaluate` gives a clock's state and level on a
day, :func:`active_window` when a level can fire, :class:`Directory` who a role reaches. ``sla.sweep`` runs the
same rules set-based in SQL over all clocks (tests check both agree); ``pilhub sla status`` and the
row-by-row benchmark baseline use this module directly.

Level timing (see ``sla/policy.py``): ``offset_days ≤ 0`` from the official deadline, ``> 0`` from
``breach_after`` (the later reading, 民法典 Art. 203 with both readings of 调休 days — no agency is accused a day
early). A level fires on a day when the clock is open and the level is active: on or after its due date, and
— for a reminder — not after ``breach_after``. Each level fires once per clock and recipient; the database
enforces it (``escalations`` unique on clock, level, recipient).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub import audit
from hub.store.models import Agency, Case, Clock, Escalation, OutboxMessage, Recommendation
from sla.clocks import FINAL_STATES, KIND_LABELS, ClockDates, ClockState, base_state
from sla.policy import AGENCY_ROLES, ROUTE_ROLE, ContactSpec, EscalationPolicy, LevelSpec, ResolvedPolicy

__all__ = [
    "OPERATOR_ROUTE",
    "Directory",
    "DirectoryEntry",
    "Evaluation",
    "LevelDue",
    "StatusRow",
    "active_window",
    "clock_history",
    "clock_status",
    "evaluate",
    "level_due_on",
    "revoke_stale",
]

OPERATOR_ROUTE = "operator"
_FAR = dt.date.max


@dataclass(frozen=True)
class LevelDue:
    level: LevelSpec
    due_on: dt.date


@dataclass(frozen=True)
class Evaluation:
    """A clock on one day: its state, the highest level due (None if none), and the active levels."""

    state: ClockState
    level: int | None = None
    active: tuple[LevelDue, ...] = ()
    days_left: int | None = None  # to the official deadline, while not breached
    days_overdue: int | None = None  # after breach_after, once breached


def level_due_on(level: LevelSpec, clock: ClockDates) -> dt.date | None:
    """The first day ``level`` can fire for ``clock`` (None without deadlines)."""
    offset = level.offset_for(clock.short_period)
    anchor = clock.deadline_official if offset <= 0 else clock.breach_after
    return None if anchor is None else anchor + dt.timedelta(days=offset)


def _level_active(level: LevelSpec, clock: ClockDates, as_of: dt.date) -> dt.date | None:
    due_on = level_due_on(level, clock)
    if due_on is None or due_on > as_of:
        return None
    if level.expires_at_breach and clock.breach_after is not None and as_of > clock.breach_after:
        return None
    return due_on


def evaluate(clock: ClockDates, as_of: dt.date, policy: ResolvedPolicy) -> Evaluation:
    """State and level of ``clock`` on ``as_of`` (the SQL in ``sla.sweep`` computes exactly this)."""
    fixed = base_state(clock, as_of)
    if fixed is not None:
        return Evaluation(fixed)
    assert clock.breach_after is not None and clock.deadline_official is not None
    active = tuple(
        LevelDue(lv, due) for lv in policy.levels(clock.kind) if (due := _level_active(lv, clock, as_of)) is not None
    )
    level = max((a.level.level for a in active), default=None)
    if as_of > clock.breach_after:
        escalated = any(a.level.marks == "escalated" for a in active)
        state = ClockState.ESCALATED if escalated else ClockState.BREACHED
        return Evaluation(state, level, active, days_overdue=(as_of - clock.breach_after).days)
    if clock.calendar_missing:  # between the earliest and the latest possible date of an unknown year
        return Evaluation(ClockState.CALENDAR_MISSING, level, active, days_left=(clock.deadline_official - as_of).days)
    window = policy.due_soon_window(clock.short_period)
    soon = as_of >= clock.deadline_official - dt.timedelta(days=window) or any(
        a.level.marks == "due_soon" for a in active
    )  # a reminder already out also means due soon
    state = ClockState.DUE_SOON if soon else ClockState.RUNNING
    return Evaluation(state, level, active, days_left=(clock.deadline_official - as_of).days)


def active_window(level: LevelSpec, clock: ClockDates) -> tuple[dt.date, dt.date] | None:
    """The days on which ``level`` would fire for ``clock`` (open clock and active level), or None.

    Used to decide whether an escalation already enqueued is still due after a recompute: it is, iff a daily
    sweep run on the corrected data would have enqueued it on some day up to the as-of date.
    """
    due_on = level_due_on(level, clock)
    if due_on is None or clock.start_on is None or clock.breach_after is None:
        return None
    first = max(due_on, clock.start_on)
    last = _FAR
    if level.expires_at_breach:
        last = clock.breach_after
    if clock.outcome is not None:
        if clock.resolved_on is None:
            return None  # closed from the start
        last = min(last, clock.resolved_on - dt.timedelta(days=1))
    return (first, last) if first <= last else None


# ---------------------------------------------------------------------------------------------------------
# Recipients: roles → recipient keys → addresses.


@dataclass(frozen=True)
class DirectoryEntry:
    """One address a route reaches. ``address`` may hold ``{case_id}`` (filled per message)."""

    route_key: str
    channel: str
    address: str
    label: str = ""

    @property
    def addr_key(self) -> str:
        """A short stable id of the address (part of the outbox dedupe key; URLs can be long)."""
        return hashlib.sha256(f"{self.channel}|{self.address}".encode()).hexdigest()[:16]


@dataclass
class _AgencyRow:
    pk: int
    code: str
    name: str
    kind: str
    region_code: str | None
    superior_pk: int | None
    contacts: list[dict[str, Any]]
    registered: bool


@dataclass
class Directory:
    """Who each role reaches, built from the agency registry and the policy's procuratorates and operator.

    * agency roles → ``agency:<code>`` (same-region bodies found by kind; the rule-of-law office falls back to
      the same-region government); unresolved → ``unresolved:<role>:<agency code>`` routed to the operator;
    * procurator roles → ``<role>:<case_id>`` routed by the case's region (``case_procurator@330802``);
    * every route has at least one address (the operator's, when nothing else), so no notice is dropped.
    """

    agency_routes: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)
    entries: list[DirectoryEntry] = field(default_factory=list)
    agency_names: dict[str, str] = field(default_factory=dict)  # recipient key -> agency name

    @classmethod
    def build(cls, session: Session, policy: EscalationPolicy, region_codes: Iterable[str] | None = None) -> Directory:
        rows = [
            _AgencyRow(
                a.id, a.code, a.name, a.kind, a.region_code, a.superior_id, list(a.contacts or []), bool(a.registered)
            )
            for a in session.execute(select(Agency).order_by(Agency.code)).scalars()
        ]
        if region_codes is None:
            region_codes = [r for (r,) in session.execute(select(Case.region_code).distinct())]
        return cls.from_rows(rows, policy, region_codes)

    @classmethod
    def from_rows(cls, rows: list[_AgencyRow], policy: EscalationPolicy, region_codes: Iterable[str]) -> Directory:
        d = cls()
        operator = [DirectoryEntry(OPERATOR_ROUTE, c.channel, c.address, c.label or "") for c in policy.operator]
        d.entries.extend(operator)
        by_pk = {a.pk: a for a in rows}
        by_region_kind: dict[tuple[str | None, str], _AgencyRow] = {}
        for a in sorted(rows, key=lambda a: (not a.registered, a.code)):
            by_region_kind.setdefault((a.region_code, a.kind), a)
        for a in rows:
            key = f"agency:{a.code}"
            d.agency_names[key] = a.name
            contacts = [c for c in a.contacts if c.get("channel") in ("inbox", "email", "webhook") and c.get("address")]
            if contacts:
                d.entries.extend(
                    DirectoryEntry(key, c["channel"], c["address"], c.get("label") or "") for c in contacts
                )
            else:  # an agency without contacts: the operator forwards it
                d.entries.extend(
                    DirectoryEntry(key, e.channel, e.address, "无联系渠道，转运维 / no contacts") for e in operator
                )
            targets: dict[str, _AgencyRow | None] = {
                "agency_contact": a,
                "superior_authority": by_pk.get(a.superior_pk) if a.superior_pk else None,
                "government_rule_of_law_office": by_region_kind.get((a.region_code, "rule_of_law_office"))
                or by_region_kind.get((a.region_code, "government")),
                "people_congress": by_region_kind.get((a.region_code, "congress")),
                "supervisory_commission": by_region_kind.get((a.region_code, "supervisory_commission")),
            }
            for role in AGENCY_ROLES:
                target = targets[role]
                if target is None:
                    unresolved = f"unresolved:{role}:{a.code}"
                    d.agency_routes[(a.pk, role)] = (unresolved, OPERATOR_ROUTE)
                else:
                    d.agency_routes[(a.pk, role)] = (f"agency:{target.code}", f"agency:{target.code}")
        for region in sorted(set(region_codes)):
            entry = policy.procuratorate_for(region)
            for role in ("case_procurator", "department_head"):
                contacts: Sequence[ContactSpec] = getattr(entry, role) if entry is not None else ()
                route = f"{role}@{region}"
                if contacts:
                    d.entries.extend(
                        DirectoryEntry(route, c.channel, c.address.replace("{region_code}", region), c.label or "")
                        for c in contacts
                    )
                else:
                    d.entries.extend(
                        DirectoryEntry(
                            route, e.channel, e.address, "未配置检察院地址，转运维 / procuratorate not configured"
                        )
                        for e in operator
                    )
        return d

    def route(self, role: str, *, agency_pk: int | None, case_id: str, region_code: str) -> tuple[str, str]:
        """(recipient key, route key) of ``role`` for a clock — the SQL of ``sla.sweep`` mirrors this."""
        if role in AGENCY_ROLES:
            if agency_pk is None:
                return f"unresolved:{role}:{case_id}", OPERATOR_ROUTE
            return self.agency_routes.get((agency_pk, role), (f"unresolved:{role}:{case_id}", OPERATOR_ROUTE))
        return f"{role}:{case_id}", f"{ROUTE_ROLE[role]}@{region_code}"

    def addresses(self, route_key: str) -> list[DirectoryEntry]:
        found = [e for e in self.entries if e.route_key == route_key]
        return found or [e for e in self.entries if e.route_key == OPERATOR_ROUTE]


def level_recipients(
    level: LevelSpec, directory: Directory, *, agency_pk: int | None, case_id: str, region_code: str
) -> dict[str, tuple[str, str, str]]:
    """recipient key → (role, template, route key) for one level of one clock (first role wins a duplicate)."""
    out: dict[str, tuple[str, str, str]] = {}
    for r in level.recipients:
        recipient, route = directory.route(r.role, agency_pk=agency_pk, case_id=case_id, region_code=region_code)
        out.setdefault(recipient, (r.role, r.template or level.template, route))
    return out


# ---------------------------------------------------------------------------------------------------------
# Revoking escalations a recompute made stale.


def revoke_stale(
    session: Session,
    *,
    clock_pk: int,
    clock_key: str,
    clock: ClockDates,
    as_of: dt.date,
    policy: ResolvedPolicy,
    directory: Directory,
    agency_pk: int | None,
    case_id: str,
    region_code: str,
    actor: str,
    changes: Sequence[str] = (),
) -> int:
    """Cancel what the corrected data no longer calls for; return how many escalations were revoked.

    An escalation stays if a daily sweep on the corrected data would have enqueued it by ``as_of`` (same level
    active while the clock was open, same recipient). Otherwise its unsent messages are cancelled (status
    ``cancelled``, kept for the record, detached from the escalation), and the escalation row is deleted
    unless a message of it was already sent (or is being sent) — sent notices stay recorded, and each one sent
    gets a **correction notice** (更正通知) to the same recipient and address, naming what changed (``changes``):
    once, by the unique dedupe key ``corr:<message id>``. Deleting frees the (clock, level, recipient) key, so the
    level fires again when it is due on the corrected dates.

    A withdrawn clock (outcome ``withdrawn``) also loses every pending message of the escalations it keeps: the
    notices that were due before the withdrawal stay recorded, but nothing more is sent about it.
    """
    levels = {lv.level: lv for lv in policy.levels(clock.kind)}
    revoked = 0
    withdrawn = clock.outcome == "withdrawn"
    for esc in session.execute(select(Escalation).where(Escalation.clock_pk == clock_pk)).scalars().all():
        if esc.level_name == REFERRAL_LEVEL_NAME:
            level = levels.get(esc.level)
            still_due = level is not None and (window := active_window(level, clock)) is not None and window[0] <= as_of
        else:
            level = levels.get(esc.level)
            window = active_window(level, clock) if level is not None else None
            still_due = window is not None and window[0] <= as_of
            if still_due:
                assert level is not None
                recipients = level_recipients(
                    level, directory, agency_pk=agency_pk, case_id=case_id, region_code=region_code
                )
                still_due = esc.recipient in recipients or esc.recipient.startswith(COPIED_PREFIX)
        if still_due:
            if withdrawn:
                session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.escalation_pk == esc.id,
                        OutboxMessage.status.in_(("pending", "failed")),
                        OutboxMessage.dedupe_key.not_like("corr:%"),
                    )
                    .values(
                        status="cancelled",
                        escalation_pk=None,
                        last_error="已撤销：检察建议已撤回 / revoked: the recommendation was withdrawn",
                    )
                )
            continue
        cancelled = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.escalation_pk == esc.id,
                OutboxMessage.status.in_(("pending", "failed")),
                OutboxMessage.dedupe_key.not_like("corr:%"),
            )
            .values(
                status="cancelled",
                escalation_pk=None,
                last_error="已撤销：时钟重新推算后不再到期 / revoked: no longer due after the clock was re-derived",
            )
        ).rowcount
        corrections = _send_corrections(session, esc, clock, as_of, changes)
        remaining = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.escalation_pk == esc.id)
        )
        deleted = not remaining
        if deleted:
            session.execute(delete(Escalation).where(Escalation.id == esc.id))
        revoked += 1
        audit.append(
            session,
            actor=actor,
            action="escalation.revoke",
            object_type="clock",
            object_id=clock_key,
            before={"level": esc.level, "recipient": esc.recipient, "due_on": esc.due_on},
            detail={
                "level": esc.level,
                "level_name": esc.level_name,
                "recipient": esc.recipient,
                "cancelled_messages": cancelled,
                "escalation_deleted": deleted,
                "kept_because_sent": not deleted,
                "corrections": corrections,
            },
        )
    return revoked


REFERRAL_LEVEL_NAME = "supervisory_referral"  # an escalation a procurator confirmed (pilhub review referral)
COPIED_PREFIX = "copied:"  # an escalation to a body the recommendation was copied to


def _state_line(clock: ClockDates) -> str:
    if clock.outcome in ("met", "met_late"):
        return f"{'按期' if clock.outcome == 'met' else '逾期'}履行，日期 {clock.resolved_on} / {clock.outcome} on {clock.resolved_on}"
    if clock.outcome == "withdrawn":
        return f"检察建议已于 {clock.resolved_on} 撤回 / withdrawn on {clock.resolved_on}"
    if clock.outcome == "no_statutory_period":
        return "该时间该地区无法定回复期限，不认定超期 / no statutory period applied: no breach"
    if clock.outcome is not None:
        return f"时钟状态 {clock.outcome}（{clock.resolved_on or '—'}）/ clock {clock.outcome}"
    if clock.breach_after is not None:
        return f"期限届满日为 {clock.breach_after} / the deadline is {clock.breach_after}"
    return "期限待定 / deadline pending"


def _send_corrections(
    session: Session, esc: Escalation, clock: ClockDates, as_of: dt.date, changes: Sequence[str]
) -> int:
    """A correction notice (更正通知) for each message of ``esc`` already sent, to the same address: at most
    once per sent message (dedupe key ``corr:<message id>``, unique in the database)."""
    sent = (
        session.execute(
            select(OutboxMessage).where(
                OutboxMessage.escalation_pk == esc.id,
                OutboxMessage.status == "sent",
                OutboxMessage.dedupe_key.not_like("corr:%"),
            )
        )
        .scalars()
        .all()
    )
    made = 0
    for message in sent:
        key = f"corr:{message.id}"
        if session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key == key)):
            continue
        payload = {
            "template": "correction",
            "role": (message.payload or {}).get("role"),
            "as_of": as_of.isoformat(),
            "clock_pk": esc.clock_pk,
            "corrects": message.id,
            "corrected_subject": message.subject,
            "corrected_sent_on": (message.sent_at or message.created_at).date().isoformat(),
            "changes": list(changes),
            "corrected_state_line": _state_line(clock),
        }
        session.add(
            OutboxMessage(
                dedupe_key=key,
                escalation_pk=esc.id,
                channel=message.channel,
                recipient=message.recipient,
                subject="更正通知",
                body="",
                payload=payload,
                status="pending",
            )
        )
        made += 1
    session.flush()
    return made


# ---------------------------------------------------------------------------------------------------------
# Status listing (pilhub sla status; reports).


@dataclass(frozen=True)
class StatusRow:
    case_id: str
    clock_key: str
    kind: str
    kind_label: str
    rec_number: str | None
    agency: str | None
    start_on: dt.date | None
    deadline_official: dt.date | None
    deadline_all_weekends: dt.date | None
    breach_after: dt.date | None
    state: str
    level: int | None
    level_label: str | None
    days_left: int | None
    days_overdue: int | None
    incomplete: bool
    met_on: dt.date | None
    calendar_missing_years: tuple[int, ...] = ()
    #: the latest date the deadline can fall on (= breach_after; later than the deadline while a year is unknown)
    deadline_latest: dt.date | None = None
    outcome: str | None = None
    resolved_on: dt.date | None = None
    citation: str = ""  # the rule(s) applied, as notices cite them
    rules_applied: tuple[str, ...] = ()  # their ids (sla/data/rules.yaml or the policy's local_rules)
    not_performing: bool = False  # a follow-up ran out without full rectification (the agency is not performing)
    explanation: dict[str, Any] | None = None  # with history: the clock's stored explanation
    history: tuple[dict[str, Any], ...] | None = None  # with history: what happened to the clock, in order

    def as_dict(self) -> dict[str, Any]:
        out = {k: _jsonable(v) for k, v in self.__dict__.items()}
        if self.history is None:
            out.pop("history")
            out.pop("explanation")
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def clock_history(session: Session, clock: Clock) -> list[dict[str, Any]]:
    """What happened to a clock, in date order: its start, the replies, each notice enqueued (with what became of
    its messages: sent, cancelled, corrected), suspensions, and how it ended. Dates and roles only."""
    explanation = clock.explanation or {}
    events: list[dict[str, Any]] = []
    if clock.start_on is not None:
        events.append({"on": clock.start_on, "event": "start", "period": clock.period})
    for reply in explanation.get("replies", []) or []:
        events.append(
            {
                "on": reply.get("posted_on") or reply.get("replied_on"),
                "event": "reply",
                "counted": reply.get("counted"),
                "why": reply.get("why"),
                "rectification_status": reply.get("rectification_status"),
            }
        )
    for note in explanation.get("suspension", []) or []:
        events.append({"on": str(note)[:10], "event": "suspension", "note": note})
    for esc in session.execute(
        select(Escalation)
        .where(Escalation.clock_pk == clock.id)
        .order_by(Escalation.due_on, Escalation.level, Escalation.recipient)
    ).scalars():
        messages = session.execute(
            select(OutboxMessage.status, OutboxMessage.channel, OutboxMessage.dedupe_key)
            .where(OutboxMessage.escalation_pk == esc.id)
            .order_by(OutboxMessage.id)
        ).all()
        events.append(
            {
                "on": esc.due_on,
                "event": "notice",
                "level": esc.level,
                "level_name": esc.level_name,
                "recipient": esc.recipient,
                "messages": [
                    {"status": st, "channel": ch, "correction": key.startswith("corr:")} for st, ch, key in messages
                ],
            }
        )
    if clock.breach_after is not None and (
        clock.outcome in (None, "breached")
        or (clock.resolved_on is not None and clock.resolved_on > clock.breach_after)
    ):
        events.append({"on": clock.breach_after + dt.timedelta(days=1), "event": "breach"})
    if clock.outcome is not None:
        events.append({"on": clock.resolved_on, "event": clock.outcome, "note": explanation.get("outcome")})
    events.sort(key=lambda e: (str(e["on"] or "9999"), e["event"] != "start"))
    return [_jsonable(e) for e in events]


def clock_status(
    session: Session,
    *,
    as_of: dt.date,
    policy: EscalationPolicy,
    case_id: str | None = None,
    include_final: bool = False,
    limit: int | None = None,
    with_history: bool = False,
) -> list[StatusRow]:
    """Clocks with deadline(s), days left or overdue, state and level on ``as_of`` (evaluated live).

    Without ``case_id`` and ``include_final`` only clocks not stopped by ``as_of`` are listed, most urgent first.
    """
    query = (
        select(Clock, Case.case_id, Case.region_code, Case.domain, Recommendation.rec_number, Agency.name)
        .join(Case, Case.id == Clock.case_pk)
        .outerjoin(Recommendation, Recommendation.id == Clock.recommendation_pk)
        .outerjoin(Agency, Agency.id == Recommendation.agency_pk)
    )
    if case_id is not None:
        query = query.where(Case.case_id == case_id)
    elif not include_final:
        query = query.where((Clock.outcome.is_(None)) | (Clock.resolved_on > as_of))
    rows: list[StatusRow] = []
    resolved_cache: dict[tuple[str, str], ResolvedPolicy] = {}
    for clock, cid, region, domain, rec_number, agency_name in session.execute(query.order_by(Clock.id)):
        resolved = resolved_cache.get((region, domain))
        if resolved is None:
            resolved = resolved_cache[(region, domain)] = policy.resolve(region, domain)
        dates = ClockDates(
            kind=clock.kind,
            start_on=clock.start_on,
            deadline_official=clock.deadline_official,
            deadline_all_weekends=clock.deadline_all_weekends,
            breach_after=clock.breach_after,
            outcome=clock.outcome,
            resolved_on=clock.resolved_on,
            short_period=bool(clock.short_period),
            calendar_missing=bool(clock.calendar_missing),
        )
        if clock.kind == "lawsuit" and clock.start_on is not None and clock.start_on > as_of:
            continue  # the agency is not (yet) found not performing on that day: no decision is due
        ev = evaluate(dates, as_of, resolved)
        if case_id is None and not include_final and ev.state in FINAL_STATES:
            continue
        level_label = next((lv.label for lv in resolved.levels(clock.kind) if lv.level == ev.level), None)
        rows.append(
            StatusRow(
                case_id=cid,
                clock_key=clock.clock_key,
                kind=clock.kind,
                kind_label=KIND_LABELS.get(clock.kind, ""),
                rec_number=rec_number,
                agency=agency_name,
                start_on=clock.start_on,
                deadline_official=clock.deadline_official,
                deadline_all_weekends=clock.deadline_all_weekends,
                breach_after=clock.breach_after,
                state=ev.state.value,
                level=ev.level,
                level_label=level_label,
                days_left=ev.days_left,
                days_overdue=ev.days_overdue,
                incomplete=bool(clock.incomplete),
                met_on=clock.met_on,
                calendar_missing_years=tuple((clock.explanation or {}).get("calendar_missing_years", ())),
                deadline_latest=clock.breach_after,
                outcome=clock.outcome,
                resolved_on=clock.resolved_on,
                citation=str((clock.explanation or {}).get("citation") or ""),
                rules_applied=tuple(r.get("id", "") for r in (clock.explanation or {}).get("rules_applied", []) or []),
                not_performing="not_performing" in (clock.explanation or {}),
                explanation=_jsonable(clock.explanation or {}) if with_history else None,
                history=tuple(clock_history(session, clock)) if with_history else None,
            )
        )
    order = {
        s: i
        for i, s in enumerate(
            (
                "escalated",
                "breached",
                "due_soon",
                "calendar_missing",
                "suspended",
                "running",
                "pending",
                "no_statutory_period",
                "met_late",
                "met",
                "withdrawn",
                "closed",
            )
        )
    }
    rows.sort(key=lambda r: (order.get(r.state, 99), -(r.days_overdue or 0), r.days_left or 0, r.case_id))
    return rows[:limit] if limit else rows
