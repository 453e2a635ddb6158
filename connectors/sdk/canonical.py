"""Canonical JSON — sorted keys, no spaces, UTF-8 — fast, and byte-for-byte the form hashes were taken over.

Every content hash, raw payload hash and quarantine hash in the store is a SHA-256 of
``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)``.
A pull hashes and serialises each record three or four times, and at 100,000 records
that standard-library encoder alone cost ~45 µs a record — most of the pull's budget.
``msgspec`` (already in the pinned set, through Airflow) encodes the same JSON about
ten times faster, but the two differ in three places, so it is used only where they
provably agree:

* floats: msgspec writes ``1e16``/``0.00001`` where Python writes ``1e+16``/``1e-05``
  (exponent notation, i.e. below 1e-4 or from 1e16 on), and NaN/Infinity as ``null``;
* non-JSON types (``datetime``, ``Decimal``, ``set``, ``bytes``, subclasses of ``str``):
  msgspec has its own encodings, Python calls ``default=str``;
* lone surrogates: both refuse them, with different errors.

:func:`canonical_bytes` therefore checks the value is plain JSON data (``dict`` with ``str``
keys, ``list``/``tuple``, ``str``, ``int``, ``bool``, ``None``, floats in the range where
both print alike — a check that costs well under a microsecond for a record) and falls
back to the standard library for anything else, so the bytes, and every stored hash, stay
exactly what they were. ``tests/ingest/test_canonical.py`` compares the two on every code
point and a few million floats.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

try:  # pragma: no branch - msgspec is in the pinned set; the fallback keeps the hub working without it
    import msgspec

    _ENCODE: Any = msgspec.json.Encoder(order="sorted").encode
except ImportError:  # pragma: no cover
    _ENCODE = None

__all__ = [
    "canonical_bytes",
    "canonical_text",
    "dumps_are_plain",
    "is_plain_json",
    "plain_canonical_bytes",
    "raw_payload_hash",
    "sha256_hex",
    "stdlib_canonical",
]


def stdlib_canonical(value: Any) -> str:
    """The reference form (what every stored hash was computed from)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _plain_float(value: float) -> bool:
    # NaN fails both comparisons; ±inf fails the upper bound; -0.0 == 0.0 prints "-0.0" in both.
    return value == 0.0 or 1e-4 <= abs(value) < 1e16


def is_plain_json(value: Any) -> bool:
    """True if ``value`` is JSON data on which msgspec and ``json.dumps`` print identical text."""
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return True
    if cls is dict:
        for key, item in value.items():
            if key.__class__ is not str:
                return False
            icls = item.__class__
            if icls is str or icls is int or item is None or icls is bool:
                continue
            if not is_plain_json(item):
                return False
        return True
    if cls is list or cls is tuple:
        for item in value:
            icls = item.__class__
            if icls is str or icls is int or item is None or icls is bool:
                continue
            if not is_plain_json(item):
                return False
        return True
    if cls is float:
        return _plain_float(value)
    return False


def canonical_bytes(value: Any) -> bytes:
    """UTF-8 bytes of the canonical JSON of ``value`` (identical to ``stdlib_canonical(value).encode()``)."""
    if _ENCODE is not None and is_plain_json(value):
        try:
            return _ENCODE(value)  # type: ignore[no-any-return]
        except (UnicodeEncodeError, TypeError, ValueError, OverflowError):
            pass  # a lone surrogate (or anything unforeseen): the reference path decides, and raises alike
    return stdlib_canonical(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """The canonical JSON of ``value`` as text (identical to :func:`stdlib_canonical` for encodable values)."""
    if _ENCODE is not None and is_plain_json(value):
        try:
            return _ENCODE(value).decode("utf-8")  # type: ignore[no-any-return]
        except (UnicodeEncodeError, TypeError, ValueError, OverflowError):
            pass
    return stdlib_canonical(value)


def sha256_hex(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def raw_payload_hash(value: Any, *, plain: bool = False) -> str:
    """:func:`sha256_hex` of a raw record; ``plain`` when the caller knows it is plain JSON data.

    A body parser knows (``connectors.sdk.formats.ParsedBody.plain``: parsed by msgspec with
    no float, or CSV text), so the per-value check is skipped; the bytes are the same.
    """
    if plain and _ENCODE is not None:
        try:
            return hashlib.sha256(_ENCODE(value)).hexdigest()
        except (UnicodeEncodeError, TypeError, ValueError, OverflowError):
            pass  # the reference path decides
    return sha256_hex(value)


def plain_canonical_bytes(value: Any) -> bytes:
    """:func:`canonical_bytes` for a value known to be plain JSON data (see :func:`dumps_are_plain`): no check."""
    if _ENCODE is None:  # pragma: no cover
        return stdlib_canonical(value).encode("utf-8")
    return _ENCODE(value)  # type: ignore[no-any-return]


#: Core-schema node types whose JSON-mode output is str, int, bool, None, lists or str-keyed dicts of them
#: (dates, times, decimals and UUIDs are written as text), or that only wrap other nodes.
_PLAIN_NODES = frozenset(
    {
        "str",
        "int",
        "bool",
        "none",
        "date",
        "datetime",
        "time",
        "decimal",
        "uuid",
        "literal",
        "list",
        "set",
        "frozenset",
        "tuple",
        "dict",
        "nullable",
        "default",
        "union",
        "tagged-union",
        "chain",
        "lax-or-strict",
        "json-or-python",
        "model",
        "model-fields",
        "model-field",
        "computed-field",
        "computed-fields",
        "typed-dict",
        "typed-dict-field",
        "definitions",
        "definition-ref",
        "function-before",
        "function-after",
        "function-wrap",
        "no-info",
        "with-info",
        "custom-error",
    }
)


def _plain_schema(node: Any) -> bool:
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str):
            if kind not in _PLAIN_NODES or "serialization" in node:
                return False  # a float, ``Any``, a plain-function validator or a custom serializer: unknown output
            if kind == "literal" and not all(
                v is None or v.__class__ in (str, int, bool) for v in node.get("expected", ())
            ):
                return False
        return all(_plain_schema(v) for k, v in node.items() if k not in ("function", "ref", "metadata"))
    if isinstance(node, list | tuple):
        return all(_plain_schema(v) for v in node)
    return True


@cache
def dumps_are_plain(model: type) -> bool:
    """Whether every JSON-mode dump of a pydantic ``model`` is plain JSON data, so no value needs checking.

    Decided from the model's core schema with an allow-list: any node that could put a float
    (msgspec and ``json`` print some differently), an arbitrary object or a custom serializer's
    output into a dump makes it ``False``, and the dump is then checked value by value.
    """
    schema = getattr(model, "__pydantic_core_schema__", None)
    return schema is not None and _plain_schema(schema)
