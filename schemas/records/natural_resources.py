"""What the natural-resources kinds share: case status, and areas kept as the bureau reported them.

自然资源和规划局 records measure land in whatever unit the form has — 亩 on enforcement
forms, 平方米 on survey sheets, 公顷 in planning documents. The contract stores every area
in 亩 (``area_mu``, the unit of the reports to the people's congress) *and* keeps the area
as reported with its unit (``area_as_reported``, e.g. ``8000平方米``), so a unit mix-up
— 8000 read as 亩 instead of m², a 667-fold error — can be seen and is refused: the two
must agree to within 0.01 亩. A bare number is not an area as reported: the unit must be
written (the connector's mapping declares it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas.area import parse_area_mu
from schemas.errors import InvalidValue
from schemas.records.types import coded_enum
from schemas.text import to_halfwidth

__all__ = ["AREA_TOLERANCE_MU", "AreaAsReported", "NrCaseStatus", "check_reported_area"]

#: Reported areas are rounded by the bureau (1234 m² → 1.85 亩); half a hundredth of a 亩 either way.
AREA_TOLERANCE_MU = Decimal("0.01")
_BARE_NUMBER = re.compile(r"\s*-?[0-9][0-9,]*(\.[0-9]+)?\s*")

NrCaseStatus = coded_enum(
    {
        "filed": "已立案",
        "decided": "已作出处罚决定",
        "executed": "已执行",
        "closed": "已结案",
        "transferred": "已移送司法机关",
        "revoked": "已撤销",
    },
    "案件状态",
)


def _with_unit(value: Any) -> Any:
    """An area as reported: text with its unit; the number must parse as an area (``schemas.area``)."""
    if isinstance(value, bool) or not isinstance(value, str) or _BARE_NUMBER.fullmatch(to_halfwidth(value)):
        raise InvalidValue(
            "area.unit_missing",
            "报送面积须带单位（亩、平方米、公顷）",
            "an area as reported must carry its unit (亩, 平方米, 公顷)",
        )
    parse_area_mu(value)  # raises the area's own reason for an unknown unit or a negative area
    return " ".join(value.split())


AreaAsReported = Annotated[
    str,
    BeforeValidator(_with_unit),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 2,
            "maxLength": 64,
            "description": "面积原文（含单位）/ the area as the bureau reported it, with its unit, e.g. 8000平方米",
        }
    ),
]


def check_reported_area(area_mu: Decimal | None, as_reported: str | None, field: str) -> None:
    """Refuse a record whose area in 亩 and area as reported disagree (a unit read wrongly)."""
    if area_mu is None or as_reported is None:
        return
    if abs(parse_area_mu(as_reported) - area_mu) > AREA_TOLERANCE_MU:
        raise PydanticCustomError(
            "area.inconsistent",
            "{zh} / {en}",
            {
                "zh": f"{field} 与报送面积原文换算不符（单位可能读错）",
                "en": f"{field} does not match the area as reported (a unit read wrongly?)",
            },
        )
