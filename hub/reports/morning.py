"""A supervisor's morning: what needs action today, each clock once, newest first.

Why a list of its own rather than the three state lists: a supervisor opening the dashboard asks "what
changed since I last looked, and what falls due this week?". The state lists answer "which clocks are in
state X" — an escalated clock is also overdue, so it appeared twice, and the oldest breach (years old)
came first while yesterday's breach sat at the bottom. Here every open clock that needs attention is in
exactly one section, in this order:

1. ``new`` — breached, or escalated to a further level, on or after ``since`` (the user's last visit;
   default: the last 7 days — a first visit, or a Monday after a holiday week), newest first;
2. ``due`` — not yet breached, official deadline within ``due_days`` (7) days, soonest first;
3. ``calendar_missing`` — deadline provisional because the official holiday calendar of its year is not
   loaded: never judged on a guessed calendar, so the supervisor sees the range and the year to load;
4. ``long_standing`` — breached before ``since``, the most recent first (the oldest at the bottom);
5. ``suspended`` — clocks a procurator suspended (中止) for an objective obstacle: not running, listed so that
   someone decides when they resume.

Counts per district and per agency are over the same items, so the numbers next to the lists add up.
The clock states themselves come from :func:`hub.reports.clocklists.evaluate_clocks` — the escalation
sweep's own rules.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub.reports.clocklists import Hit, clock_items, evaluate_clocks
from hub.reports.figures import EARLIEST, LATEST, QueryError, clean_text

__all__ = ["SECTIONS", "MorningQuery", "morning"]

#: The sections in reading order: key → (Chinese, English).
SECTIONS: dict[str, tuple[str, str]] = {
    "new": ("自上次查看以来新超期、新升级", "breached or escalated since your last visit"),
    "due": ("7日内到期", "due within 7 days"),
    "calendar_missing": ("期限待定：所在年度官方节假日安排未载入", "deadline provisional: holiday calendar not loaded"),
    "long_standing": ("长期超期", "long-standing breaches"),
    "suspended": ("中止计时，待恢复", "suspended, waiting to resume"),
}
BREACHED = ("breached", "escalated")
DEFAULT_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class MorningQuery:
    as_of: dt.date
    since: dt.date
    district: str | None = None
    domain: str | None = None
    region_prefix: str | None = None
    due_days: int = 7

    @classmethod
    def build(cls, *, as_of: dt.date, since: dt.date | None = None, **kw: Any) -> MorningQuery:
        for name, value in (("as_of", as_of), ("since", since)):
            if value is not None and not EARLIEST <= value <= LATEST:
                raise QueryError(
                    name, f"{name} 须在 {EARLIEST} 至 {LATEST} 之间", f"{name} must be between {EARLIEST} and {LATEST}"
                )
        since = since or as_of - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS)
        if since > as_of:
            raise QueryError("since", "上次查看日期不能晚于截止日", "since must not be after as_of")
        return cls(
            as_of=as_of,
            since=since,
            district=clean_text("district", kw.get("district"), 64),
            domain=clean_text("domain", kw.get("domain"), 32),
            region_prefix=kw.get("region_prefix") or None,
        )


def _breached_on(h: Hit) -> dt.date | None:
    """The first day of the breach (the day after the later deadline)."""
    return h.dates.breach_after + dt.timedelta(days=1) if h.dates.breach_after else None


def _last_escalated_on(h: Hit) -> dt.date | None:
    return max((a.due_on for a in h.ev.active), default=None)


def _section(h: Hit, q: MorningQuery) -> str | None:
    state = h.ev.state.value
    if state in BREACHED:
        changed = max(d for d in (_breached_on(h), _last_escalated_on(h), dt.date.min) if d is not None)
        return "new" if changed >= q.since else "long_standing"
    if state == "calendar_missing":
        return "calendar_missing"
    if state == "suspended":
        return "suspended"
    deadline = h.dates.deadline_official
    if state in ("due_soon", "running") and deadline is not None and (deadline - q.as_of).days <= q.due_days:
        return "due"
    return None


def morning(session: Session, q: MorningQuery) -> dict[str, Any]:
    """``{as_of, since, sections: [{key, zh, en, total, items}], by_district, by_agency, total}``."""
    cases, hits, _ = evaluate_clocks(
        session, as_of=q.as_of, district=q.district, domain=q.domain, region_prefix=q.region_prefix
    )
    grouped: dict[str, list[Hit]] = {key: [] for key in SECTIONS}
    for h in hits:
        key = _section(h, q)
        if key is not None:
            grouped[key].append(h)

    def changed(h: Hit) -> dt.date:
        return max(d for d in (_breached_on(h), _last_escalated_on(h), dt.date.min) if d is not None)

    def tie(h: Hit) -> tuple[str, str]:
        return cases[h.case_pk].case_id, h.clock_key

    grouped["new"].sort(key=lambda h: (-changed(h).toordinal(), -(h.ev.level or 0), *tie(h)))
    grouped["due"].sort(key=lambda h: (h.dates.deadline_official or dt.date.max, *tie(h)))
    grouped["calendar_missing"].sort(key=lambda h: (h.dates.deadline_official or dt.date.max, *tie(h)))
    grouped["long_standing"].sort(key=lambda h: (h.ev.days_overdue or 0, *tie(h)))
    grouped["suspended"].sort(key=lambda h: (h.dates.deadline_official or dt.date.max, *tie(h)))

    sections = []
    by_district: dict[str, Counter[str]] = {}
    by_agency: dict[str, Counter[str]] = {}
    for key, (zh, en) in SECTIONS.items():
        items = clock_items(session, cases, grouped[key], q.as_of)
        for item in items:
            item["section"] = key
            item["breached_on"] = None
            item["last_escalated_on"] = None
        for item, h in zip(items, grouped[key], strict=True):
            b, e = _breached_on(h), _last_escalated_on(h)
            item["breached_on"] = b.isoformat() if b and h.ev.state.value in BREACHED else None
            item["last_escalated_on"] = e.isoformat() if e else None
            by_district.setdefault(item["district"], Counter())[key] += 1
            by_agency.setdefault(item["agency_name"] or "（无机关 / no agency）", Counter())[key] += 1
        sections.append({"key": key, "zh": zh, "en": en, "total": len(items), "items": items})

    def counts(table: dict[str, Counter[str]], name: str) -> list[dict[str, Any]]:
        rows = [{name: k, **{s: c[s] for s in SECTIONS}, "total": sum(c.values())} for k, c in table.items()]
        return sorted(rows, key=lambda r: (-r["new"], -r["total"], r[name]))

    return {
        "as_of": q.as_of.isoformat(),
        "since": q.since.isoformat(),
        "due_days": q.due_days,
        "filters": {"district": q.district, "domain": q.domain},
        "sections": sections,
        "total": sum(s["total"] for s in sections),
        "by_district": counts(by_district, "district"),
        "by_agency": counts(by_agency, "agency"),
    }
