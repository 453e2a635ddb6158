"""Inbound agency payloads verify only under a key of that agency valid when they were received."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from hub.cli.main import app
from hub.store import open_store
from hub.trust.agency_keys import (
    AgencyKeyError,
    AgencySignatureError,
    register_agency_key,
    retire_agency_key,
    verify_agency_signature,
)

runner = CliRunner()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PAYLOAD = json.dumps({"decision_no": "衢环罚〔2026〕12号", "amount": "125000"}, ensure_ascii=False).encode()


def _raw_pub(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _env_key(url: str):  # type: ignore[no-untyped-def]
    """The environment bureau's key, valid for 2026 only."""
    factory = open_store(url)
    key = Ed25519PrivateKey.generate()
    with factory() as s, s.begin():
        register_agency_key(s, "QZ-HBJ", "2026", _raw_pub(key), T0, T0 + timedelta(days=365))
    return factory, key


@pytest.fixture
def env_key(store_url: str):  # type: ignore[no-untyped-def]
    return _env_key(store_url)


@pytest.fixture
def env_key_sqlite(tmp_path: Path):  # type: ignore[no-untyped-def]
    """For the many signature variants: database-independent, so SQLite only (the paths above run on both)."""
    from hub.store.db import reset_caches

    yield _env_key(f"sqlite:///{tmp_path / 'keys.db'}")
    reset_caches()


def _code(factory, payload: bytes, signature, at: datetime, **kw) -> str | None:  # type: ignore[no-untyped-def]
    with factory() as s:
        try:
            verify_agency_signature(s, "QZ-HBJ", payload, signature, at, **kw)
        except AgencySignatureError as exc:
            return exc.code
    return None


def test_valid_signature_within_validity_is_accepted(env_key) -> None:  # type: ignore[no-untyped-def]
    factory, key = env_key
    sig = key.sign(PAYLOAD)
    assert _code(factory, PAYLOAD, sig, T0 + timedelta(days=10)) is None
    assert _code(factory, PAYLOAD, base64.b64encode(sig).decode(), T0 + timedelta(days=10)) is None
    with factory() as s:
        assert verify_agency_signature(s, "QZ-HBJ", PAYLOAD, sig, T0 + timedelta(days=1)).key_id == "2026"


def test_key_past_its_validity_is_refused_even_with_a_correct_signature(env_key) -> None:  # type: ignore[no-untyped-def]
    factory, key = env_key
    sig = key.sign(PAYLOAD)
    assert _code(factory, PAYLOAD, sig, T0 + timedelta(days=365)) == "signature.key_expired"
    assert _code(factory, PAYLOAD, sig, T0 - timedelta(seconds=1)) == "signature.key_not_yet_valid"
    assert _code(factory, PAYLOAD, sig, T0 + timedelta(days=400), key_id="2026") == "signature.key_expired"


@pytest.mark.parametrize(
    ("make_sig", "code"),
    [
        (lambda key: key.sign(PAYLOAD + b" "), "signature.invalid"),  # payload altered after signing
        (lambda key: Ed25519PrivateKey.generate().sign(PAYLOAD), "signature.invalid"),  # forged by another key
        (lambda key: None, "signature.missing"),
        (lambda key: b"", "signature.missing"),
        (lambda key: "not base64 at all!", "signature.malformed"),
        (lambda key: base64.b64encode(b"short").decode(), "signature.malformed"),
    ],
)
def test_forged_altered_and_missing_signatures_are_refused(env_key_sqlite, make_sig, code: str) -> None:  # type: ignore[no-untyped-def]
    factory, key = env_key_sqlite
    assert _code(factory, PAYLOAD, make_sig(key), T0 + timedelta(days=1)) == code


def test_another_agencys_key_does_not_vouch(env_key) -> None:  # type: ignore[no-untyped-def]
    factory, _ = env_key
    other = Ed25519PrivateKey.generate()
    with factory() as s, s.begin():
        register_agency_key(s, "QZ-LYJ", "2026", _raw_pub(other), T0)
    assert _code(factory, PAYLOAD, other.sign(PAYLOAD), T0 + timedelta(days=1)) == "signature.invalid"
    with factory() as s, pytest.raises(AgencySignatureError) as info:
        verify_agency_signature(s, "QZ-NONE", PAYLOAD, other.sign(PAYLOAD), T0)
    assert info.value.code == "signature.no_key" and "QZ-NONE" in str(info.value)
    assert _code(factory, PAYLOAD, other.sign(PAYLOAD), T0, key_id="nokey") == "signature.unknown_key"


def test_rollover_overlap_and_retirement(env_key_sqlite) -> None:  # type: ignore[no-untyped-def]
    factory, old = env_key_sqlite
    new = Ed25519PrivateKey.generate()
    with factory() as s, s.begin():
        register_agency_key(s, "QZ-HBJ", "2027", _raw_pub(new), T0 + timedelta(days=300))
    overlap = T0 + timedelta(days=320)
    assert _code(factory, PAYLOAD, old.sign(PAYLOAD), overlap) is None
    assert _code(factory, PAYLOAD, new.sign(PAYLOAD), overlap) is None
    with factory() as s, s.begin():
        retire_agency_key(s, "QZ-HBJ", "2026", T0 + timedelta(days=310))  # compromised: cut short
    assert _code(factory, PAYLOAD, old.sign(PAYLOAD), overlap) == "signature.invalid"
    assert _code(factory, PAYLOAD, old.sign(PAYLOAD), overlap, key_id="2026") == "signature.key_expired"


def test_registration_rejects_bad_keys_and_periods(store_url: str) -> None:
    factory = open_store(store_url)
    good = _raw_pub(Ed25519PrivateKey.generate())
    with factory() as s, s.begin():
        for args in [("A", "k", "bm90IGEga2V5", T0, None), ("A", "k", good, T0, T0), ("", "k", good, T0, None)]:
            with pytest.raises(AgencyKeyError):
                register_agency_key(s, *args)
        register_agency_key(s, "A", "k", good, T0)
        with pytest.raises(AgencyKeyError):
            register_agency_key(s, "A", "k", good, T0)


def test_cli_agency_add_and_list(use_store: str, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "hbj.pub.pem"
    pem.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    added = runner.invoke(
        app,
        ["keys", "agency", "add", "QZ-HBJ", "2026", str(pem), "--valid-from", "2026-01-01", "--valid-to", "2026-12-31"],
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(app, ["keys", "agency", "list", "--json"]).stdout)
    assert [(r["agency_code"], r["key_id"], r["public_key"]) for r in listed] == [("QZ-HBJ", "2026", _raw_pub(key))]
    with open_store(use_store)() as s:
        # --valid-to is inclusive in China Standard Time: 2026-12-31 23:59 CST is valid, 2027-01-01 00:00 CST is not
        last_minute = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
        verify_agency_signature(s, "QZ-HBJ", PAYLOAD, key.sign(PAYLOAD), last_minute)
        with pytest.raises(AgencySignatureError):
            verify_agency_signature(s, "QZ-HBJ", PAYLOAD, key.sign(PAYLOAD), last_minute + timedelta(minutes=1))
    dup = runner.invoke(app, ["keys", "agency", "add", "QZ-HBJ", "2026", str(pem), "--valid-from", "2026-01-01"])
    assert dup.exit_code == 1
