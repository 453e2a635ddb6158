"""Why a record or batch was rejected: field path, stable code, Chinese and English message.

Reasons are stored with quarantine items and shown to integration engineers, operators
and congress staff alike, so they never contain the rejected *value* (it may be an ID
number or a person's name) — only where it was and what rule it broke. The code is
stable so rejects can be grouped and counted (``pilhub validate`` summarises by code).
Contract violations come from :func:`schemas.validation.validate_records` as
``FieldError`` s and are converted 1:1; signature and mapping failures are raised as
:class:`RecordRejected` by the connector SDK.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Reason:
    field: str  # dotted path, "" for the record as a whole
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.zh} / {self.en}"


class RecordRejected(Exception):
    """Raised by record preparation (signature check, mapping) with the reasons to quarantine."""

    def __init__(self, *reasons: Reason) -> None:
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = list(reasons)


def reasons_to_json(reasons: list[Reason]) -> list[dict[str, str]]:
    return [r.as_dict() for r in reasons]
