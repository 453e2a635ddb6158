"""Trust tests: a fresh hub signing key and a private checkpoint anchor file per test."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.personal_data import reset_keyring
from hub.trust.signing import reset_signer


def raw_private_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(
        key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    ).decode()


@pytest.fixture(autouse=True)
def hub_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("PILHUB_SIGNING_KEY", raw_private_b64(key))
    monkeypatch.setenv("PILHUB_AUDIT_ANCHOR", str(tmp_path / "anchor" / "checkpoints.jsonl"))
    monkeypatch.delenv("PILHUB_SIGNING_TRUSTED_KEYS", raising=False)
    reset_signer()
    reset_keyring()
    yield key
    reset_signer()
    reset_keyring()
