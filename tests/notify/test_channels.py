"""Channels: SMTP (aiosmtpd catcher), DingTalk/WeCom robot webhooks (local server), the JSON-lines file, the inbox."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.notify.base import Delivery, DeliveryError, mask_address
from hub.notify.email import EmailChannel, message_id
from hub.notify.file import FileChannel, read_deliveries
from hub.notify.inbox import InboxChannel
from hub.notify.webhook import WebhookChannel, robot_payload
from hub.store import open_store
from hub.store.models import InboxMessage

DELIVERY = Delivery("esc:42:email:abcd", "email", "sthj@330802.gov.example.cn",
                    "【期限提醒】柯检行公建〔2026〕3号检察建议书面回复期限将于2026年12月16日届满",
                    "衢州市柯城区自然资源和规划局：\n\n请依法履行职责，按期书面回复。\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Catcher:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Catcher, int]]:
    from aiosmtpd.controller import Controller

    catcher, port = _Catcher(), _free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


def test_email_carries_chinese_text_and_a_stable_message_id(smtp: tuple[_Catcher, int]) -> None:
    catcher, port = smtp
    channel = EmailChannel("127.0.0.1", port, "pilhub@quzhou.example", timeout=5)
    channel.deliver(DELIVERY)
    channel.deliver(DELIVERY)  # a retry after a crash: same identity
    assert len(catcher.messages) == 2
    (rcpt, first), (_, second) = catcher.messages
    assert rcpt == ["sthj@330802.gov.example.cn"]
    assert str(make_header(decode_header(first["Subject"]))) == DELIVERY.subject
    assert first["Message-ID"] == second["Message-ID"] == message_id(DELIVERY.dedupe_key)
    assert first["X-Pilhub-Dedupe-Key"] == DELIVERY.dedupe_key
    text = next(part for part in first.walk() if part.get_content_type() == "text/plain")
    assert "按期书面回复" in text.get_payload(decode=True).decode("utf-8")


def test_an_unreachable_smtp_server_is_a_retryable_failure() -> None:
    with pytest.raises(DeliveryError) as exc:
        EmailChannel("127.0.0.1", _free_port(), timeout=2).deliver(DELIVERY)
    assert not exc.value.permanent


class _Robot:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status, self.answer = 200, {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robot.requests.append((dict(self.headers), body))
                raw = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=SECRET"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def robot() -> Iterator[_Robot]:
    r = _Robot()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_webhook_posts_the_robot_text_form_with_an_idempotency_key(robot: _Robot) -> None:
    hook = Delivery(DELIVERY.dedupe_key, "webhook", robot.url, DELIVERY.subject, DELIVERY.body)
    WebhookChannel(fmt="text", timeout=5).deliver(hook)
    headers, body = robot.requests[0]
    robot_fields = {k: v for k, v in body.items() if k != "pilhub_notice"}  # the signed notice rides beside them
    assert robot_fields == {"msgtype": "text", "text": {"content": f"{DELIVERY.subject}\n\n{DELIVERY.body}"}}
    assert headers["Idempotency-Key"] == headers["X-Pilhub-Dedupe-Key"] == DELIVERY.dedupe_key


def test_webhook_markdown_form() -> None:
    payload = robot_payload(DELIVERY, "markdown")
    assert payload["msgtype"] == "markdown" and payload["markdown"]["title"] == DELIVERY.subject
    assert payload["markdown"]["text"].startswith("### 【期限提醒】")


@pytest.mark.parametrize(("status", "answer", "permanent"), [
    (200, {"errcode": 310000, "errmsg": "keywords not in content"}, False),
    (503, {}, False),
    (404, {}, True),
    (429, {}, False),
])
def test_webhook_failures(robot: _Robot, status: int, answer: dict, permanent: bool) -> None:
    robot.status, robot.answer = status, answer
    hook = Delivery(DELIVERY.dedupe_key, "webhook", robot.url, DELIVERY.subject, DELIVERY.body)
    with pytest.raises(DeliveryError) as exc:
        WebhookChannel(timeout=5).deliver(hook)
    assert exc.value.permanent is permanent
    assert "SECRET" not in str(exc.value)  # the robot's access token never reaches logs or the store


def test_addresses_are_masked_for_logs() -> None:
    assert mask_address("webhook", "https://oapi.dingtalk.com/robot/send?access_token=abc") == "https://oapi.dingtalk.com/…"
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
