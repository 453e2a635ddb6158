"""The sandbox's HTTP plumbing: a threaded loopback server per agency system, with fault injection.

Each simulated system (:class:`AgencySystem` subclasses in this package) only turns a
request into a response in its own protocol; this module serves it and applies the
transport faults of its :class:`~connectors.sandbox.faults.FaultPlan` — delays, 5xx and
429 answers, bodies cut off mid-transfer, bodies in another charset than declared.
"""

from __future__ import annotations

import bisect
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectors.sandbox.dataset import Dataset
from connectors.sandbox.faults import FaultPlan


@dataclass
class SandboxRequest:
    method: str
    target: str  # path and query exactly as sent (what HMAC signatures cover)
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    n: int = 0  # the server's request number (fault patterns key on it)


@dataclass
class SandboxResponse:
    status: int = 200
    body: Any = b""  # bytes, str, or a JSON-able value
    content_type: str = "application/json"
    charset: str | None = "utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    wrong_charset: str | None = "gb18030"  # what the wrong_encoding fault encodes in instead


def json_response(value: Any, status: int = 200) -> SandboxResponse:
    return SandboxResponse(status, json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class AgencySystem:
    """One simulated agency system. Subclasses set ``name``/``title`` and implement :meth:`handle`."""

    name = ""
    title = ""

    #: Bytes of rendered pages kept for :meth:`cached` (a 100,000-record data set is ~30 MB of JSON).
    PAGE_CACHE_BYTES = 256 * 2**20

    def __init__(self, dataset: Dataset, plan: FaultPlan) -> None:
        self.dataset = dataset
        self.plan = plan
        self.records = dataset.records.get(self.name, {})
        self.lock = threading.Lock()
        self._keys: dict[str, list[str]] = {}
        self._pages: dict[Hashable, SandboxResponse] = {}
        self._page_bytes = 0

    def cached(self, key: Hashable, render: Callable[[], SandboxResponse]) -> SandboxResponse:
        """``render()``'s response, rendered once per ``key`` while no fault mode is on.

        A real agency system runs on its own machine; the sandbox shares the hub's cores
        (the benchmark's machine has two), so serving a page must cost next to nothing or
        the figure measures the simulation. With a fault mode on every request is rendered
        afresh (record faults depend on the delivery count), and switching modes does not
        disturb the cache: it is only read and filled while no mode is on. The data set of
        a running sandbox never changes, so a cached page never goes stale.
        """
        if self.plan.modes:
            return render()
        with self.lock:
            hit = self._pages.get(key)
        if hit is not None:
            return hit
        response = render()
        if response.status == 200 and self.plan.modes == frozenset():
            body = response.body
            if not isinstance(body, bytes | str):
                body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            if isinstance(body, str):
                body = body.encode(response.charset or "utf-8")
            response = SandboxResponse(200, body, response.content_type, response.charset, dict(response.headers))
            with self.lock:
                if self._page_bytes + len(body) > self.PAGE_CACHE_BYTES:
                    self._pages.clear()
                    self._page_bytes = 0
                self._pages[key] = response
                self._page_bytes += len(body)
        return response

    def window(self, stream: str, key: str, since: str) -> list[dict[str, Any]]:
        """Records of ``stream`` whose ``key`` (the update time they are sorted by) is ≥ ``since``."""
        rows = self.records[stream]
        if not since:
            return rows
        keys = self._keys.get(stream)
        if keys is None:
            keys = self._keys[stream] = [str(r[key]) for r in rows]
        return rows[bisect.bisect_left(keys, since) :]

    def handle(self, request: SandboxRequest) -> SandboxResponse:  # pragma: no cover - abstract
        raise NotImplementedError

    def env(self, url: str) -> dict[str, str]:
        """``PILHUB_CONN_<NAME>_*`` variables a connector needs to reach this system."""
        return {f"PILHUB_CONN_{self.name.upper()}_URL": url}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        system, plan = self.server.system, self.server.system.plan
        n = plan.next_request()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = SandboxRequest(
            self.command,
            self.path,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
            n,
        )
        self.server.requests += 1
        delay = plan.delay(n)
        if delay:
            time.sleep(delay)
        status = plan.status_fault(n)
        if status == 429:
            self._write(
                SandboxResponse(
                    429, '{"code":429,"message":"too many requests"}', headers={"Retry-After": plan.retry_after}
                ),
                n,
            )
            return
        if status:
            self._write(SandboxResponse(status, "<html><body>Service Unavailable</body></html>", "text/html"), n)
            return
        try:
            response = system.handle(request)
        except Exception as exc:  # noqa: BLE001 - a bug in the simulation must show up as a 500, not a hung client
            response = SandboxResponse(500, json.dumps({"error": type(exc).__name__, "detail": str(exc)}))
        self._write(response, n)

    def _write(self, response: SandboxResponse, n: int) -> None:
        plan = self.server.system.plan
        body = response.body
        if not isinstance(body, bytes | str):
            body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if isinstance(body, str):
            charset = response.charset or "utf-8"
            if response.status == 200 and plan.wrong_encoding(n) and response.wrong_charset:
                charset = response.wrong_charset  # declared charset stays the same: that is the fault
            body = body.encode(charset)
        content_type = response.content_type + (f"; charset={response.charset}" if response.charset else "")
        truncate = response.status == 200 and plan.truncate(n) and len(body) > 16
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if truncate:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (timeout fault): nothing to do


class SandboxServer(ThreadingHTTPServer):
    """One agency system on loopback; with ``ssl_context`` it speaks HTTPS (e.g. requiring client certificates).

    The TLS handshake runs in the connection's own thread on its first read, not in
    ``accept()``, so a client that fails it (no certificate, wrong CA) cannot stall the server.
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self, system: AgencySystem, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        super().__init__((host, port), _Handler)
        self.system = system
        self.requests = 0
        self.tls_failures = 0
        self.ssl_context = ssl_context
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{'https' if self.ssl_context is not None else 'http'}://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A refused TLS handshake is the expected outcome of a client without a valid certificate: count it."""
        import sys

        if isinstance(sys.exc_info()[1], ssl.SSLError):
            self.tls_failures += 1
            return
        super().handle_error(request, client_address)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{self.system.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
