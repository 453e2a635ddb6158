"""公民身份号码 (resident ID number, GB 11643-1999).

ID numbers identify natural persons — parties to penalties, defendants, receivers of
delivery receipts — and are personal data: messages never repeat the number.

Layout: 6 region · 8 birth date · 3 sequence (odd = male) · 1 ISO 7064 MOD 11-2 check
(``X`` stands for 10). The legacy 15-digit form (before 1999: 2-digit year, no check)
is recognised and upgraded to 18 digits by inserting ``19`` and computing the check;
:func:`parse_id_number` reports that it did so.
"""

from __future__ import annotations

from datetime import date
from operator import mul
from typing import NamedTuple

from schemas.errors import InvalidValue
from schemas.identifiers.region import PROVINCE_PREFIXES
from schemas.text import normalise_identifier

__all__ = ["IdNumberInfo", "id_number_check_digit", "parse_id_number", "validate_id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Residence permits of Hong Kong, Macao and Taiwan residents use 810000/820000/830000.
_ID_PREFIXES = PROVINCE_PREFIXES | {"83"}
_EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberInfo(NamedTuple):
    """What an ID number says, plus whether it was upgraded from the 15-digit form."""

    number: str
    region_prefix: str
    birth_date: date
    sex: str  # "M" | "F"
    upgraded_from_15: bool


def id_number_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for 17 digits."""
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


def _birth_date(digits: str) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidValue(
            "id_number.birth_date",
            "身份号码中的出生日期不是有效日期",
            "the birth date in the ID number is not a real date",
        ) from None
    if born < _EARLIEST_BIRTH or born > date.today():
        raise InvalidValue(
            "id_number.birth_range",
            "身份号码中的出生日期早于1900年或晚于今天",
            "the birth date in the ID number is before 1900 or in the future",
        )
    return born


def parse_id_number(value: str) -> IdNumberInfo:
    """Validate an ID number and return its parts; raise :class:`InvalidValue` if invalid."""
    if isinstance(value, float) or (isinstance(value, str) and "E" in value.upper() and ("+" in value or "." in value)):
        raise InvalidValue(
            "id_number.scientific_notation",
            "身份号码被表格软件转成了科学计数法，末几位已丢失，请按文本重新导出",
            "the ID number was turned into scientific notation by a spreadsheet; re-export the column as text",
        )
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 10**18:  # str() of a huge int is slow, then refused
            raise InvalidValue(
                "id_number.length", "身份号码应为18位（或旧式15位）", "an ID number has 18 (or 15) digits"
            )
        value = str(value)
    if not isinstance(value, str):
        raise InvalidValue("id_number.type", "身份号码应为文本", "ID number must be text")
    number = normalise_identifier(value).upper()
    upgraded = False
    if len(number) == 15:
        if not number.isdigit() or not number.isascii():
            raise InvalidValue("id_number.charset", "15位身份号码只能由数字组成", "a 15-digit ID number is digits only")
        body = number[:6] + "19" + number[6:]
        number = body + id_number_check_digit(body)
        upgraded = True
    elif len(number) != 18:
        raise InvalidValue(
            "id_number.length",
            f"身份号码应为18位（或旧式15位），实际{len(number)}位",
            f"an ID number has 18 characters (or 15 in the legacy form); got {len(number)}",
        )
    if not (number[:17].isdigit() and number[:17].isascii() and (number[17].isdigit() or number[17] == "X")):
        raise InvalidValue(
            "id_number.charset",
            "身份号码前17位应为数字，最后一位为数字或 X",
            "an ID number is 17 digits followed by a digit or X",
        )
    if number[:2] not in _ID_PREFIXES:
        raise InvalidValue(
            "id_number.region",
            "身份号码前两位不是已知的省级行政区划代码",
            "the first two digits of the ID number are not a known province",
        )
    born = _birth_date(number[6:14])
    if not upgraded and id_number_check_digit(number[:17]) != number[17]:
        raise InvalidValue("id_number.checksum", "身份号码校验位不正确", "the ID number's check digit is wrong")
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumberInfo(number, number[:2], born, sex, upgraded)


def validate_id_number(value: str) -> str:
    """Return the 18-digit form (upper-case ``X``); 15-digit numbers are upgraded."""
    return parse_id_number(value).number
