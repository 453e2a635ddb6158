"""Period parsing, the versioned reply period, on-time rule, explanations, and property tests."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import OfficialCalendar, Policy
from sla.periods import (
    Period,
    PeriodError,
    PeriodUnit,
    compute_both,
    compute_deadline,
    is_on_time,
    reply_period,
)

D = dt.date.fromisoformat
CAL = OfficialCalendar.load()


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [("2m", 2, PeriodUnit.MONTHS), ("15d", 15, PeriodUnit.DAYS), (" 30D ", 30, PeriodUnit.DAYS), ("1M", 1, "m")],
)
def test_period_parse(text: str, count: int, unit: str) -> None:
    p = Period.parse(text)
    assert (p.count, p.unit) == (count, unit)
    assert str(p) == f"{count}{unit}"


@pytest.mark.parametrize("text", ["", "2", "m", "0d", "-1d", "2w", "2 months", "1.5m", "二个月", "2m3d"])
def test_period_parse_rejects_bad_input(text: str) -> None:
    with pytest.raises(PeriodError, match="期间格式无效") as exc:
        Period.parse(text)
    assert "expected Nd (days) or Nm (months)" in str(exc.value)


@pytest.mark.parametrize(
    ("start", "period", "raw"),
    [
        ("2023-12-31", "2m", "2024-02-29"),  # Art. 202: no Feb 31 → last day, leap year
        ("2022-12-31", "2m", "2023-02-28"),
        ("2024-02-28", "2m", "2024-04-28"),  # same-numbered day exists → not the month end
        ("2024-01-30", "1m", "2024-02-29"),
        ("2024-03-31", "1m", "2024-04-30"),
        ("2024-11-30", "3m", "2025-02-28"),
        ("2024-12-31", "12m", "2025-12-31"),
        ("2024-02-29", "12m", "2025-02-28"),
        ("2024-08-01", "15d", "2024-08-16"),  # Art. 201: start day not counted
        ("2024-12-31", "1d", "2025-01-01"),
    ],
)
def test_raw_end(start: str, period: str, raw: str) -> None:
    assert Period.parse(period).raw_end(D(start)) == D(raw)


def test_reply_period_is_versioned() -> None:
    # 2015 pilot measures Art. 40: one month, urgent or not (no urgent rule existed)
    assert reply_period(D("2016-05-01"), urgent=False) == Period.months(1)
    assert reply_period(D("2017-06-30"), urgent=True) == Period.months(1)
    # 法释〔2018〕6号 Art. 21(2): two months; 15 days when urgent
    assert reply_period(D("2017-07-01"), urgent=False) == Period.months(2)
    assert reply_period(D("2017-07-01"), urgent=True) == Period.days(15)
    assert reply_period(D("2025-03-01"), urgent=True) == Period.days(15)


def test_is_on_time() -> None:
    deadline = D("2024-10-08")
    assert is_on_time(deadline, D("2024-10-08"), None)  # the last day counts until 24:00 (民法典 Art. 203)
    assert not is_on_time(deadline, D("2024-10-09"), None)
    assert is_on_time(deadline, D("2024-10-12"), D("2024-10-08"))  # posted in time (民诉法 Art. 85(4))
    assert not is_on_time(deadline, D("2024-10-12"), D("2024-10-09"))
    assert is_on_time(deadline, None, D("2024-10-01"))  # posted, not yet received
    assert not is_on_time(deadline, None, None)
    assert is_on_time(deadline, D("2024-10-01"), D("2024-10-09"))  # received early; posted date irrelevant


def test_explain_mentions_start_raw_end_each_shift_and_final() -> None:
    text = compute_deadline(D("2024-08-01"), Period.parse("2m"), calendar=CAL).explain()
    assert "2024-08-01" in text and "不计入" in text and "not counted" in text
    assert "Raw end: 2024-10-01" in text
    assert text.count("国庆节假日 / National Day holiday") == 7
    assert "Deadline: 2024-10-08" in text
    for article in ("第201条", "第202条", "第203条", "第85条"):
        assert article in text


def test_explain_flags_missing_calendar() -> None:
    d = compute_deadline(D("2026-12-03"), Period.parse("1m"), calendar=CAL)
    assert d.calendar_missing and d.missing_years == (2027,)
    text = d.explain()
    assert "earliest possible date" in text and "最早可能日" in text and "Latest plausible: 2027-01-04" in text


def test_dual_explain_shows_both_and_the_later_date() -> None:
    both = compute_both(D("2024-09-27"), Period.parse("15d"), calendar=CAL)
    assert both.differs and both.breach_after == D("2024-10-14")
    text = both.explain()
    assert "2024-10-12" in text and "2024-10-14" in text and "较晚" in text


# ----------------------------------------------------------------------------------------------- properties

starts = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2026, 10, 15))
periods = st.one_of(
    st.integers(1, 400).map(Period.days),
    st.integers(1, 24).map(Period.months),
)
policies = st.sampled_from(list(Policy))


@settings(max_examples=400, deadline=None)
@given(start=starts, period=periods, policy=policies)
def test_deadline_is_first_working_day_on_or_after_raw_end(start: dt.date, period: Period, policy: Policy) -> None:
    d = compute_deadline(start, period, policy, CAL)
    assert d.date >= d.raw_end
    if d.calendar_missing:  # a needed year, or the next one (its New Year block may reach back into December)
        assert not all(CAL.covers(y) for y in range(d.raw_end.year, d.latest_date.year + 2))
        assert d.latest_date >= d.date
        return
    assert d.date >= d.raw_end
    assert not CAL.is_rest_day(d.date, policy)
    # no working day is skipped between the raw end and the deadline
    day = d.raw_end
    while day < d.date:
        assert CAL.is_rest_day(day, policy)
        day += dt.timedelta(days=1)
    assert len(d.shifts) == (d.date - d.raw_end).days


@settings(max_examples=400, deadline=None)
@given(start=starts, period=periods)
def test_all_weekends_is_never_earlier_than_official(start: dt.date, period: Period) -> None:
    both = compute_both(start, period, calendar=CAL)
    assert both.all_weekends.date >= both.official.date
    assert both.breach_after == both.all_weekends.latest_date
    assert both.all_weekends.latest_date >= both.official.latest_date >= both.official.date
    assert both.all_weekends.date.weekday() < 5 or both.all_weekends.calendar_missing


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(1, 24))
def test_month_end_rule(start: dt.date, n: int) -> None:
    raw = Period.months(n).raw_end(start)
    months = (raw.year - start.year) * 12 + raw.month - start.month
    assert months == n
    next_day = raw + dt.timedelta(days=1)
    assert raw.day == start.day or (raw.day < start.day and next_day.month != raw.month)
