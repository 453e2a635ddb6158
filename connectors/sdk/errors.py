"""Errors the SDK raises, each with a Chinese and an English message.

Integration engineers read them in the terminal and operators in Airflow logs; both
need to know *what* failed and *whether a re-run will help*. Transient errors
(``TransientFetchError``) are retried by the HTTP client; the others stop the pull of
that stream without advancing its cursor, so a re-run starts from the same place.
Messages never carry credentials or record values.
"""

from __future__ import annotations


class ConnectorError(RuntimeError):
    """Base class: ``zh`` and ``en`` messages, ``str()`` gives both."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class ConfigurationError(ConnectorError):
    """A base URL or credential is missing or malformed."""


class TransientFetchError(ConnectorError):
    """A failure worth retrying: connection reset, timeout, 5xx, truncated or undecodable body."""


class HttpStatusError(ConnectorError):
    """The agency answered with a non-retryable status (4xx other than 429)."""

    def __init__(self, status: int, url: str, zh: str, en: str) -> None:
        super().__init__(zh, en)
        self.status = status
        self.url = url


class RetriesExhausted(ConnectorError):
    """Every attempt failed; the last cause is chained."""


class ResponseTooLarge(ConnectorError):
    """A body exceeded the configured maximum size and was cut off (never parsed)."""


class BodyFormatError(TransientFetchError):
    """A body could not be decoded or parsed (truncated JSON, broken XML, unknown encoding).

    Transient because the usual causes — a connection cut mid-body, a proxy that
    re-encoded the page — go away on a second request; if they do not, the pull stops.
    """


class UnsafeXmlError(ConnectorError):
    """An XML body declared a DTD or entities (XXE, billion laughs): refused, never retried."""
