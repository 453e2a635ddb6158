"""A logging filter that keeps credentials out of every log line.

Connector code never logs a secret on purpose, but libraries log request headers and
URLs, and exception messages quote them. This filter rewrites each record before any
handler sees it: every secret value the configuration has loaded is replaced, and so
is anything that looks like an ``Authorization``/``X-Api-Key``/``X-Signature`` header
value or a ``password=``/``secret=``/``token=`` pair.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

MASK = "***"

_known: set[str] = set()
_lock = threading.Lock()

_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic|hmac)?\s*)([^\s'\",}]+)"),
    re.compile(
        r"(?i)((?:x-api-key|x-signature|api[_-]?key|client[_-]?secret|password|secret|access[_-]?token|token)['\"]?\s*[:=]\s*['\"]?)([^\s'\",&}]+)"
    ),
)


def register_secret(value: str | None) -> None:
    """Remember a secret so it is masked wherever it appears (values shorter than 4 are ignored).

    Also handed to every listener (:func:`add_listener`): the hub registers its log-record
    redaction there, so records from loggers this module's filter is not attached to are
    cleaned too — without the SDK importing the hub.
    """
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)
            listeners = list(_listeners)
        for listener in listeners:
            listener(value)


_listeners: list[Callable[[str], None]] = []


def add_listener(listener: Callable[[str], None]) -> None:
    """Call ``listener(secret)`` for every secret registered, the ones already known included."""
    with _lock:
        _listeners.append(listener)
        known = list(_known)
    for value in known:
        listener(value)


def redact(text: str) -> str:
    """``text`` with every known secret and credential-looking value masked."""
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites ``record.msg`` (with its args merged in) so no handler sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not hide the record
            message = str(record.msg)
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()
_LOGGERS = ("connectors", "hub.ingest", "urllib3", "requests", "pilhub")


def install() -> None:
    """Attach the filter to the loggers connector traffic goes through and to the root handlers.

    Idempotent; called when a connector's configuration is loaded.
    """
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
