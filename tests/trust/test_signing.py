"""Outbound artefacts carry a signed manifest that pilhub, openssl and python-cryptography all verify."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from hub.cli.main import app
from hub.trust import sign_artifact, verify_artifact
from hub.trust.manifest import canonical_bytes
from hub.trust.signing import (
    SigningKeyError,
    hub_signer,
    key_id_for,
    public_key_pem,
    reset_signer,
)

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "衢州市2024年公益诉讼报告.md"
    path.write_text("# 报告\n\n检察建议 152 件，回复率 98.7%。\n", encoding="utf-8")
    return path


def _pub(tmp_path: Path) -> Path:
    pub = tmp_path / "hub.pub.pem"
    pub.write_text(public_key_pem(hub_signer().public_key))
    return pub


def test_detached_manifest_has_the_documented_fields(report: Path) -> None:
    manifest_path = sign_artifact(report)
    assert manifest_path.name == report.name + ".manifest.json"
    m = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert list(m) == ["file", "sha256", "size", "signed_at", "signer", "key_id", "algorithm", "signature"]
    assert (m["file"], m["size"], m["signer"], m["algorithm"]) == (
        report.name,
        report.stat().st_size,
        "pilhub",
        "ed25519",
    )
    assert m["key_id"] == hub_signer().key_id and m["signed_at"].endswith("Z")
    result = verify_artifact(report)
    assert result and result.ok and result.warnings == ()


def test_altered_file_is_invalid(report: Path) -> None:
    sign_artifact(report)
    report.write_text(report.read_text(encoding="utf-8").replace("152", "153"), encoding="utf-8")
    result = verify_artifact(report)
    assert not result and "altered" in result.reason_en


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size", 1),
        ("sha256", "0" * 64),
        ("signed_at", "2020-01-01T00:00:00Z"),
        ("file", "other.md"),
        ("key_id", "hub-0000000000000000"),
    ],
)
def test_altered_manifest_is_invalid(report: Path, field: str, value: object) -> None:
    manifest_path = sign_artifact(report)
    m = json.loads(manifest_path.read_text(encoding="utf-8"))
    m[field] = value
    manifest_path.write_text(json.dumps(m), encoding="utf-8")
    result = verify_artifact(report)
    assert not result.ok
    assert "bad signature" in result.reason_en or "unknown signing key" in result.reason_en


def test_a_manifest_signed_by_another_key_is_refused(report: Path, tmp_path: Path) -> None:
    pinned = _pub(tmp_path)
    os.environ["PILHUB_SIGNING_KEY"] = base64.b64encode(os.urandom(32)).decode()  # restored by monkeypatch fixture
    reset_signer()
    sign_artifact(report)  # an impostor's key
    result = verify_artifact(report, public_key=pinned)
    assert not result.ok and "not by the given public key" in result.reason_en


def test_embedded_manifest_and_resigning(report: Path) -> None:
    original = report.read_bytes()
    assert sign_artifact(report, embed=True) == report
    assert report.read_bytes().startswith(original) and b"BEGIN PILHUB MANIFEST" in report.read_bytes()
    assert verify_artifact(report).ok
    sign_artifact(report, embed=True)  # re-signing replaces the block, does not nest it
    assert report.read_bytes().count(b"BEGIN PILHUB MANIFEST") == 1 and verify_artifact(report).ok
    tampered = report.read_bytes().replace(b"152", b"999")
    report.write_bytes(tampered)
    assert not verify_artifact(report).ok


def test_missing_or_broken_manifest_is_a_clear_invalid(report: Path) -> None:
    assert "no manifest" in verify_artifact(report).reason_en
    Path(str(report) + ".manifest.json").write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in verify_artifact(report).reason_en
    Path(str(report) + ".manifest.json").write_text('{"file": "x"}', encoding="utf-8")
    assert "lacks fields" in verify_artifact(report).reason_en


def test_renamed_file_is_valid_with_a_warning(report: Path, tmp_path: Path) -> None:
    manifest_path = sign_artifact(report)
    renamed = tmp_path / "attachment.md"
    shutil.copy(report, renamed)
    result = verify_artifact(renamed, manifest=manifest_path)
    assert result.ok and result.warnings


def test_cli_verify_exit_codes(report: Path, tmp_path: Path) -> None:
    sign_artifact(report)
    ok = runner.invoke(app, ["verify", str(report), "--public-key", str(_pub(tmp_path))])
    assert ok.exit_code == 0, ok.output
    report.write_bytes(report.read_bytes() + b"x")
    bad = runner.invoke(app, ["verify", str(report), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["ok"] is False


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("jq")), reason="openssl or jq not installed")
def test_documented_openssl_one_liner_verifies(report: Path, tmp_path: Path) -> None:
    """The exact commands of docs/verify.md, run in a shell with no pilhub involved."""
    sign_artifact(report)
    _pub(tmp_path)  # hub.pub.pem, as the recipient holds it
    script = (
        f"cd {tmp_path} && F='{report.name}' && "
        "jq -jcS 'del(.signature)' \"$F.manifest.json\" > payload && "
        'jq -r .signature "$F.manifest.json" | base64 -d > sig.bin && '
        "openssl pkeyutl -verify -pubin -inkey hub.pub.pem -rawin -in payload -sigfile sig.bin && "
        'test "$(sha256sum "$F" | cut -d\' \' -f1)" = "$(jq -r .sha256 "$F.manifest.json")"'
    )
    assert subprocess.run(["bash", "-c", script], capture_output=True).returncode == 0
    assert (tmp_path / "payload").read_bytes() == canonical_bytes(
        json.loads(Path(f"{report}.manifest.json").read_text())
    )
    report.write_bytes(report.read_bytes() + b"x")
    assert subprocess.run(["bash", "-c", script], capture_output=True).returncode != 0


def test_documented_python_snippet_verifies(report: Path, tmp_path: Path) -> None:
    """The python-cryptography snippet in docs/verify.md, executed as written."""
    doc = (REPO / "docs" / "verify.md").read_text(encoding="utf-8")
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    sign_artifact(report)
    pub = _pub(tmp_path)
    run = subprocess.run([sys.executable, "-c", snippet, str(report), str(pub)], capture_output=True, text=True)
    assert run.returncode == 0 and "VALID" in run.stdout, run.stderr
    report.write_bytes(report.read_bytes() + b"x")
    run = subprocess.run([sys.executable, "-c", snippet, str(report), str(pub)], capture_output=True, text=True)
    assert run.returncode != 0


def test_signing_key_from_a_pem_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "hub-signing.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("PILHUB_SIGNING_KEY", str(pem))
    reset_signer()
    assert hub_signer().key_id == key_id_for(key.public_key())
    sign_artifact(report)
    assert verify_artifact(report, public_key=key.public_key()).ok


def test_embedded_default_key_is_private_and_its_public_half_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PILHUB_SIGNING_KEY")
    monkeypatch.setenv("PILHUB_VAR_DIR", str(tmp_path))
    reset_signer()
    first = hub_signer().key_id
    private, public = tmp_path / "keys" / "hub-signing.pem", tmp_path / "keys" / "hub.pub.pem"
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert "PRIVATE" not in public.read_text() and "PUBLIC KEY" in public.read_text()
    reset_signer()  # a second process reads the same key
    assert hub_signer().key_id == first
    out = runner.invoke(app, ["keys", "public"])
    assert out.exit_code == 0 and out.stdout == public.read_text()


@pytest.mark.parametrize("bad", ["not-base64!!", base64.b64encode(b"short").decode(), "/nonexistent/hub.pem"])
def test_malformed_signing_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("PILHUB_SIGNING_KEY", bad)
    reset_signer()
    with pytest.raises(SigningKeyError) as info:
        hub_signer()
    assert bad not in str(info.value) or bad.startswith("/")
