"""One received record on its way into the store, whatever connector or file it came from.

Connectors (after signature check and field mapping), quarantine replay and file
validation all hand the loader the same shape, so the rules — validation, de-
duplication, versioning, quarantine, counts — are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.ingest.reasons import Reason


@dataclass(slots=True)
class Incoming:
    """``raw`` is the record exactly as parsed from the landed body (what quarantine keeps);
    ``mapped`` the contract fields (no envelope) or ``None`` if preparation already failed
    with ``reasons``; ``cursor`` the record's value of the stream's cursor field. (Records a pull
    worker prepared arrive with ``mapped`` ``None`` too: the mapping ran in the worker, and
    the loader receives the worker's verdict alongside — see ``connectors.sdk.parallel``.)

    ``raw_hash`` caches the envelope's ``payload_hash`` (``hub.ingest.loader.item_raw_hash``): the
    loader reads it for the envelope and again for a rejected record's quarantine item.

    Slotted: a pull holds one per record (100,000 and more), so size and construction count."""

    raw: dict[str, Any]
    source_id: str | None
    mapped: dict[str, Any] | None
    fetched_at: datetime
    cursor: str | None = None
    signature: str | None = None
    landing_pk: int | None = None
    reasons: list[Reason] = field(default_factory=list)
    raw_hash: str | None = None  # SHA-256 of ``raw``'s canonical JSON, once taken (``hub.ingest.loader.item_raw_hash``)
