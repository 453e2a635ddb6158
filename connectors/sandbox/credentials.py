"""The sandbox's demo credentials and signing key — public by design, valid only against the sandbox.

Agencies' real credentials come from the environment or Airflow Connections; these
exist so that ``pilhub sandbox`` and the tests exercise the same authentication code
paths (API key, HMAC, OAuth2, Ed25519) without any real secret anywhere.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ENVIRONMENT_API_KEY = "sbx-sthj-4f1c9a7e2b"
WATER_API_KEY = "sbx-sl-7d3e2a91c0"
MARKET_KEY_ID = "sbx-scjg"
MARKET_SECRET = "sbx-scjg-hmac-5e8b1d2f"
COURT_CLIENT_ID = "sbx-court"
COURT_CLIENT_SECRET = "sbx-court-oauth-9a6c3e1b"
SIGNING_KEY_ID = "sthj-2017"
NATURAL_RESOURCES_APP_ID = "sbx-zrzy-app-20181231"
NATURAL_RESOURCES_APP_SECRET = "sbx-zrzy-secret-3c71f0a9d4"


def signing_key(seed: int) -> Ed25519PrivateKey:
    """The environment bureau's Ed25519 signing key, derived from the sandbox seed."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"pilhub-sandbox-sthj-{seed}".encode()).digest())


def public_key_b64(seed: int) -> str:
    raw = signing_key(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")
