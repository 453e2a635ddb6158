"""One received record on its way into the store — the SDK's :class:`~connectors.sdk.records.Incoming`."""

from connectors.sdk.records import Incoming

__all__ = ["Incoming"]
