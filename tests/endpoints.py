"""Test doubles for the notification endpoints: a group-robot webhook and an SMTP server, both on loopback.

One implementation for every test that delivers notices, so that what "the recipient got" means the same
everywhere. Neither double deduplicates: a notice delivered twice is seen twice, which is what the
exactly-once tests count.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROBOT_TOKEN = "SECRET-robot-t0ken"  # the access token in the robot URL; tests check it is masked everywhere


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Robot:
    """A DingTalk/WeCom-style group-robot webhook that records every POST.

    ``posts`` holds (headers, JSON body, HTTP status) of every request, refused ones included;
    ``received`` the ``Idempotency-Key`` of each accepted post in order, ``keys`` the same as a counter.
    While ``down`` is true it answers 503 (a retryable failure); otherwise ``status`` with ``answer``.
    ``delay`` seconds pass before each answer (to make concurrent senders overlap).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.down = False
        self.delay = delay
        self.status: int = 200
        self.answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        self.posts: list[tuple[dict[str, str], dict[str, Any], int]] = []
        self.received: list[str] = []
        self.token = ROBOT_TOKEN
        self._lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                time.sleep(robot.delay)
                status = 503 if robot.down else robot.status
                with robot._lock:
                    robot.posts.append((dict(self.headers), body, status))
                    if status == 200:
                        robot.received.append(self.headers["Idempotency-Key"])
                raw = json.dumps(robot.answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token={self.token}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def keys(self) -> Counter[str]:
        """How many times each notice (by idempotency key) was accepted."""
        return Counter(self.received)

    @property
    def refused(self) -> int:
        """How many posts were answered with a failure status."""
        return sum(1 for *_, status in self.posts if status != 200)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running_robot(delay: float = 0.0) -> Iterator[Robot]:
    """A :class:`Robot` for the duration of the block."""
    robot = Robot(delay)
    try:
        yield robot
    finally:
        robot.close()


class MailSink:
    """An aiosmtpd handler that keeps every message and refuses the first ``refuse`` of them with 451 (try later).

    ``raw`` holds every message's bytes as sent; ``accepted`` the bytes of the accepted ones and
    ``recipients`` their envelope recipients.
    """

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.raw: list[bytes] = []
        self.accepted: list[bytes] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.raw.append(envelope.content)
        if len(self.raw) <= self.refuse:
            return "451 4.3.0 try again later"
        self.accepted.append(envelope.content)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    @property
    def messages(self) -> list[tuple[list[str], Message]]:
        """The accepted messages, parsed, with their envelope recipients."""
        return [(rcpt, message_from_bytes(raw)) for rcpt, raw in zip(self.recipients, self.accepted, strict=True)]

    @property
    def received(self) -> list[str]:
        """The dedupe key of each accepted message, in order."""
        return [str(message["X-Pilhub-Dedupe-Key"]) for _, message in self.messages]


@contextmanager
def smtp_server(sink: MailSink | None = None, port: int | None = None) -> Iterator[tuple[MailSink, int]]:
    """An SMTP server on loopback (``port`` or a free one) handing every message to ``sink``."""
    from aiosmtpd.controller import Controller

    sink = sink or MailSink()
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def channels_to(url: str) -> dict[str, Any]:
    """Outbox channels that deliver every notice, whatever its channel and address, as a webhook post to ``url``.

    For the exactly-once tests: one counting :class:`Robot` then sees every delivery of every channel.
    """
    from hub.notify.base import Delivery
    from hub.notify.webhook import WebhookChannel

    class Redirected(WebhookChannel):
        def deliver(self, delivery: Delivery) -> None:
            super().deliver(Delivery(delivery.dedupe_key, delivery.channel, url, delivery.subject, delivery.body))

    channel = Redirected(timeout=10)
    return {name: channel for name in ("inbox", "email", "webhook", "file")}
