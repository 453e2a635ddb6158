"""Canonical JSON for the hub: the connector SDK's implementation (:mod:`connectors.sdk.canonical`).

The SDK hashes raw records as it prepares them, and the hub stores and compares those
hashes; one implementation keeps every stored hash byte-for-byte the same.
"""

from connectors.sdk.canonical import (
    canonical_bytes,
    canonical_text,
    dumps_are_plain,
    is_plain_json,
    plain_canonical_bytes,
    raw_payload_hash,
    sha256_hex,
    stdlib_canonical,
)

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
