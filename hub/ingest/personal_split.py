"""Split personal-data fields out of a validated record before it is stored.

The contract marks fields that may identify a natural person (``x-personal-data``):
a party's name when the party is a person, ID numbers, receivers. The stored
``payload`` must never hold them in clear, so they move to ``personal_enc`` (AES-GCM,
one JSON object per record, keyed by the field path) and the payload keeps the rest.
"""

from __future__ import annotations

from typing import Any

from schemas.registry import personal_data_fields


def split_personal(kind: str, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(payload without personal fields, {path: value})``; ``record`` is not modified.

    Paths are those of :func:`schemas.registry.personal_data_fields`; ``a[].b`` removes
    ``b`` from every item of list ``a`` and keeps the values as a list under that path.
    """
    paths = personal_data_fields(kind)
    if not paths:
        return record, {}
    payload = dict(record)
    personal: dict[str, Any] = {}
    for path in paths:
        if "[]." not in path:
            if path in payload:
                value = payload.pop(path)
                if value is not None:
                    personal[path] = value
            continue
        head, _, rest = path.partition("[].")
        items = payload.get(head)
        if not isinstance(items, list) or "[]" in rest or "." in rest:
            continue
        new_items, values = [], []
        for item in items:
            if isinstance(item, dict) and rest in item:
                item = dict(item)
                values.append(item.pop(rest))
            new_items.append(item)
        payload[head] = new_items
        if any(v is not None for v in values):
            personal[path] = values
    return payload, personal


def merge_personal(payload: dict[str, Any], personal: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`split_personal` (for authorised views and replay checks)."""
    record = dict(payload)
    for path, value in personal.items():
        if "[]." not in path:
            record[path] = value
            continue
        head, _, rest = path.partition("[].")
        items = [dict(i) for i in record.get(head) or []]
        for item, v in zip(items, value, strict=False):
            item[rest] = v
        record[head] = items
    return record
