"""Chinese numerals as they appear in legal documents and amounts.

Decisions and judgments write dates in Chinese numerals (``二〇一八年三月二十一日``) and
fines in financial capitals (``壹拾贰万伍仟元整``); both must read as numbers.
"""

from __future__ import annotations

__all__ = ["CHINESE_DIGITS", "parse_chinese_digit_string", "parse_chinese_integer"]

#: Every way a digit is written: plain, financial capital, and the circle zero variants.
CHINESE_DIGITS: dict[str, int] = {
    **dict.fromkeys("零〇○Ｏ0", 0),
    **dict.fromkeys("一壹1", 1),
    **dict.fromkeys("二贰两2", 2),
    **dict.fromkeys("三叁3", 3),
    **dict.fromkeys("四肆4", 4),
    **dict.fromkeys("五伍5", 5),
    **dict.fromkeys("六陆6", 6),
    **dict.fromkeys("七柒7", 7),
    **dict.fromkeys("八捌8", 8),
    **dict.fromkeys("九玖9", 9),
}
_SMALL_UNITS = {**dict.fromkeys("十拾", 10), **dict.fromkeys("百佰", 100), **dict.fromkeys("千仟", 1000)}
_WAN = 10_000
_YI = 100_000_000


def parse_chinese_digit_string(text: str) -> int:
    """Digit-by-digit numerals without units, as in years: ``二〇一八`` → 2018."""
    if not text or any(ch not in CHINESE_DIGITS for ch in text):
        raise ValueError(f"not a Chinese digit string: {text!r}")
    return int("".join(str(CHINESE_DIGITS[ch]) for ch in text))


def parse_chinese_integer(text: str) -> int:
    """Positional numerals with units: ``二十一`` → 21, ``壹拾贰万伍仟`` → 125000, ``一亿二千万`` → 120000000.

    Raises ``ValueError`` on any character that is not a numeral or unit.
    """
    if not text:
        raise ValueError("empty numeral")
    total = section = number = 0
    counted = False  # a digit or 十/百/千 seen: "万" or "亿" alone is not a number
    for ch in text:
        if ch in CHINESE_DIGITS:
            number = number * 10 + CHINESE_DIGITS[ch]  # "12万" mixes Arabic runs in
            counted = True
        elif ch in _SMALL_UNITS:
            counted = True
            section += (number or 1) * _SMALL_UNITS[ch]  # 十二, 一千零十: a unit without digit means one
            number = 0
        elif ch == "万":
            total += (section + number) * _WAN
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * _YI
            section = number = 0
        else:
            raise ValueError(f"not a Chinese numeral: {ch!r}")
    if not counted:
        raise ValueError(f"no numeral in {text!r}")
    return total + section + number
