"""Dates in the forms agencies really send.

Deadlines are computed from these dates (receipt, reply, posting), so a misread date
is a wrong deadline. Accepted: ``2018-03-21``, ``2018/3/21``, ``2018.3.21``,
``20180321``, ``2018年3月21日``, ``二〇一八年三月二十一日`` (as printed in decisions), an
ISO date-time (the time is dropped), and Excel serial numbers — but only when the
value is a number or the source is flagged as a spreadsheet, because a bare
``43180`` in a text feed is more likely an error than a date. Ambiguous day-first
forms (``21/03/2018``) are rejected rather than guessed.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from schemas.chinese_numerals import parse_chinese_digit_string, parse_chinese_integer
from schemas.errors import InvalidValue
from schemas.text import collapse_whitespace, to_halfwidth

__all__ = ["EARLIEST_PLAUSIBLE", "LATEST_PLAUSIBLE", "excel_serial_to_date", "parse_aware_datetime", "parse_date"]

#: Plausible range for dates in agency records (the hub's data starts in the 1990s).
EARLIEST_PLAUSIBLE = date(1990, 1, 1)
LATEST_PLAUSIBLE = date(2100, 12, 31)

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_SEPARATED = re.compile(rf"(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
_CJK_ARABIC = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]")
_CJK_NUMERALS = re.compile(
    r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})[日号]"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{1,6})(?:\.\d+)?")

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1900-03-01 (serials > 60 count from here)
_EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31, the last date Excel can hold
_EXCEL_LEAP_BUG_SERIAL = 60  # Excel's non-existent 1900-02-29 (Lotus 1-2-3 compatibility)


def excel_serial_to_date(serial: float | int) -> date:
    """Date for an Excel serial in the 1900 date system (fractions are times of day, dropped).

    Excel counts 1900-02-29, which never existed, as serial 60; serials below it are
    one day off from a plain day count, and 60 itself names no real date.
    """
    if serial > _EXCEL_LAST_SERIAL:  # compared before int(): a huge Decimal would build a huge integer
        raise _out_of_range(EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE)
    whole = int(serial) if serial >= 0 else -1
    if whole < 1:
        raise InvalidValue("date.excel_serial", "Excel 日期序号必须≥1", "an Excel date serial must be ≥ 1")
    if whole == _EXCEL_LEAP_BUG_SERIAL:
        raise InvalidValue(
            "date.excel_1900_bug",
            "Excel 日期序号60对应不存在的1900年2月29日（Excel 闰年错误）",
            "Excel serial 60 is the non-existent 1900-02-29 (Excel's leap-year bug)",
        )
    if whole < _EXCEL_LEAP_BUG_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=whole + 1)
    try:
        return _EXCEL_EPOCH + timedelta(days=whole)
    except OverflowError:
        raise _out_of_range(EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE) from None


def _out_of_range(earliest: date, latest: date) -> InvalidValue:
    return InvalidValue(
        "date.range",
        f"日期不在合理范围（{earliest.isoformat()} 至 {latest.isoformat()}）",
        f"date is outside the plausible range {earliest.isoformat()}..{latest.isoformat()}",
    )


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(
            "date.invalid",
            f"不存在的日期：{year}年{month}月{day}日",
            f"no such date: {year:04d}-{month:02d}-{day:02d}",
        ) from None


def _from_number(value: float | int | Decimal) -> date:
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)  # no comparison with sNaN
    if not finite:
        raise InvalidValue("date.type", "日期不能是 NaN 或无穷大", "a date cannot be NaN or infinite")
    if value > 29991231:  # before any int(): Decimal("1E+999999") would build a million-digit integer
        raise _out_of_range(EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE)
    if value >= 19000101 and value == int(value):
        text = str(int(value))
        return _make(int(text[:4]), int(text[4:6]), int(text[6:]))
    return excel_serial_to_date(value)


def _from_text(text: str, spreadsheet: bool) -> date:
    text = collapse_whitespace(to_halfwidth(text))
    match = _SEPARATED.fullmatch(text)
    if match:
        return _make(int(match[1]), int(match[3]), int(match[4]))
    match = _CJK_ARABIC.fullmatch(text)
    if match:
        return _make(int(match[1]), int(match[2]), int(match[3]))
    match = _COMPACT.fullmatch(text)
    if match:
        return _make(int(match[1]), int(match[2]), int(match[3]))
    match = _CJK_NUMERALS.fullmatch(text)
    if match:
        return _make(
            parse_chinese_digit_string(match[1]), parse_chinese_integer(match[2]), parse_chinese_integer(match[3])
        )
    if _SERIAL.fullmatch(text):
        if spreadsheet:
            return excel_serial_to_date(float(text))
        raise InvalidValue(
            "date.serial_not_flagged",
            "看起来是 Excel 日期序号，但来源未标记为电子表格",
            "looks like an Excel date serial, but the source is not flagged as a spreadsheet",
        )
    raise InvalidValue(
        "date.format",
        "无法识别的日期格式（可用 2018-03-21、2018/3/21、20180321、2018年3月21日）",
        "unrecognised date format (use 2018-03-21, 2018/3/21, 20180321 or 2018年3月21日)",
    )


def parse_date(
    value: object,
    *,
    spreadsheet: bool = False,
    earliest: date = EARLIEST_PLAUSIBLE,
    latest: date = LATEST_PLAUSIBLE,
) -> date:
    """Read a date and check it lies in ``earliest..latest``; raise :class:`InvalidValue` otherwise.

    ``spreadsheet=True`` lets digit strings such as ``"43180"`` be read as Excel
    serials; numbers (int/float) are always read as serials, or as ``yyyymmdd`` when
    they have that shape (``20180321``).
    """
    cls = value.__class__
    if cls is str and len(value) == 10 and value[4] == "-" and value[7] == "-":  # type: ignore[index]
        try:
            result = date.fromisoformat(value)  # type: ignore[arg-type]
        except ValueError:
            result = _from_text(value, spreadsheet)  # type: ignore[arg-type]
    elif cls is date:
        result = value  # type: ignore[assignment]
    elif isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = date(value.year, value.month, value.day)
    elif isinstance(value, str):
        result = _from_text(value, spreadsheet)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        result = _from_number(value)
    else:
        raise InvalidValue("date.type", "日期应为文本、日期或数字", "a date must be text, a date or a number")
    if not earliest <= result <= latest:  # type: ignore[operator]
        raise _out_of_range(earliest, latest)
    return result  # type: ignore[return-value]


def parse_aware_datetime(value: object) -> datetime:
    """An ISO 8601 date-time *with* a UTC offset (``2018-12-31T08:00:00+08:00``, ``…Z``).

    Timestamps such as ``fetched_at`` and monitoring times are compared across
    agencies' systems; a time without an offset is ambiguous, so it is rejected
    rather than guessed (an agency in Xinjiang may send local or Beijing time).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(collapse_whitespace(to_halfwidth(value)))
        except ValueError:
            raise InvalidValue(
                "datetime.format",
                "日期时间应为 ISO 8601 格式，如 2018-12-31T08:00:00+08:00",
                "a date-time must be ISO 8601, e.g. 2018-12-31T08:00:00+08:00",
            ) from None
    else:
        raise InvalidValue("datetime.type", "日期时间应为文本或日期时间", "a date-time must be text or a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(
            "datetime.timezone_required",
            "日期时间必须带时区（如 +08:00）",
            "a date-time must carry its UTC offset (e.g. +08:00)",
        )
    if not EARLIEST_PLAUSIBLE <= moment.date() <= LATEST_PLAUSIBLE:
        raise _out_of_range(EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE)
    return moment
