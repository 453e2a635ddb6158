"""Units in a mapping: an area or an amount of money is never read from a bare number by guesswork.

Agencies write ``12.5`` in a column called ``修复面积（亩）``, ``8000`` in ``占地面积（平方米）``
and ``8.6`` in ``罚没款（万元）``: the unit is in the column's name (or the interface
document), not in the value. Read as 亩 or 元 by default, ``8.6`` 万元 becomes a fine of 8.60
元 — a 10,000-fold error in a figure reported to the people's congress. A mapping therefore
declares the unit (:class:`Quantity`)::

    mapping={
        "restored_area": Quantity("修复面积（亩）", "亩"),
        "restored_area_source_unit": Quantity("修复面积（亩）", "亩", part="unit"),
        "fine": Quantity("罚没款（万元）", "万元"),
    }

The contract field receives the agency's number exactly as written with the declared unit
appended (``"12.5亩"``, ``"8.6万元"``), which the contract's own parsers
(:func:`schemas.area.parse_area_mu`, :func:`schemas.money.parse_money_yuan`) convert with
the statutory factors; ``part="unit"`` gives the declared unit itself, so a record kind can
keep the source unit beside the converted value, and ``part="number"`` the number alone.
With ``unit=None`` the unit is taken from the full-width (or ASCII) brackets of the column
name — the agency's own declaration — and a column without one is refused when the connector
is loaded, not guessed. A value that already carries a unit must carry the declared one; text
that is not a plain number (``约5``) is a reason, never a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connectors.sdk.formats import dig
from schemas.errors import InvalidValue
from schemas.text import to_halfwidth

AREA_UNITS = ("亩", "公顷", "平方米", "平方公里")
MONEY_UNITS = ("元", "万元", "亿元")
_ALIASES = {
    "m²": "平方米",
    "m2": "平方米",
    "㎡": "平方米",
    "平米": "平方米",
    "hm²": "公顷",
    "hm2": "公顷",
    "ha": "公顷",
}
_BRACKETS = re.compile(r"[（(]([^（）()]+)[）)]\s*$")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NUMBER_AND_UNIT = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)(.*)")


def _canonical_unit(text: str) -> str:
    unit = "".join(to_halfwidth(text).split())
    return _ALIASES.get(unit.lower(), _ALIASES.get(unit, unit))


def unit_of_column(name: str) -> str | None:
    """The unit a column name declares in its brackets (``修复面积（亩）`` → ``亩``), if it is a known one."""
    match = _BRACKETS.search(name)
    if match is None:
        return None
    unit = _canonical_unit(match[1])
    return unit if unit in AREA_UNITS + MONEY_UNITS else None


@dataclass(frozen=True)
class Quantity:
    """A mapping source: the number in ``field`` in the declared ``unit`` (see the module docstring).

    ``part``: ``"text"`` (number with unit, the default), ``"unit"`` or ``"number"``.
    """

    field: str
    unit: str | None = None
    part: str = "text"

    def __post_init__(self) -> None:
        unit = _canonical_unit(self.unit) if self.unit else unit_of_column(self.field)
        if unit is None or unit not in AREA_UNITS + MONEY_UNITS:
            raise ValueError(
                f"字段 {self.field} 未声明单位（可用 {'、'.join(AREA_UNITS + MONEY_UNITS)}）/ "
                f"no unit declared for {self.field} (known: {', '.join(AREA_UNITS + MONEY_UNITS)})"
            )
        if self.part not in ("text", "unit", "number"):
            raise ValueError(f"part must be text, unit or number, not {self.part}")
        object.__setattr__(self, "unit", unit)

    def __call__(self, record: dict[str, Any]) -> str | None:
        value = record.get(self.field) if self.field in record else dig(record, self.field)
        if value is None or value == "":
            return None
        if self.part == "unit":
            return self.unit
        number = self._number(value)
        return number if self.part == "number" else f"{number}{self.unit}"

    def _number(self, value: Any) -> str:
        if isinstance(value, bool):
            raise self._invalid()
        if isinstance(value, int | float):
            return repr(value) if isinstance(value, float) else str(value)
        text = "".join(to_halfwidth(str(value)).split()).replace(",", "")
        if _NUMBER.fullmatch(text):
            return text
        match = _NUMBER_AND_UNIT.fullmatch(text)
        if match is not None and _canonical_unit(match[2]) == self.unit:
            return match[1]
        if match is not None and _canonical_unit(match[2]) in AREA_UNITS + MONEY_UNITS:
            raise InvalidValue(
                "unit.conflict",
                f"数值所带单位与声明的单位（{self.unit}）不符",
                f"the value carries another unit than the declared one ({self.unit})",
            )
        raise self._invalid()

    def _invalid(self) -> InvalidValue:
        return InvalidValue(
            "unit.number",
            f"不是以{self.unit}计的数值（如“约5”“五亩”须由单位更正）",
            f"not a number in {self.unit} (text such as '约5' must be corrected at the source)",
        )
