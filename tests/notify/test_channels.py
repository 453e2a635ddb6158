"""Channels: SMTP (aiosmtpd catcher), DingTalk/WeCom robot webhooks (local server), the JSON-lines file, the inbox."""

from __future__ import annotations

from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.notify.base import Delivery, DeliveryError, mask_address
from hub.notify.email import EmailChannel, message_id
from hub.notify.file import FileChannel, read_deliveries
from hub.notify.inbox import InboxChannel
from hub.notify.webhook import WebhookChannel, robot_payload
from hub.store import open_store
from hub.store.models import InboxMessage
from tests.endpoints import MailSink, Robot, free_port

DELIVERY = Delivery(
    "esc:42:email:abcd",
    "email",
    "sthj@330802.gov.example.cn",
    "【期限提醒】柯检行公建〔2026〕3号检察建议书面回复期限将于2026年12月16日届满",
    "衢州市柯城区自然资源和规划局：\n\n请依法履行职责，按期书面回复。\n",
)


def test_email_carries_chinese_text_and_a_stable_message_id(smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    channel = EmailChannel("127.0.0.1", port, "pilhub@quzhou.example", timeout=5)
    channel.deliver(DELIVERY)
    channel.deliver(DELIVERY)  # a retry after a crash: same identity
    assert len(sink.messages) == 2
    (rcpt, first), (_, second) = sink.messages
    assert rcpt == ["sthj@330802.gov.example.cn"]
    assert str(make_header(decode_header(first["Subject"]))) == DELIVERY.subject
    assert first["Message-ID"] == second["Message-ID"] == message_id(DELIVERY.dedupe_key)
    assert first["X-Pilhub-Dedupe-Key"] == DELIVERY.dedupe_key
    text = next(part for part in first.walk() if part.get_content_type() == "text/plain")
    assert "按期书面回复" in text.get_payload(decode=True).decode("utf-8")


def test_an_unreachable_smtp_server_is_a_retryable_failure() -> None:
    with pytest.raises(DeliveryError) as exc:
        EmailChannel("127.0.0.1", free_port(), timeout=2).deliver(DELIVERY)
    assert not exc.value.permanent


def test_webhook_posts_the_robot_text_form_with_an_idempotency_key(robot: Robot) -> None:
    hook = Delivery(DELIVERY.dedupe_key, "webhook", robot.url, DELIVERY.subject, DELIVERY.body)
    WebhookChannel(fmt="text", timeout=5).deliver(hook)
    headers, body, _ = robot.posts[0]
    robot_fields = {k: v for k, v in body.items() if k != "pilhub_notice"}  # the signed notice rides beside them
    assert robot_fields == {"msgtype": "text", "text": {"content": f"{DELIVERY.subject}\n\n{DELIVERY.body}"}}
    assert headers["Idempotency-Key"] == headers["X-Pilhub-Dedupe-Key"] == DELIVERY.dedupe_key


def test_webhook_markdown_form() -> None:
    payload = robot_payload(DELIVERY, "markdown")
    assert payload["msgtype"] == "markdown" and payload["markdown"]["title"] == DELIVERY.subject
    assert payload["markdown"]["text"].startswith("### 【期限提醒】")


@pytest.mark.parametrize(
    ("status", "answer", "permanent"),
    [
        (200, {"errcode": 310000, "errmsg": "keywords not in content"}, False),
        (503, {}, False),
        (404, {}, True),
        (429, {}, False),
    ],
)
def test_webhook_failures(robot: Robot, status: int, answer: dict, permanent: bool) -> None:
    robot.status, robot.answer = status, answer
    hook = Delivery(DELIVERY.dedupe_key, "webhook", robot.url, DELIVERY.subject, DELIVERY.body)
    with pytest.raises(DeliveryError) as exc:
        WebhookChannel(timeout=5).deliver(hook)
    assert exc.value.permanent is permanent
    assert robot.token not in str(exc.value)  # the robot's access token never reaches logs or the store


def test_addresses_are_masked_for_logs() -> None:
    assert (
        mask_address("webhook", "https://oapi.dingtalk.com/robot/send?access_token=abc")
        == "https://oapi.dingtalk.com/…"
    )
    assert mask_address("email", "a@b.cn") == "a@b.cn"


def test_the_file_channel_writes_each_key_once(tmp_path: Path) -> None:
    path = tmp_path / "notices.jsonl"
    channel = FileChannel(path)
    channel.deliver(DELIVERY)
    channel.deliver(DELIVERY)
    lines = read_deliveries(path)
    assert len(lines) == 1 and lines[0]["subject"] == DELIVERY.subject and lines[0]["recipient"] == DELIVERY.address


def test_the_inbox_channel_stores_each_key_once(store_url: str) -> None:
    factory = open_store(store_url)
    channel = InboxChannel(factory)
    inbox = Delivery(DELIVERY.dedupe_key, "inbox", "330802-zrzy", DELIVERY.subject, DELIVERY.body)
    channel.deliver(inbox)
    channel.deliver(inbox)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(InboxMessage)) == 1
        assert s.execute(select(InboxMessage.recipient)).scalar_one() == "330802-zrzy"
