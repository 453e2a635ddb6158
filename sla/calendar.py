"""The official calendar: statutory rest days and the State Council's make-up working days (调休上班日).

Why this module exists: a statutory period whose last day is a 法定休假日 moves to the first working day
after it (民法典 Art. 203; 民事诉讼法(2023) Art. 85(3)). Which days are rest days is not a rule of
arithmetic but a political fact published by the State Council every autumn for the next year. So:

* years the ``chinesecalendar`` package knows (2004–2026 in 1.11.0) come from it;
* the shipped override file ``sla/data/calendar_overrides.toml`` (and, merged on top, the operator's file
  named by ``PILHUB_CALENDAR_FILE``) wins over the package, date by date, and is how an operator adds next
  year's schedule each November without waiting for a package release;
* a year known to neither is **not guessed**: :meth:`OfficialCalendar.day` raises
  :class:`CalendarMissingError`, and callers turn that into the explicit ``calendar_missing`` state.

Two readings of make-up working days exist in practice (see :class:`Policy`). Half-day holidays
(妇女节 3-8, 青年节 5-4, 建军节 8-1) are never rest days: they concern only some people for half a day,
are not 全体公民放假的节日 (全国年节及纪念日放假办法 Art. 2), and therefore not 法定休假日.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "ENV_CALENDAR_FILE",
    "SHIPPED_OVERRIDES",
    "CalendarConfigError",
    "CalendarMissingError",
    "Day",
    "DayKind",
    "OfficialCalendar",
    "Policy",
    "YearSchedule",
    "default_calendar",
    "weekday_label",
    "weekday_names",
]

#: The override file shipped with the code; operators extend it (or their own file) every November.
SHIPPED_OVERRIDES: Path = Path(__file__).with_name("data") / "calendar_overrides.toml"
#: Environment variable naming an operator override file, merged on top of the shipped one.
ENV_CALENDAR_FILE = "PILHUB_CALENDAR_FILE"

# 国务院关于修改《全国年节及纪念日放假办法》的决定 (November 2024, in force 2025-01-01): 除夕 became a
# statutory holiday and 劳动节 two days. Before 2025, 除夕 was a rest day only where a year's schedule
# made it one by 调休 (e.g. 2018), and not at all in 2014 and 2024.
CHUXI_STATUTORY_FROM = 2025

_WEEKDAY_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# chinesecalendar names its holidays in English; the Chinese names are what users read.
_CC_NAMES: dict[str, tuple[str, str]] = {
    "New Year's Day": ("元旦", "New Year's Day"),
    "Spring Festival": ("春节", "Spring Festival"),
    "Tomb-sweeping Day": ("清明节", "Qingming Festival"),
    "Labour Day": ("劳动节", "Labour Day"),
    "Dragon Boat Festival": ("端午节", "Dragon Boat Festival"),
    "National Day": ("国庆节", "National Day"),
    "Mid-autumn Festival": ("中秋节", "Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": ("抗战胜利70周年纪念日", "70th Anniversary of the Victory (Anti-Fascist War)"),
}

# Holidays for part of the population only (全国年节及纪念日放假办法 Art. 3: 妇女节, 青年节 and 建军节 half
# days, 儿童节 for children): not 法定休假日, so never rest days here.
_HALF_DAY_MARKERS = ("妇女节", "青年节", "建军节", "儿童节", "women", "youth", "army", "children")


def weekday_names(d: dt.date) -> tuple[str, str]:
    """``("星期六", "Saturday")`` — explanations are read by procurators and by agencies' staff."""
    return _WEEKDAY_ZH[d.weekday()], _WEEKDAY_EN[d.weekday()]


def weekday_label(d: dt.date) -> str:
    """``星期六 / Saturday``."""
    zh, en = weekday_names(d)
    return f"{zh} / {en}"


class Policy(StrEnum):
    """Reading of make-up working days (调休上班日); the law has not settled it (see docs/calendar.md).

    ``official`` follows the days actually rested, as the repealed 民通意见 Art. 198 did: a 调休 Saturday
    is a working day. ``all-weekends`` treats every Saturday and Sunday as a rest day **in addition to**
    every rest day of the official schedule, so its rest days are a superset of ``official``'s and its
    deadline is never earlier.
    """

    OFFICIAL = "official"
    ALL_WEEKENDS = "all-weekends"


class DayKind(StrEnum):
    """What the official schedule says about one day."""

    WORKDAY = "workday"  # an ordinary Monday–Friday
    WEEKEND = "weekend"  # an ordinary Saturday or Sunday
    HOLIDAY = "holiday"  # a rest day of the schedule: festival, in-lieu day, weekend inside a block
    MAKEUP_WORKDAY = "makeup-workday"  # 调休上班日: declared a working day (normally a weekend day)


@dataclass(frozen=True)
class Day:
    """One calendar day as the official schedule classifies it, with its holiday name for explanations."""

    day: dt.date
    kind: DayKind
    name_zh: str = ""
    name_en: str = ""

    def is_rest(self, policy: Policy = Policy.OFFICIAL) -> bool:
        """Whether the day is a 法定休假日 under ``policy`` (only such a last day moves; 民法典 Art. 203)."""
        if self.kind in (DayKind.HOLIDAY, DayKind.WEEKEND):
            return True
        if self.kind is DayKind.MAKEUP_WORKDAY:
            return policy is Policy.ALL_WEEKENDS and self.day.weekday() >= 5
        return False

    def rest_reason(self, policy: Policy = Policy.OFFICIAL) -> str:
        """Why the day is a rest day, e.g. ``2024-10-05 国庆节假日 / National Day holiday``."""
        d = self.day
        if self.kind is DayKind.HOLIDAY:
            zh = self.name_zh or "法定节假日"
            en = self.name_en or "public"
            return f"{d} {zh}假日 / {en} holiday"
        if self.kind is DayKind.WEEKEND:
            zh_wd, en_wd = weekday_names(d)
            return f"{d} {zh_wd}，周末休息日 / {en_wd}, weekend rest day"
        if self.is_rest(policy):
            zh = f"{self.name_zh}调休上班日" if self.name_zh else "调休上班日"
            en = f"{self.name_en} make-up working day" if self.name_en else "make-up working day"
            return (
                f"{d} {_WEEKDAY_ZH[d.weekday()]}，{zh}，按“全部周末休息”口径仍视为休息日 / "
                f"{_WEEKDAY_EN[d.weekday()]}, {en}, treated as a rest day under the all-weekends reading"
            )
        return f"{d} 工作日 / working day"


class CalendarMissingError(LookupError):
    """The official schedule of ``year`` is not loaded: a deadline there would be a guess.

    Callers must surface this as the explicit ``calendar_missing`` state, never swallow it.
    """

    def __init__(self, year: int, covered: Iterable[int] = ()) -> None:
        self.year = year
        span = _span(covered)
        super().__init__(
            f"{year}年官方节假日安排尚未录入日历（已覆盖：{span}）；国务院公布后请用 pilhub calendar import "
            f"录入通知 / no official holiday calendar for {year} (covered: {span}); import the State Council "
            "notice with `pilhub calendar import` once published"
        )


class CalendarConfigError(ValueError):
    """An override file is missing or malformed; refusing it beats silently computing with bad data."""


def _span(years: Iterable[int]) -> str:
    ys = sorted(set(years))
    if not ys:
        return "无 / none"
    runs: list[str] = []
    start = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(f"{start}–{prev}" if start != prev else str(start))
        if y is not None:
            start = prev = y
    return ", ".join(runs)


# ---------------------------------------------------------------------------------------------------------
# Override file schema (documented for operators in the header of sla/data/calendar_overrides.toml).


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    name: str = Field(min_length=1, description="Chinese name, e.g. 春节")
    name_en: str = ""


class _YearSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    covered: bool | None = None
    source: str = ""
    chuxi: dt.date | None = None
    holidays: list[_Entry] = Field(default_factory=list)
    workdays: list[_Entry] = Field(default_factory=list)


class _OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    years: dict[int, _YearSection] = Field(default_factory=dict)


def _read_override(path: Path) -> _OverrideFile:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CalendarConfigError(f"日历覆盖文件不存在 / calendar override file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CalendarConfigError(f"日历覆盖文件不是有效的 TOML / invalid TOML in {path}: {exc}") from exc
    try:
        parsed = _OverrideFile.model_validate(raw)
    except ValidationError as exc:
        msg = f"日历覆盖文件格式错误 / invalid calendar override file {path}:"
        raise CalendarConfigError(f"{msg}\n{exc}") from exc
    for year, section in parsed.years.items():
        _check_section(path, year, section)
    return parsed


def _check_section(path: Path, year: int, section: _YearSection) -> None:
    where = f"{path} [years.{year}]"
    entries = [*section.holidays, *section.workdays]
    for entry in entries:
        if entry.date.year != year:
            raise CalendarConfigError(f"{where}: {entry.date} 不在 {year} 年 / is not in {year}")
    for entry in section.holidays:
        label = f"{entry.name} {entry.name_en}".lower()
        if any(marker in label for marker in _HALF_DAY_MARKERS):
            raise CalendarConfigError(
                f"{where}: {entry.date} {entry.name}：半天假日不是法定休假日，不得列入 holidays / "
                "half-day holidays (3-8, 5-4, 8-1) are not rest days and must not be listed"
            )
    both = {e.date for e in section.holidays} & {e.date for e in section.workdays}
    if both:
        listed = ", ".join(str(d) for d in sorted(both))
        raise CalendarConfigError(f"{where}: 同一日期同时列为休息日和上班日 / listed as both: {listed}")
    if section.chuxi is not None and section.chuxi.year != year:
        raise CalendarConfigError(f"{where}: chuxi {section.chuxi} 不在 {year} 年 / is not in {year}")


def _required_fixed_holidays(year: int) -> list[dt.date]:
    """Fixed-date days every schedule must rest (全国年节及纪念日放假办法 Art. 2, as amended for 2025)."""
    md = [(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)]
    if year >= CHUXI_STATUTORY_FROM:
        md.append((5, 2))  # 劳动节 two days from 2025
    return [dt.date(year, m, d) for m, d in md]


# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSchedule:
    """A whole year's schedule as the State Council notice gives it (imported into the store by an operator).

    It replaces everything else known of that year (package, override files): days off and make-up working days
    of the notice, which may include the last days of December before it (元旦 2019, 2023).
    """

    year: int
    source: str
    holidays: tuple[tuple[dt.date, str, str], ...]  # (date, 中文名, English name)
    workdays: tuple[tuple[dt.date, str, str], ...]


class OfficialCalendar:
    """Rest days and make-up working days by date, for the years whose official schedule is known.

    Build it with :meth:`load` (shipped override file + extras) or :func:`default_calendar`.
    """

    def __init__(
        self,
        override_files: Sequence[Path | str] = (),
        *,
        use_chinesecalendar: bool = True,
        schedules: Sequence[YearSchedule] = (),
    ):
        """Merge ``chinesecalendar`` (optional, for tests), ``override_files`` in order, then ``schedules``
        (imported notices, each replacing its whole year); later wins."""
        self._days: dict[dt.date, Day] = {}
        self._year_source: dict[int, str] = {}
        base_years: set[int] = set()
        if use_chinesecalendar:
            base_years = self._load_chinesecalendar()
            version = _package_version()
            for y in base_years:
                self._year_source[y] = f"chinesecalendar {version}"
        covered_flag: dict[int, bool] = {}
        chuxi: dict[int, dt.date] = {}
        self.sources: tuple[Path, ...] = tuple(Path(p) for p in override_files)
        for path in self.sources:
            parsed = _read_override(path)
            for year, section in parsed.years.items():
                if section.covered is not None:
                    covered_flag[year] = section.covered
                if section.chuxi is not None:
                    chuxi[year] = section.chuxi
                for kind, entries in (
                    (DayKind.HOLIDAY, section.holidays),
                    (DayKind.MAKEUP_WORKDAY, section.workdays),
                ):
                    for e in entries:
                        self._days[e.date] = Day(e.date, kind, e.name, e.name_en)
                if section.holidays or section.workdays or section.covered is not None:
                    where = f"{path}" + (f"（{section.source}）" if section.source else "")
                    prior = self._year_source.get(year)
                    self._year_source[year] = f"{prior} + {where}" if prior else where
        # The explicit "covered" notion: an override's flag wins; otherwise the package's years are covered.
        self._covered: frozenset[int] = frozenset(
            {y for y in base_years if covered_flag.get(y, True)} | {y for y, c in covered_flag.items() if c}
        )
        for year, flag in covered_flag.items():
            if flag and year not in base_years:
                self._check_new_year(year, chuxi.get(year))
        imported: set[int] = set()
        for sched in schedules:
            # the notice is the whole year: drop what else was known of it (its last days of December may be
            # decided by the next year's notice, so they stay)
            for d in [d for d in self._days if d.year == sched.year and not (d.month == 12 and d.day >= 29)]:
                del self._days[d]
            for kind, entries in ((DayKind.HOLIDAY, sched.holidays), (DayKind.MAKEUP_WORKDAY, sched.workdays)):
                for d, zh, en in entries:
                    self._days[d] = Day(d, kind, zh, en)
            self._year_source[sched.year] = sched.source
            imported.add(sched.year)
        self._covered = self._covered | frozenset(imported)

    def _load_chinesecalendar(self) -> set[int]:
        for d, name in chinese_calendar.holidays.items():
            zh, en = _CC_NAMES.get(name, (name, name))
            # Guard: should a future package version list a half-day holiday, it must not become a rest day.
            if any(marker in f"{zh} {en}".lower() for marker in _HALF_DAY_MARKERS):
                continue
            self._days[d] = Day(d, DayKind.HOLIDAY, zh, en)
        for d, name in chinese_calendar.workdays.items():
            zh, en = _CC_NAMES.get(name, (name, name))
            self._days[d] = Day(d, DayKind.MAKEUP_WORKDAY, zh, en)
        first = min(chinese_calendar.holidays).year
        last = max(chinese_calendar.holidays).year
        return set(range(first, last + 1))

    def _check_new_year(self, year: int, chuxi: dt.date | None) -> None:
        """Sanity checks on a year an operator declared covered, so a half-entered schedule is refused."""
        where = f"[years.{year}]"
        missing = [d for d in _required_fixed_holidays(year) if self.day(d).kind is not DayKind.HOLIDAY]
        if missing:
            listed = ", ".join(str(d) for d in missing)
            raise CalendarConfigError(
                f"{where} covered = true，但以下法定节日未列入 holidays / but these statutory holidays are "
                f"not listed: {listed}"
            )
        if year >= CHUXI_STATUTORY_FROM:
            # 除夕 is a statutory holiday from 2025; the notice names it (“农历除夕”), so ask for it.
            if chuxi is None:
                raise CalendarConfigError(
                    f"{where} covered = true 须填写 chuxi（农历除夕的公历日期，自2025年起为法定节日）/ "
                    "must give chuxi, the Gregorian date of 除夕 (a statutory holiday from 2025)"
                )
            if self.day(chuxi).kind is not DayKind.HOLIDAY:
                raise CalendarConfigError(
                    f"{where} 除夕 {chuxi} 自2025年起为法定节日，须列入 holidays / 除夕 is a statutory "
                    "holiday from 2025 and must be listed in holidays"
                )

    @classmethod
    def load(cls, extra_files: Sequence[Path | str] = ()) -> OfficialCalendar:
        """The shipped override file, then ``extra_files`` merged on top (later wins)."""
        return cls([SHIPPED_OVERRIDES, *extra_files])

    def source(self, year: int) -> str | None:
        """Where the schedule of ``year`` comes from (package version, override file, imported notice)."""
        return self._year_source.get(year)

    def entries(self, year: int) -> list[Day]:
        """The listed days (days off and make-up working days) of ``year``, by date."""
        return [self._days[d] for d in sorted(self._days) if d.year == year]

    def year_digest(self, year: int) -> str:
        """A digest of what is known of ``year`` (covered or not, every listed day): a change re-derives the
        clocks that needed that year."""
        parts = [str(year), "covered" if year in self._covered else "missing"]
        parts.extend(f"{d.day.isoformat()}:{d.kind.value}" for d in self.entries(year))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def digests(self) -> dict[str, str]:
        """:meth:`year_digest` of every year from the first covered to two years after the last."""
        years = set(self._covered) | {d.year for d in self._days}
        lo, hi = min(years, default=2004), max(years, default=2026) + 2
        return {str(y): self.year_digest(y) for y in range(lo, hi + 1)}

    @property
    def covered_years(self) -> frozenset[int]:
        """Years whose official schedule is fully known."""
        return self._covered

    def covers(self, year: int) -> bool:
        """Whether deadlines ending in ``year`` can be computed without a guess."""
        return year in self._covered

    def day(self, d: dt.date) -> Day:
        """Classify ``d``; raises :class:`CalendarMissingError` for a year not covered."""
        if d.year not in self._covered:
            raise CalendarMissingError(d.year, self._covered)
        known = self._days.get(d)
        if known is not None:
            return known
        return Day(d, DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY)

    def is_rest_day(self, d: dt.date, policy: Policy = Policy.OFFICIAL) -> bool:
        """Whether ``d`` is a 法定休假日 under ``policy``; raises :class:`CalendarMissingError` if unknown."""
        return self.day(d).is_rest(policy)

    def next_working_day(self, d: dt.date, policy: Policy = Policy.OFFICIAL) -> dt.date:
        """The first working day strictly after ``d`` (raises :class:`CalendarMissingError` on the way)."""
        nxt = d + dt.timedelta(days=1)
        while self.is_rest_day(nxt, policy):
            nxt += dt.timedelta(days=1)
        return nxt


def _package_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed under its other name
        return "?"


@cache
def default_calendar() -> OfficialCalendar:
    """The process-wide calendar: shipped overrides plus ``$PILHUB_CALENDAR_FILE`` if set.

    Cached because the files change at most once a year; call ``default_calendar.cache_clear()`` after
    changing the environment (tests do).
    """
    extra = os.environ.get(ENV_CALENDAR_FILE, "").strip()
    return OfficialCalendar.load([Path(extra)] if extra else [])
