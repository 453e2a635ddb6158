"""Signed exchange, outbound (issue 9, point 2): escalation notices and recommendations carry the hub's signature.

* every channel's delivered notice — e-mail, webhook, notify file, in-hub inbox — verifies, from a real sweep;
* a retry after an outage re-sends the byte-identical signed document, and the audit records its digest;
* a tampered notice or recommendation fails ``pilhub verify`` with a bilingual reason and exit 1;
* a notice signed by a key the hub does not know is refused; a retired key still verifies while trusted;
* ``pilhub recommendations export`` writes a signed, audited recommendation without personal data;
* ``pilhub verify`` names the kind of each artefact;
* the one-liners of ``docs/verify.md`` (python-cryptography, openssl + jq, webhook extraction) work as written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.cli.main import app
from hub.notify.email import EmailChannel
from hub.notify.file import FileChannel, read_deliveries
from hub.notify.inbox import InboxChannel
from hub.notify.outbox import send_pending
from hub.notify.signed import WEBHOOK_KEY, SignedNotice, notice_file_name
from hub.notify.webhook import WebhookChannel
from hub.personal_data import decrypt
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import AuditEntry, Case, Clock, InboxMessage, OutboxMessage, Party, Recommendation
from hub.trust.manifest import sign_artifact, verify_artifact
from hub.trust.signing import hub_signer, public_key_pem, raw_public_bytes, reset_signer
from sla.policy import load_policy
from sla.sweep import sweep
from tests.endpoints import MailSink, Robot, smtp_server

REPO = Path(__file__).resolve().parents[2]
VERIFY_DOC = REPO / "docs" / "verify.md"
AS_OF = dt.date(2026, 12, 24)
T0 = dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC)
runner = CliRunner()


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def swept(store_url: str, tmp_path: Path) -> sessionmaker[Session]:
    """The 2026 sample cases swept on 2026-12-24: every escalation level is due somewhere."""
    factory = open_store(store_url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026' in line]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_cases(read_lines(tmp_path / "cases.jsonl"), factory)
    sweep(factory, as_of=AS_OF, policy=load_policy())
    return factory


def _keep(factory: sessionmaker[Session], plan: dict[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    """Re-route escalation messages: ``plan[channel]`` = [(from channel, new address or "")]; cancel the rest.

    Returns the dedupe keys kept per channel. Each kept message is a real rendered escalation.
    """
    kept: dict[str, list[str]] = {}
    with factory() as s, s.begin():
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        used: set[int] = set()
        for channel, wanted in plan.items():
            for source, address in wanted:
                message = next(
                    m
                    for m in messages
                    if m.id not in used
                    and m.channel == source
                    and m.payload.get("role") not in ("case_procurator", "lawsuit_proposal")
                )
                used.add(message.id)
                message.channel = channel
                if address:
                    message.recipient = address
                message.next_attempt_at = T0
                kept.setdefault(channel, []).append(message.dedupe_key)
        s.execute(update(OutboxMessage).where(OutboxMessage.id.not_in(used)).values(status="cancelled"))
    return kept


def _attachments(raw: bytes) -> dict[str, bytes]:
    message = message_from_bytes(raw)
    return {p.get_filename(): p.get_payload(decode=True) for p in message.walk() if p.get_filename() is not None}


def _save_mail(raw: bytes, folder: Path) -> Path:
    """Save an e-mail's attachments as the recipient would; return the notice document's path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = _attachments(raw)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (name,) = [n for n in files if not n.endswith(".manifest.json")]
    return folder / name


def _sent_digests(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as s:
        return {
            e.object_id: e.detail["notice_sha256"]
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.sent"))
        }


def _pub(tmp_path: Path) -> Path:
    path = tmp_path / "hub.pub.pem"
    path.write_text(public_key_pem(hub_signer().public_key), encoding="ascii")
    return path


def _deliver_one_notice(factory: sessionmaker[Session], folder: Path) -> Path:
    """One real escalation notice delivered through the file channel; return the notice document's path."""
    (key,) = _keep(factory, {"file": [("inbox", "")]})["file"]
    report = send_pending(factory, channels={"file": FileChannel(folder / "notify.jsonl")}, now=T0)
    assert report.sent == 1
    return folder / "notices" / notice_file_name(key)


# --- notices --------------------------------------------------------------------------------------------------


def test_every_channel_delivers_a_notice_that_verifies(
    swept: sessionmaker[Session], tmp_path: Path, smtp: tuple[MailSink, int], robot: Robot
) -> None:
    sink, port = smtp
    kept = _keep(
        swept,
        {
            "email": [("email", ""), ("email", "")],
            "webhook": [("email", robot.url), ("inbox", robot.url)],
            "file": [("inbox", ""), ("email", "")],
            "inbox": [("inbox", ""), ("inbox", "")],
        },
    )
    channels = {
        "email": EmailChannel("127.0.0.1", port, "pilhub@quzhou.example", timeout=5),
        "webhook": WebhookChannel(timeout=5),
        "file": FileChannel(tmp_path / "notify" / "notify.jsonl"),
        "inbox": InboxChannel(swept),
    }
    report = send_pending(swept, channels=channels, now=T0)
    assert report.sent == 8 and not report.errors

    received: dict[str, Path] = {}
    for i, raw in enumerate(sink.accepted):
        path = _save_mail(raw, tmp_path / "mail" / str(i))
        received[json.loads(path.read_text(encoding="utf-8"))["message_id"]] = path
    for i, (_, body, _status) in enumerate(robot.posts):
        notice = SignedNotice.from_payload(body[WEBHOOK_KEY])
        path = notice.write(tmp_path / "hook" / str(i))
        received[json.loads(notice.document)["message_id"]] = path
        assert robot.token not in body[WEBHOOK_KEY]["document"]  # the robot URL's access token is masked
    for line in read_deliveries(tmp_path / "notify" / "notify.jsonl"):
        received[line["dedupe_key"]] = Path(line["notice_file"])
    with swept() as s:
        for row in s.scalars(select(InboxMessage)):
            received[row.dedupe_key] = SignedNotice.from_payload(row.payload["notice"]).write(tmp_path / "inbox")
        bodies = {m.dedupe_key: (m.subject, m.body) for m in s.scalars(select(OutboxMessage))}

    digests = _sent_digests(swept)
    for channel, keys in kept.items():
        for key in keys:
            result = verify_artifact(received[key])
            assert result.ok and result.kind == "notice", (channel, result.reason)
            doc = json.loads(received[key].read_text(encoding="utf-8"))
            assert doc["document_type"] == "pilhub.escalation_notice" and doc["channel"] == channel
            assert (doc["subject"], doc["text"]) == bodies[key]  # exactly the rendered notice
            assert doc["case_id"] in doc["text"] and doc["level"] >= 1 and "days_overdue" in doc
            assert doc["rec_number"] is None or doc["rec_number"] in doc["subject"] + doc["text"]
            assert digests[key] == result.manifest["sha256"]  # type: ignore[index]  # the audit proves what was sent


def test_retry_resends_the_byte_identical_signed_notice(
    swept: sessionmaker[Session], tmp_path: Path, robot: Robot
) -> None:
    with smtp_server(MailSink(refuse=2)) as (sink, port):  # the mail server says "try later" twice
        kept = _keep(swept, {"email": [("email", "")], "webhook": [("email", robot.url)]})
        channels = {
            "email": EmailChannel("127.0.0.1", port, "pilhub@quzhou.example", timeout=5),
            "webhook": WebhookChannel(timeout=5),
        }
        robot.down = True
        now = T0
        for _ in range(2):  # two failed rounds for both channels
            report = send_pending(swept, channels=channels, now=now)
            assert report.failed == 2 and report.sent == 0
            now += dt.timedelta(hours=1)
            time.sleep(1.1)  # a wall-clock signing time would now differ: the notice must not
        robot.down = False
        assert send_pending(swept, channels=channels, now=now).sent == 2

    # Webhook: three posts (two refused), the same notice bytes and the same signature headers each time.
    assert len(robot.posts) == 3
    notices = {json.dumps(body[WEBHOOK_KEY], sort_keys=True) for _, body, _ in robot.posts}
    manifests = {headers["X-Pilhub-Manifest"] for headers, _, _ in robot.posts}
    assert len(notices) == 1 and len(manifests) == 1
    # E-mail: three transmissions (two answered 451), byte-identical attachments.
    assert len(sink.raw) == 3
    attachments = [_attachments(raw) for raw in sink.raw]
    assert attachments[0] == attachments[1] == attachments[2] and len(attachments[0]) == 2
    # What was finally accepted verifies, and the audit recorded exactly its digest.
    path = _save_mail(sink.accepted[0], tmp_path / "mail")
    result = verify_artifact(path)
    assert result.ok
    digests = _sent_digests(swept)
    assert digests[kept["email"][0]] == result.manifest["sha256"]  # type: ignore[index]
    hook = SignedNotice.from_payload(robot.posts[-1][1][WEBHOOK_KEY])
    assert digests[kept["webhook"][0]] == hook.sha256
    with swept() as s:  # issued at the message's enqueue time, whatever the attempt
        created = s.execute(select(OutboxMessage.created_at).where(OutboxMessage.dedupe_key == kept["email"][0]))
        enqueued = created.scalar_one()
    issued = json.loads(path.read_text(encoding="utf-8"))["issued_at"]
    enqueued = enqueued.astimezone(dt.UTC) if enqueued.tzinfo else enqueued.replace(tzinfo=dt.UTC)
    assert issued == enqueued.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tampered_notice_fails_verify_with_a_bilingual_reason(swept: sessionmaker[Session], tmp_path: Path) -> None:
    path = _deliver_one_notice(swept, tmp_path)
    ok = runner.invoke(app, ["verify", str(path), "--public-key", str(_pub(tmp_path))])
    assert ok.exit_code == 0 and "通知 / notice" in ok.output and "VALID" in ok.output, ok.output
    original = path.read_bytes()
    flipped = bytearray(original)
    flipped[original.index(b'"days_overdue": ') + len(b'"days_overdue": ')] ^= 0x01  # one digit changed
    path.write_bytes(bytes(flipped))
    bad = runner.invoke(app, ["verify", str(path)])
    assert bad.exit_code == 1
    assert "文件被改动" in bad.output and "altered" in bad.output and "INVALID" in bad.output
    # Changing the manifest's kind (or anything in it) breaks the signature.
    path.write_bytes(original)
    manifest_path = Path(f"{path}.manifest.json")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "kind": "recommendation"}), encoding="utf-8")
    forged = runner.invoke(app, ["verify", str(path), "--json"])
    assert forged.exit_code == 1 and "bad signature" in json.loads(forged.stdout)["reason_en"]


def test_notice_signed_by_an_unknown_key_is_refused_and_a_retired_key_verifies_while_trusted(
    swept: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _deliver_one_notice(swept, tmp_path)
    old_public = base64.b64encode(raw_public_bytes(hub_signer().public_key)).decode()
    new_key = Ed25519PrivateKey.generate()
    raw = new_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    monkeypatch.setenv("PILHUB_SIGNING_KEY", base64.b64encode(raw).decode())
    reset_signer()  # the hub has moved to a new key and does not trust the old one
    refused = runner.invoke(app, ["verify", str(path), "--json"])
    assert refused.exit_code == 1 and "unknown signing key" in json.loads(refused.stdout)["reason_en"]
    monkeypatch.setenv("PILHUB_SIGNING_TRUSTED_KEYS", old_public)
    reset_signer()
    assert runner.invoke(app, ["verify", str(path)]).exit_code == 0


def test_an_unsigned_notice_is_never_delivered(
    swept: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep(swept, {"file": [("inbox", "")]})
    monkeypatch.setenv("PILHUB_SIGNING_KEY", "bm90LWEta2V5")  # base64 of 10 bytes: not a key
    reset_signer()
    report = send_pending(swept, channels={"file": FileChannel(tmp_path / "notify.jsonl")}, now=T0)
    assert report.sent == 0 and report.failed == 1 and "sign" in report.errors[0]
    assert not (tmp_path / "notify.jsonl").exists()


# --- recommendations ------------------------------------------------------------------------------------------


def _rec_number(factory: sessionmaker[Session]) -> str:
    with factory() as s:
        return s.scalars(
            select(Recommendation.rec_number).where(Recommendation.received_on.is_not(None)).order_by(Recommendation.id)
        ).first()  # type: ignore[return-value]


def test_exported_recommendation_verifies_is_audited_and_holds_no_personal_data(
    swept: sessionmaker[Session], use_store: str, tmp_path: Path
) -> None:
    rec_number = _rec_number(swept)
    out = tmp_path / "out"
    result = runner.invoke(app, ["recommendations", "export", rec_number, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    json_path, text_path = (Path(p) for p in written["files"])
    for path in (json_path, text_path):
        checked = runner.invoke(app, ["verify", str(path), "--json"])
        assert checked.exit_code == 0, checked.output
        assert json.loads(checked.stdout)["kind"] == "recommendation"
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    with swept() as s:
        rec = s.execute(select(Recommendation).where(Recommendation.rec_number == rec_number)).scalar_one()
        case = s.get(Case, rec.case_pk)
        clock = s.execute(select(Clock).where(Clock.clock_key == f"reply:{rec_number}")).scalar_one()
        names = {decrypt(c.procurator_enc, "cases.procurator") for c in s.scalars(select(Case)) if c.procurator_enc}
        names |= {decrypt(p.name_enc, "parties.name") for p in s.scalars(select(Party)) if p.name_enc}
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "recommendation.exported")).one()
    assert (doc["rec_number"], doc["case"]["case_id"], doc["issued_on"]) == (
        rec_number,
        case.case_id,
        rec.issued_on.isoformat(),
    )
    assert doc["served_on"] == rec.received_on.isoformat()
    assert doc["reply"]["deadline"] == clock.deadline_official.isoformat()  # the sweep's deadline, too
    assert doc["reply"]["breach_after"] == clock.breach_after.isoformat()
    everything = json_path.read_text(encoding="utf-8") + text_path.read_text(encoding="utf-8")
    assert names and not [n for n in names if n in everything]
    assert audit.object_id == rec_number and audit.detail["sha256"][json_path.name] == written["sha256"]


def test_tampered_recommendation_fails_and_an_unknown_number_is_refused(
    swept: sessionmaker[Session], use_store: str, tmp_path: Path
) -> None:
    rec_number = _rec_number(swept)
    out = tmp_path / "out"
    assert runner.invoke(app, ["recommendations", "export", rec_number, "--out", str(out)]).exit_code == 0
    json_path = next(out.glob("*.json"))
    again = tmp_path / "again"
    assert runner.invoke(app, ["recommendations", "export", rec_number, "--out", str(again)]).exit_code == 0
    assert (again / json_path.name).read_bytes() == json_path.read_bytes()  # deterministic document
    json_path.write_bytes(json_path.read_bytes().replace(b'"served_on": "2026', b'"served_on": "2027'))
    bad = runner.invoke(app, ["verify", str(json_path)])
    assert bad.exit_code == 1 and "文件被改动" in bad.output and "altered" in bad.output
    missing = runner.invoke(app, ["recommendations", "export", "不存在〔2026〕0号", "--out", str(out)])
    assert missing.exit_code == 1 and "no such recommendation" in missing.output


def test_verify_names_each_kind(swept: sessionmaker[Session], use_store: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"cases_total": 1}\n', encoding="utf-8")
    sign_artifact(report)
    notice = _deliver_one_notice(swept, tmp_path)
    out = tmp_path / "rec"
    assert runner.invoke(app, ["recommendations", "export", _rec_number(swept), "--out", str(out)]).exit_code == 0
    kinds = {}
    for path in (report, notice, next(out.glob("*.json"))):
        result = runner.invoke(app, ["verify", str(path), "--json"])
        assert result.exit_code == 0, result.output
        kinds[path] = json.loads(result.stdout)["kind"]
    assert list(kinds.values()) == ["report", "notice", "recommendation"]


def test_inbox_notice_export_verifies(swept: sessionmaker[Session], use_store: str, tmp_path: Path) -> None:
    (key,) = _keep(swept, {"inbox": [("inbox", "")]})["inbox"]
    assert send_pending(swept, channels={"inbox": InboxChannel(swept)}, now=T0).sent == 1
    exported = runner.invoke(app, ["notices", "export", key, "--out", str(tmp_path / "n")])
    assert exported.exit_code == 0, exported.output
    result = runner.invoke(app, ["verify", str(tmp_path / "n" / notice_file_name(key)), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["kind"] == "notice"
    assert runner.invoke(app, ["notices", "export", "esc:none", "--out", str(tmp_path / "n")]).exit_code == 1


# --- the documented one-liners --------------------------------------------------------------------------------


def _doc_block(test_name: str) -> str:
    """The shell block of docs/verify.md marked as tested by ``test_name``."""
    doc = VERIFY_DOC.read_text(encoding="utf-8")
    marker = f"<!-- tested: tests/trust/test_signed_outbound.py::{test_name} -->"
    assert marker in doc, f"docs/verify.md has no block marked for {test_name}"
    return doc.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]


def _run_block(block: str, folder: Path, file: Path) -> subprocess.CompletedProcess[str]:
    """Run a documented block in ``folder`` with its ``F=…`` line pointing at ``file``."""
    lines = block.strip().splitlines()
    if lines[0].startswith("F="):
        lines[0] = f"F='{file.name}'"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-c", "\n".join(lines)], cwd=folder, capture_output=True, text=True, env=env)


def _two_artefacts(swept: sessionmaker[Session], tmp_path: Path) -> list[Path]:
    """A delivered notice and an exported recommendation, each in a folder with the hub's public key."""
    notice = _deliver_one_notice(swept, tmp_path / "n")
    from hub.outbound.recommendation import export_recommendation

    with swept() as s, s.begin():
        rec = export_recommendation(s, _rec_number(swept), tmp_path / "r", actor="test").files[0]
    for path in (notice, rec):
        _pub(path.parent)
    return [notice, rec]


def test_documented_python_one_liner_verifies_notices_and_recommendations(
    swept: sessionmaker[Session], tmp_path: Path
) -> None:
    block = _doc_block("test_documented_python_one_liner_verifies_notices_and_recommendations")
    assert "python3 -c" in block
    block = block.replace("python3 -c", f"'{sys.executable}' -c")  # python3 with cryptography installed
    for path in _two_artefacts(swept, tmp_path):
        run = _run_block(block, path.parent, path)
        assert run.returncode == 0 and "VALID" in run.stdout, run.stderr
        assert ("notice" if path.name.startswith("notice-") else "recommendation") in run.stdout
        path.write_bytes(path.read_bytes().replace(b"2026", b"2025", 1))
        tampered = _run_block(block, path.parent, path)
        assert tampered.returncode != 0 and "file altered" in tampered.stderr


def test_documented_openssl_one_liner_verifies_notices_and_recommendations(
    swept: sessionmaker[Session], tmp_path: Path
) -> None:
    if not (shutil.which("openssl") and shutil.which("jq")):
        pytest.skip("openssl 或 jq 未安装 / openssl or jq not installed")
    probe = subprocess.run(["openssl", "pkeyutl", "-help"], capture_output=True, text=True)
    if "-rawin" not in probe.stdout + probe.stderr:
        pytest.skip("此 openssl 不支持 pkeyutl -rawin（需 ≥ 3.0）/ this openssl lacks pkeyutl -rawin (needs ≥ 3.0)")
    block = _doc_block("test_documented_openssl_one_liner_verifies_notices_and_recommendations")
    for path in _two_artefacts(swept, tmp_path):
        run = _run_block(block, path.parent, path)
        assert run.returncode == 0 and "Signature Verified Successfully" in run.stdout + run.stderr, run.stderr
        assert "notice intact" in run.stdout
        path.write_bytes(path.read_bytes().replace(b"2026", b"2025", 1))
        assert _run_block(block, path.parent, path).returncode != 0


def test_documented_webhook_extraction_verifies(swept: sessionmaker[Session], tmp_path: Path, robot: Robot) -> None:
    if not shutil.which("jq"):
        pytest.skip("jq 未安装 / jq not installed")
    _keep(swept, {"webhook": [("email", robot.url)]})
    assert send_pending(swept, channels={"webhook": WebhookChannel(timeout=5)}, now=T0).sent == 1
    ((_, body, _),) = robot.posts
    folder = tmp_path / "receiver"
    folder.mkdir()
    (folder / "body.json").write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    block = _doc_block("test_documented_webhook_extraction_verifies")
    run = _run_block(block, folder, folder / "body.json")
    assert run.returncode == 0 and "VALID" in run.stdout, run.stdout + run.stderr
    body[WEBHOOK_KEY]["document"] = body[WEBHOOK_KEY]["document"].replace("逾期", "超期", 1)
    (folder / "body.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    assert _run_block(block, folder, folder / "body.json").returncode == 1
