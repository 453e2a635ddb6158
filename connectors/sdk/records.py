"""What record preparation produces: a received record, and why one was rejected.

Connectors (after signature check and field mapping), quarantine replay and file loading
all hand the loader the same shape (:class:`Incoming`), so the rules — validation,
de-duplication, versioning, quarantine, counts — are written once, by whoever implements
the SDK's sink (the hub's loader). Reasons never contain the rejected *value* (it may be
an ID number or a person's name) — only where it was and what rule it broke; the code is
stable so rejects can be grouped and counted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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


@dataclass(slots=True)
class Incoming:
    """``raw`` is the record exactly as parsed from the landed body (what quarantine keeps);
    ``mapped`` the contract fields (no envelope) or ``None`` if preparation already failed
    with ``reasons``; ``cursor`` the record's value of the stream's cursor field (for a
    stream with a :class:`~connectors.sdk.watermark.Watermark`: its update time as ISO text
    with offset).

    ``raw_hash`` caches the envelope's ``payload_hash``: the loader reads it for the envelope
    and again for a rejected record's quarantine item.

    Slotted: a pull holds one per record (100,000 and more), so size and construction count."""

    raw: dict[str, Any]
    source_id: str | None
    mapped: dict[str, Any] | None
    fetched_at: datetime
    cursor: str | None = None
    signature: str | None = None
    landing_pk: int | None = None
    reasons: list[Reason] = field(default_factory=list)
    raw_hash: str | None = None  # SHA-256 of ``raw``'s canonical JSON, once taken
