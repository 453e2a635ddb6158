"""Reading the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as published.

Why: next year's schedule reaches the hub as that text, every autumn, in the same wording since 2008:

    二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月14日（周日）、2月20日（周六）上班。

so the operator enters it as received, and nothing is typed twice. :func:`parse_notice` turns the text into
the days off (every day of each block, weekend days inside it included, plus days given 补休) and the make-up
working days (调休上班日), each tied to its line; :func:`check_notice` then checks it is plausible against the
law (全国年节及纪念日放假办法 Art. 2, via :mod:`sla.statutory`) and reports **every** problem, not the first.

Wordings understood (2008–2026): ``M月D日放假``; ``M月D日至D日`` / ``至M月D日`` / ``YYYY年M月D日至YYYY年M月D日``
(a block across the year, 元旦 2019 and 2023) followed by ``放假``, ``放假调休``, ``放假公休`` or ``调休放假``;
``共N天`` / ``放假N天``; ``与周末连休``; ``不调休``; ``M月D日（星期一）补休``; ``…（星期六）、…（星期日）上班``;
parenthesised weekdays (``星期六`` / ``周六``) and lunar days (``农历除夕``, ``农历正月初七``), both checked;
festivals named together (``国庆节、中秋节``); and an extension notice in the same file after the original
(``延长2020年春节假期至2月2日``, 国办发明电〔2020〕1号). Sentences that encourage (``鼓励…``) decide nothing
and are skipped. Half-width punctuation (as many reprints have it) is read like full-width.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lunar_python import Solar

from sla.statutory import (
    BLOCK_REACH,
    FESTIVALS,
    FIRST_STATUTORY_YEAR,
    LAST_STATUTORY_YEAR,
    statutory_by_festival,
)

__all__ = [
    "Notice",
    "NoticeError",
    "NoticeItem",
    "Problem",
    "check_notice",
    "parse_notice",
    "read_notice",
]

_NAME_TO_KEY = {
    "元旦": "new_year",
    "新年": "new_year",
    "春节": "spring",
    "清明节": "qingming",
    "清明": "qingming",
    "劳动节": "labour",
    "五一": "labour",
    "端午节": "dragon_boat",
    "端午": "dragon_boat",
    "中秋节": "mid_autumn",
    "中秋": "mid_autumn",
    "国庆节": "national",
    "国庆": "national",
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

_ITEM = re.compile(r"^\s*([一二三四五六七八九十]+)、\s*([^：:]{1,20})[：:]\s*(.+)$")
_TITLE_YEAR = re.compile(r"关于(\d{4})年部分节假日安排")
_INTRO_YEAR = re.compile(r"现将(\d{4})年(?:元旦|春节)")
_AMENDMENT = re.compile(r"关于调整(\d{4})年(元旦|春节|清明节|劳动节|端午节|中秋节|国庆节)假期安排")
_AMENDED_ITEM = re.compile(r"^\s*([一二三四五六七八九十]+)、\s*((?:\d{4}年)?\d{1,2}月\d{1,2}日.*放假.*)$")
_EXTENSION = re.compile(r"延长(\d{4})年春节假期至(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")
_DOC_NUMBER = re.compile(r"国办发明电〔\d{4}〕\d+号")
_PAREN = r"(?:（([^）]*)）)?"
_DATE = rf"(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(\d{{1,2}})日{_PAREN}"
_BLOCK = re.compile(rf"{_DATE}(?:至{_DATE})?(?:放假|调休放假)")
_ANY_DATE = re.compile(_DATE)
_DECLARED = re.compile(r"(?:共|放假)(\d{1,2})天")
_MAKEUP_SENTENCE = re.compile(r"上班$")
_LIEU = re.compile(rf"{_DATE}补休")


class NoticeError(ValueError):
    """The file cannot be read as a holiday notice at all (no year, no item, unreadable text)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a notice, at a line (1-based; 0 for the whole file), in Chinese and English."""

    line: int
    zh: str
    en: str
    severity: str = "error"  # error: refused | warning: installed, but shown

    def render(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.zh} / {self.en}"


@dataclass
class NoticeItem:
    """One numbered item (``二、春节：…``): its festivals, block, declared length, and make-up days."""

    line: int
    text: str
    festivals: tuple[str, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    declared_days: int | None = None
    in_lieu: list[dt.date] = field(default_factory=list)
    workdays: list[dt.date] = field(default_factory=list)
    weekday_claims: list[tuple[dt.date, int]] = field(default_factory=list)
    lunar_claims: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def block(self) -> list[dt.date]:
        if self.start is None or self.end is None:
            return []
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class Notice:
    """A parsed notice: the year it schedules and its items (an extension extends the Spring Festival block)."""

    year: int
    title: str
    doc_numbers: tuple[str, ...]
    items: list[NoticeItem]
    problems: list[Problem] = field(default_factory=list)
    extension_to: dt.date | None = None
    extension_line: int = 0
    extension_days: list[dt.date] = field(default_factory=list)

    @property
    def holidays(self) -> list[dt.date]:
        days = {d for item in self.items for d in (*item.block, *item.in_lieu)} | set(self.extension_days)
        return sorted(days)

    @property
    def workdays(self) -> list[dt.date]:
        off = set(self.holidays)
        return sorted({d for item in self.items for d in item.workdays} - off)

    def as_json(self) -> dict[str, object]:
        """Exactly ``{"year", "holidays", "workdays"}`` with ISO dates, sorted."""
        return {
            "year": self.year,
            "holidays": [d.isoformat() for d in self.holidays],
            "workdays": [d.isoformat() for d in self.workdays],
        }


def read_notice(path: Path) -> str:
    """The notice's text, read through :mod:`schemas.textfile` (the reader every file entry point shares).

    UTF-8 (with or without BOM), GB18030 (how many government sites serve it) and UTF-16 with a BOM (Windows
    Notepad's "Unicode") are recognised; a notice is a few kilobytes, so a file over ``MAX_NOTICE_BYTES`` is
    refused unread, and so is one that is binary or holds bytes invalid in its encoding (the line is named).
    """
    from schemas.textfile import UnreadableFile, read_text

    try:
        text, _encoding = read_text(path, max_bytes=MAX_NOTICE_BYTES)
    except UnreadableFile as exc:
        raise NoticeError(f"{exc.zh} / {exc.en}") from None
    return text


#: The longest notices (with their adjusting notices appended) are under 10 KB.
MAX_NOTICE_BYTES = 1_000_000


def _normalise(line: str) -> str:
    """Full-width forms as published; reprints often carry half-width ``:,()`` and stray spaces."""
    line = unicodedata.normalize("NFKC", line)  # full-width digits → ASCII; also turns ：（） half-width
    table = str.maketrans({":": "：", ",": "，", "(": "（", ")": "）", ";": "；"})
    return re.sub(r"\s+", "", line.translate(table))


def _date(year: int, y: str | None, m: str | None, d: str, *, default_month: int | None, line: int) -> dt.date:
    yy = int(y) if y else year
    mm = int(m) if m else default_month
    if mm is None:
        raise _LineError(line, f"日期缺少月份：{d}日", f"a date without its month: {d}日")
    try:
        return dt.date(yy, mm, int(d))
    except ValueError:
        raise _LineError(line, f"无效日期：{yy}年{mm}月{d}日", f"invalid date {yy}-{mm}-{d}") from None


class _LineError(Exception):
    def __init__(self, line: int, zh: str, en: str) -> None:
        super().__init__(en)
        self.problem = Problem(line, zh, en)


def _claims(item: NoticeItem, day: dt.date, paren: str | None) -> None:
    """Record what a parenthesis says of a day — ``星期六`` / ``周六``, ``农历除夕`` — to check it later."""
    if not paren:
        return
    for part in re.split(r"[、，]", paren):
        m = re.fullmatch(r"(?:星期|周)([一二三四五六日天])", part)
        if m:
            item.weekday_claims.append((day, _WEEKDAYS[m.group(1)]))
        elif part.startswith("农历"):
            item.lunar_claims.append((day, part[2:]))


def _parse_item(year: int, line_no: int, names: str, body: str) -> NoticeItem:
    festivals = tuple(_NAME_TO_KEY[n] for n in re.split(r"[、和及]", names) if n in _NAME_TO_KEY)
    item = NoticeItem(line=line_no, text=body, festivals=festivals)
    for sentence in filter(None, re.split(r"[。；]", body)):
        if sentence.startswith("鼓励") or "鼓励" in sentence[:6]:
            continue  # encourages (e.g. resting on 除夕 in 2024): decides no day
        if _MAKEUP_SENTENCE.search(sentence) and "放假" not in sentence:
            for m in _ANY_DATE.finditer(sentence):
                y, mo, d, paren = m.group(1), m.group(2), m.group(3), m.group(4)
                day = _date(year, y, mo, d, default_month=None, line=line_no)
                item.workdays.append(day)
                _claims(item, day, paren)
            continue
        block = _BLOCK.search(sentence)
        if block is not None and item.start is None:
            y1, m1, d1, p1, y2, m2, d2, p2 = block.groups()
            start = _date(year, y1, m1, d1, default_month=None, line=line_no)
            _claims(item, start, p1)
            end = start
            if d2 is not None:
                end_year = y2 or (str(start.year + 1) if m2 and int(m2) < start.month else str(start.year))
                end = _date(year, end_year, m2, d2, default_month=start.month, line=line_no)
                _claims(item, end, p2)
            if end < start:
                raise _LineError(
                    line_no, f"放假止日 {end} 早于起日 {start}", f"the block ends ({end}) before it starts ({start})"
                )
            item.start, item.end = start, end
        if "与周末连休" in sentence and item.start is not None and item.end is not None:
            # “4月5日放假，与周末连休”: the adjoining Saturday and Sunday are days off of the same block
            while (item.start - dt.timedelta(days=1)).weekday() >= 5:
                item.start -= dt.timedelta(days=1)
            while (item.end + dt.timedelta(days=1)).weekday() >= 5:
                item.end += dt.timedelta(days=1)
        declared = _DECLARED.search(sentence)
        if declared is not None and item.declared_days is None:
            item.declared_days = int(declared.group(1))
        for m in _LIEU.finditer(sentence):
            day = _date(year, m.group(1), m.group(2), m.group(3), default_month=None, line=line_no)
            item.in_lieu.append(day)
            _claims(item, day, m.group(4))
    if item.start is None:
        raise _LineError(
            line_no,
            f"未能识别放假日期：{names}：{body}",
            "no day off understood in this item (expected e.g. 2月5日至13日放假调休)",
        )
    return item


def parse_notice(text: str) -> Notice:
    """Parse a notice's text; raise :class:`NoticeError` listing every line that cannot be understood."""
    lines = [_normalise(line) for line in text.splitlines()]
    year: int | None = None
    title = ""
    for line in lines:
        m = _TITLE_YEAR.search(line) or _INTRO_YEAR.search(line)
        if m:
            year = int(m.group(1))
            title = title or line
            break
    ext = next(((i, m) for i, line in enumerate(lines, 1) if (m := _EXTENSION.search(line))), None)
    if year is None and ext is not None:
        year = int(ext[1].group(1))
    if year is None:
        raise NoticeError(
            "未找到年份：文中应有“关于YYYY年部分节假日安排”或“现将YYYY年元旦……” / no year found: expected "
            "“关于YYYY年部分节假日安排” or “现将YYYY年元旦…”"
        )
    items: list[NoticeItem] = []
    errors: list[Problem] = []
    amended: str | None = None  # inside a notice adjusting one festival (国办发明电〔2019〕3号: 劳动节)
    for number, line in enumerate(lines, 1):
        if a := _AMENDMENT.search(line):
            amended = a.group(2)
            continue
        if _TITLE_YEAR.search(line) or _EXTENSION.search(line):
            amended = None
        m = _ITEM.match(line)
        if m is not None:
            names, body = m.group(2), m.group(3)
        elif amended is not None and (am := _AMENDED_ITEM.match(line)) is not None:
            names, body = amended, am.group(2)
        else:
            continue
        if not any(n in _NAME_TO_KEY for n in re.split(r"[、和及]", names)):
            continue  # e.g. an extension notice's “二、各地大专院校…” — not a holiday item
        try:
            item = _parse_item(year, number, names, body)
        except _LineError as exc:
            errors.append(exc.problem)
            continue
        # a later notice in the same file adjusting a festival replaces its earlier item
        items = [i for i in items if not set(i.festivals) & set(item.festivals)] + [item]
    docs = tuple(dict.fromkeys(m.group(0) for line in lines for m in _DOC_NUMBER.finditer(line)))
    notice = Notice(year=year, title=title, doc_numbers=docs, items=items)
    if ext is not None:
        number, m = ext
        notice.extension_line = number
        try:
            notice.extension_to = _date(year, m.group(2), m.group(3), m.group(4), default_month=None, line=number)
        except _LineError as exc:
            errors.append(exc.problem)
        else:
            spring = [i for i in items if "spring" in i.festivals and i.end is not None]
            if not spring:
                errors.append(
                    Problem(
                        number,
                        "延长春节假期的通知须与当年原通知放在同一文件中、位于其后",
                        "an extension of the Spring Festival needs the year's original notice before it in the file",
                    )
                )
            else:
                end = spring[-1].end
                assert end is not None
                notice.extension_days = [
                    end + dt.timedelta(days=i) for i in range(1, (notice.extension_to - end).days + 1)
                ]
    if errors:
        raise NoticeError("\n".join(f"第{p.line}行 / line {p.line}: {p.zh} / {p.en}" for p in errors))
    if not items:
        raise NoticeError(
            "未找到放假安排条目（如“一、元旦：1月1日放假”）/ no holiday item found (e.g. “一、元旦：1月1日放假”)"
        )
    return notice


# ---------------------------------------------------------------------------------------------------------
# Plausibility.


def _lunar_label(day: dt.date) -> str:
    """``正月初七`` / ``腊月二十八`` / ``除夕`` as the notices write them."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    if lunar.next(1).getMonth() == 1 and lunar.next(1).getDay() == 1:
        return "除夕"
    month = lunar.getMonthInChinese()
    return f"{month}月{lunar.getDayInChinese().replace('廿', '二十').replace('卅', '三十')}"


def check_notice(notice: Notice) -> list[Problem]:
    """Every implausible thing in ``notice``, checked against 全国年节及纪念日放假办法 Art. 2 and the calendar.

    Errors (the import refuses): a festival's statutory days outside its block; a block whose length is not its
    ``共N天``; a make-up working day that is not a Saturday or Sunday; a day both off and worked; a date outside
    the year's reach (the year itself, or the last days of December before it for 元旦); a parenthesised weekday
    or lunar day that is not that day's; a statutory festival of the year with no item. Warnings (installed and
    shown): a block reaching further from its festival than any notice 2008–2026 did.
    """
    year = notice.year
    out: list[Problem] = []
    if not FIRST_STATUTORY_YEAR <= year <= LAST_STATUTORY_YEAR:
        return [
            Problem(
                0,
                f"{year}年不在可核对范围（{FIRST_STATUTORY_YEAR}–{LAST_STATUTORY_YEAR}）",
                f"{year} is outside the years that can be checked",
            )
        ]
    statutory = statutory_by_festival(year)
    reach_start = dt.date(year - 1, 12, 29)
    seen: set[str] = set()
    holidays = set(notice.holidays)
    for item in notice.items:
        seen.update(item.festivals)
        names = "、".join(FESTIVALS[f][0] for f in item.festivals)
        names_en = ", ".join(FESTIVALS[f][1] for f in item.festivals)
        block = set(item.block) | set(item.in_lieu)
        if item is next((i for i in notice.items if "spring" in i.festivals), None):
            block |= set(notice.extension_days)
        for festival in item.festivals:
            outside = [sd.day for sd in statutory[festival] if sd.day not in block]
            if outside:
                listed = "、".join(d.isoformat() for d in outside)
                out.append(
                    Problem(
                        item.line,
                        f"{FESTIVALS[festival][0]}的法定假日 {listed} 不在放假日期内（全国年节及纪念日放假办法第二条）",
                        f"{FESTIVALS[festival][1]}: statutory holiday(s) {listed} not inside the block (Art. 2)",
                    )
                )
        if item.declared_days is not None and item.declared_days != len(item.block):
            out.append(
                Problem(
                    item.line,
                    f"{names}：{item.start} 至 {item.end} 共 {len(item.block)} 天，与“共{item.declared_days}天”不符",
                    f"{names_en}: {item.start} … {item.end} is {len(item.block)} days, not the "
                    f"{item.declared_days} stated",
                )
            )
        for d in item.workdays:
            if d.weekday() < 5:
                out.append(
                    Problem(
                        item.line,
                        f"调休上班日 {d} 不是周六或周日",
                        f"make-up working day {d} is not a Saturday or Sunday",
                    )
                )
            if d in holidays and d not in notice.extension_days:  # an extension may rest a make-up day (2020-02-01)
                out.append(
                    Problem(item.line, f"{d} 同时列为放假日和上班日", f"{d} is both a day off and a working day")
                )
        for d in [*item.block, *item.in_lieu, *item.workdays]:
            if not (d.year == year or ("new_year" in item.festivals and reach_start <= d)):
                out.append(
                    Problem(
                        item.line,
                        f"{d} 不在{year}年安排的范围内",
                        f"{d} is outside the reach of the {year} schedule",
                    )
                )
        for d, weekday in item.weekday_claims:
            if d.weekday() != weekday:
                zh = "一二三四五六日"[weekday]
                out.append(
                    Problem(
                        item.line,
                        f"{d} 是星期{'一二三四五六日'[d.weekday()]}，通知写作“周{zh}”",
                        f"{d} is a {d.strftime('%A')}, the notice says otherwise",
                    )
                )
        for d, label in item.lunar_claims:
            actual = _lunar_label(d)
            if label != actual:
                out.append(
                    Problem(
                        item.line,
                        f"{d} 是农历{actual}，通知写作“农历{label}”",
                        f"{d} is lunar {actual}, the notice says {label}",
                    )
                )
        for festival in item.festivals:
            before, after = BLOCK_REACH[festival]
            first, last = statutory[festival][0].day, statutory[festival][-1].day
            if item.start and item.end and ((first - item.start).days > before or (item.end - last).days > after):
                out.append(
                    Problem(
                        item.line,
                        f"{names}放假 {item.start} 至 {item.end}，超出2008–2026年历次通知的范围，请核对原文",
                        f"{names_en}: {item.start} … {item.end} reaches further than any notice 2008–2026; "
                        "check against the original",
                        severity="warning",
                    )
                )
                break
    if notice.extension_to is None:
        missing = [f for f in FESTIVALS if f not in seen]
        if missing:
            out.append(
                Problem(
                    0,
                    "通知未安排：" + "、".join(FESTIVALS[f][0] for f in missing),
                    "no item for: " + ", ".join(FESTIVALS[f][1] for f in missing),
                )
            )
    return out
