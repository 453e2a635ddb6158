"""Data-quality warnings on registry lines that do not reject the line.

A wrong check character in a credit code or ID number exported by the case system is
a data-quality problem, not a reason to lose the case: the line is kept, the value is
stored as exported, and the warning names the field (never the value — it may be
personal data). Only validated codes are used as exact matching keys.
"""

from __future__ import annotations

from hub.registry.format import PartyIn
from schemas.errors import InvalidValue
from schemas.identifiers.credit_code import validate_credit_code
from schemas.identifiers.id_number import validate_id_number


def party_warnings(position: int, party: PartyIn) -> list[str]:
    notes: list[str] = []
    checks = [
        ("credit_code", party.credit_code, validate_credit_code),
        ("id_number", party.id_number, validate_id_number),
    ]
    for field, value, check in checks:
        if not value:
            continue
        try:
            check(value)
        except InvalidValue as exc:
            notes.append(f"parties[{position}].{field}: {exc.zh}（已按原值保存）/ {exc.en} (stored as exported)")
    return notes
