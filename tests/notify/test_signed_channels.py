"""Every channel carries the hub-signed notice: e-mail attachments, webhook headers and body, notice files, inbox rows.

Each test saves what the recipient got and checks it with ``verify_artifact`` (what ``pilhub verify`` runs);
without the signing in the channel there is nothing to save and the test fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.notify.base import Delivery, DeliveryError
from hub.notify.email import EmailChannel
from hub.notify.file import FileChannel, read_deliveries
from hub.notify.inbox import InboxChannel
from hub.notify.signed import WEBHOOK_KEY, SignedNotice, notice_file_name, sign_notice
from hub.notify.webhook import WebhookChannel
from hub.store import open_store
from hub.store.models import InboxMessage
from hub.trust.manifest import verify_artifact
from hub.trust.signing import reset_signer
from tests.endpoints import MailSink, Robot, free_port

ISSUED = dt.datetime(2026, 12, 24, 1, 30, tzinfo=dt.UTC)
FACTS = {
    "document_type": "pilhub.escalation_notice",
    "case_id": "KC-2026-048",
    "rec_number": "柯检行公建〔2026〕1号",
    "agency": "衢州市柯城区人民防空办公室",
    "deadline": dt.date(2026, 10, 8),
    "days_overdue": 77,
    "level": 4,
    "level_name": "congress_report",
}


def _delivery(channel: str, address: str) -> Delivery:
    return Delivery(
        f"esc:13:{channel}:9e208e5e",
        channel,
        address,
        "【逾期报告】衢州市柯城区人民防空办公室逾期77日未书面回复检察建议（柯检行公建〔2026〕1号）",
        "衢州市柯城区人大常委会：\n\n截至2026年12月24日仍未书面回复，已逾期77日。\n",
        issued_at=ISSUED,
        facts=FACTS,
    )


def _check(folder: Path, name: str, delivery: Delivery) -> dict[str, Any]:
    """The saved notice verifies, is a notice, states what was delivered; one altered byte fails."""
    path = folder / name
    result = verify_artifact(path)
    assert result.ok, result.reason
    assert result.kind == "notice"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["message_id"], doc["subject"], doc["text"]) == (delivery.dedupe_key, delivery.subject, delivery.body)
    assert (doc["rec_number"], doc["days_overdue"], doc["deadline"]) == ("柯检行公建〔2026〕1号", 77, "2026-10-08")
    assert (
        doc["issued_at"] == "2026-12-24T01:30:00Z"
        and result.manifest
        and result.manifest["signed_at"] == doc["issued_at"]
    )
    original = path.read_bytes()
    path.write_bytes(original.replace(b"77", b"7", 1))
    tampered = verify_artifact(path)
    assert not tampered.ok and "altered" in tampered.reason_en and "被改动" in tampered.reason_zh
    path.write_bytes(original)
    return doc


def _attachments(raw: bytes) -> dict[str, bytes]:
    message = message_from_bytes(raw)
    return {
        part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename() is not None
    }


def test_email_attaches_the_signed_notice_and_its_manifest(smtp: tuple[MailSink, int], tmp_path: Path) -> None:
    sink, port = smtp
    delivery = _delivery("email", "rdcwh@330802.gov.example.cn")
    channel = EmailChannel("127.0.0.1", port, "pilhub@quzhou.example", timeout=5)
    channel.deliver(delivery)
    channel.deliver(delivery)  # a retry: the same signed bytes
    first, second = (_attachments(raw) for raw in sink.raw)
    name = notice_file_name(delivery.dedupe_key)
    assert set(first) == {name, f"{name}.manifest.json"} and first == second
    for filename, data in first.items():
        (tmp_path / filename).write_bytes(data)
    _check(tmp_path, name, delivery)
    headers = message_from_bytes(sink.raw[0])
    digest = "".join(str(headers["X-Pilhub-Content-SHA256"]).split())  # a long header may be folded
    assert digest == json.loads(first[f"{name}.manifest.json"])["sha256"]


def test_webhook_carries_the_signed_notice_in_headers_and_body(robot: Robot, tmp_path: Path) -> None:
    delivery = _delivery("webhook", robot.url)
    WebhookChannel(fmt="markdown", timeout=5).deliver(delivery)
    headers, body, _ = robot.posts[0]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == delivery.subject  # still a robot message
    notice = SignedNotice.from_payload(body[WEBHOOK_KEY])
    notice.write(tmp_path)
    doc = _check(tmp_path, notice.name, delivery)
    assert robot.token not in json.dumps(doc, ensure_ascii=False)  # the robot's access token is masked
    manifest = json.loads(base64.b64decode(headers["X-Pilhub-Manifest"]))
    assert manifest == notice.manifest
    assert headers["X-Pilhub-Key-Id"] == manifest["key_id"] and headers["X-Pilhub-Signature"] == manifest["signature"]
    assert headers["X-Pilhub-Content-SHA256"] == manifest["sha256"]


def test_webhook_without_the_body_copy_still_signs_in_headers(robot: Robot) -> None:
    delivery = _delivery("webhook", robot.url)
    WebhookChannel(timeout=5, embed_notice=False).deliver(delivery)
    headers, body, _ = robot.posts[0]
    assert WEBHOOK_KEY not in body and set(body) == {"msgtype", "text"}
    assert json.loads(base64.b64decode(headers["X-Pilhub-Manifest"])) == sign_notice(delivery).manifest


def test_file_channel_writes_the_notice_and_its_manifest_beside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notices.jsonl"
    delivery = _delivery("email", "rdcwh@330802.gov.example.cn")
    FileChannel(path).deliver(delivery)
    FileChannel(path).deliver(delivery)  # a retry: still one line, same files
    (line,) = read_deliveries(path)
    folder = tmp_path / "notices"
    assert Path(line["notice_file"]) == folder / notice_file_name(delivery.dedupe_key)
    doc = _check(folder, notice_file_name(delivery.dedupe_key), delivery)
    assert line["notice_sha256"] == verify_artifact(folder / notice_file_name(delivery.dedupe_key)).manifest["sha256"]  # type: ignore[index]
    assert doc["recipient"] == line["recipient"]


def test_inbox_stores_the_signed_notice_with_the_message(store_url: str, tmp_path: Path) -> None:
    factory = open_store(store_url)
    delivery = _delivery("inbox", "330802-rdcwh")
    InboxChannel(factory).deliver(delivery)
    with factory() as s:
        row = s.execute(select(InboxMessage)).scalar_one()
        notice = SignedNotice.from_payload(row.payload["notice"])
        assert (row.subject, row.body) == (delivery.subject, delivery.body)
    notice.write(tmp_path)
    _check(tmp_path, notice.name, delivery)
    # Someone edits the stored notice text in the database: the exported document no longer verifies.
    edited = dict(row.payload)
    edited["notice"] = {**edited["notice"], "document": edited["notice"]["document"].replace("77", "7")}
    with factory() as s, s.begin():
        s.execute(update(InboxMessage).values(payload=edited))
    with factory() as s:
        forged = SignedNotice.from_payload(s.execute(select(InboxMessage)).scalar_one().payload["notice"])
    forged.write(tmp_path / "forged")
    assert not verify_artifact(tmp_path / "forged" / forged.name).ok


def test_same_delivery_signs_the_same_bytes_and_a_changed_text_does_not(tmp_path: Path) -> None:
    delivery = _delivery("email", "rdcwh@330802.gov.example.cn")
    first, again = sign_notice(delivery), sign_notice(delivery)
    assert (first.document, first.manifest_bytes) == (again.document, again.manifest_bytes)
    other = sign_notice(Delivery(**{**delivery.__dict__, "body": delivery.body.replace("77", "78")}))
    assert other.sha256 != first.sha256


def test_no_channel_delivers_an_unsigned_notice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, robot: Robot) -> None:
    monkeypatch.setenv("PILHUB_SIGNING_KEY", "not-a-key!!")
    reset_signer()
    try:
        for channel, address in (
            (FileChannel(tmp_path / "n.jsonl"), "rdcwh@330802.gov.example.cn"),
            (WebhookChannel(timeout=5), robot.url),
            (EmailChannel("127.0.0.1", free_port(), timeout=2), "rdcwh@330802.gov.example.cn"),
        ):
            with pytest.raises(DeliveryError) as exc:
                channel.deliver(_delivery(channel.name, address))
            assert not exc.value.permanent and "sign" in str(exc.value)
        assert not robot.posts and not (tmp_path / "n.jsonl").exists()
    finally:
        monkeypatch.undo()
        reset_signer()
