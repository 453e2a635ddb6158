"""Worked deadlines, each checked by hand against the law and the State Council schedules.

How each row was checked: the raw end was counted by hand (民法典 Art. 201: start day not counted, N days =
the N-th day after it; Art. 202: N months = the same-numbered day of the N-th later month, else its last
day). The calendar around the raw end was printed from chinesecalendar 1.11.0 and compared with the State
Council notice of that year (国务院办公厅关于某年部分节假日安排的通知) as recalled in the comment; the last day
then moves only if it is a rest day (Art. 203), to the first working day. ``official`` keeps a 调休上班日
as a working day; ``all-weekends`` rests every Saturday/Sunday as well as every official rest day.
Notation in comments: "hol a..b" = the notice's rest days, "mk X" = make-up working day X.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sla.calendar import OfficialCalendar, Policy
from sla.periods import Period, compute_both, compute_deadline, reply_period

CAL = OfficialCalendar.load()

D = dt.date.fromisoformat

# (start = day of receipt, period | "reply" | "reply-urgent", official, all-weekends, calendar_missing)
CASES: list[tuple[str, str, str, str, bool]] = [
    # -- the example
    # raw 2024-10-01 Tue; 2024 notice: 国庆 hol 10-01..10-07 (mk 9-29 Sun, 10-12 Sat); 10-08 Tue works.
    ("2024-08-01", "2m", "2024-10-08", "2024-10-08", False),
    # -- month ends and leap years (民法典 Art. 202)
    # 7-31 + 2m: September has no 31st → 9-30 (Mon, ordinary working day; 9-29 Sun mk irrelevant).
    ("2024-07-31", "2m", "2024-09-30", "2024-09-30", False),
    # Dec 31 + 2m → Feb 29 in leap 2024 (Thu, no holiday; Spring Festival ended 2-17).
    ("2023-12-31", "2m", "2024-02-29", "2024-02-29", False),
    # Dec 31 + 2m → Feb 28 in common 2023 (Tue, working).
    ("2022-12-31", "2m", "2023-02-28", "2023-02-28", False),
    # Feb 28 + 2m → Apr 28 (not month end); 2024-04-28 Sun is mk for 劳动节 → official keeps it, AW → 4-29 Mon.
    ("2024-02-28", "2m", "2024-04-28", "2024-04-29", False),
    # Feb 29 (leap 2020) + 1m → 3-29 Sun, ordinary weekend → 3-30 Mon.
    ("2020-02-29", "1m", "2020-03-30", "2020-03-30", False),
    # Dec 31 2019 + 2m → 2020-02-29 Sat (leap) → 3-01 Sun → 3-02 Mon.
    ("2019-12-31", "2m", "2020-03-02", "2020-03-02", False),
    # Jan 31 + 1m → 2024-02-29 (leap) Thu, working.
    ("2024-01-31", "1m", "2024-02-29", "2024-02-29", False),
    # Jan 31 + 1m → 2023-02-28 Tue (no 29th), working.
    ("2023-01-31", "1m", "2023-02-28", "2023-02-28", False),
    # Dec 31 2017 + 2m → 2018-02-28 Wed; 2018 Spring Festival hol 2-15..2-21 is over, 2-28 works.
    ("2017-12-31", "2m", "2018-02-28", "2018-02-28", False),
    # Dec 31 2021 + 2m → 2022-02-28 Mon (2022 SF hol 1-31..2-06 over).
    ("2021-12-31", "2m", "2022-02-28", "2022-02-28", False),
    # -- Spring Festival and 除夕 (statutory only from 2025)
    # raw 2018-02-15 = 除夕, rested under the 2018 notice (hol 2-15..2-21, mk 2-11 Sun, 2-24 Sat) → 2-22 Thu.
    ("2017-12-15", "2m", "2018-02-22", "2018-02-22", False),
    # raw 2018-02-24 Sat = mk for 春节 → official 2-24; AW: 2-24 Sat, 2-25 Sun rest → 2-26 Mon.
    ("2017-12-24", "2m", "2018-02-24", "2018-02-26", False),
    # raw 2024-02-09 Fri = 除夕 2024, NOT a rest day (2024 notice: hol 2-10..2-17, only "encouraged") → stays.
    ("2023-12-09", "2m", "2024-02-09", "2024-02-09", False),
    # raw 2024-02-10 Sat, SF hol 2-10..2-17; 2-18 Sun is mk → official 2-18; AW → 2-19 Mon.
    ("2023-12-10", "2m", "2024-02-18", "2024-02-19", False),
    # raw 2025-01-28 Tue = 除夕, statutory from 2025 (notice: hol 1-28..2-04, mk 1-26 Sun, 2-08 Sat) → 2-05 Wed.
    ("2024-11-28", "2m", "2025-02-05", "2025-02-05", False),
    # 1-11 + 15d = 1-26 Sun, mk for 2025 春节 → official 1-26; AW → 1-27 Mon (ordinary working day).
    ("2025-01-11", "15d", "2025-01-26", "2025-01-27", False),
    # raw 2014-01-30 Thu = 除夕 2014, worked (2014 notice: hol 1-31..2-06, mk 1-26 Sun, 2-08 Sat) → stays.
    ("2013-12-30", "1m", "2014-01-30", "2014-01-30", False),
    # raw 2026-02-14 Sat = mk (2026 notice: hol 2-15..2-23, mk 2-14 Sat, 2-28 Sat) → official 2-14; AW → 2-24 Tue.
    ("2025-12-14", "2m", "2026-02-14", "2026-02-24", False),
    # raw 2020-01-31 Fri: SF extended to 2-02 by 国办发明电〔2020〕1号 (2-01 Sat mk cancelled) → 2-03 Mon.
    ("2019-12-31", "1m", "2020-02-03", "2020-02-03", False),
    # -- National Day / Mid-Autumn
    # 9-16 + 15d = 10-01; 2025 notice hol 10-01..10-08 (中秋 10-06 inside), mk 9-28 Sun, 10-11 Sat → 10-09 Thu.
    ("2025-09-16", "15d", "2025-10-09", "2025-10-09", False),
    # raw 2025-10-06 Mon = 中秋 inside the National Day block → 10-09 Thu.
    ("2025-08-06", "2m", "2025-10-09", "2025-10-09", False),
    # 9-13 + 15d = 9-28 Sun, mk for 国庆 2025 → official 9-28; AW → 9-29 Mon.
    ("2025-09-13", "15d", "2025-09-28", "2025-09-29", False),
    # 9-27 + 15d = 10-12 Sat, mk for 国庆 2024 → official 10-12; AW: 10-12 Sat, 10-13 Sun → 10-14 Mon.
    ("2024-09-27", "15d", "2024-10-12", "2024-10-14", False),
    # raw 2017-09-30 Sat = mk (2017 notice: hol 10-01..10-08 incl. 中秋 10-04, mk 9-30) → official 9-30;
    # AW: 9-30 Sat then the whole block → 10-09 Mon. The widest gap between the two readings.
    ("2017-07-30", "2m", "2017-09-30", "2017-10-09", False),
    # raw 2020-10-10 Sat = mk (2020 notice: hol 10-01..10-08, mk 9-27 Sun, 10-10 Sat) → official 10-10; AW → 10-12.
    ("2020-08-10", "2m", "2020-10-10", "2020-10-12", False),
    # raw 2026-10-10 Sat = mk (2026 notice: hol 10-01..10-07, mk 9-20 Sun, 10-10 Sat) → official 10-10; AW → 10-12.
    ("2026-08-10", "2m", "2026-10-10", "2026-10-12", False),
    # -- Qingming
    # 3-20 + 15d = 4-04 Thu; 2024 notice hol 4-04..4-06, mk 4-07 Sun → official 4-07; AW → 4-08 Mon.
    ("2024-03-20", "15d", "2024-04-07", "2024-04-08", False),
    # 3-20 + 15d = 4-04 Fri; 2025 notice hol 4-04..4-06 (no mk) → 4-07 Mon.
    ("2025-03-20", "15d", "2025-04-07", "2025-04-07", False),
    # -- Labour Day
    # raw 2024-05-01 Wed; 2024 notice hol 5-01..5-05 (mk 4-28 Sun, 5-11 Sat) → 5-06 Mon.
    ("2024-03-01", "2m", "2024-05-06", "2024-05-06", False),
    # 4-16 + 15d = 5-01 Thu; 2025 notice hol 5-01..5-05 (mk 4-27 Sun) → 5-06 Tue.
    ("2025-04-16", "15d", "2025-05-06", "2025-05-06", False),
    # 4-26 + 15d = 5-11 Sat, mk for 劳动节 2024 → official 5-11; AW: 5-11 Sat, 5-12 Sun → 5-13 Mon.
    ("2024-04-26", "15d", "2024-05-11", "2024-05-13", False),
    # raw 2019-05-01 Wed; 2019 notice (revised) hol 5-01..5-04, mk 4-28 Sun, 5-05 Sun → official 5-05; AW → 5-06.
    ("2019-03-01", "2m", "2019-05-05", "2019-05-06", False),
    # -- other holidays and special days
    # 6-10 + 15d = 6-25 Sun = mk for 端午 2023 (hol 6-22..6-24) → official 6-25; AW → 6-26 Mon.
    ("2023-06-10", "15d", "2023-06-25", "2023-06-26", False),
    # 8-19 + 15d = 9-03 Thu, 2015 抗战胜利70周年 hol 9-03..9-05, mk 9-06 Sun → official 9-06; AW → 9-07 Mon.
    ("2015-08-19", "15d", "2015-09-06", "2015-09-07", False),
    # 12-17 + 15d = 2026-01-01 Thu; 2026 notice 元旦 hol 1-01..1-03, mk 1-04 Sun → official 1-04; AW → 1-05 Mon.
    ("2025-12-17", "15d", "2026-01-04", "2026-01-05", False),
    # -- plain weekends and plain working days
    # 6-03 + 15d = 6-18 Sun, ordinary weekend (端午 2023 is 6-22..24) → 6-19 Mon.
    ("2023-06-03", "15d", "2023-06-19", "2023-06-19", False),
    # 12-16 + 15d = 12-31 Tue, ordinary working day (2025 元旦 is 1-01 only) → stays.
    ("2024-12-16", "15d", "2024-12-31", "2024-12-31", False),
    # -- receipt on a holiday: the start day is never counted, holidays inside are not deducted
    # received on National Day 2024-10-01; + 15d = 10-16 Wed, working.
    ("2024-10-01", "15d", "2024-10-16", "2024-10-16", False),
    # received 2024-10-03 (holiday); + 2m = 12-03 Tue, working.
    ("2024-10-03", "2m", "2024-12-03", "2024-12-03", False),
    # received on 除夕 2025-01-28; + 15d = 2-12 Wed; the 8-day SF block inside is not deducted.
    ("2025-01-28", "15d", "2025-02-12", "2025-02-12", False),
    # -- 30-day announcement (法释〔2018〕6号 Art. 13)
    # 9-01 + 30d = 10-01 (National Day 2024) → 10-08 Tue.
    ("2024-09-01", "30d", "2024-10-08", "2024-10-08", False),
    # 1-10 + 30d = 2-09 Fri = 除夕 2024, a working day that year → stays.
    ("2024-01-10", "30d", "2024-02-09", "2024-02-09", False),
    # 1-01 + 30d = 1-31 Fri inside 2025 SF hol 1-28..2-04 → 2-05 Wed.
    ("2025-01-01", "30d", "2025-02-05", "2025-02-05", False),
    # -- half-day holidays are not rest days
    # 2-22 + 15d (leap Feb) = 3-08 Fri, 妇女节 half day → working, stays.
    ("2024-02-22", "15d", "2024-03-08", "2024-03-08", False),
    # 7-17 + 15d = 8-01 Tue, 建军节 half day → working, stays.
    ("2023-07-17", "15d", "2023-08-01", "2023-08-01", False),
    # 4-19 + 15d = 5-04 Thu, 青年节; 2023 Labour Day hol was 4-29..5-03 (mk 4-23 Sun, 5-06 Sat) → 5-04 works.
    ("2023-04-19", "15d", "2023-05-04", "2023-05-04", False),
    # -- the reply period, versioned (pilot Art. 40 before 2017-07-01; 法释〔2018〕6号 Art. 21 after)
    # pilot: 1m → 2016-10-01 Sat; 2016 notice hol 10-01..10-07, mk 10-08 Sat, 10-09 Sun → official 10-08;
    # AW: 10-08, 10-09 are weekend days → 10-10 Mon.
    ("2016-09-01", "reply", "2016-10-08", "2016-10-10", False),
    # pilot: 1m → 2017-01-27 Fri = 除夕, rested under 2017 notice (hol 1-27..2-02, mk 1-22 Sun, 2-04 Sat) → 2-03.
    ("2016-12-27", "reply", "2017-02-03", "2017-02-03", False),
    # pilot, urgent: still 1m (the pilot had no 15-day rule) → 7-30 Sun → 7-31 Mon.
    ("2017-06-30", "reply-urgent", "2017-07-31", "2017-07-31", False),
    # first day of the new rule: 2m → 9-01 Fri, working.
    ("2017-07-01", "reply", "2017-09-01", "2017-09-01", False),
    # new rule, urgent: 15d → 7-16 Sun → 7-17 Mon.
    ("2017-07-01", "reply-urgent", "2017-07-17", "2017-07-17", False),
    # -- calendar_missing: the 2027 schedule is unknown (chinesecalendar 1.11.0 stops at 2026)
    # Earliest possible dates (the latest plausible ones are in test_missing_year_ranges).
    # 2026-11-15 + 2m = 2027-01-15 Fri, far from any festival: a working day whatever the notice says, flagged.
    ("2026-11-15", "2m", "2027-01-15", "2027-01-15", True),
    # 2026-12-03 + 1m = 2027-01-03 Sun, rested with New Year's Day (Fri 1-01) → 1-04 Mon, flagged.
    ("2026-12-03", "1m", "2027-01-04", "2027-01-04", True),
    # 2026-12-01 + 1m = 2027-01-01 Fri: New Year's Day, a statutory holiday → never the deadline → 1-04 Mon.
    ("2026-12-01", "1m", "2027-01-04", "2027-01-04", True),
    # 2026-12-16 + 15d = 2026-12-31 Thu: known in 2026, but the 2027 notice may still join it to its New Year
    # block (the 2019 notice rested 2018-12-31, a Monday) → earliest 12-31, flagged.
    ("2026-12-16", "15d", "2026-12-31", "2026-12-31", True),
    # 2003 is before chinesecalendar's range: 6-01 + 15d = 6-16 Mon → provisional, flagged.
    ("2003-06-01", "15d", "2003-06-16", "2003-06-16", True),
]


def _period(start: dt.date, spec: str) -> Period:
    if spec.startswith("reply"):
        return reply_period(start, urgent=spec == "reply-urgent")
    return Period.parse(spec)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("start", "spec", "official", "all_weekends", "missing"), CASES)
def test_worked_deadline(start: str, spec: str, official: str, all_weekends: str, missing: bool) -> None:
    s = D(start)
    period = _period(s, spec)
    both = compute_both(s, period, calendar=CAL)
    assert both.official.date == D(official)
    assert both.all_weekends.date == D(all_weekends)
    assert both.calendar_missing is missing
    if not missing:
        assert both.breach_after == max(D(official), D(all_weekends))
    else:  # a breach only after the latest plausible date, never before the earliest
        assert both.breach_after >= max(D(official), D(all_weekends))
    assert both.differs is (official != all_weekends)
    # the shift chain runs from the raw end to the deadline, one rest day at a time
    for d in (both.official, both.all_weekends):
        chain = [d.raw_end, *(s.to_date for s in d.shifts)]
        assert chain[-1] == d.date
        assert [s.from_date for s in d.shifts] == chain[:-1]


def test_policy_argument_matches_compute_both() -> None:
    s, p = D("2017-07-30"), Period.parse("2m")
    assert compute_deadline(s, p, Policy.OFFICIAL, CAL).date == D("2017-09-30")
    assert compute_deadline(s, p, Policy.ALL_WEEKENDS, CAL).date == D("2017-10-09")


@pytest.mark.parametrize(
    ("start", "spec", "bounds"),
    [
        # 2026-12-05 + 2m = 2027-02-05, 除夕: 2-05 … 2-08 are statutory (除夕 to 初三, 放假办法 as amended 2024) →
        # 2-09 at the earliest; a Spring Festival block has reached 6 days past its statutory days (2020,
        # extended to 初九) → every weekday to 2-14 may still be rested → 2-15 at the latest.
        ("2026-12-05", "2m", ("2027-02-09", "2027-02-15")),
        # 2027-04-05 清明 (solar term from the lunar library; a Monday) → 4-06 at the earliest, 4-07 at the latest
        ("2027-03-05", "1m", ("2027-04-06", "2027-04-08")),
        # 2027-01-15, far from any festival: the same day both ways
        ("2026-11-15", "2m", ("2027-01-15", "2027-01-15")),
        # 2027-10-01 … 10-03 statutory (国庆) → 10-04 at the earliest; 国庆 blocks reached 10-08 → 10-09 is a
        # Saturday, so the latest is Monday 10-11
        ("2027-08-01", "2m", ("2027-10-04", "2027-10-11")),
    ],
)
def test_missing_year_ranges(start: str, spec: str, bounds: tuple[str, str]) -> None:
    both = compute_both(D(start), Period.parse(spec), calendar=CAL)
    assert both.calendar_missing and both.missing_years == (2027,)
    assert both.official.date == D(bounds[0])
    assert both.breach_after == D(bounds[1])
