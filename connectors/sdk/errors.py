"""Errors the SDK raises, each with a Chinese and an English message.

Integration engineers read them in the terminal and operators in Airflow logs; both
need to know *what* failed and *whether a re-run will help*. Transient errors
(``TransientFetchError``) are retried by the HTTP client; the others stop the pull of
that stream without advancing its cursor, so a re-run starts from the same place.
A body that parses but breaks a parser limit (``BodyLimitError``, ``UnsafeXmlError``)
is the same on every request, so it is refused at once, never fetched again.
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


class BodyLimitError(ConnectorError):
    """A body breaks a parser limit — a number of more than 4300 digits, nesting deeper than the limit.

    Not a ``BodyFormatError`` on purpose: the cause is in the content, not the transfer,
    so a second request returns the same bytes. Retrying would only hammer the agency
    and burn the CPU the limit protects; the runner fails the stream at once, naming the
    landed body, and leaves the cursor where it was.
    """


class TlsError(ConnectorError):
    """The TLS handshake failed for a reason a retry cannot fix: the server's certificate does not verify
    against the configured CA bundle, or the server refused the client certificate (or its absence).
    Raised at once, naming the settings to check, instead of being retried as a connection error."""


class UnsafeXmlError(ConnectorError):
    """An XML body declared a DTD or entities (XXE, billion laughs) or nests too deeply: refused, never retried."""
