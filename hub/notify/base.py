"""What every channel receives and how it reports failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hub.notify.signed import SignedNotice


@dataclass(frozen=True)
class Delivery:
    """One rendered message for one address. ``dedupe_key`` is the idempotency key every channel forwards.

    The last three fields feed the hub-signed notice document every channel carries
    (``hub.notify.signed``): ``issued_at`` is fixed per outbox message (its enqueue time)
    so a retry signs the same bytes; ``facts`` are the case, recommendation, agency,
    deadline and level the text states; ``notice`` is the document the outbox already
    signed (channels sign it themselves when a Delivery is built without one).
    """

    dedupe_key: str
    channel: str
    address: str
    subject: str
    body: str
    issued_at: dt.datetime | None = None
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    notice: SignedNotice | None = field(default=None, compare=False, hash=False, repr=False)


class DeliveryError(RuntimeError):
    """Delivery failed. ``permanent`` failures (a refused address, a 4xx) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """A way to deliver: raise :class:`DeliveryError` on failure; deliver a repeated key at most once if you can."""

    name: str

    def deliver(self, delivery: Delivery) -> None: ...


def mask_address(channel: str, address: str) -> str:
    """An address fit for logs and audit: webhook URLs carry access tokens, so only their host is kept."""
    if channel == "webhook":
        from urllib.parse import urlsplit

        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc}/…"
    return address
