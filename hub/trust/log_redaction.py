"""Keep personal data and secrets out of every log record, whoever logs it.

The hub's own code never logs a name, an ID number or a key on purpose — but
libraries log SQL parameters, request URLs and exception messages, and those quote
values. Logs are read by more people, kept longer and shipped further (Airflow task
logs, CI artefacts) than the store, so this is a last line of defence that rewrites
each record before any handler sees it:

* resident ID numbers (18 digits with a final digit or X, the old 15-digit form, and
  the grouped ``330824 19581003 8785`` spelling), mainland mobile and fixed-line phone
  numbers;
* key material: base64 of 32-byte keys (``PILHUB_SECRET_KEY`` …), PEM private keys;
* every configured secret value: ``PILHUB_*KEY*`` variables, anything named like a
  password, secret or token, the password inside database URLs, and values added
  with :func:`add_secret`.

Names of individuals cannot be recognised by pattern; they stay out of logs because
the code only ever handles them encrypted (``tests/trust/test_log_redaction.py`` scans
a full run's DEBUG log for every sample name to prove it).

:func:`install_redaction` installs a *log-record factory*, so records from every logger
(third-party, Airflow's) are cleaned at creation, and the :class:`RedactionFilter` is
also available for logging configurations (``"()": "hub.trust.log_redaction.RedactionFilter"``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

ID_MASK = "[ID-REDACTED 身份号码已隐去]"
PHONE_MASK = "[PHONE-REDACTED 电话已隐去]"
SECRET_MASK = "[SECRET-REDACTED 密钥已隐去]"

_B = r"(?<![0-9A-Za-z])"  # not inside a longer word or hash
_E = r"(?![0-9A-Za-z])"
_ID_NUMBER = re.compile(
    rf"{_B}(?:\d{{6}}[ -]?\d{{4}}[ -]?\d{{4}}[ -]?\d{{3}}[\dXxＸｘ]|\d{{15}}){_E}"  # \d also matches full-width digits
)
_PHONE = re.compile(
    rf"{_B}(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{{4}}[ -]?\d{{4}}{_E}"  # mobile
    rf"|{_B}(?:\(0\d{{2,3}}\)|0\d{{2,3}})[ -]?\d{{7,8}}{_E}"  # fixed line with area code
)
#: Public names of the two patterns: free text stored in the hub is cleaned with them too (``hub.free_text``).
ID_NUMBER_PATTERN, PHONE_PATTERN = _ID_NUMBER, _PHONE
_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)
_KEY_B64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")  # 32 bytes, base64
_SECRET_ENV = re.compile(r"(?i)((^|_)KEYS?$|PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE)")
_URL_ENV = re.compile(r"(?i)(URL|URI|CONN|DSN)")
_MIN_SECRET = 6

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def add_secret(value: str | None) -> None:
    """Redact ``value`` wherever it appears from now on (values shorter than 6 characters are ignored)."""
    if value and len(value) >= _MIN_SECRET:
        with _lock:
            _secrets.add(value)


def _secrets_from_environment(environ: dict[str, str]) -> Iterable[str]:
    for name, value in environ.items():
        if not value:
            continue
        if _SECRET_ENV.search(name):
            yield value
            for part in value.split(","):  # "k1:BASE64,k2:BASE64" → each spec and each key alone
                yield part.strip()
                yield part.strip().partition(":")[2]
        if _URL_ENV.search(name) and "@" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                yield password


def load_configured_secrets(environ: dict[str, str] | None = None) -> None:
    """Register every secret-looking value of the environment (called again by :func:`install_redaction`)."""
    for value in _secrets_from_environment(dict(os.environ if environ is None else environ)):
        add_secret(value)


def redact(text: str) -> str:
    """``text`` with ID numbers, phone numbers, key material and configured secrets masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, SECRET_MASK)
    text = _PEM_PRIVATE.sub(SECRET_MASK, text)
    text = _KEY_B64.sub(SECRET_MASK, text)
    text = _ID_NUMBER.sub(ID_MASK, text)
    return _PHONE.sub(PHONE_MASK, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Merge the args into the message, redact it and any traceback; idempotent per record."""
    if getattr(record, "_pilhub_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 — a broken format string or __str__ must not hide the record
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        # Pre-format and drop exc_info, so no handler re-renders the traceback (with locals) unredacted.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._pilhub_redacted = True  # type: ignore[attr-defined]
    return record


class RedactionFilter(logging.Filter):
    """A filter for handlers and logging configs; never drops a record, only cleans it."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_redaction(extra_secrets: Iterable[str] = ()) -> None:
    """Clean every log record of this process from now on; idempotent.

    Installs a record factory (covers every logger, including those created later and
    third-party ones) and adds :class:`RedactionFilter` to the root logger's handlers.
    Called by the ``pilhub`` CLI on start and by :func:`install_for_airflow` in tasks.
    """
    global _installed
    load_configured_secrets()
    for value in extra_secrets:
        add_secret(value)
    with _lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: object, **kwargs: object) -> logging.LogRecord:
                return redact_record(previous(*args, **kwargs))

            logging.setLogRecordFactory(factory)
            _installed = True
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactionFilter) for f in handler.filters):
            handler.addFilter(RedactionFilter())


def install_for_airflow() -> None:
    """In an Airflow task: install redaction and hand our secrets to Airflow's own masker too."""
    install_redaction()
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # not running under Airflow
        return
    with _lock:
        values = list(_secrets)
    for value in values:
        mask_secret(value)


def configure_logging_from_env() -> None:
    """``PILHUB_LOG_LEVEL`` / ``PILHUB_LOG_FILE``: where the CLI's logs go (nothing when both are unset).

    ``DEBUG`` means everything, SQL statements and their parameters included (SQLAlchemy
    keeps its own loggers at WARNING otherwise) — safe to hand to a developer because
    personal data only reaches SQL encrypted and the rest is redacted. The handler carries :class:`RedactionFilter` as well as the record factory, so a
    record created before :func:`install_redaction` is still cleaned.
    """
    level = os.environ.get("PILHUB_LOG_LEVEL")
    path = os.environ.get("PILHUB_LOG_FILE")
    if not level and not path:
        return
    root = logging.getLogger()
    if any(getattr(h, "_pilhub_cli", False) for h in root.handlers):
        return
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    )
    handler._pilhub_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactionFilter())
    root.addHandler(handler)
    root.setLevel((level or "INFO").upper())
    if root.level <= logging.DEBUG:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


def _listen_to_connector_secrets() -> None:
    """Secrets the connector SDK loads (API keys, client secrets) are redacted hub-wide too."""
    from connectors.sdk import redaction

    redaction.add_listener(add_secret)


_listen_to_connector_secrets()
