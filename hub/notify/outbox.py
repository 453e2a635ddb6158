"""Delivering the transactional outbox: claim, render, deliver, record — never lost, never doubled.

The sweep wrote each message in the same transaction as its escalation (``sla.sweep``), so nothing due is lost
if the process dies. Sending then works in three short steps per batch:

1. **claim** — in one transaction, select due messages (``pending``/``failed`` whose ``next_attempt_at`` has
   come, or ``sending`` whose claim is older than the lease) with ``SELECT … FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (on SQLite the ``BEGIN IMMEDIATE`` write lock serialises claimers), mark them ``sending`` with
   the worker's id and count the attempt. Two senders never hold the same message;
2. **deliver** outside any transaction, with the message's ``dedupe_key`` as the channel's idempotency key
   (e-mail ``Message-ID``, webhook ``Idempotency-Key``; the inbox and file channels drop a repeated key), so
   a message re-claimed after a crashed sender is not delivered twice where the channel allows it;
3. **record** the attempt (``outbox_attempts``) and the outcome: ``sent`` (with an audit entry), or ``failed``
   with exponential backoff, or ``dead`` after ``max_attempts`` or a permanent refusal. The update only
   applies while this worker still holds the claim.

Texts are rendered here, at send time (``hub.notify.render``); the stored body never holds personal data.
What a channel delivers is a **signed notice** (``hub.notify.signed``): the final rendered text with its facts,
signed with the hub's Ed25519 key and issued at the message's enqueue time, so every retry carries the same
bytes; the ``outbox.sent`` (and ``outbox.dead``) audit entry records the notice's SHA-256 and key id, which
proves after the fact what was sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.notify.base import Channel, Delivery, DeliveryError, mask_address
from hub.notify.email import EmailChannel, UnconfiguredEmail
from hub.notify.file import FileChannel
from hub.notify.inbox import InboxChannel
from hub.notify.render import PROCURATOR_ROLES, Rendered, message_context, render
from hub.notify.signed import SignedNotice, issued_at_of, notice_facts, sign_notice
from hub.notify.webhook import WebhookChannel
from hub.store.db import open_store
from hub.store.models import OutboxAttempt, OutboxMessage
from hub.trust.signing import SigningKeyError

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "SendReport",
    "claim",
    "default_channels",
    "list_messages",
    "retry_delay",
    "send_pending",
    "status_counts",
]

log = logging.getLogger("pilhub.notify")

DEFAULT_LEASE = dt.timedelta(minutes=10)
DEFAULT_MAX_ATTEMPTS = int(os.environ.get("PILHUB_OUTBOX_MAX_ATTEMPTS", "8"))
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)


def retry_delay(attempts: int, base: dt.timedelta = BACKOFF_BASE, cap: dt.timedelta = BACKOFF_CAP) -> dt.timedelta:
    """Exponential backoff: base, 2×base, 4×base … after the 1st, 2nd, 3rd failed attempt, capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def default_channels(factory: sessionmaker[Session]) -> dict[str, Channel]:
    """Channels from the environment. ``PILHUB_NOTIFY_FILE`` sends every channel to that JSON-lines file (demo)."""
    target = os.environ.get("PILHUB_NOTIFY_FILE", "").strip()
    if target:
        file_channel = FileChannel(target)
        return {"email": file_channel, "webhook": file_channel, "inbox": file_channel, "file": file_channel}
    return {
        "email": EmailChannel.from_env() or UnconfiguredEmail(),
        "webhook": WebhookChannel(),
        "inbox": InboxChannel(factory),
    }


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    reclaimed: int = 0
    lost_claims: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(
    factory: sessionmaker[Session],
    *,
    worker: str,
    limit: int,
    now: dt.datetime,
    lease: dt.timedelta = DEFAULT_LEASE,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    report: SendReport | None = None,
) -> list[int]:
    """Claim up to ``limit`` due messages for ``worker``; return their ids (see the module docstring)."""
    report = report if report is not None else SendReport()
    with factory() as session, session.begin():
        due = or_(
            and_(OutboxMessage.status.in_(("pending", "failed")), OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - lease),
        )
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.claimed_by)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed: list[int] = []
        for msg_id, status, attempts, previous in rows:
            if status == "sending":
                report.reclaimed += 1
                session.add(
                    OutboxAttempt(
                        message_pk=msg_id,
                        at=now,
                        ok=False,
                        error=f"租约过期，前一发送者未完成 / lease expired: sender {previous} did not finish",
                    )
                )
                if attempts >= max_attempts:
                    session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == msg_id)
                        .values(status="dead", last_error="租约多次过期 / lease expired after the last attempt")
                    )
                    report.dead += 1
                    continue
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == msg_id)
                .values(status="sending", claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
            claimed.append(msg_id)
    report.claimed += len(claimed)
    return claimed


def _prepare(session: Session, message: OutboxMessage) -> tuple[Rendered, Rendered]:
    """(stored text, delivered text): the procurator's name appears only in e-mail to the procurator."""
    template = (message.payload or {}).get("template")
    if not template:  # a message written by other code with its text already in place
        plain = Rendered(message.subject, message.body)
        return plain, plain
    stored = render(template, message_context(session, message))
    role = (message.payload or {}).get("role")
    if message.channel == "email" and role in PROCURATOR_ROLES:
        return stored, render(template, message_context(session, message, include_personal=True))
    return stored, stored


def _deliver(
    factory: sessionmaker[Session], msg_id: int, channels: Mapping[str, Channel]
) -> tuple[OutboxMessage, Rendered | None, str | None, bool, SignedNotice | None]:
    """Render, sign and deliver one claimed message: (message, stored text, error, permanent, signed notice)."""
    with factory() as session:
        message = session.get(OutboxMessage, msg_id)
        assert message is not None
        session.expunge(message)
        try:
            stored, delivered = _prepare(session, message)
        except Exception as exc:  # noqa: BLE001 - a template or data problem: retried, then dead, never dropped
            return message, None, f"生成通知文本失败 / rendering failed: {type(exc).__name__}: {exc}", False, None
        try:  # the facts the signed notice states; never personal data (see hub.notify.signed)
            facts = notice_facts(session, message)
        except Exception as exc:  # noqa: BLE001 - like a rendering failure: retried, then dead
            return message, stored, f"通知要素读取失败 / notice facts failed: {type(exc).__name__}: {exc}", False, None
    delivery = Delivery(
        message.dedupe_key,
        message.channel,
        message.recipient,
        delivered.subject,
        delivered.body,
        issued_at=issued_at_of(message),
        facts=facts,
    )
    try:  # sign once here, so the audit entry records exactly what the channel carried
        notice = sign_notice(delivery)
    except (SigningKeyError, ValueError) as exc:  # never deliver unsigned; retried once the key is fixed
        return message, stored, f"通知签名失败 / cannot sign the notice: {exc}", False, None
    channel = channels.get(message.channel)
    if channel is None:
        return message, stored, f"未配置渠道 / no channel configured for {message.channel!r}", False, notice
    try:
        channel.deliver(replace(delivery, notice=notice))
    except DeliveryError as exc:
        return message, stored, str(exc), exc.permanent, notice
    except Exception as exc:  # noqa: BLE001 - a channel bug must not kill the sender loop; stays retryable
        return message, stored, f"渠道异常 / channel error: {type(exc).__name__}", False, notice
    return message, stored, None, False, notice


def _notice_detail(notice: SignedNotice | None) -> dict[str, Any]:
    """What the audit keeps of a notice: its digest, file name and signing key (never its text)."""
    if notice is None:
        return {}
    return {"notice_sha256": notice.sha256, "notice_file": notice.name, "notice_key_id": notice.key_id}


def _record(
    factory: sessionmaker[Session],
    message: OutboxMessage,
    stored: Rendered | None,
    error: str | None,
    permanent: bool,
    *,
    notice: SignedNotice | None = None,
    worker: str,
    now: dt.datetime,
    max_attempts: int,
    backoff: dt.timedelta,
    report: SendReport,
) -> None:
    mine = and_(OutboxMessage.id == message.id, OutboxMessage.status == "sending", OutboxMessage.claimed_by == worker)
    with factory() as session, session.begin():
        session.add(OutboxAttempt(message_pk=message.id, at=now, ok=error is None, error=error))
        if error is None:
            assert stored is not None
            done = session.execute(
                update(OutboxMessage)
                .where(mine)
                .values(status="sent", sent_at=now, last_error=None, subject=stored.subject, body=stored.body)
            ).rowcount
            if not done:  # the lease expired and another sender took over; it delivers with the same key
                report.lost_claims += 1
                return
            report.sent += 1
            audit.append(
                session,
                actor=f"outbox:{worker}",
                action="outbox.sent",
                object_type="outbox",
                object_id=message.dedupe_key,
                after={"status": "sent", "attempts": message.attempts},
                detail={
                    "channel": message.channel,
                    "recipient": mask_address(message.channel, message.recipient),
                    "attempts": message.attempts,
                    "escalation_pk": message.escalation_pk,
                    **_notice_detail(notice),
                },
            )
            log.info("outbox %s sent via %s (attempt %d)", message.id, message.channel, message.attempts)
            return
        dead = permanent or message.attempts >= max_attempts
        values: dict[str, Any] = {"status": "dead" if dead else "failed", "last_error": error}
        if not dead:
            values["next_attempt_at"] = now + retry_delay(message.attempts, backoff)
        done = session.execute(update(OutboxMessage).where(mine).values(**values)).rowcount
        if not done:
            report.lost_claims += 1
            return
        report.errors.append(f"#{message.id} {message.channel}: {error}")
        if dead:
            report.dead += 1
            audit.append(
                session,
                actor=f"outbox:{worker}",
                action="outbox.dead",
                object_type="outbox",
                object_id=message.dedupe_key,
                after={"status": "dead", "attempts": message.attempts},
                detail={
                    "channel": message.channel,
                    "attempts": message.attempts,
                    "error": error,
                    **_notice_detail(notice),
                },
            )
        else:
            report.failed += 1
        log.warning("outbox %s attempt %d via %s failed", message.id, message.attempts, message.channel)


def send_pending(
    factory: sessionmaker[Session] | None = None,
    *,
    limit: int = 500,
    channels: Mapping[str, Channel] | None = None,
    worker: str | None = None,
    now: dt.datetime | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: dt.timedelta = BACKOFF_BASE,
    batch: int = 50,
) -> SendReport:
    """Deliver up to ``limit`` due messages. Safe to run in several processes at once."""
    factory = factory or open_store()
    channels = channels if channels is not None else default_channels(factory)
    worker = worker or _worker_id()
    report = SendReport()
    remaining = limit
    while remaining > 0:
        at = now or dt.datetime.now(dt.UTC)
        ids = claim(
            factory,
            worker=worker,
            limit=min(batch, remaining),
            now=at,
            lease=lease,
            max_attempts=max_attempts,
            report=report,
        )
        if not ids:
            break
        remaining -= len(ids)
        for msg_id in ids:
            message, stored, error, permanent, notice = _deliver(factory, msg_id, channels)
            _record(
                factory,
                message,
                stored,
                error,
                permanent,
                notice=notice,
                worker=worker,
                now=now or dt.datetime.now(dt.UTC),
                max_attempts=max_attempts,
                backoff=backoff,
                report=report,
            )
    return report


def list_messages(session: Session, *, status: str | None = None, limit: int = 50) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.execute(query).scalars())


def status_counts(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).tuples().all()
    )
