"""Legal period arithmetic: when a statutory period (期间) ends.

Sources, cited at each rule below:

* 民法典 Arts. 200–204 — how periods are counted (calendar days/months, start day excluded, month ends,
  last day on a rest day, 24:00 cut-off);
* 民事诉讼法(2023) Art. 85 — the same for procedure, and 在途时间 (time in the post) not counted; applied
  to administrative cases by 行政诉讼法 Art. 101, and to procuratorial PIL by 法释〔2018〕6号 Art. 26;
* 法释〔2018〕6号 (SPC/SPP interpretation on procuratorial PIL) Art. 21(2) — reply within two months of
  receipt, 15 days when urgent; Art. 13 — the 30-day civil PIL announcement;
* 人民检察院提起公益诉讼试点工作实施办法 (2015) Art. 40 — one month, for the pilot before 2017-07-01.

Everything here is a pure function of its arguments and the calendar; no database, no clock.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from sla.calendar import (
    OfficialCalendar,
    Policy,
    default_calendar,
    weekday_label,
    weekday_names,
)
from sla.statutory import (
    FESTIVALS,
    FIRST_STATUTORY_YEAR,
    LAST_STATUTORY_YEAR,
    may_rest,
    may_work_weekend,
    statutory_days,
)

__all__ = [
    "PILOT_RULE_ENDS",
    "Deadline",
    "DualDeadline",
    "Period",
    "PeriodError",
    "PeriodUnit",
    "Shift",
    "SuspendedDeadline",
    "compute_both",
    "compute_deadline",
    "compute_suspended",
    "is_on_time",
    "reply_period",
]

#: Recommendations issued before this date fall under the 2015 pilot measures (Art. 40: one month).
PILOT_RULE_ENDS = dt.date(2017, 7, 1)

# A last day can be followed by at most ~10 consecutive rest days (a 9-day Spring Festival block plus
# a weekend under all-weekends); the bound only protects against a corrupt override file.
_MAX_SHIFT_DAYS = 31
#: Last days of December a next year's notice may still move (its New Year block or make-up day: 12-29 … 12-31).
NEW_YEAR_REACH_DAYS = 3


class PeriodError(ValueError):
    """A period string that is not ``Nd`` or ``Nm``."""


class PeriodUnit(StrEnum):
    """Units the law uses for PIL periods (民法典 Art. 200: 公历年、月、日)."""

    DAYS = "d"
    MONTHS = "m"


_PERIOD_RE = re.compile(r"^\s*(\d{1,5})\s*([dDmM])\s*$")


@dataclass(frozen=True)
class Period:
    """A period of ``count`` days or months, written ``15d`` / ``2m``."""

    count: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", PeriodUnit(self.unit))  # accept "d"/"m" strings too
        if self.count < 1:
            raise PeriodError(f"期间须至少为1 / a period must be at least 1, got {self.count}{self.unit}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``Nd`` or ``Nm`` (case-insensitive); anything else raises :class:`PeriodError`."""
        m = _PERIOD_RE.match(text or "")
        if m is None or int(m.group(1)) < 1:
            raise PeriodError(
                f"期间格式无效：{text!r}，应为 Nd（日）或 Nm（月），N 为正整数，如 15d、2m / "
                f"invalid period {text!r}: expected Nd (days) or Nm (months) with N ≥ 1, e.g. 15d, 2m"
            )
        return cls(int(m.group(1)), PeriodUnit(m.group(2).lower()))

    @classmethod
    def days(cls, n: int) -> Period:
        return cls(n, PeriodUnit.DAYS)

    @classmethod
    def months(cls, n: int) -> Period:
        return cls(n, PeriodUnit.MONTHS)

    def __str__(self) -> str:
        return f"{self.count}{self.unit.value}"

    def label(self) -> str:
        """``2个月 / 2 months`` — for explanations."""
        if self.unit is PeriodUnit.DAYS:
            return f"{self.count}日 / {self.count} day{'s' if self.count != 1 else ''}"
        return f"{self.count}个月 / {self.count} month{'s' if self.count != 1 else ''}"

    def raw_end(self, start: dt.date) -> dt.date:
        """The last day of the period before any rest-day shift.

        民法典 Art. 201: the start day is not counted, counting begins the next day — so N days end on the
        N-th day after ``start``. 民法典 Art. 202: for months, the last day is the same-numbered day
        (对应日) of the N-th later month, or that month's last day when it has no such day
        (Dec 31 + 2m = Feb 28/29; Feb 28 + 2m = Apr 28).
        """
        try:
            if self.unit is PeriodUnit.DAYS:
                return start + dt.timedelta(days=self.count)
            year, month0 = divmod(start.year * 12 + (start.month - 1) + self.count, 12)
            last = _stdcal.monthrange(year, month0 + 1)[1]
            return dt.date(year, month0 + 1, min(start.day, last))
        except (OverflowError, ValueError):
            raise OverflowError(f"{start} + {self} 超出可表示的日期范围 / is beyond the supported dates") from None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Shift(NamedTuple):
    """One day the last day moved past: from ``from_date`` to ``to_date`` because of ``reason``."""

    from_date: dt.date
    to_date: dt.date
    reason: str


_POLICY_LABEL = {
    Policy.OFFICIAL: "official（按国务院安排：调休上班日为工作日 / as published: make-up working days work）",
    Policy.ALL_WEEKENDS: (
        "all-weekends（每个周六、周日及全部法定节假日均为休息日 / every Saturday and Sunday and every "
        "public holiday is a rest day）"
    ),
}


@dataclass(frozen=True)
class Deadline:
    """A computed deadline with everything needed to explain it to a procurator or an agency.

    ``date`` is the last day (ending 24:00, 民法典 Art. 203(2)). When ``calendar_missing`` is true the
    official schedule of some needed year (``missing_years``) is unknown: ``date`` is then the **earliest**
    day the deadline can fall on (the statutory holidays of 全国年节及纪念日放假办法 are rest days whatever the
    notice says; every other day that could be a working day is taken as one), and ``latest`` the latest
    plausible day (every day a notice has ever made a rest day near a festival taken as one; see
    ``sla.statutory.BLOCK_REACH``). Otherwise ``latest == date``.
    """

    start: dt.date
    period: Period
    policy: Policy
    raw_end: dt.date
    date: dt.date
    shifts: tuple[Shift, ...]
    calendar_missing: bool
    missing_years: tuple[int, ...] = ()
    latest: dt.date | None = None
    latest_shifts: tuple[Shift, ...] = ()

    @property
    def latest_date(self) -> dt.date:
        """The latest plausible last day (``date`` itself when the calendar is known)."""
        return self.latest if self.latest is not None else self.date

    def explain(self) -> str:
        """A multi-line Chinese / English explanation: start, raw end, each shift and why, final date."""
        rule = "民法典第202条" if self.period.unit is PeriodUnit.MONTHS else "民法典第201条"
        raw_why = (
            f"其后第{self.period.count}个月的对应日（无对应日的取月末日）/ same-numbered day of the "
            f"{_ordinal(self.period.count)} later month, or its last day"
            if self.period.unit is PeriodUnit.MONTHS
            else f"起算日后第{self.period.count}日 / the {_ordinal(self.period.count)} day after the start"
        )
        lines = [
            f"口径 / Reading: {_POLICY_LABEL[self.policy]}",
            f"起算日（送达之日）/ Start (day of receipt): {self.start}（{weekday_label(self.start)}）"
            "—— 当日不计入期间，自次日起算（民法典第201条；民事诉讼法第85条第2款）/ not counted; counting "
            "begins the next day (Civil Code Art. 201; Civil Procedure Law Art. 85(2))",
            f"期间 / Period: {self.period.label()}",
            f"期间末日 / Raw end: {self.raw_end}（{weekday_label(self.raw_end)}）—— {raw_why}（{rule}）；"
            "期间内的节假日不扣除 / holidays inside the period are not deducted",
        ]
        if self.shifts:
            lines.append(
                "末日为法定休假日，顺延至其后第一个工作日（民法典第203条；民事诉讼法第85条第3款）/ the last "
                "day is a rest day, so it moves to the first working day after it (Civil Code Art. 203; "
                "Civil Procedure Law Art. 85(3)):"
            )
            lines.extend(f"  顺延 / shift {s.from_date} → {s.to_date}：{s.reason}" for s in self.shifts)
        else:
            lines.append("末日为工作日，无需顺延 / the last day is a working day: no shift")
        notes = ""
        if self.date.weekday() >= 5 and self.date.year not in self.missing_years:
            # Only the official reading lands on a weekend: it is a 调休上班日 (民通意见 Art. 198 reading).
            notes += "（调休上班日，按国务院安排为工作日 / make-up working day, a working day as published）"
        if self.calendar_missing:
            notes += "（最早可能日 / earliest possible date）"
        lines.append(f"届满日 / Deadline: {self.date}（{weekday_label(self.date)}）24:00{notes}")
        if self.calendar_missing:
            years = "、".join(str(y) for y in self.missing_years)
            latest = self.latest_date
            if self.latest_shifts:
                lines.append(
                    "最晚可能日的推算：凡历年通知曾在节日前后安排放假的日子均按休息日计 / the latest plausible "
                    "date counts as rest days every day a notice has ever made one near a festival:"
                )
                lines.extend(f"  顺延 / shift {s.from_date} → {s.to_date}：{s.reason}" for s in self.latest_shifts)
            lines.append(f"最晚可能日 / Latest plausible: {latest}（{weekday_label(latest)}）24:00")
            lines.append(
                f"警告：{years}年国务院节假日安排尚未录入，届满日只能确定在 {self.date} 至 {latest} 之间；"
                f"法定节假日（全国年节及纪念日放假办法第二条）已按休息日计。提醒自最早可能日起算，超期只在最晚可能日"
                f"之后认定 / warning: the State Council schedule for {years} is not loaded; the deadline lies "
                f"between {self.date} and {latest} (statutory holidays already count as rest days). Reminders "
                "count from the earliest date; a breach is declared only after the latest"
            )
        return "\n".join(lines)


def compute_deadline(
    start: dt.date,
    period: Period,
    policy: Policy = Policy.OFFICIAL,
    calendar: OfficialCalendar | None = None,
) -> Deadline:
    """The last day of ``period`` received on ``start``, under the given reading of make-up days.

    Rules: start day not counted and raw end per :meth:`Period.raw_end` (民法典 Arts. 201–202); holidays
    inside the period are not deducted; only a last day that is a 法定休假日 moves, day by day, to the
    first working day after it (民法典 Art. 203(1); 民事诉讼法 Art. 85(3)). The calculation method
    applies unless a law provides otherwise (民法典 Art. 204). A year without an official schedule does not
    stop the computation and is never guessed: the result is flagged ``calendar_missing`` and is a range —
    ``date`` the earliest day the deadline can fall on (statutory holidays are rest days whatever the notice
    says), ``latest`` the latest plausible one (see :class:`Deadline`).
    """
    cal = calendar if calendar is not None else default_calendar()
    raw_end = period.raw_end(start)
    day, shifts, latest, latest_shifts, missing = _settle(cal, raw_end, policy)
    return Deadline(
        start=start,
        period=period,
        policy=policy,
        raw_end=raw_end,
        date=day,
        shifts=shifts,
        calendar_missing=bool(missing),
        missing_years=missing,
        latest=latest,
        latest_shifts=latest_shifts,
    )


def _settle(
    cal: OfficialCalendar, raw_end: dt.date, policy: Policy
) -> tuple[dt.date, tuple[Shift, ...], dt.date, tuple[Shift, ...], tuple[int, ...]]:
    """The last day from a raw end (民法典 Art. 203): earliest day and its shifts, latest plausible day and its
    shifts (empty when it is the same day), and the years whose notice is unknown. The one place every
    deadline — a period's, or one moved by a suspension — leaves a rest day."""
    missing: set[int] = set()
    day, shifts = _walk(cal, raw_end, policy, missing, earliest=True)
    latest, latest_shifts = _walk(cal, raw_end, policy, missing, earliest=False)
    return day, tuple(shifts), latest, tuple(latest_shifts) if latest != day else (), tuple(sorted(missing))


@dataclass(frozen=True)
class SuspendedDeadline:
    """A last day moved by the days a period stood suspended (中止), then counted like any other last day.

    Suspension stops the period; on resumption the rest of it runs again, so its raw end moves by the days
    suspended — and a moved raw end that is a statutory rest day moves to the first working day after it
    (民法典 Art. 203(1); 民事诉讼法 Art. 85(3)), under both readings of make-up days, with the same range when
    a year's notice is unknown (see :class:`Deadline`).
    """

    raw_end: dt.date
    suspended_days: int
    official: dt.date
    all_weekends: dt.date
    breach_after: dt.date
    shifts: tuple[Shift, ...]
    all_weekends_shifts: tuple[Shift, ...]
    missing_years: tuple[int, ...]

    @property
    def moved_raw_end(self) -> dt.date:
        return self.raw_end + dt.timedelta(days=self.suspended_days)

    @property
    def calendar_missing(self) -> bool:
        return bool(self.missing_years)

    def explain(self) -> list[str]:
        """Chinese / English lines: the moved raw end, each shift off a rest day and why, the moved deadline."""
        moved = self.moved_raw_end
        lines = [
            f"原期间末日 {self.raw_end}，中止 {self.suspended_days} 日，顺延后期间末日 / raw end {self.raw_end} moved by "
            f"{self.suspended_days} days suspended to {moved}（{weekday_label(moved)}）",
        ]
        if self.shifts or self.all_weekends_shifts:
            lines.append(
                "顺延后的末日为法定休假日，再顺延至其后第一个工作日（民法典第203条；民事诉讼法第85条第3款）/ the moved "
                "last day is a rest day, so it moves to the first working day after it (Civil Code Art. 203; Civil "
                "Procedure Law Art. 85(3)):"
            )
            lines.extend(f"  顺延 / shift {s.from_date} → {s.to_date}：{s.reason}" for s in self.shifts)
            if self.all_weekends != self.official:
                lines.extend(
                    f"  all-weekends 顺延 / shift {s.from_date} → {s.to_date}：{s.reason}"
                    for s in self.all_weekends_shifts
                )
        else:
            lines.append("顺延后的末日为工作日，无需再顺延 / the moved last day is a working day: no shift")
        lines.append(
            f"届满日 / Deadline: {self.official}（{weekday_label(self.official)}）24:00"
            + (f"；all-weekends 口径 {self.all_weekends}" if self.all_weekends != self.official else "")
        )
        if self.calendar_missing:
            years = "、".join(str(y) for y in self.missing_years)
            lines.append(
                f"警告：{years}年国务院节假日安排尚未录入，届满日在 {self.official} 至 {self.breach_after} 之间 / warning: "
                f"the State Council schedule for {years} is not loaded; the deadline lies between {self.official} "
                f"and {self.breach_after}"
            )
        return lines


def compute_suspended(
    raw_end: dt.date, suspended_days: int, calendar: OfficialCalendar | None = None
) -> SuspendedDeadline:
    """The deadline of a period whose raw end moves by ``suspended_days`` (中止 then 恢复), settled off rest
    days by the same walk as :func:`compute_deadline` under both readings; ``breach_after`` the later (latest
    plausible) of the two, as :attr:`DualDeadline.breach_after`."""
    cal = calendar if calendar is not None else default_calendar()
    moved = raw_end + dt.timedelta(days=suspended_days)
    official, shifts, official_latest, _, missing_o = _settle(cal, moved, Policy.OFFICIAL)
    weekends, w_shifts, weekends_latest, _, missing_w = _settle(cal, moved, Policy.ALL_WEEKENDS)
    return SuspendedDeadline(
        raw_end=raw_end,
        suspended_days=suspended_days,
        official=official,
        all_weekends=weekends,
        breach_after=max(official_latest, weekends_latest),
        shifts=shifts,
        all_weekends_shifts=w_shifts,
        missing_years=tuple(sorted(set(missing_o) | set(missing_w))),
    )


def _unknown_year(cal: OfficialCalendar, day: dt.date) -> int | None:
    """The year whose unknown notice can still decide ``day``: its own, or — for the last days of December —
    the next one, whose New Year block may begin before January 1 (as the 2019 and 2023 notices did)."""
    if not cal.covers(day.year):
        return day.year
    if day.month == 12 and day.day > 31 - NEW_YEAR_REACH_DAYS and not cal.covers(day.year + 1):
        return day.year + 1
    return None


def _walk(
    cal: OfficialCalendar, raw_end: dt.date, policy: Policy, missing: set[int], *, earliest: bool
) -> tuple[dt.date, list[Shift]]:
    """From ``raw_end``, move past rest days (民法典 Art. 203). Where a needed year's notice is unknown, a day
    is a rest day for sure if it is a statutory holiday; otherwise the earliest walk stops on any day that could
    be a working day, the latest walk passes every day that could be a rest day."""
    shifts: list[Shift] = []
    day = raw_end
    for _ in range(_MAX_SHIFT_DAYS):
        unknown = _unknown_year(cal, day)
        if unknown is None:
            info = cal.day(day)
            if not info.is_rest(policy):
                return day, shifts
            reason = info.rest_reason(policy)
        else:
            missing.add(unknown)
            reason_or_none = _unknown_day_rest(cal, day, policy, earliest=earliest)
            if reason_or_none is None:
                return day, shifts
            reason = reason_or_none
        shifts.append(Shift(day, day + dt.timedelta(days=1), reason))
        day += dt.timedelta(days=1)
    raise RuntimeError(f"no working day within {_MAX_SHIFT_DAYS} days after {raw_end}")  # pragma: no cover


def _unknown_day_rest(cal: OfficialCalendar, day: dt.date, policy: Policy, *, earliest: bool) -> str | None:
    """Why ``day`` counts as a rest day on this walk, or None if it counts as a working day."""
    zh_wd, en_wd = weekday_names(day)
    statutory = statutory_days(day.year).get(day) if FIRST_STATUTORY_YEAR <= day.year <= LAST_STATUTORY_YEAR else None
    if statutory is not None:
        return (
            f"{day} {statutory.name_zh}法定节假日（全国年节及纪念日放假办法第二条，无论通知如何安排均放假）/ "
            f"{statutory.name_en}, a statutory holiday whatever the notice says"
        )
    if cal.covers(day.year):  # late December of a known year: known, unless the next year's notice moves it
        known_rest = cal.day(day).is_rest(policy)
    else:
        known_rest = day.weekday() >= 5 and policy is Policy.ALL_WEEKENDS
    weekend = day.weekday() >= 5
    if earliest:
        if known_rest and (policy is Policy.ALL_WEEKENDS or not weekend or may_work_weekend(day) is None):
            return f"{day} {zh_wd}，休息日 / {en_wd}, rest day"
        if not cal.covers(day.year) and weekend and policy is Policy.OFFICIAL and may_work_weekend(day) is None:
            return f"{day} {zh_wd}，周末，节日附近从未调休上班 / {en_wd}, weekend, never a make-up day so far from a festival"
        return None
    if known_rest or weekend:
        return f"{day} {zh_wd}，休息日 / {en_wd}, rest day"
    festival = may_rest(day)
    if festival is not None:
        zh, en = FESTIVALS[festival]
        return f"{day} {zh_wd}，可能被安排为{zh}调休放假 / {en_wd}, may become a {en} rest day"
    return None


@dataclass(frozen=True)
class DualDeadline:
    """Both readings of make-up days; where they differ the clock shows both (DOMAIN: Statutory periods)."""

    official: Deadline
    all_weekends: Deadline

    @property
    def breach_after(self) -> dt.date:
        """The later deadline: a breach is declared only after it, so no agency is accused a day early.

        With a year's notice unknown, the latest plausible date of either reading."""
        return max(self.official.latest_date, self.all_weekends.latest_date)

    @property
    def missing_years(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.official.missing_years) | set(self.all_weekends.missing_years)))

    @property
    def differs(self) -> bool:
        return self.official.date != self.all_weekends.date

    @property
    def calendar_missing(self) -> bool:
        return self.official.calendar_missing or self.all_weekends.calendar_missing

    def explain(self) -> str:
        """Both explanations, then the date a breach can first be declared after."""
        tail = (
            f"两种口径结果不同，以较晚者 {self.breach_after} 为准认定超期 / the readings differ; a breach is "
            f"declared only after the later date, {self.breach_after}"
            if self.differs
            else f"两种口径结果相同 / both readings agree: {self.breach_after}"
        )
        return "\n\n".join([self.official.explain(), self.all_weekends.explain(), tail])


def compute_both(start: dt.date, period: Period, calendar: OfficialCalendar | None = None) -> DualDeadline:
    """The deadline under ``official`` and ``all-weekends``; see :attr:`DualDeadline.breach_after`."""
    return DualDeadline(
        official=compute_deadline(start, period, Policy.OFFICIAL, calendar),
        all_weekends=compute_deadline(start, period, Policy.ALL_WEEKENDS, calendar),
    )


def reply_period(issued_on: dt.date, urgent: bool) -> Period:
    """The agency's reply period for a pre-litigation recommendation, versioned by effective date.

    * Issued before 2017-07-01 — the 2015 pilot measures (人民检察院提起公益诉讼试点工作实施办法) Art. 40:
      reply within **one month** of receipt. The pilot measures had no shorter urgent period, so an urgent
      pilot recommendation still gets one month: applying the later 15-day rule retroactively would accuse
      an agency under a rule that did not bind it.
    * From 2017-07-01 — 法释〔2018〕6号 Art. 21(2): **two months**, or **15 days** where the harm keeps
      spreading or in other urgent cases. (The interpretation itself took effect 2018-03-02; the
      2017-07-01 cut follows the end of the pilot, when 行政诉讼法 Art. 25(4) took over, as DOMAIN.md says.)
    """
    if issued_on < PILOT_RULE_ENDS:
        return Period.months(1)
    return Period.days(15) if urgent else Period.months(2)


def is_on_time(deadline: dt.date, replied_on: dt.date | None, posted_on: dt.date | None) -> bool:
    """Whether a reply met ``deadline``.

    A reply received on the last day is on time: the period ends at 24:00 of that day (民法典 Art. 203(2)).
    Time in the post is not counted, so a reply posted on or before the deadline is on time whatever
    date it arrived (民事诉讼法 Art. 85(4): 诉讼文书在期满前交邮的，不算过期). No reply at all is not on
    time. Pass :attr:`DualDeadline.breach_after` as ``deadline`` when judging a breach.
    """
    if posted_on is not None and posted_on <= deadline:
        return True
    return replied_on is not None and replied_on <= deadline
