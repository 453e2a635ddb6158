"""Statutory holidays (法定节假日) of a year — the days known before the State Council's notice.

Why this module exists: the General Office of the State Council publishes each year's schedule in the autumn
before (国务院办公厅关于YYYY年部分节假日安排的通知), so a deadline received in December can end in a year
whose schedule is not yet known. Some of its days are known anyway: the statutory holidays themselves are
fixed by 全国年节及纪念日放假办法 Art. 2 (全体公民放假的节日), and the lunar ones follow from the lunar
calendar. Whatever the notice will say, these days are rest days.

The versions of Art. 2 (each in force from 1 January of the year named):

* 2008 (国务院令第513号, December 2007): 元旦 1; 春节 3 (农历除夕、正月初一、初二); 清明 1; 劳动节 1 (5-1);
  端午 1; 中秋 1; 国庆 3 (10-1 … 10-3) — 11 days;
* 2014 (国务院令第644号, December 2013): 春节 3 days become 农历正月初一、初二、初三 (除夕 no longer statutory);
* 2025 (国务院令第795号, November 2024): 春节 4 (农历除夕、正月初一、初二、初三); 劳动节 2 (5-1, 5-2) — 13 days.

Lunar dates and the solar term 清明 come from ``lunar_python`` (the 6tail lunar calendar: lunar months from
astronomical new moons, solar terms from the sun's apparent longitude), never from a table typed here.
``tests/sla/test_statutory.py`` checks every statutory day of 2008–2026 against the ``chinesecalendar``
package's published schedules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from lunar_python import Lunar

__all__ = [
    "BLOCK_REACH",
    "FESTIVALS",
    "FIRST_STATUTORY_YEAR",
    "MAKEUP_REACH",
    "StatutoryDay",
    "chuxi",
    "follows_statutory",
    "is_statutory",
    "may_rest",
    "may_work_weekend",
    "statutory_by_festival",
    "statutory_days",
]

#: The first year the 2008 version of Art. 2 (with 清明、端午、中秋) governs; earlier years are not supported.
FIRST_STATUTORY_YEAR = 2008
#: The lunar calendar library covers 1900–2100 comfortably; a year outside is a data error, not a guess.
LAST_STATUTORY_YEAR = 2099

#: Festival keys in notice order, with their Chinese and English names.
FESTIVALS: dict[str, tuple[str, str]] = {
    "new_year": ("元旦", "New Year's Day"),
    "spring": ("春节", "Spring Festival"),
    "qingming": ("清明节", "Qingming Festival"),
    "labour": ("劳动节", "Labour Day"),
    "dragon_boat": ("端午节", "Dragon Boat Festival"),
    "mid_autumn": ("中秋节", "Mid-Autumn Festival"),
    "national": ("国庆节", "National Day"),
}


@dataclass(frozen=True)
class StatutoryDay:
    """One statutory holiday: the day, its festival key, and why (the clause of Art. 2)."""

    day: dt.date
    festival: str
    basis: str

    @property
    def name_zh(self) -> str:
        return FESTIVALS[self.festival][0]

    @property
    def name_en(self) -> str:
        return FESTIVALS[self.festival][1]


def _solar(lunar: Lunar) -> dt.date:
    s = lunar.getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


def chuxi(year: int) -> dt.date:
    """The Gregorian date of 除夕 (the last day of the lunar year) before the Spring Festival of ``year``."""
    return _solar(Lunar.fromYmd(year, 1, 1).next(-1))


def _check_year(year: int) -> None:
    if not FIRST_STATUTORY_YEAR <= year <= LAST_STATUTORY_YEAR:
        raise ValueError(
            f"{year}年不在法定节假日可计算范围（{FIRST_STATUTORY_YEAR}–{LAST_STATUTORY_YEAR}）/ statutory holidays "
            f"are computed for {FIRST_STATUTORY_YEAR}–{LAST_STATUTORY_YEAR} only, not {year}"
        )


@cache
def statutory_by_festival(year: int) -> dict[str, tuple[StatutoryDay, ...]]:
    """The statutory holidays of ``year`` by festival, under the version of Art. 2 in force that year.

    Every day lies in ``year``: 除夕 falls between January 20 and February 18.
    """
    _check_year(year)
    first_lunar_day = Lunar.fromYmd(year, 1, 1)
    if year >= 2025:
        spring_basis = "放假办法（2024年修订）第二条：春节，放假4天（农历除夕、正月初一至初三）"
        spring = [_solar(first_lunar_day.next(i)) for i in (-1, 0, 1, 2)]
        labour = [dt.date(year, 5, 1), dt.date(year, 5, 2)]
        labour_basis = "放假办法（2024年修订）第二条：劳动节，放假2天（5月1日、2日）"
    elif year >= 2014:
        spring_basis = "放假办法（2013年修订）第二条：春节，放假3天（农历正月初一、初二、初三）"
        spring = [_solar(first_lunar_day.next(i)) for i in (0, 1, 2)]
        labour = [dt.date(year, 5, 1)]
        labour_basis = "放假办法第二条：劳动节，放假1天（5月1日）"
    else:
        spring_basis = "放假办法（2007年修订）第二条：春节，放假3天（农历除夕、正月初一、初二）"
        spring = [_solar(first_lunar_day.next(i)) for i in (-1, 0, 1)]
        labour = [dt.date(year, 5, 1)]
        labour_basis = "放假办法第二条：劳动节，放假1天（5月1日）"
    qingming = first_lunar_day.getJieQiTable()["清明"]
    days = {
        "new_year": ([dt.date(year, 1, 1)], "放假办法第二条：新年，放假1天（1月1日）"),
        "spring": (spring, spring_basis),
        "qingming": (
            [dt.date(qingming.getYear(), qingming.getMonth(), qingming.getDay())],
            "放假办法第二条：清明节，放假1天（农历清明当日，二十四节气之一）",
        ),
        "labour": (labour, labour_basis),
        "dragon_boat": ([_solar(Lunar.fromYmd(year, 5, 5))], "放假办法第二条：端午节，放假1天（农历端午当日）"),
        "mid_autumn": ([_solar(Lunar.fromYmd(year, 8, 15))], "放假办法第二条：中秋节，放假1天（农历中秋当日）"),
        "national": (
            [dt.date(year, 10, d) for d in (1, 2, 3)],
            "放假办法第二条：国庆节，放假3天（10月1日、2日、3日）",
        ),
    }
    out: dict[str, tuple[StatutoryDay, ...]] = {}
    for festival, (dates, basis) in days.items():
        for d in dates:
            if d.year != year:  # pragma: no cover - impossible for 1900–2100, guarded all the same
                raise ValueError(f"{FESTIVALS[festival][0]} {d} is not in {year}")
        out[festival] = tuple(StatutoryDay(d, festival, basis) for d in dates)
    return out


@cache
def statutory_days(year: int) -> dict[dt.date, StatutoryDay]:
    """Every statutory holiday of ``year`` by date (中秋 may fall on 10-1…10-3: the first festival named wins)."""
    out: dict[dt.date, StatutoryDay] = {}
    for days in statutory_by_festival(year).values():
        for sd in days:
            out.setdefault(sd.day, sd)
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------------------------------
# What a year's notice can still do around its statutory days, from the published schedules 2008–2026.
#
# A notice turns weekdays next to a festival into rest days (调休) and weekend days into working days (调休上班).
# It has never done so far from a festival: the reaches below are the largest ever published, in days before
# the festival's first statutory day and after its last, recomputed from the ``chinesecalendar`` data by
# ``tests/sla/test_statutory.py``. They bound a deadline in a year whose notice is not yet known: the earliest
# date assumes every day that could be a working day is one, the latest that every day that could be a rest
# day is one. A notice outside these reaches (an extraordinary extension such as 2020's, which is inside
# them; a one-off holiday such as 2015-09-03) is flagged on import, and the clocks it moves are re-derived.

#: Rest block around a festival (contiguous rest days holding its statutory days), reach before/after.
#: E.g. 元旦 12-30 … 1-1 (2019); 春节 extended to 初九 (2020); 中秋 merged into 国庆 10-1 … 10-8 (2025).
BLOCK_REACH: dict[str, tuple[int, int]] = {
    "new_year": (2, 2),
    "spring": (1, 6),
    "qingming": (2, 2),
    "labour": (2, 4),
    "dragon_boat": (2, 2),
    "mid_autumn": (5, 7),
    "national": (2, 5),
}
#: Make-up working days (调休上班日) around a festival, reach before its first / after its last statutory day.
#: E.g. 2018-12-29 for 元旦 2019 (3 before); 2024-05-11 for 劳动节 (10 after).
MAKEUP_REACH: dict[str, tuple[int, int]] = {
    "new_year": (3, 5),
    "spring": (6, 9),
    "qingming": (4, 3),
    "labour": (8, 10),
    "dragon_boat": (4, 3),
    "mid_autumn": (3, 3),
    "national": (11, 9),
}


def _near(d: dt.date, reach: dict[str, tuple[int, int]]) -> str | None:
    """The festival whose reach (before its first / after its last statutory day) holds ``d``, if any.

    The festivals of ``d``'s year, and New Year's Day of the next year (whose notice may move the last days
    of December, as the 2019 notice did with 2018-12-29 … 31).
    """
    candidates: list[tuple[str, tuple[StatutoryDay, ...]]] = []
    if FIRST_STATUTORY_YEAR <= d.year <= LAST_STATUTORY_YEAR:
        candidates.extend(statutory_by_festival(d.year).items())
    if d.month == 12 and FIRST_STATUTORY_YEAR <= d.year + 1 <= LAST_STATUTORY_YEAR:
        candidates.append(("new_year", statutory_by_festival(d.year + 1)["new_year"]))
    for festival, days in candidates:
        before, after = reach[festival]
        first, last = days[0].day, days[-1].day
        if first - dt.timedelta(days=before) <= d <= last + dt.timedelta(days=after):
            return festival
    return None


def may_rest(d: dt.date) -> str | None:
    """Whether a notice could make ``d`` a rest day beyond the weekends: the festival near it, or None."""
    return _near(d, BLOCK_REACH)


def is_statutory(d: dt.date) -> bool:
    """Whether ``d`` is a statutory holiday (False outside the years this module computes)."""
    return FIRST_STATUTORY_YEAR <= d.year <= LAST_STATUTORY_YEAR and d in statutory_days(d.year)


def follows_statutory(d: dt.date) -> bool:
    """Whether a run of weekend days leads back from ``d`` to a statutory holiday (连休: the weekend after a
    festival is rested with it). No notice 2008–2026 made such a day a make-up working day; make-up days next
    to a festival all come *before* it (2017-09-30, 2026-02-14)."""
    x = d - dt.timedelta(days=1)
    while True:
        if is_statutory(x):
            return True
        if x.weekday() < 5:
            return False
        x -= dt.timedelta(days=1)


def may_work_weekend(d: dt.date) -> str | None:
    """Whether a notice could make the weekend day ``d`` a make-up working day: the festival near it, or None."""
    if follows_statutory(d):
        return None
    return _near(d, MAKEUP_REACH)
