"""E-mail over SMTP. Configured by ``PILHUB_SMTP_HOST``, ``PILHUB_SMTP_PORT`` (25), ``PILHUB_SMTP_FROM``, and
optionally ``PILHUB_SMTP_USER`` / ``PILHUB_SMTP_PASSWORD`` and ``PILHUB_SMTP_STARTTLS=1``.

The ``Message-ID`` is derived from the outbox dedupe key and the key is sent as ``X-Pilhub-Dedupe-Key``: a
message re-sent after a crashed sender carries the same identity, so mail systems and mailbox rules can drop
the duplicate (SMTP itself has no idempotency).

Every e-mail carries the hub-signed notice (``hub.notify.signed``) as two attachments, the
notice document ``notice-….json`` and its manifest ``notice-….json.manifest.json``: saved
together, ``pilhub verify notice-….json`` (or openssl, ``docs/verify.md``) proves the notice is
what the hub sent. A retry attaches the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from hub.notify.base import Delivery, DeliveryError
from hub.notify.signed import SignedNotice, notice_for
from hub.trust.signing import SigningKeyError

SIGNED_FOOTER = (
    "\n——\n本通知附平台签名文件 {name} 及其签名清单 {manifest}；两者存于同一目录后，可用 "
    "“pilhub verify {name}” 或 docs/verify.md 所述 openssl 命令核验。\n"
    "The attached {name} is this notice signed by the hub (Ed25519, manifest {manifest}); "
    "save both and run “pilhub verify {name}” or the openssl commands in docs/verify.md.\n"
)


def message_id(dedupe_key: str, domain: str = "pilhub.invalid") -> str:
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int = 25,
        sender: str = "pilhub@localhost",
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    @classmethod
    def from_env(cls) -> EmailChannel | None:
        host = os.environ.get("PILHUB_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host,
            int(os.environ.get("PILHUB_SMTP_PORT", "25")),
            os.environ.get("PILHUB_SMTP_FROM", "pilhub@localhost"),
            user=os.environ.get("PILHUB_SMTP_USER") or None,
            password=os.environ.get("PILHUB_SMTP_PASSWORD") or None,
            starttls=os.environ.get("PILHUB_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )

    def deliver(self, delivery: Delivery) -> None:
        try:
            notice = notice_for(delivery)
        except SigningKeyError as exc:  # never send an unsigned notice; retried once the key is fixed
            raise DeliveryError(f"通知签名失败 / cannot sign the notice: {exc}") from None
        msg = build_message(delivery, notice, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"SMTP 拒收收件人 / recipient refused: {codes}", permanent=all(500 <= c < 600 for c in codes)
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP 发送失败 / SMTP failure: {type(exc).__name__}: {exc}") from None


def build_message(delivery: Delivery, notice: SignedNotice, sender: str) -> EmailMessage:
    """The e-mail: the text, then the signed notice document and its manifest as attachments (exact bytes)."""
    msg = EmailMessage()
    msg["Subject"] = delivery.subject
    msg["From"] = sender
    msg["To"] = delivery.address
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(delivery.dedupe_key)
    msg["X-Pilhub-Dedupe-Key"] = delivery.dedupe_key
    msg["X-Pilhub-Key-Id"] = notice.key_id
    msg["X-Pilhub-Content-SHA256"] = notice.sha256
    msg.set_content(
        delivery.body + SIGNED_FOOTER.format(name=notice.name, manifest=notice.manifest_name), charset="utf-8"
    )
    msg.add_attachment(notice.document, maintype="application", subtype="json", filename=notice.name)
    msg.add_attachment(notice.manifest_bytes, maintype="application", subtype="json", filename=notice.manifest_name)
    return msg


class UnconfiguredEmail:
    """Stands in when no SMTP server is configured: every attempt fails with a clear, retryable message."""

    name = "email"

    def deliver(self, delivery: Delivery) -> None:
        raise DeliveryError(
            "未配置 PILHUB_SMTP_HOST，无法发送电子邮件 / PILHUB_SMTP_HOST is not set: e-mail cannot be sent"
        )
