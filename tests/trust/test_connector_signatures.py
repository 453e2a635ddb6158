"""The connector SDK's signature check agrees with ``verify_agency_signature`` — including on expired keys.

``connectors.sdk.signatures.Ed25519Signed`` checks records inline during a pull. Its
verdict must match the hub's reusable rule (:func:`hub.trust.agency_keys.verify_agency_signature`):
a key past its validity is refused at the time the hub *received* the record.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.sdk import signatures
from hub.ingest import reasons
from hub.ingest.agency_keys import AgencyKeys
from hub.store import open_store
from hub.trust.agency_keys import AgencySignatureError, register_agency_key, verify_agency_signature

VALID_FROM = datetime(2025, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2026, 1, 1, tzinfo=UTC)
PAYLOAD = json.dumps({"decision_no": "衢环罚〔2025〕7号", "party": "某公司"}, ensure_ascii=False)


@pytest.fixture
def keyed(tmp_path):  # type: ignore[no-untyped-def]
    from hub.store.db import reset_caches

    factory = open_store(f"sqlite:///{tmp_path / 'sig.db'}")
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with factory() as s, s.begin():
        register_agency_key(s, "QZ-HBJ", "2025", base64.b64encode(raw).decode(), VALID_FROM, VALID_TO)
    yield factory, key
    reset_caches()


def _record(key: Ed25519PrivateKey, signed_at: str | None) -> dict[str, str]:
    record = {"payload": PAYLOAD, "key_id": "2025", "signature": base64.b64encode(key.sign(PAYLOAD.encode())).decode()}
    if signed_at:
        record["signed_at"] = signed_at
    return record


def _connector_accepts(factory, record: dict[str, str], fetched_at: datetime) -> bool:  # type: ignore[no-untyped-def]
    with factory() as s:
        keys = AgencyKeys.load(s, "QZ-HBJ")
    try:
        signatures.Ed25519Signed().open(record, keys, fetched_at)
    except reasons.RecordRejected:
        return False
    return True


def _hub_accepts(factory, record: dict[str, str], fetched_at: datetime) -> bool:  # type: ignore[no-untyped-def]
    with factory() as s:
        try:
            verify_agency_signature(
                s, "QZ-HBJ", record["payload"].encode(), record["signature"], fetched_at, key_id=record["key_id"]
            )
        except AgencySignatureError:
            return False
    return True


@pytest.mark.parametrize("fetched_at", [VALID_FROM + timedelta(days=30), VALID_TO + timedelta(days=60)])
def test_connector_and_hub_agree_without_a_claimed_signing_time(keyed, fetched_at: datetime) -> None:  # type: ignore[no-untyped-def]
    factory, key = keyed
    record = _record(key, None)
    assert _connector_accepts(factory, record, fetched_at) == _hub_accepts(factory, record, fetched_at)


def test_backdated_signing_time_does_not_revive_an_expired_key(keyed) -> None:  # type: ignore[no-untyped-def]
    """The wrapper's ``signed_at`` is not covered by the signature: validity is judged at ``fetched_at``."""
    factory, key = keyed
    fetched_at = VALID_TO + timedelta(days=60)  # the key expired two months before the hub received this
    forged = _record(key, "2025-06-01T00:00:00Z")  # … but the unsigned wrapper claims an old signing time
    assert not _hub_accepts(factory, forged, fetched_at)
    assert not _connector_accepts(factory, forged, fetched_at)


@pytest.mark.parametrize("claimed", ["2024-06-01T00:00:00Z", "2027-01-01T00:00:00Z", "not a time"])
def test_a_claimed_signing_time_never_changes_the_verdict(keyed, claimed: str) -> None:  # type: ignore[no-untyped-def]
    """Inside the validity period the record is accepted whatever the wrapper claims, and the hub agrees."""
    factory, key = keyed
    fetched_at = VALID_FROM + timedelta(days=30)
    record = _record(key, claimed)
    assert _connector_accepts(factory, record, fetched_at) and _hub_accepts(factory, record, fetched_at)
