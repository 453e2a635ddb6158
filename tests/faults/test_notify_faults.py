"""Fault tests of notification delivery (issue 9, point 4): nothing lost, nothing doubled.

* the SMTP server and the webhook receiver are down for several sending rounds, then come
  back: every notice arrives exactly once, with each failed attempt recorded;
* two outbox senders run in parallel processes against the same store: each notice is
  delivered exactly once (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite).

Real servers on loopback (aiosmtpd, http.server), real channels, real store. Each test prints
its figures: notices checked, duplicates, losses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.notify import email as email_mod
from hub.notify import outbox
from hub.notify import webhook as webhook_mod
from hub.store import open_store
from hub.store.models import OutboxAttempt, OutboxMessage
from tests.conftest import FaultFigures, engine_name
from tests.endpoints import Robot, free_port, smtp_server


def _enqueue(factory: sessionmaker[Session], prefix: str, channel: str, recipient: str, n: int) -> list[str]:
    keys = [f"{prefix}:{channel}:{i}" for i in range(n)]
    with factory() as s, s.begin():
        for key in keys:
            s.add(
                OutboxMessage(
                    dedupe_key=key,
                    channel=channel,
                    recipient=recipient,
                    subject="检察建议回复期限提醒",
                    body="请于期限内书面回复 / please reply in writing",
                    payload={},
                    status="pending",
                )
            )
    return keys


def _statuses(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).tuples().all())


def _figures(expected: list[str], received: list[str]) -> dict[str, int]:
    counts = Counter(received)
    return {
        "notices_checked": len(expected),
        "delivered": len(set(received) & set(expected)),
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "losses": len(set(expected) - set(received)),
        "unexpected": len(set(received) - set(expected)),
    }


def _report(fault_figures: FaultFigures, scenario: str, figures: dict[str, int], detail: str = "") -> None:
    fault_figures(
        scenario,
        records=0,
        notices=figures["notices_checked"],
        duplicates=figures["duplicates"],
        losses=figures["losses"],
        detail=f"delivered {figures['delivered']}, unexpected {figures['unexpected']}"
        + (f"; {detail}" if detail else ""),
    )


def test_smtp_and_webhook_down_then_up_deliver_every_notice_exactly_once(
    store_url: str, robot: Robot, fault_figures: FaultFigures
) -> None:
    factory = open_store(store_url)
    smtp_port = free_port()
    mail_keys = _enqueue(factory, "down-up", "email", "office@hbj.quzhou.example", 10)
    hook_keys = _enqueue(factory, "down-up", "webhook", robot.url, 10)
    channels = {
        "email": email_mod.EmailChannel("127.0.0.1", smtp_port, "pilhub@quzhou.example", timeout=2),
        "webhook": webhook_mod.WebhookChannel(timeout=2),
    }
    robot.down = True  # and nothing listens on smtp_port
    start = datetime.now(UTC) + timedelta(minutes=1)
    for day in range(3):  # three sending rounds a day apart, every endpoint down
        report = outbox.send_pending(factory, channels=channels, now=start + timedelta(days=day))
        assert report.sent == 0 and report.failed == 20 and report.dead == 0
    assert _statuses(factory) == {"failed": 20} and robot.refused == 30 and not robot.received

    robot.down = False
    with smtp_server(port=smtp_port) as (sink, _):
        report = outbox.send_pending(factory, channels=channels, now=start + timedelta(days=3))
        again = outbox.send_pending(factory, channels=channels, now=start + timedelta(days=4))
    assert report.sent == 20 and again.claimed == 0
    assert _statuses(factory) == {"sent": 20}
    with factory() as s:
        attempts = Counter(s.scalars(select(OutboxAttempt.ok)).all())
    assert attempts == {False: 60, True: 20}  # three failed rounds and one success each, all recorded
    figures = _figures(mail_keys + hook_keys, sink.received + robot.received)
    _report(fault_figures, f"SMTP and webhook down then up, {engine_name(store_url)}", figures)
    assert figures["duplicates"] == 0 and figures["losses"] == 0 and figures["unexpected"] == 0


_SENDER = """
import json, sys
from hub.notify.outbox import send_pending
from hub import audit
from hub.store import open_store
report = send_pending(open_store(sys.argv[1]), batch=4)
print(json.dumps(report.as_dict()))
"""


def test_two_senders_in_parallel_deliver_each_notice_exactly_once(store_url: str, fault_figures: FaultFigures) -> None:
    factory = open_store(store_url)
    robot = Robot(delay=0.01)  # slow enough that the two senders overlap
    try:
        keys = _enqueue(factory, "parallel", "webhook", robot.url, 40)
        env = {k: v for k, v in os.environ.items() if k != "PILHUB_NOTIFY_FILE"}
        env["PILHUB_DATABASE_URL"] = store_url
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", _SENDER, store_url],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        reports = []
        for proc in senders:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        robot.close()
    assert sum(r["sent"] for r in reports) == 40 and sum(r["lost_claims"] for r in reports) == 0
    assert _statuses(factory) == {"sent": 40}
    with factory() as s:  # both senders began on an empty audit chain: their first appends did not fork it
        chain = audit.verify_chain(s)
    assert chain.ok and chain.checked >= 40, chain
    figures = _figures(keys, robot.received)
    _report(
        fault_figures,
        f"two outbox senders in parallel, {engine_name(store_url)}",
        figures,
        f"sent per sender {[r['sent'] for r in reports]}",
    )
    assert figures["duplicates"] == 0 and figures["losses"] == 0 and figures["unexpected"] == 0
