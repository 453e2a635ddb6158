"""Units declared, never guessed: an agency's bare number becomes a value with its unit.

Agencies put the unit in the column name — ``面积（亩）``, ``占地面积（平方米）``,
``罚没款（万元）`` — and send bare numbers. Read as they come, ``8000`` square metres
become 8000 亩 and ``16`` 万元 become 16 元: errors of 667× and 10,000×, in the figures
reported to the people's congress. So a mapping says which unit a source field is in
(:class:`WithUnit`), and the value reaches the contract as text with that unit
(``8000平方米``, ``16万元``), which the contract's own parsers (``schemas.area``,
``schemas.money``) convert exactly. A value that already carries a unit keeps it only if
it is the declared one; another unit is refused with a reason (a column that mixes units
is a question for the agency, not something to settle silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.sdk.formats import dig
from schemas.errors import InvalidValue

__all__ = ["AREA_UNITS", "MONEY_UNITS", "UNITS", "Constant", "Split", "WithUnit"]

#: Units of land area the contract's area parser reads.
AREA_UNITS = ("亩", "平方米", "公顷", "平方公里")
#: Units of money the contract's money parser reads.
MONEY_UNITS = ("元", "万元", "亿元")
UNITS = AREA_UNITS + MONEY_UNITS
_NUMBER = re.compile(r"\s*([+-]?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(\S*)\s*")


@dataclass(frozen=True)
class WithUnit:
    """Mapping source: the field ``field`` (dotted path or a plain key) holds numbers in ``unit``."""

    field: str
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r} (known: {', '.join(UNITS)})")

    def __call__(self, record: dict[str, Any]) -> str | None:
        value = record.get(self.field) if self.field in record else dig(record, self.field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise InvalidValue("unit.not_a_number", "应为数值", "expected a number")
        if isinstance(value, int | Decimal):
            return f"{value}{self.unit}"
        if isinstance(value, float):
            return f"{Decimal(repr(value))}{self.unit}"
        match = _NUMBER.fullmatch(str(value))
        if match is None:
            raise InvalidValue(
                "unit.not_a_number",
                f"应为以{self.unit}计的数值",
                f"expected a number in {self.unit}",
            )
        number, written = match[1].replace(",", ""), match[2]
        if written and written != self.unit:
            raise InvalidValue(
                "unit.conflict",
                f"数值自带单位“{written}”，与声明的单位“{self.unit}”不符",
                f"the value carries the unit '{written}', not the declared '{self.unit}'",
            )
        return f"{number}{self.unit}"


@dataclass(frozen=True)
class Split:
    """Mapping source: a text field holding a list (``"镉;铅"``) → ``["镉", "铅"]``; empty parts dropped."""

    field: str
    separator: str = ";"

    def __call__(self, record: dict[str, Any]) -> list[str] | None:
        value = record.get(self.field) if self.field in record else dig(record, self.field)
        if value is None:
            return None
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value).split(self.separator) if part.strip()]


@dataclass(frozen=True)
class Constant:
    """Mapping source: the same value for every record (a kind's fixed label, e.g. the acceptance body)."""

    value: Any

    def __call__(self, record: dict[str, Any]) -> Any:
        return self.value
