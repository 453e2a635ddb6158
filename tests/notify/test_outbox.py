"""The outbox sender: retries with backoff, dead letters, lease takeover after a crash, every attempt recorded.

"A channel that fails N times then recovers delivers every notice exactly once" — on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.notify.base import Delivery, DeliveryError
from hub.notify.inbox import InboxChannel
from hub.notify.outbox import claim, retry_delay, send_pending
from hub.store import open_store
from hub.store.models import AuditEntry, InboxMessage, OutboxAttempt, OutboxMessage

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


class Flaky:
    """Fails the first ``failures`` deliveries, then records every delivery by key (no deduplication)."""

    name = "flaky"

    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.calls = 0
        self.delivered: Counter[str] = Counter()

    def deliver(self, delivery: Delivery) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("模拟故障 / simulated outage", permanent=self.permanent)
        self.delivered[delivery.dedupe_key] += 1


def _enqueue(factory: sessionmaker[Session], n: int, channel: str = "inbox") -> list[str]:
    keys = [f"test:{channel}:{i}" for i in range(n)]
    with factory() as s, s.begin():
        for key in keys:
            s.add(
                OutboxMessage(
                    dedupe_key=key,
                    channel=channel,
                    recipient=f"330802-sthj/{key}",
                    subject="检察建议回复期限提醒",
                    body="请按期书面回复。",
                    payload={},
                    status="pending",
                    next_attempt_at=T0,
                )
            )
    return keys


def _statuses(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).tuples().all())


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == dt.timedelta(hours=6)


def test_a_channel_that_fails_then_recovers_delivers_every_notice_once(store_url: str) -> None:
    factory = open_store(store_url)
    keys = _enqueue(factory, 6)
    channel = Flaky(failures=8)  # the whole first round and part of the second fail
    now = T0
    rounds = 0
    while _statuses(factory) != {"sent": 6}:
        send_pending(factory, channels={"inbox": channel}, now=now)
        now += dt.timedelta(hours=1)  # past every backoff
        rounds += 1
        assert rounds < 6
    assert channel.delivered == Counter({k: 1 for k in keys})
    with factory() as s:
        attempts = Counter(s.scalars(select(OutboxAttempt.ok)))
        per_message = dict(s.execute(select(OutboxMessage.dedupe_key, OutboxMessage.attempts)).tuples().all())
        sent_audit = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "outbox.sent"))
    assert attempts == {False: 8, True: 6} and sum(per_message.values()) == 14 and sent_audit == 6


def test_a_failed_attempt_waits_for_its_backoff(store_url: str) -> None:
    factory = open_store(store_url)
    _enqueue(factory, 1)
    report = send_pending(factory, channels={"inbox": Flaky(failures=1)}, now=T0)
    assert report.failed == 1
    with factory() as s:
        message = s.execute(select(OutboxMessage)).scalar_one()
        assert message.status == "failed" and "simulated outage" in message.last_error
        due = (
            message.next_attempt_at.replace(tzinfo=dt.UTC)
            if message.next_attempt_at.tzinfo is None
            else message.next_attempt_at
        )
    assert due == T0 + dt.timedelta(minutes=1)
    assert send_pending(factory, channels={"inbox": Flaky(0)}, now=T0 + dt.timedelta(seconds=30)).claimed == 0
    assert send_pending(factory, channels={"inbox": Flaky(0)}, now=T0 + dt.timedelta(minutes=2)).sent == 1


def test_after_max_attempts_a_message_is_dead_and_recorded(store_url: str) -> None:
    factory = open_store(store_url)
    _enqueue(factory, 2)
    channel = Flaky(failures=100)
    for hour in range(3):
        send_pending(factory, channels={"inbox": channel}, now=T0 + dt.timedelta(hours=hour), max_attempts=3)
    assert _statuses(factory) == {"dead": 2}
    assert send_pending(factory, channels={"inbox": channel}, now=T0 + dt.timedelta(days=1)).claimed == 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "outbox.dead")) == 2


def test_a_permanent_refusal_is_dead_at_once(store_url: str) -> None:
    factory = open_store(store_url)
    _enqueue(factory, 1)
    report = send_pending(factory, channels={"inbox": Flaky(failures=1, permanent=True)}, now=T0)
    assert report.dead == 1 and _statuses(factory) == {"dead": 1}


def test_a_crashed_senders_claim_is_taken_over_after_the_lease_without_a_second_delivery(store_url: str) -> None:
    factory = open_store(store_url)
    keys = _enqueue(factory, 3)
    inbox = InboxChannel(factory)
    # The crashed sender claimed everything and delivered the first message, then died before recording it.
    ids = claim(factory, worker="crashed", limit=10, now=T0)
    assert len(ids) == 3
    with factory() as s:
        first = s.get(OutboxMessage, ids[0])
    inbox.deliver(Delivery(first.dedupe_key, "inbox", first.recipient, first.subject, first.body))
    early = send_pending(factory, channels={"inbox": inbox}, now=T0 + dt.timedelta(minutes=5))
    assert early.claimed == 0  # still within the lease
    late = send_pending(factory, channels={"inbox": inbox}, now=T0 + dt.timedelta(minutes=11), worker="rescuer")
    assert (late.reclaimed, late.sent) == (3, 3)
    with factory() as s:
        delivered = Counter(s.scalars(select(InboxMessage.dedupe_key)))
        lease_notes = s.scalar(
            select(func.count()).select_from(OutboxAttempt).where(OutboxAttempt.error.like("%lease%"))
        )
    assert delivered == Counter({k: 1 for k in keys})  # the inbox refused the repeated key
    assert lease_notes == 3 and _statuses(factory) == {"sent": 3}


def test_cancelled_messages_are_never_sent(store_url: str) -> None:
    factory = open_store(store_url)
    _enqueue(factory, 2)
    with factory() as s, s.begin():
        s.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.dedupe_key == "test:inbox:0")
            .values(status="cancelled")
        )
    channel = Flaky(0)
    assert send_pending(factory, channels={"inbox": channel}, now=T0).sent == 1
    assert list(channel.delivered) == ["test:inbox:1"]


@pytest.mark.parametrize("missing", ["webhook"])
def test_a_message_for_an_unconfigured_channel_fails_visibly(store_url: str, missing: str) -> None:
    factory = open_store(store_url)
    _enqueue(factory, 1, channel=missing)
    report = send_pending(factory, channels={"inbox": Flaky(0)}, now=T0)
    assert report.failed == 1 and "no channel configured" in report.errors[0]
