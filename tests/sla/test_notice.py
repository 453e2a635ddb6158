"""Reading the State Council's holiday notices as published, checked against data this project did not write.

The fixtures in ``tests/sla/notices`` are the published notices 2019–2026 (sources in ``SOURCES.md``), with the
notices that adjusted them (2019 Labour Day, 2020 Spring Festival extension). Each year's parse must give exactly
the rest days and make-up working days of the ``chinesecalendar`` package, which is maintained independently from
the same notices.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar as cc
import pytest

from sla.notice import Notice, NoticeError, check_notice, parse_notice, read_notice

NOTICES = Path(__file__).with_name("notices")
ADJUSTING = {2019: ["2019-labour-amendment.txt"], 2020: ["2020-extension.txt"]}
ONE = dt.timedelta(days=1)


def year_text(year: int) -> str:
    return "\n".join(read_notice(NOTICES / f) for f in [f"{year}.txt", *ADJUSTING.get(year, [])])


def _days(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return [lo + i * ONE for i in range((hi - lo).days + 1)]


@pytest.mark.parametrize("year", range(2019, 2027))
def test_published_notices_give_the_official_calendar(year: int) -> None:
    notice = parse_notice(year_text(year))
    assert notice.year == year
    holidays, workdays = set(notice.holidays), set(notice.workdays)
    # the notice's reach: its year, and the end of December before it when its New Year block starts there
    lo = min([dt.date(year, 1, 1), *holidays, *workdays])
    reach = _days(lo, dt.date(year, 12, 31))
    assert workdays == {d for d in reach if d in cc.workdays}
    # every day is rested or worked exactly as the official calendar has it
    assert [d for d in reach if (d in holidays or (d.weekday() >= 5 and d not in workdays)) != cc.is_holiday(d)] == []
    # every named holiday of the package is a day off of the notice, and every day off is a rest day there;
    # (the package lists the weekend joined to a festival (“与周末连休”) for 2019 and 元旦 2024, not for 端午 2024)
    # (its last days of December may belong to the next year's New Year block: 2022-12-31 is in the 2023 notice)
    assert {d for d in reach if d in cc.holidays and d <= dt.date(year, 12, 28)} <= holidays
    assert all(cc.is_holiday(d) for d in holidays)
    assert [p for p in check_notice(notice)] == []  # the real notices are plausible, without a warning


def test_all_notices_together_name_the_packages_holidays() -> None:
    named: set[dt.date] = set()
    for year in range(2019, 2027):
        named |= set(parse_notice(year_text(year)).holidays)
    published = {d for d in cc.holidays if dt.date(2018, 12, 29) <= d <= dt.date(2026, 12, 31)}
    assert published <= named
    # the one difference: 端午 2024 “6月10日放假，与周末连休” — the notice rests the weekend with it, the package
    # lists only 6-10 there (while it lists the joined weekend of 元旦 2024, 2023-12-30/31); both are rest days
    assert sorted(named - published) == [dt.date(2024, 6, 8), dt.date(2024, 6, 9)]


def test_json_shape_and_cross_year_block() -> None:
    notice = parse_notice(year_text(2023))
    out = notice.as_json()
    assert list(out) == ["year", "holidays", "workdays"]
    assert out["year"] == 2023
    assert out["holidays"][:3] == ["2022-12-31", "2023-01-01", "2023-01-02"]  # “2022年12月31日至2023年1月2日”
    assert out["holidays"] == sorted(out["holidays"]) and out["workdays"] == sorted(out["workdays"])
    assert "2023-01-28" in out["workdays"] and "2023-01-29" in out["workdays"]


def test_encouragement_decides_no_day() -> None:
    """2024: “鼓励各单位…安排职工在除夕（2月9日）休息” — 除夕 was not a day off in 2024."""
    notice = parse_notice(year_text(2024))
    assert dt.date(2024, 2, 9) not in notice.holidays
    assert not cc.is_holiday(dt.date(2024, 2, 9))


def test_half_width_reprint_and_gb18030(tmp_path: Path) -> None:
    text = year_text(2025)
    half = text.translate(str.maketrans({"：": ":", "，": ",", "（": "(", "）": ")"})).replace("\n", "\n  ")
    assert parse_notice(half).as_json() == parse_notice(text).as_json()
    f = tmp_path / "2025-gbk.txt"
    f.write_bytes(text.encode("gb18030"))
    assert parse_notice(read_notice(f)).as_json() == parse_notice(text).as_json()


def test_every_problem_is_reported_with_its_line() -> None:
    lines = year_text(2026).splitlines()
    broken = []
    for line in lines:
        if line.startswith("二、春节"):  # block of 9 days stated as 8, a weekday as make-up day, a wrong weekday
            line = line.replace("共9天", "共8天").replace("2月28日（周六）", "3月2日（周六）")
        elif line.startswith("三、清明节"):  # 清明 2026 is April 5: the block no longer holds it
            line = "三、清明节：4月6日（周一）放假，共1天。"
        elif line.startswith("七、国庆节"):  # no National Day at all
            continue
        broken.append(line)
    notice = parse_notice("\n".join(broken))
    problems = check_notice(notice)
    spring = next(i for i, line in enumerate(broken, 1) if line.startswith("二、春节"))
    qingming = next(i for i, line in enumerate(broken, 1) if line.startswith("三、清明节"))
    found = {(p.line, p.en.split(":")[0].split(" ")[0]) for p in problems}
    assert any(p.line == spring and "not the 8 stated" in p.en for p in problems)
    assert any(p.line == spring and "2026-03-02 is not a Saturday" in p.en for p in problems)
    assert any(p.line == spring and "2026-03-02 is a Monday" in p.en for p in problems)
    assert any(p.line == qingming and "2026-04-05" in p.en and "not inside" in p.en for p in problems)
    assert any(p.line == 0 and "National Day" in p.en for p in problems)
    assert len(problems) == 5, found


def test_extension_needs_the_original() -> None:
    with pytest.raises(NoticeError, match="original notice"):
        parse_notice(read_notice(NOTICES / "2020-extension.txt"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("hello", "no year found"),
        ("国务院办公厅关于2027年部分节假日安排的通知\n没有条目。", "no holiday item"),
        ("国务院办公厅关于2027年部分节假日安排的通知\n二、春节：2月30日至3月2日放假调休，共3天。", "invalid date"),
        ("国务院办公厅关于2027年部分节假日安排的通知\n二、春节：放假安排另行通知。", "no day off understood"),
    ],
)
def test_bad_texts_are_refused_with_the_line(text: str, needle: str) -> None:
    with pytest.raises(NoticeError, match=needle):
        parse_notice(text)


def test_lunar_labels_are_checked() -> None:
    """The notices name lunar days (“农历除夕”, “农历正月初七”): checked against the lunar calendar."""
    good = parse_notice(year_text(2026))
    assert good.items[1].lunar_claims == [(dt.date(2026, 2, 15), "腊月二十八"), (dt.date(2026, 2, 23), "正月初七")]
    bad: Notice = parse_notice(year_text(2026).replace("农历腊月二十八", "农历除夕"))
    assert any("2026-02-15 is lunar 腊月二十八" in p.en for p in check_notice(bad))
