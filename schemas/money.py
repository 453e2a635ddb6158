"""Money amounts in yuan: ``125000``, ``125,000元``, ``12.5万元``, ``1.2亿元``, ``壹拾贰万伍仟元整``.

Fines and recovered amounts are summed into the figures reported to the people's
congress ("收回国有财产 … 700余万元"), so an amount in 万元 read as 元 is a 10 000-fold
error. Everything becomes a :class:`~decimal.Decimal` in yuan with at most two decimal
places (分); floats are never used for arithmetic. Negative amounts are rejected: a
refund or reduction is a separate record, not a negative fine.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from numbers import Integral, Real

from schemas.chinese_numerals import CHINESE_DIGITS, parse_chinese_integer
from schemas.errors import InvalidValue
from schemas.text import to_halfwidth

__all__ = ["parse_money_yuan"]

_CENT = Decimal("0.01")
_TOO_LARGE = 10**26  # beyond the 28-digit decimal context once two decimals are added
_SCALE = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000), "万亿": Decimal(10**12)}
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_ARABIC = re.compile(r"([0-9]+(?:\.[0-9]+)?)(万亿|万|亿)?(?:元|圆)?")
_PREFIXES = ("人民币", "RMB", "CNY", "¥", "￥")
_SUFFIXES = ("整", "正")


def _invalid(code: str, zh: str, en: str) -> InvalidValue:
    return InvalidValue(f"money.{code}", zh, en)


def _finish(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise _invalid("format", "金额不能是 NaN 或无穷大", "amount cannot be NaN or infinite")
    if amount < 0:
        raise _invalid("negative", "金额不能为负数", "amount must not be negative")
    try:
        quantized = amount.quantize(_CENT)
    except InvalidOperation:
        raise _invalid("too_large", "金额过大", "amount is too large") from None
    if quantized != amount:
        raise _invalid("precision", "金额精度不能超过分（两位小数）", "amount has more precision than fen (2 decimals)")
    return quantized.copy_abs()  # turns -0.00 into 0.00


def _from_capitals(text: str) -> Decimal:
    """Financial capitals: ``壹拾贰万伍仟元整``, ``叁佰元伍角陆分``."""
    yuan_text, sep, rest = text.partition("元") if "元" in text else text.partition("圆")
    if not sep and any(unit in text for unit in "角分"):
        yuan_text, rest = "", text
    if not yuan_text and not rest:
        raise ValueError("no amount")
    yuan = parse_chinese_integer(yuan_text) if yuan_text else 0
    jiao = fen = 0
    for digit, unit in re.findall(r"(.)([角分])", rest):
        if digit not in CHINESE_DIGITS:
            raise ValueError(digit)
        if unit == "角":
            jiao = CHINESE_DIGITS[digit]
        else:
            fen = CHINESE_DIGITS[digit]
    leftover = re.sub(r".[角分]", "", rest).replace("零", "")
    if leftover:
        raise ValueError(leftover)
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


def parse_money_yuan(value: object) -> Decimal:
    """Return the amount in yuan as a Decimal with two decimal places; raise :class:`InvalidValue`.

    Numbers are taken as yuan. Text may carry ``人民币``/``¥`` prefixes, thousands
    separators, a unit (元, 万元, 亿元) and ``整``; financial capitals are read too.
    """
    cls = value.__class__
    try:  # fast paths; beyond 26 integer digits quantize() leaves the 28-digit context
        if cls is str and value.isascii() and (value.isdigit() or _PLAIN.fullmatch(value)):  # type: ignore[attr-defined,arg-type]
            return Decimal(value).quantize(_CENT)  # type: ignore[arg-type]
        if cls is int:
            if value < 0:  # type: ignore[operator]
                raise _invalid("negative", "金额不能为负数", "amount must not be negative")
            if value >= _TOO_LARGE:  # type: ignore[operator]  # before Decimal(): huge ints convert slowly
                raise InvalidOperation
            return Decimal(value).quantize(_CENT)  # type: ignore[arg-type]
    except InvalidOperation:
        raise _invalid("too_large", "金额过大", "amount is too large") from None
    if cls is Decimal:
        return _finish(value)  # type: ignore[arg-type]
    if cls is float:
        return _finish(Decimal(repr(value)))
    if isinstance(value, Integral) and not isinstance(value, bool):  # numpy/pandas integers
        return parse_money_yuan(int(value))
    if isinstance(value, Real) and not isinstance(value, bool):
        return parse_money_yuan(float(value))
    if not isinstance(value, str):
        raise _invalid("type", "金额应为数字或文本", "amount must be a number or text")
    match = _ARABIC.fullmatch(value)  # "12.5万元" as sent: no clean-up needed
    if match is not None:
        return _finish(Decimal(match[1]) * _SCALE[match[2] or ""])
    text = "".join(to_halfwidth(value).split()).replace(",", "").replace("，", "")
    if text[:1] == "-" or text[:1] == "负":
        raise _invalid("negative", "金额不能为负数", "amount must not be negative")
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix)
    if not text:
        raise _invalid("empty", "金额为空", "amount is empty")
    match = _ARABIC.fullmatch(text)
    if match:
        return _finish(Decimal(match[1]) * _SCALE[match[2] or ""])
    try:
        return _finish(_from_capitals(text))
    except (ValueError, InvalidOperation):
        raise _invalid(
            "format",
            "无法识别的金额（可用 125000、125,000元、12.5万元、1.2亿元、壹拾贰万伍仟元整）",
            "unrecognised amount (use 125000, 125,000元, 12.5万元, 1.2亿元 or 壹拾贰万伍仟元整)",
        ) from None
