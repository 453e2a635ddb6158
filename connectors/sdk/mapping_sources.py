"""Mapping sources a declaration file can name besides a field and a :class:`~connectors.sdk.units.Quantity`.

A connector module may use any function of the record as a mapping value; a declaration
file may not (it executes nothing), so the few shapes agencies need are declared:
:class:`Split` for a list written as one text (``"镉;铅"``) and :class:`Constant` for a value
every record of a stream shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.sdk.formats import dig

__all__ = ["Constant", "Split"]


@dataclass(frozen=True)
class Split:
    """The text field ``field`` holds a list: ``"镉;铅"`` → ``["镉", "铅"]``; empty parts dropped."""

    field: str
    separator: str = ";"

    def __call__(self, record: dict[str, Any]) -> list[str] | None:
        value = record.get(self.field) if self.field in record else dig(record, self.field)
        if value is None:
            return None
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value).split(self.separator) if part.strip()]


@dataclass(frozen=True)
class Constant:
    """The same value for every record of the stream."""

    value: Any

    def __call__(self, record: dict[str, Any]) -> Any:
        return self.value
