"""Mutual TLS against a real TLS server: the water bureau's sandbox served over HTTPS, client certificates required.

A throwaway CA, a server certificate for 127.0.0.1 and a client certificate are made
with ``cryptography``; the sandbox wraps its listening socket in an ``ssl`` context with
``CERT_REQUIRED``. The connector gets its certificate, key and CA bundle from the
ordinary configuration (``PILHUB_CONN_WATER_CERT`` / ``_KEY`` / ``_CA``):

* with all three, ``check`` and the pull succeed over TLS;
* without the client certificate the server refuses the handshake; the pull fails with a
  Chinese and English message naming the settings, and no record is loaded;
* with a CA bundle that did not sign the server's certificate, verification fails (not
  retried), and no record is loaded;
* a client certificate from a CA the server does not trust is refused too.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import func, select

from connectors.registry import get_connector
from connectors.sandbox import Sandbox, credentials, start_sandbox
from connectors.sdk.probe import check
from hub.ingest.pull import pull
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch
from tests.connectors.conftest import make_factory

AGENCY = "330800-sl"


@dataclass(frozen=True)
class Pki:
    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path  # a client certificate signed by a CA the server does not trust
    rogue_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, obj: x509.Certificate | ec.EllipticCurvePrivateKey) -> Path:
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


def _builder(subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(common_name, _name(common_name), key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    common_name: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], *, server: bool
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(common_name, ca[1].subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
    return key, builder.sign(ca[0], hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway PKI: the agency's CA (server and hub client certificates), and two unrelated CAs."""
    d = tmp_path_factory.mktemp("pki")
    ca, other, rogue_ca = _ca("衢州市水利局 test CA"), _ca("unrelated CA"), _ca("rogue CA")
    server, client, rogue = _leaf("127.0.0.1", ca, server=True), _leaf("pilhub", ca, server=False), None
    rogue = _leaf("pilhub", rogue_ca, server=False)
    return Pki(
        ca=_write(d / "ca.pem", ca[1]),
        other_ca=_write(d / "other-ca.pem", other[1]),
        server_cert=_write(d / "server.pem", server[1]),
        server_key=_write(d / "server.key", server[0]),
        client_cert=_write(d / "client.pem", client[1]),
        client_key=_write(d / "client.key", client[0]),
        rogue_cert=_write(d / "rogue.pem", rogue[1]),
        rogue_key=_write(d / "rogue.key", rogue[0]),
    )


@pytest.fixture
def tls_sandbox(pki: Pki) -> Iterator[Sandbox]:
    """The water bureau's system over HTTPS, demanding a client certificate signed by the agency's CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(pki.ca)
    with start_sandbox(systems=["water"], ssl_context=context) as sandbox:
        assert sandbox.urls["water"].startswith("https://127.0.0.1:")
        yield sandbox


def _configure(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: Sandbox,
    *,
    cert: Path | None,
    key: Path | None,
    ca: Path | None,
) -> None:
    monkeypatch.setenv("PILHUB_CONN_WATER_URL", sandbox.urls["water"])
    monkeypatch.setenv("PILHUB_CONN_WATER_API_KEY", credentials.WATER_API_KEY)
    for name, value in (("CERT", cert), ("KEY", key), ("CA", ca)):
        if value is None:
            monkeypatch.delenv(f"PILHUB_CONN_WATER_{name}", raising=False)
        else:
            monkeypatch.setenv(f"PILHUB_CONN_WATER_{name}", str(value))


def _stored(factory) -> tuple[int, list[str], str | None]:  # type: ignore[no-untyped-def]
    with factory() as session:
        records = session.execute(select(func.count()).select_from(AgencyRecord)).scalar_one()
        statuses = list(session.execute(select(IngestBatch.status).order_by(IngestBatch.id)).scalars())
        state = session.get(ConnectorState, (AGENCY, "replies"))
    return int(records), statuses, state.cursor if state else None


def test_with_client_certificate_and_ca_the_check_and_pull_succeed(
    tls_sandbox, pki, sqlite_url, fast_policy, monkeypatch
):
    _configure(monkeypatch, tls_sandbox, cert=pki.client_cert, key=pki.client_key, ca=pki.ca)
    result = check(get_connector("water"))
    assert result.ok and result.reachable and result.authenticated, result.as_dict()

    factory = make_factory(sqlite_url)
    summary = pull("water", factory=factory, policy=fast_policy)
    assert summary.ok and summary.total("loaded") > 0
    records, statuses, cursor = _stored(factory)
    assert records == summary.total("loaded") and set(statuses) == {"loaded"} and cursor
    assert tls_sandbox.servers["water"].tls_failures == 0


def test_without_client_certificate_the_handshake_is_refused_and_nothing_is_loaded(
    tls_sandbox, pki, sqlite_url, fast_policy, monkeypatch
):
    _configure(monkeypatch, tls_sandbox, cert=None, key=None, ca=pki.ca)
    factory = make_factory(sqlite_url)
    summary = pull("water", factory=factory, policy=fast_policy, raise_on_error=False)
    assert not summary.ok
    for stream in summary.streams:
        assert stream.status == "failed" and stream.fetched == 0
        error = stream.error or ""
        assert "客户端证书" in error and "client certificate" in error, error
        assert "PILHUB_CONN_WATER_CERT" in error
    assert _stored(factory) == (0, ["failed", "failed"], None)  # no record, batches failed, cursor unchanged
    assert tls_sandbox.servers["water"].tls_failures > 0  # the server really refused the handshakes

    result = check(get_connector("water"))
    assert not result.ok and result.reachable is False
    assert "客户端证书" in result.zh and "client certificate" in result.en


def test_with_a_wrong_ca_bundle_server_verification_fails_at_once(
    tls_sandbox, pki, sqlite_url, fast_policy, monkeypatch
):
    _configure(monkeypatch, tls_sandbox, cert=pki.client_cert, key=pki.client_key, ca=pki.other_ca)
    factory = make_factory(sqlite_url)
    summary = pull("water", factory=factory, policy=fast_policy, raise_on_error=False)
    assert not summary.ok
    for stream in summary.streams:
        error = stream.error or ""
        assert stream.status == "failed" and "证书验证失败" in error and "did not verify" in error, error
        assert "PILHUB_CONN_WATER_CA" in error and "certificate verify failed" in error
        assert stream.requests == 1 and stream.retries == 0  # a certificate problem is not retried
    assert _stored(factory) == (0, ["failed", "failed"], None)


def test_a_client_certificate_from_an_untrusted_ca_is_refused(tls_sandbox, pki, sqlite_url, fast_policy, monkeypatch):
    _configure(monkeypatch, tls_sandbox, cert=pki.rogue_cert, key=pki.rogue_key, ca=pki.ca)
    factory = make_factory(sqlite_url)
    summary = pull("water", factory=factory, policy=fast_policy, raise_on_error=False)
    assert not summary.ok
    for stream in summary.streams:
        error = stream.error or ""
        assert stream.status == "failed" and ("TLS" in error), error
    assert _stored(factory)[0] == 0
    assert tls_sandbox.servers["water"].tls_failures > 0
