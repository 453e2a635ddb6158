"""A local SMTP catcher for the demo and tests: accepts every message, stores it as .eml.

Built on aiosmtpd's controller (a real SMTP server on loopback), so the hub's e-mail
channel is exercised end to end without a mail server.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any


class SmtpCatcher:
    def __init__(self, mailbox: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mailbox = mailbox
        self.host = host
        self.port = port
        self.count = 0
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook name
        with self._lock:
            n = next(self._seq)
            self.count += 1
        (self.mailbox / f"{n:05d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 OK"

    def __enter__(self) -> SmtpCatcher:
        import socket

        from aiosmtpd.controller import Controller

        self.mailbox.mkdir(parents=True, exist_ok=True)
        for old in self.mailbox.glob("*.eml"):
            old.unlink()
        if not self.port:
            with socket.socket() as s:
                s.bind((self.host, 0))
                self.port = s.getsockname()[1]
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
