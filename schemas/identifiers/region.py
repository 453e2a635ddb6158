"""行政区划代码 (GB/T 2260): six digits, known province prefix, present in the shipped table.

Region codes decide which district a case, penalty or court belongs to — the white
paper reports shares by district — so a code that merely *looks* right is not enough:
it must be a division that existed. The table keeps codes abolished since 2010
because 2017–2018 agency data still carries them (``current`` says which is which).
"""

from __future__ import annotations

from typing import NamedTuple

from schemas.data_files import read_table
from schemas.errors import InvalidValue
from schemas.text import normalise_identifier

__all__ = [
    "PROVINCE_PREFIXES",
    "Region",
    "known_region_codes",
    "parent_codes",
    "region_info",
    "region_name",
    "validate_region_code",
]


class Region(NamedTuple):
    """One row of the GB/T 2260 table."""

    code: str
    name: str
    level: str  # "province" | "prefecture" | "county"
    current: bool  # False: historical code, kept because older data uses it


_REGIONS: dict[str, Region] = {
    row["code"]: Region(row["code"], row["name"], row["level"], row["current"] == "1")
    for row in read_table("gbt2260.csv")
}

#: Two-digit province prefixes (incl. 71 台湾, 81 香港, 82 澳门).
PROVINCE_PREFIXES: frozenset[str] = frozenset(code[:2] for code, r in _REGIONS.items() if r.level == "province")


def known_region_codes() -> frozenset[str]:
    """Every code in the shipped table (for value-set expectations and exports)."""
    return frozenset(_REGIONS)


def validate_region_code(value: str | int) -> str:
    """Return the 6-digit code if it is a known GB/T 2260 division, else raise :class:`InvalidValue`.

    Integers are accepted because spreadsheets turn codes into numbers.
    """
    if value.__class__ is str and value in _REGIONS:  # hot path: already clean
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidValue("region_code.type", "行政区划代码应为文本或整数", "region code must be text or an integer")
    if isinstance(value, int) and not 0 <= value <= 999_999:  # str() of a huge int is slow, then refused
        raise InvalidValue("region_code.format", "行政区划代码应为6位数字", "region code must be 6 digits")
    code = normalise_identifier(str(value))
    if len(code) != 6 or not code.isdigit() or not code.isascii():
        raise InvalidValue(
            "region_code.format",
            f"行政区划代码应为6位数字（实际{len(code)}个字符）",
            f"region code must be 6 digits (got {len(code)} characters)",
        )
    if code[:2] not in PROVINCE_PREFIXES:
        raise InvalidValue(
            "region_code.province",
            f"行政区划代码前两位 {code[:2]} 不是已知的省级代码",
            f"region code prefix {code[:2]} is not a known province",
        )
    if code not in _REGIONS:
        raise InvalidValue(
            "region_code.unknown",
            "行政区划代码不在 GB/T 2260 代码表中",
            "region code is not in the GB/T 2260 table",
        )
    return code


def region_info(code: str | int) -> Region:
    """The table row for a code (validated first)."""
    return _REGIONS[validate_region_code(code)]


def region_name(code: str | int) -> str:
    """Name of a division, e.g. ``region_name("330824") == "开化县"``."""
    return region_info(code).name


def parent_codes(code: str | int) -> list[str]:
    """Codes of the enclosing divisions present in the table, nearest first.

    ``parent_codes("330824") == ["330800", "330000"]``. Municipalities' counties
    (``110101``) have no prefecture row, so only the province is returned.
    """
    code = validate_region_code(code)
    candidates = []
    if not code.endswith("00"):
        candidates.append(code[:4] + "00")
    if not code.endswith("0000"):
        candidates.append(code[:2] + "0000")
    return [c for c in candidates if c in _REGIONS]
