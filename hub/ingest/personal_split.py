"""Split personal-data fields out of a validated record before it is stored.

The contract marks fields that may identify a natural person (``x-personal-data``):
a party's name when the party is a person, ID numbers, receivers. The stored
``payload`` must never hold them in clear, so they move to ``personal_enc`` (AES-GCM,
one JSON object per record, keyed by the field path) and the payload keeps the rest.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hub.free_text import mask_text, names_someone
from schemas.registry import get_model, personal_data_fields

#: Free text longer than a label: the contract's prose fields (facts, measures, outcomes, notes) — 20,000 characters.
_PROSE_MAX_LENGTH = 20_000


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


@cache
def free_text_fields(kind: str) -> tuple[str, ...]:
    """Top-level prose fields of a record kind (violation facts, measures taken, judgment outcome, notes …)."""
    properties = get_model(kind).model_json_schema(mode="serialization").get("properties", {})

    def prose(spec: dict[str, Any]) -> bool:
        if spec.get("type") == "string" and spec.get("maxLength") == _PROSE_MAX_LENGTH:
            return True
        return any(prose(option) for option in spec.get("anyOf", []))  # optional prose: anyOf [string, null]

    return tuple(sorted(name for name, spec in properties.items() if prose(spec)))


def person_names(personal: dict[str, Any]) -> list[str]:
    """The names among a record's personal-data values that look like a natural person's.

    Personal-name fields may hold an organisation's name (an individual business, a sampled shop): a value of
    two to four characters, or with the middle dot of a transcribed name, is taken for a person's name — an
    organisation's name is longer and is not masked inside the facts (it is not personal data there).
    """
    out: list[str] = []
    for value in personal.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and not item.isdigit() and (2 <= len(item) <= 4 or "·" in item):
                out.append(item)
    return out


def mask_free_text(kind: str, payload: dict[str, Any], personal: dict[str, Any]) -> bool:
    """Move prose that names one of the record's persons (or holds an ID or phone number) into ``personal``.

    The payload keeps the public form (余水生 → 余某某, ``hub.free_text``); ``personal`` gets the original under
    the field's name, so :func:`merge_personal` restores it for authorised views. Returns whether anything moved.
    """
    fields = free_text_fields(kind)
    if not fields:
        return False
    names = person_names(personal)
    moved = False
    for name in fields:
        text = payload.get(name)
        if isinstance(text, str) and names_someone(text, names):
            personal[name] = text
            payload[name] = mask_text(text, names)
            moved = True
    return moved


def names_someone_in(kind: str, record: dict[str, Any]) -> bool:
    """Whether a record's prose names one of its persons (the loader's quick check before splitting)."""
    fields = free_text_fields(kind)
    if not fields:
        return False
    names = person_names({p: record.get(p) for p in _top_personal(kind)})
    return any(isinstance(record.get(f), str) and names_someone(record[f], names) for f in fields)


@cache
def _top_personal(kind: str) -> tuple[str, ...]:
    return tuple(p for p in personal_data_fields(kind) if "[]." not in p)
