"""Imported holiday schedules in the store: the calendar every process of the hub computes with.

Why the store and not a file: the sweep (Airflow), the API and every operator's ``pilhub`` must compute the same
deadlines, and an import must survive upgrades (``sla/data`` is replaced with the code) and be audited. So
``pilhub calendar import`` writes the State Council notice — its whole text, its digest, the days parsed from it —
into ``calendar_years`` with an audit entry, and :func:`store_calendar` builds the calendar from the package, the
override files and the newest import of each year (which wins).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from hub import audit
from hub.store.models import CalendarYear, Clock
from sla.calendar import ENV_CALENDAR_FILE, OfficialCalendar, YearSchedule
from sla.notice import Notice
from sla.statutory import statutory_days

__all__ = ["ClockMove", "clocks_that_move", "import_notice", "load_schedules", "store_calendar"]


def _name_of(day: dt.date, notice: Notice) -> tuple[str, str]:
    from sla.statutory import FESTIVALS

    for item in notice.items:
        if day in item.block or day in item.in_lieu or day in item.workdays:
            return FESTIVALS[item.festivals[0]] if item.festivals else ("", "")
    if day in notice.extension_days:
        return FESTIVALS["spring"]
    return ("", "")


def schedule_of(notice: Notice, source: str) -> YearSchedule:
    return YearSchedule(
        year=notice.year,
        source=source,
        holidays=tuple((d, *_name_of(d, notice)) for d in notice.holidays),
        workdays=tuple((d, *_name_of(d, notice)) for d in notice.workdays),
    )


def load_schedules(session: Session) -> list[YearSchedule]:
    """The newest import of each year (none when the store predates migration 0008)."""
    if not inspect(session.connection()).has_table("calendar_years"):
        return []
    newest = select(CalendarYear.year, func.max(CalendarYear.id).label("id")).group_by(CalendarYear.year).subquery()
    rows = session.execute(select(CalendarYear).join(newest, newest.c.id == CalendarYear.id)).scalars()
    out = []
    for row in rows:
        out.append(
            YearSchedule(
                year=row.year,
                source=f"{row.source}（导入 / imported {row.imported_at:%Y-%m-%d %H:%M} UTC by {row.imported_by}, "
                f"{row.source_file}, sha256 {row.notice_sha256[:16]}…）",
                holidays=tuple((dt.date.fromisoformat(d), zh, en) for d, zh, en in row.holidays),
                workdays=tuple((dt.date.fromisoformat(d), zh, en) for d, zh, en in row.workdays),
            )
        )
    return out


def store_calendar(session: Session, extra: list[YearSchedule] | None = None) -> OfficialCalendar:
    """The calendar in force: package, shipped and operator override files, then the store's imports."""
    env = os.environ.get(ENV_CALENDAR_FILE, "").strip()
    files = [Path(env)] if env else []
    from sla.calendar import SHIPPED_OVERRIDES

    return OfficialCalendar([SHIPPED_OVERRIDES, *files], schedules=[*load_schedules(session), *(extra or [])])


@dataclass(frozen=True)
class ClockMove:
    case_id: str
    clock_key: str
    before: tuple[Any, Any, bool]  # (deadline_official, breach_after, calendar_missing)
    after: tuple[Any, Any, bool]


def clocks_that_move(session: Session, new: OfficialCalendar, year: int) -> list[ClockMove]:
    """Open clocks whose dates change under ``new`` (what the next sweep will re-derive), by deriving them."""
    from sla.clocks import derive_case_clocks, load_case_facts
    from sla.policy import load_policy
    from sla.sweep import derivation_config

    lo, hi = dt.date(year - 1, 12, 1), dt.date(year, 12, 31)
    reach = func.coalesce(Clock.breach_after, Clock.deadline_all_weekends, Clock.deadline_official)
    query = (
        select(Clock.case_pk)
        .where(Clock.outcome.is_(None))
        .where(or_(Clock.calendar_missing.is_(True), (Clock.start_on <= hi) & (reach >= lo)))
        .distinct()
    )
    pks = list(session.scalars(query))
    if not pks:
        return []
    config = derivation_config(load_policy())
    stored = {
        c.clock_key: c
        for c in session.execute(select(Clock).where(Clock.case_pk.in_(pks), Clock.outcome.is_(None))).scalars()
    }
    moves: list[ClockMove] = []
    for case in load_case_facts(session, pks).values():
        for dc in derive_case_clocks(case, config=config, calendar=new):
            row = stored.get(dc.key)
            if row is None:
                continue
            before = (row.deadline_official, row.breach_after, bool(row.calendar_missing))
            after = (dc.deadline_official, dc.breach_after, bool(dc.calendar_missing))
            if before != after:
                moves.append(ClockMove(case.case_id, dc.key, before, after))
    return sorted(moves, key=lambda m: (m.case_id, m.clock_key))


def import_notice(session: Session, notice: Notice, text: str, path: Path, *, actor: str) -> CalendarYear:
    """Install ``notice`` as the year's schedule (newest wins), with an audit entry; the caller commits.

    The next sweep sees the year's digest change and re-derives every clock that needed the year.
    """
    source = "；".join(filter(None, [notice.title, *notice.doc_numbers])) or f"{notice.year}年节假日安排通知"
    sched = schedule_of(notice, source)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    previous = session.execute(
        select(CalendarYear).where(CalendarYear.year == notice.year).order_by(CalendarYear.id.desc()).limit(1)
    ).scalar_one_or_none()
    row = CalendarYear(
        year=notice.year,
        source=source,
        source_file=path.name,
        notice_sha256=sha,
        notice_text=text,
        holidays=[[d.isoformat(), zh, en] for d, zh, en in sched.holidays],
        workdays=[[d.isoformat(), zh, en] for d, zh, en in sched.workdays],
        imported_by=actor,
        imported_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    statutory = sorted(d.isoformat() for d in statutory_days(notice.year))
    audit.append(
        session,
        actor=actor,
        action="calendar.import",
        object_type="calendar_year",
        object_id=str(notice.year),
        before=None if previous is None else {"id": previous.id, "sha256": previous.notice_sha256},
        after={"id": row.id, "sha256": sha, "holidays": row.holidays, "workdays": row.workdays},
        detail={"source": source, "file": path.name, "statutory": statutory},
    )
    return row
