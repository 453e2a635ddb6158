"""Statutory holidays and the reach of a notice, checked against the published schedules of 2008–2026.

The published schedules come from the ``chinesecalendar`` package (maintained from the State Council notices),
not from this project: every statutory day computed from the lunar library must be a rest day there, and the
reach tables that bound a deadline in an unknown year must be exactly what those schedules show.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar as cc
import pytest

from sla.statutory import (
    BLOCK_REACH,
    MAKEUP_REACH,
    chuxi,
    follows_statutory,
    statutory_by_festival,
    statutory_days,
)

ONE = dt.timedelta(days=1)
YEARS = range(2008, 2027)
CC_FESTIVAL = {
    "New Year's Day": "new_year",
    "Spring Festival": "spring",
    "Tomb-sweeping Day": "qingming",
    "Labour Day": "labour",
    "Dragon Boat Festival": "dragon_boat",
    "Mid-autumn Festival": "mid_autumn",
    "National Day": "national",
}


@pytest.mark.parametrize("year", YEARS)
def test_every_statutory_day_was_a_rest_day(year: int) -> None:
    days = statutory_days(year)
    named = sum(len(v) for v in statutory_by_festival(year).values())
    assert named == (13 if year >= 2025 else 11)  # Art. 2: 11 days, 13 from 2025
    assert len(days) >= named - 1  # 中秋 can fall on 10-1 … 10-3 (2009, 2020)
    for d, sd in days.items():
        assert cc.is_holiday(d), f"{d} {sd.name_zh} is a working day in the published schedule"


def test_known_lunar_dates() -> None:
    assert chuxi(2027) == dt.date(2027, 2, 5)  # DOMAIN.md: 除夕 2027 is 2027-02-05
    spring = [sd.day for sd in statutory_by_festival(2027)["spring"]]
    assert spring == [dt.date(2027, 2, 5) + i * ONE for i in range(4)]
    assert statutory_by_festival(2024)["spring"][0].day == dt.date(2024, 2, 10)  # 初一; 除夕 not statutory
    assert statutory_by_festival(2013)["spring"][0].day == dt.date(2013, 2, 9)  # 除夕 statutory 2008–2013
    # 清明 is a solar term (2008: April 4; 2027: April 5), computed, not assumed
    assert statutory_by_festival(2008)["qingming"][0].day == dt.date(2008, 4, 4)
    assert statutory_by_festival(2027)["qingming"][0].day == dt.date(2027, 4, 5)


def _reaches() -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """The reach tables as the published schedules give them (see sla.statutory)."""
    block: dict[str, tuple[int, int]] = {}
    makeup: dict[str, tuple[int, int]] = {}
    for year in YEARS:
        for festival, days in statutory_by_festival(year).items():
            first, last = days[0].day, days[-1].day
            s, e = first, last
            while cc.is_holiday(s - ONE):
                s -= ONE
            while cc.is_holiday(e + ONE):
                e += ONE
            b, a = block.get(festival, (0, 0))
            block[festival] = (max(b, (first - s).days), max(a, (e - last).days))
    for d, name in cc.workdays.items():
        festival = CC_FESTIVAL.get(name)
        if d.year < 2008 or festival is None:  # 2015-09-06: the one-off 70th-anniversary day
            continue
        year = d.year + 1 if festival == "new_year" and d.month == 12 else d.year
        if year not in YEARS:
            continue
        days = statutory_by_festival(year)[festival]
        first, last = days[0].day, days[-1].day
        b, a = makeup.get(festival, (0, 0))
        makeup[festival] = (max(b, (first - d).days), max(a, (d - last).days))
    return block, makeup


def test_reach_tables_are_the_published_maxima() -> None:
    block, makeup = _reaches()
    assert block == BLOCK_REACH
    assert makeup == MAKEUP_REACH


def test_no_make_up_day_ever_followed_a_festival_through_a_weekend() -> None:
    """The weekend after a statutory day is rested with it (连休): never a make-up working day 2008–2026."""
    checked = [d for d in cc.workdays if d.year >= 2008]
    assert len(checked) > 100
    assert [d for d in checked if follows_statutory(d)] == []
    # and the rule does say something: 2027-01-02/03 follow New Year's Day (a Friday)
    assert follows_statutory(dt.date(2027, 1, 2)) and follows_statutory(dt.date(2027, 1, 3))
