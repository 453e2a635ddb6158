"""Land areas normalised to 亩 (mu): ``3.5亩``, ``2公顷`` (= 30 亩), ``1000平方米`` (= 1.5 亩).

Restoration outcomes are reported in 亩 ("督促修复耕地、林地等农用地100余亩"), while
forestry surveys use 公顷 and site measurements 平方米, so every area is converted
with the statutory factors (1 公顷 = 15 亩; 1 亩 = 10000/15 平方米 ≈ 666.67 m²).
Decimal arithmetic keeps the conversions exact. A bare number is taken as 亩.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from numbers import Integral, Real

from schemas.errors import InvalidValue
from schemas.text import to_halfwidth

__all__ = ["MU_PER_HECTARE", "MU_PER_SQUARE_METRE", "parse_area_mu"]

MU_PER_HECTARE = Decimal(15)
MU_PER_SQUARE_METRE = Decimal("0.0015")  # 15 / 10000
_MU_PER_SQUARE_KILOMETRE = Decimal(1500)

_UNITS: dict[str, Decimal] = {
    "": Decimal(1),
    "亩": Decimal(1),
    "公顷": MU_PER_HECTARE,
    "hm2": MU_PER_HECTARE,
    "hm²": MU_PER_HECTARE,
    "ha": MU_PER_HECTARE,
    "平方米": MU_PER_SQUARE_METRE,
    "平米": MU_PER_SQUARE_METRE,
    "㎡": MU_PER_SQUARE_METRE,
    "m2": MU_PER_SQUARE_METRE,
    "m²": MU_PER_SQUARE_METRE,
    "平方公里": _MU_PER_SQUARE_KILOMETRE,
    "平方千米": _MU_PER_SQUARE_KILOMETRE,
    "km2": _MU_PER_SQUARE_KILOMETRE,
    "km²": _MU_PER_SQUARE_KILOMETRE,
    "㎞²": _MU_PER_SQUARE_KILOMETRE,
}
_AREA = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)((?:[^0-9.].*)?)")


#: More 亩 than China has (≈ 1.44 × 10^10): surely a unit or data-entry error.
_TOO_LARGE = 10**12


def _too_large() -> InvalidValue:
    return InvalidValue("area.too_large", "面积过大", "area is too large")


def _checked(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise InvalidValue("area.format", "面积不能是 NaN 或无穷大", "area cannot be NaN or infinite")
    if amount < 0:
        raise InvalidValue("area.negative", "面积不能为负数", "area must not be negative")
    if amount > _TOO_LARGE:
        raise _too_large()
    return amount.copy_abs()


def parse_area_mu(value: object) -> Decimal:
    """Return the area in 亩 as a Decimal; raise :class:`InvalidValue` for unknown units or negatives."""
    if isinstance(value, bool):
        raise InvalidValue("area.type", "面积应为数字或文本", "area must be a number or text")
    if isinstance(value, Decimal):
        return _checked(value)
    if isinstance(value, Integral):
        if abs(int(value)) > _TOO_LARGE:  # before Decimal(): huge integers convert slowly
            raise _too_large()
        return _checked(Decimal(int(value)))
    if isinstance(value, Real):
        return _checked(Decimal(repr(float(value))))
    if not isinstance(value, str):
        raise InvalidValue("area.type", "面积应为数字或文本", "area must be a number or text")
    text = "".join(to_halfwidth(value).split()).replace(",", "")
    match = _AREA.fullmatch(text)
    if match is None:
        raise InvalidValue(
            "area.format",
            "无法识别的面积（可用 3.5亩、2公顷、1000平方米）",
            "unrecognised area (use 3.5亩, 2公顷 or 1000平方米)",
        )
    unit = match[2].lower()
    factor = _UNITS.get(unit)
    if factor is None:
        raise InvalidValue(
            "area.unit",
            f"未知的面积单位“{match[2]}”（可用 亩、公顷、平方米、平方公里）",
            f"unknown area unit '{match[2]}' (use 亩, 公顷, 平方米 or 平方公里)",
        )
    try:
        return _checked(Decimal(match[1]) * factor)
    except InvalidOperation:
        raise InvalidValue("area.format", "面积数值无效", "area value is not a number") from None
