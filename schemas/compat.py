"""Backward compatibility between two JSON Schemas of the same record kind.

A producer that conforms to a published version must keep conforming to every
later version with the same major number. So, relative to the older schema, a
newer one must not remove a field, change a field's type or format, narrow an
enumeration or union, or make a field required that was optional (or add a new
required field). Widening — a new optional field, more enum values, a type that
now also accepts null — is compatible. Descriptions, titles, examples, defaults
and ``x-*`` annotations are ignored.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["breaking_changes"]

_ANNOTATIONS = {"title", "description", "examples", "default", "$comment", "deprecated"}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline ``$ref``s and drop annotation-only keys, recursively."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            return _resolve({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
        return {
            key: _resolve(value, defs)
            for key, value in node.items()
            if key not in _ANNOTATIONS and not key.startswith("x-") and key != "$defs"
        }
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    return node


def _key(node: Any) -> str:
    return json.dumps(node, sort_keys=True, ensure_ascii=False)


def _type_set(node: dict[str, Any]) -> set[str]:
    declared = node.get("type")
    return set(declared) if isinstance(declared, list) else {declared} if declared else set()


def _compatible(old: Any, new: Any) -> bool:
    """True when everything valid under ``old`` is valid under ``new`` (for the shapes we generate)."""
    if _key(old) == _key(new):
        return True
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return False
    if "anyOf" in new:
        old_options = old.get("anyOf", [old])
        return all(any(_compatible(o, n) for n in new["anyOf"]) for o in old_options)
    if "anyOf" in old:
        return False
    rest_old = {k: v for k, v in old.items() if k not in ("enum", "type", "properties", "required", "items")}
    rest_new = {k: v for k, v in new.items() if k not in ("enum", "type", "properties", "required", "items")}
    if _key(rest_old) != _key(rest_new):
        return False
    if not _type_set(old) <= _type_set(new) and _type_set(new):
        return False
    if "enum" in new and not set(map(_key, old.get("enum", [None]))) <= set(map(_key, new["enum"])):
        return False
    if ("items" in old or "items" in new) and not _compatible(old.get("items", {}), new.get("items", {})):
        return False
    if "properties" in old or "properties" in new:
        return not _object_changes(old, new, prefix="")
    return True


def _object_changes(old: dict[str, Any], new: dict[str, Any], prefix: str) -> list[str]:
    changes: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_field in old_props.items():
        if name not in new_props:
            changes.append(f"field '{prefix}{name}' was removed")
        elif not _compatible(old_field, new_props[name]):
            changes.append(f"field '{prefix}{name}' changed type or constraints")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        if name in old_props:
            changes.append(f"field '{prefix}{name}' became required")
        else:
            changes.append(f"new required field '{prefix}{name}'")
    if old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False:
        changes.append(f"{prefix or 'record'}: additional properties are no longer allowed")
    return changes


def breaking_changes(old_schema: dict[str, Any], new_schema: dict[str, Any]) -> list[str]:
    """Human-readable reasons why ``new_schema`` breaks producers of ``old_schema`` (empty if none)."""
    old = _resolve(old_schema, old_schema.get("$defs", {}))
    new = _resolve(new_schema, new_schema.get("$defs", {}))
    return _object_changes(old, new, prefix="")
