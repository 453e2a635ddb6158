"""The official calendar: chinesecalendar data checks, 除夕, half-day holidays, overrides, missing years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from sla.calendar import (
    ENV_CALENDAR_FILE,
    SHIPPED_OVERRIDES,
    CalendarConfigError,
    CalendarMissingError,
    DayKind,
    OfficialCalendar,
    Policy,
    default_calendar,
)
from sla.periods import Period, compute_deadline

D = dt.date.fromisoformat
CAL = OfficialCalendar.load()

# 除夕 (lunar New Year's Eve) by year and whether that year's State Council notice made it a rest day.
# 2014 and 2024 are the two years it was worked; from 2025 it is statutory.
CHUXI = {
    "2014-01-30": False,
    "2015-02-18": True,
    "2016-02-07": True,  # a Sunday, inside hol 2-07..2-13
    "2017-01-27": True,
    "2018-02-15": True,
    "2019-02-04": True,
    "2020-01-24": True,
    "2021-02-11": True,
    "2022-01-31": True,
    "2023-01-21": True,  # a Saturday, inside hol 1-21..1-27
    "2024-02-09": False,
    "2025-01-28": True,
    "2026-02-16": True,
}


@pytest.mark.parametrize(("day", "rested"), CHUXI.items())
def test_chuxi_follows_each_years_notice(day: str, rested: bool) -> None:
    assert CAL.is_rest_day(D(day)) is rested


@pytest.mark.parametrize("day", [d for d, _ in CHUXI.items() if D(d).year >= 2025])
def test_chuxi_is_a_named_holiday_from_2025(day: str) -> None:
    info = CAL.day(D(day))
    assert info.kind is DayKind.HOLIDAY
    assert info.name_zh == "春节"


@pytest.mark.parametrize("year", [2025, 2026])
def test_2025_rules_labour_day_two_days_and_fixed_days(year: int) -> None:
    for m, d in [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)]:
        assert CAL.day(dt.date(year, m, d)).kind is DayKind.HOLIDAY


def test_half_day_holidays_are_never_rest_days_on_weekdays() -> None:
    """妇女节 3-8, 青年节 5-4 and 建军节 8-1 are half days for some people, not 法定休假日."""
    block = {(5, 4): "劳动节", (6, 1): "端午节"}  # 5-4 / 6-1 rest only inside a full holiday's block
    for year in range(2004, 2027):
        for m, d in [(3, 8), (8, 1), (5, 4), (6, 1)]:
            day = dt.date(year, m, d)
            if day.weekday() >= 5:
                continue
            info = CAL.day(day)
            if info.kind is DayKind.HOLIDAY:
                assert info.name_zh == block.get((m, d)), day  # e.g. 2019-05-04, 2025-05-04
            else:
                assert not info.is_rest(Policy.OFFICIAL), day


def test_chinesecalendar_half_day_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a package release ever list a half-day holiday, it must not become a rest day."""
    patched = dict(chinese_calendar.holidays)
    patched[D("2024-03-08")] = "Women's Day"
    monkeypatch.setattr(chinese_calendar, "holidays", patched)
    cal = OfficialCalendar()
    assert not cal.is_rest_day(D("2024-03-08"))


def test_covered_years_and_missing_year() -> None:
    assert CAL.covers(2004) and CAL.covers(2026)
    assert not CAL.covers(2027) and not CAL.covers(2003)
    with pytest.raises(CalendarMissingError) as exc:
        CAL.is_rest_day(D("2027-01-01"))
    assert exc.value.year == 2027
    assert "2027" in str(exc.value) and "no official holiday calendar" in str(exc.value)
    with pytest.raises(CalendarMissingError):
        CAL.next_working_day(D("2026-12-31"))  # 2026-12-31 is Thu; the next day is in 2027


def test_policies_on_a_make_up_saturday() -> None:
    sat = D("2024-10-12")  # 国庆 2024 mk
    assert not CAL.is_rest_day(sat, Policy.OFFICIAL)
    assert CAL.is_rest_day(sat, Policy.ALL_WEEKENDS)
    assert "调休上班日" in CAL.day(sat).rest_reason(Policy.ALL_WEEKENDS)
    assert CAL.next_working_day(D("2024-09-30"), Policy.OFFICIAL) == D("2024-10-08")
    assert CAL.next_working_day(D("2024-10-11"), Policy.ALL_WEEKENDS) == D("2024-10-14")
    assert CAL.next_working_day(D("2024-10-11"), Policy.OFFICIAL) == D("2024-10-12")


def test_shipped_file_is_documented_and_leaves_2027_uncovered() -> None:
    text = SHIPPED_OVERRIDES.read_text(encoding="utf-8")
    assert "每年秋季" in text and "pilhub calendar import" in text and "covered = true" in text
    assert "PILHUB_CALENDAR_FILE" in text
    assert "# [years.2027]" in text  # a commented template, not an invented schedule
    assert not OfficialCalendar.load().covers(2027)


# ---------------------------------------------------------------------------------------------- overrides


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_override_wins_over_chinesecalendar(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        "o.toml",
        """
version = 1
[years.2024]
holidays = [{ date = 2024-10-08, name = "测试假日", name_en = "Test holiday" }]
workdays = [{ date = 2024-10-07, name = "测试上班", name_en = "Test working day" }]
""",
    )
    cal = OfficialCalendar.load([f])
    assert cal.is_rest_day(D("2024-10-08"))
    assert not cal.is_rest_day(D("2024-10-07"))  # was a National Day holiday in the package
    d = compute_deadline(D("2024-08-01"), Period.parse("2m"), calendar=cal)
    # 10-01..10-06 rest; 10-07 now works → the last day moves to 10-07
    assert d.date == D("2024-10-07")


def test_operator_file_is_merged_on_top_and_can_cover_2027(tmp_path: Path) -> None:
    shipped_like = _write(
        tmp_path,
        "a.toml",
        """
version = 1
[years.2027]
holidays = [{ date = 2027-01-04, name = "甲", name_en = "A" }]
""",
    )
    operator = _write(
        tmp_path,
        "b.toml",
        """
version = 1
[years.2027]
covered = true
source = "test fixture, not a real notice"
chuxi = 2027-02-05
holidays = [
  { date = 2027-01-01, name = "元旦", name_en = "New Year's Day" },
  { date = 2027-02-05, name = "春节", name_en = "Spring Festival" },
  { date = 2027-05-01, name = "劳动节", name_en = "Labour Day" },
  { date = 2027-05-02, name = "劳动节", name_en = "Labour Day" },
  { date = 2027-10-01, name = "国庆节", name_en = "National Day" },
  { date = 2027-10-02, name = "国庆节", name_en = "National Day" },
  { date = 2027-10-03, name = "国庆节", name_en = "National Day" },
]
workdays = [{ date = 2027-01-09, name = "元旦", name_en = "New Year's Day" }]
""",
    )
    cal = OfficialCalendar([shipped_like, operator])
    assert cal.covers(2027)
    assert cal.is_rest_day(D("2027-01-04"))  # from the first file, kept by the merge
    assert not cal.is_rest_day(D("2027-01-09"))  # a Saturday made a working day
    d = compute_deadline(D("2026-12-01"), Period.parse("1m"), calendar=cal)
    # 2027-01-01 Fri hol, 1-02 Sat, 1-03 Sun, 1-04 Mon hol (fixture) → 1-05 Tue, no longer missing
    assert d.date == D("2027-01-05") and not d.calendar_missing


def test_uncovered_year_entries_do_not_make_it_covered(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        "o.toml",
        """
version = 1
[years.2027]
holidays = [{ date = 2027-01-01, name = "元旦", name_en = "New Year's Day" }]
""",
    )
    cal = OfficialCalendar.load([f])
    assert not cal.covers(2027)
    d = compute_deadline(D("2026-12-01"), Period.parse("1m"), calendar=cal)
    assert d.calendar_missing and d.missing_years == (2027,)
    # never a statutory holiday: 1-01 is New Year's Day whatever the notice says, and the weekend after it is
    # rested with it (no notice has ever made such a day a make-up working day) → Monday 1-04 at the earliest;
    # Monday 1-04 is also past every New Year block ever published
    assert d.date == D("2027-01-04") and d.latest_date == D("2027-01-04")


def test_override_can_withdraw_coverage(tmp_path: Path) -> None:
    f = _write(tmp_path, "o.toml", "version = 1\n[years.2026]\ncovered = false\n")
    cal = OfficialCalendar.load([f])
    assert not cal.covers(2026)
    assert compute_deadline(D("2026-01-05"), Period.parse("15d"), calendar=cal).calendar_missing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('version = 1\n[years.2027]\nholidays = [{ date = 2026-01-01, name = "x" }]\n', "不在 2027"),
        ('version = 1\n[years.2027]\nholidays = [{ date = 2027-03-08, name = "妇女节" }]\n', "半天假日"),
        (
            'version = 1\n[years.2027]\nholidays = [{ date = 2027-01-02, name = "x" }]\n'
            'workdays = [{ date = 2027-01-02, name = "x" }]\n',
            "listed as both",
        ),
        ("version = 1\n[years.2027]\ncovered = true\n", "not listed"),
        ("version = 1\n[years.2027]\nbogus = 1\n", "invalid calendar override"),
        ("version = 2\n", "invalid calendar override"),
        ("version = \n", "invalid TOML"),
    ],
)
def test_bad_override_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    f = _write(tmp_path, "bad.toml", body)
    with pytest.raises(CalendarConfigError, match=message):
        OfficialCalendar.load([f])


def test_covered_new_year_needs_chuxi(tmp_path: Path) -> None:
    fixed = "".join(
        f'  {{ date = 2027-{md}, name = "x" }},\n' for md in ["01-01", "05-01", "05-02", "10-01", "10-02", "10-03"]
    )
    f = _write(tmp_path, "o.toml", f"version = 1\n[years.2027]\ncovered = true\nholidays = [\n{fixed}]\n")
    with pytest.raises(CalendarConfigError, match="chuxi"):
        OfficialCalendar.load([f])
    g = _write(
        tmp_path, "p.toml", f"version = 1\n[years.2027]\ncovered = true\nchuxi = 2027-02-05\nholidays = [\n{fixed}]\n"
    )
    with pytest.raises(CalendarConfigError, match="除夕"):
        OfficialCalendar.load([g])


def test_env_file_is_merged_into_default_calendar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = _write(tmp_path, "o.toml", "version = 1\n[years.2026]\ncovered = false\n")
    monkeypatch.setenv(ENV_CALENDAR_FILE, str(f))
    default_calendar.cache_clear()
    try:
        assert not default_calendar().covers(2026)
        monkeypatch.setenv(ENV_CALENDAR_FILE, str(tmp_path / "nope.toml"))
        default_calendar.cache_clear()
        with pytest.raises(CalendarConfigError, match="not found"):
            default_calendar()
    finally:
        monkeypatch.delenv(ENV_CALENDAR_FILE)
        default_calendar.cache_clear()
    assert default_calendar().covers(2026)
