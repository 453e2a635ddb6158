"""Single-value checks by type name, as ``pilhub ids check`` offers them to integration engineers.

Each check returns the normalised value (the form the hub stores) and an optional
note about a conversion the engineer should know of, or raises
:class:`~schemas.errors.InvalidValue`.
"""

from __future__ import annotations

from collections.abc import Callable

from schemas.dates import parse_date
from schemas.identifiers.case_number import validate_case_number
from schemas.identifiers.credit_code import validate_credit_code
from schemas.identifiers.id_number import parse_id_number
from schemas.identifiers.region import validate_region_code

__all__ = ["CHECKS", "check_value"]

Note = tuple[str, str]  # (zh, en)


def _id_number(value: str) -> tuple[str, Note | None]:
    info = parse_id_number(value)
    if info.upgraded_from_15:
        return info.number, ("15位旧身份号码已转换为18位", "legacy 15-digit ID number converted to 18 digits")
    return info.number, None


#: type name → check; the names are the ``TYPE`` column of ``pilhub ids check``.
CHECKS: dict[str, Callable[[str], tuple[str, Note | None]]] = {
    "credit_code": lambda v: (validate_credit_code(v), None),
    "id_number": _id_number,
    "region_code": lambda v: (validate_region_code(v), None),
    "case_number": lambda v: (validate_case_number(v).normalised, None),
    "date": lambda v: (parse_date(v).isoformat(), None),
}


def check_value(type_name: str, value: str) -> tuple[str, Note | None]:
    """Normalise ``value`` as ``type_name``; ``KeyError`` for an unknown type, InvalidValue if invalid."""
    return CHECKS[type_name](value)
