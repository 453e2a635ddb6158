"""The supervisors' daily lists: clocks due soon, overdue and escalated, as of a date, within a jurisdiction.

Why this evaluates with ``sla`` rather than its own rules: the dashboard must show exactly what the
escalation sweep alerts on. A clock's dates come from the ``clocks`` table where the sweep has derived
them, and are derived on the fly with the same pure function (``sla.clocks.derive_case_clocks``) for
cases it has not reached yet — so the lists work on a fresh store too. The state on the as-of date is
``sla.escalation.evaluate`` under the escalation policy for the case's region and domain; escalations
already fired are read from the ``escalations`` table.

No personal data: items carry case numbers, titles, districts, agencies and dates only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.registry.format import DOMAINS
from hub.reports.figures import EARLIEST, LATEST, QueryError, case_conditions, clean_text
from hub.store.models import Agency, Case, Clock, Escalation, Recommendation

__all__ = ["LIST_STATES", "VIEWS", "ClockQuery", "Hit", "clock_items", "clock_list", "evaluate_clocks"]

#: The lists and the clock states each shows.
VIEWS: dict[str, tuple[str, ...]] = {
    "due_soon": ("due_soon", "calendar_missing"),
    "overdue": ("breached", "escalated"),
    "escalated": ("escalated",),
}
#: States a ``state`` filter may name.
LIST_STATES: tuple[str, ...] = ("due_soon", "calendar_missing", "breached", "escalated")
#: States worth listing: what a list may show, plus running clocks (a short period may be due within the week
#: before its due-soon window opens) and suspended ones (中止: the supervisor checks whether to resume).
_OPEN_STATES: tuple[str, ...] = (*LIST_STATES, "running", "suspended")
KINDS: tuple[str, ...] = ("reply", "rectification", "follow_up", "announcement")
_CHUNK = 500


@dataclass(frozen=True)
class ClockQuery:
    """Which clocks: view, as-of date, filters and the caller's jurisdiction (region-code prefix)."""

    view: str
    as_of: dt.date
    district: str | None = None
    domain: str | None = None
    state: str | None = None
    kind: str | None = None
    region_prefix: str | None = None
    limit: int = 200
    offset: int = 0

    @classmethod
    def build(cls, view: str, *, as_of: dt.date | None = None, **kw: Any) -> ClockQuery:
        if view not in VIEWS:
            raise QueryError("view", f"列表无效，可选：{'、'.join(VIEWS)}", f"unknown list; one of: {', '.join(VIEWS)}")
        district = clean_text("district", kw.get("district"), 64)
        domain = clean_text("domain", kw.get("domain"), 32)
        if domain is not None and domain not in DOMAINS:
            raise QueryError(
                "domain", f"领域代码无效，可选：{'、'.join(DOMAINS)}", f"unknown domain; one of: {', '.join(DOMAINS)}"
            )
        state = clean_text("state", kw.get("state"), 32)
        if state is not None and state not in LIST_STATES:
            raise QueryError(
                "state", f"状态无效，可选：{'、'.join(LIST_STATES)}", f"unknown state; one of: {', '.join(LIST_STATES)}"
            )
        kind = clean_text("kind", kw.get("kind"), 32)
        if kind is not None and kind not in KINDS:
            raise QueryError(
                "kind", f"时钟类型无效，可选：{'、'.join(KINDS)}", f"unknown clock kind; one of: {', '.join(KINDS)}"
            )
        as_of = as_of or dt.date.today()
        if not EARLIEST <= as_of <= LATEST:
            raise QueryError(
                "as_of", f"as_of 须在 {EARLIEST} 至 {LATEST} 之间", f"as_of must be between {EARLIEST} and {LATEST}"
            )
        return cls(
            view=view,
            as_of=as_of,
            district=district,
            domain=domain,
            state=state,
            kind=kind,
            region_prefix=kw.get("region_prefix") or None,
            limit=int(kw.get("limit") or 200),
            offset=int(kw.get("offset") or 0),
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Hit:
    """One open clock evaluated on the as-of date (what every list is made of)."""

    case_pk: int
    clock_key: str
    dates: Any  # sla.clocks.ClockDates
    incomplete: bool
    rec_pk: int | None
    ev: Any  # sla.escalation.Evaluation
    resolved: Any  # the escalation policy resolved for the case's region and domain
    missing_years: tuple[int, ...] = ()
    period: str | None = None


def evaluate_clocks(
    session: Session,
    *,
    as_of: dt.date,
    district: str | None = None,
    domain: str | None = None,
    kind: str | None = None,
    region_prefix: str | None = None,
) -> tuple[dict[int, Any], list[Hit], int]:
    """Every clock in scope with its state on ``as_of`` (states with nothing to show — met, closed — left out).

    Returns the cases (``id`` → row), the evaluated clocks (unsorted) and how many clocks were derived on the
    fly because the sweep had not reached their case.
    """
    from hub.reports.figures import current_policy
    from sla.clocks import ClockDates, derive_case_clocks, load_case_facts
    from sla.escalation import evaluate
    from sla.sweep import derivation_config

    policy = current_policy()  # the policy file parsed once per version, not per request
    config = derivation_config(policy)
    cases = {
        row.id: row
        for row in session.execute(
            select(Case.id, Case.case_id, Case.title, Case.district, Case.region_code, Case.domain, Case.status).where(
                *case_conditions(district, domain, region_prefix)
            )
        )
    }
    # Clocks the sweep has derived (open on the as-of date).
    stored: dict[int, list[tuple[str, ClockDates, bool, int | None, tuple[int, ...], str | None]]] = defaultdict(list)
    pks = sorted(cases)
    for i in range(0, len(pks), _CHUNK):
        part = pks[i : i + _CHUNK]
        for c in session.execute(select(Clock).where(Clock.case_pk.in_(part))).scalars():
            dates = ClockDates(
                kind=c.kind,
                start_on=c.start_on,
                deadline_official=c.deadline_official,
                deadline_all_weekends=c.deadline_all_weekends,
                breach_after=c.breach_after,
                outcome=c.outcome,
                resolved_on=c.resolved_on,
                short_period=bool(c.short_period),
                calendar_missing=bool(c.calendar_missing),
            )
            missing = tuple((c.explanation or {}).get("calendar_missing_years") or ())
            stored[c.case_pk].append((c.clock_key, dates, bool(c.incomplete), c.recommendation_pk, missing, c.period))
    # Cases the sweep has not reached: derive with the same rules (closed cases have only closed clocks).
    underived = [pk for pk in pks if pk not in stored and cases[pk].status != "closed"]
    from hub.calendar_store import store_calendar

    calendar = store_calendar(session) if underived else None  # imported notices count here too
    rec_pk_by_number: dict[str, int] = {}
    derived_count = 0
    for i in range(0, len(underived), _CHUNK):
        facts = load_case_facts(session, underived[i : i + _CHUNK])
        for pk, case_facts in facts.items():
            for rec in case_facts.recommendations:
                if rec.pk is not None:
                    rec_pk_by_number[rec.rec_number] = rec.pk
            for clock in derive_case_clocks(case_facts, config=config, calendar=calendar):
                missing = tuple(clock.explanation.get("calendar_missing_years") or ())
                rec_pk = rec_pk_by_number.get(clock.rec_number or "")
                stored[pk].append((clock.key, clock, clock.incomplete, rec_pk, missing, clock.period))
                derived_count += 1

    resolved_cache: dict[tuple[str, str], Any] = {}
    hits: list[Hit] = []
    for case_pk, clocks in stored.items():
        case = cases[case_pk]
        key = (case.region_code, case.domain)
        resolved = resolved_cache.get(key)
        if resolved is None:
            resolved = resolved_cache[key] = policy.resolve(case.region_code, case.domain)
        for clock_key, dates, incomplete, rec_pk, missing, period in clocks:
            if kind and dates.kind != kind:
                continue
            ev = evaluate(dates, as_of, resolved)
            if ev.state.value not in _OPEN_STATES:
                continue
            hits.append(Hit(case_pk, clock_key, dates, incomplete, rec_pk, ev, resolved, missing, period))
    return cases, hits, derived_count


def clock_list(session: Session, query: ClockQuery) -> dict[str, Any]:
    """The list ``query.view`` as of ``query.as_of``: ``{view, as_of, total, items, sources}``."""
    q = query
    cases, evaluated, derived_count = evaluate_clocks(
        session, as_of=q.as_of, district=q.district, domain=q.domain, kind=q.kind, region_prefix=q.region_prefix
    )
    wanted = VIEWS[q.view]
    hits: list[Hit] = []
    for h in evaluated:
        state = h.ev.state.value
        if state == "calendar_missing":
            window = h.resolved.due_soon_window(h.dates.short_period)
            soon = h.dates.deadline_official and q.as_of >= h.dates.deadline_official - dt.timedelta(days=window)
            if not soon:
                continue
        if state not in wanted or (q.state and state != q.state):
            continue
        hits.append(h)

    order = {"escalated": 0, "breached": 1, "due_soon": 2, "calendar_missing": 3}
    hits.sort(
        key=lambda h: (
            order.get(h.ev.state.value, 9),
            -(h.ev.days_overdue or 0),
            h.dates.deadline_official or dt.date.max,
            cases[h.case_pk].case_id,
            h.clock_key,
        )
    )
    total = len(hits)
    items = clock_items(session, cases, hits[q.offset : q.offset + q.limit], q.as_of)
    return {
        "view": q.view,
        "as_of": q.as_of.isoformat(),
        "filters": {"district": q.district, "domain": q.domain, "state": q.state, "kind": q.kind},
        "total": total,
        "limit": q.limit,
        "offset": q.offset,
        "items": items,
        "derived_on_the_fly": derived_count,
    }


def _latest(h: Hit) -> dt.date | None:
    """The latest plausible deadline of a clock whose year has no official calendar (``sla.periods``' range)."""
    from sla.periods import Period, PeriodError, compute_both

    if h.dates.start_on is None or not h.period:
        return None
    try:
        both = compute_both(h.dates.start_on, Period.parse(h.period))
    except PeriodError:
        return None
    return max(both.official.latest_date, both.all_weekends.latest_date)


def clock_items(session: Session, cases: dict[int, Any], page: list[Hit], as_of: dt.date) -> list[dict[str, Any]]:
    """The JSON items of evaluated clocks: case, agency, dates, state, level and escalations fired by ``as_of``."""
    from sla.clocks import KIND_LABELS

    rec_pks = sorted({h.rec_pk for h in page if h.rec_pk is not None})
    recs: dict[int, tuple[str, str | None, str | None]] = {}
    for i in range(0, len(rec_pks), _CHUNK):
        for row in session.execute(
            select(Recommendation.id, Recommendation.rec_number, Agency.code, Agency.name)
            .outerjoin(Agency, Agency.id == Recommendation.agency_pk)
            .where(Recommendation.id.in_(rec_pks[i : i + _CHUNK]))
        ):
            recs[row.id] = (row.rec_number, row.code, row.name)
    keys = [h.clock_key for h in page]
    fired: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(keys), _CHUNK):
        for row in session.execute(
            select(Clock.clock_key, Escalation.level, Escalation.level_name, Escalation.due_on)
            .join(Clock, Clock.id == Escalation.clock_pk)
            .where(Clock.clock_key.in_(keys[i : i + _CHUNK]), Escalation.due_on <= as_of)
            .order_by(Escalation.level, Escalation.due_on)
        ):
            entry = {"level": row.level, "level_name": row.level_name, "due_on": _iso(row.due_on)}
            if entry not in fired[row.clock_key]:
                fired[row.clock_key].append(entry)

    items = []
    for h in page:
        case = cases[h.case_pk]
        dates, ev = h.dates, h.ev
        rec_number, agency_code, agency_name = recs.get(h.rec_pk, (None, None, None)) if h.rec_pk else (None,) * 3
        level_label = next((lv.label for lv in h.resolved.levels(dates.kind) if lv.level == ev.level), None)
        items.append(
            {
                "case_id": case.case_id,
                "case_title": case.title,
                "district": case.district,
                "region_code": case.region_code,
                "domain": case.domain,
                "clock_key": h.clock_key,
                "kind": dates.kind,
                "kind_label": KIND_LABELS.get(dates.kind, dates.kind),
                "rec_number": rec_number,
                "agency_code": agency_code,
                "agency_name": agency_name,
                "start_on": _iso(dates.start_on),
                "deadline_official": _iso(dates.deadline_official),
                "deadline_all_weekends": _iso(dates.deadline_all_weekends),
                "breach_after": _iso(dates.breach_after),
                "state": ev.state.value,
                "level": ev.level,
                "level_label": level_label,
                "days_left": ev.days_left
                if ev.days_left is not None
                else (
                    (dates.deadline_official - as_of).days
                    if dates.deadline_official and dates.breach_after is None
                    else None
                ),
                "days_overdue": ev.days_overdue,
                "incomplete": h.incomplete,
                "calendar_missing": dates.calendar_missing or dates.breach_after is None,
                "calendar_missing_years": list(h.missing_years),
                "deadline_latest": _iso(_latest(h)) if dates.breach_after is None else _iso(dates.breach_after),
                "escalations_fired": fired.get(h.clock_key, []),
            }
        )
    return items
