"""What every channel receives and how it reports failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    """One rendered message for one address. ``dedupe_key`` is the idempotency key every channel forwards."""

    dedupe_key: str
    channel: str
    address: str
    subject: str
    body: str


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
