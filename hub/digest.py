"""The daily digest: each procurator's replies due soon and overdue, once a day.

One in-hub inbox message per procurator per day (the outbox's unique dedupe key
``digest:<procurator key>:<date>`` makes a second run of the day a no-op). Procurators
are grouped by the keyed hash of their name — the name itself is stored only encrypted
and never written into a message; the inbox address ``procurator:<key>`` is what the
hub's inbox shows to that procurator. Each department head (configured per region in the
escalation policy's ``procuratorates``) gets the digest of the whole region.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.store.models import Agency, Case, Clock, OutboxMessage, Recommendation

#: A clock is listed when its deadline is within this many days, or when it is overdue.
DUE_WITHIN_DAYS = 7
OPEN_STATES = ("running", "due_soon", "breached", "escalated", "calendar_missing")
KIND_ZH = {"reply": "书面回复", "rectification": "承诺整改", "follow_up": "回头看", "announcement": "公告期间"}


@dataclass(frozen=True)
class DigestLine:
    case_id: str
    rec_number: str | None
    agency: str | None
    kind: str
    deadline: dt.date
    days_left: int
    state: str
    level: int | None

    def text(self) -> str:
        when = f"剩余 {self.days_left} 天" if self.days_left >= 0 else f"已超期 {-self.days_left} 天"
        level = f"，已督促至第{self.level}级" if self.level else ""
        rec = f" {self.rec_number}" if self.rec_number else ""
        return (
            f"· {self.case_id}{rec} {self.agency or ''} {KIND_ZH.get(self.kind, self.kind)}期限 "
            f"{self.deadline.isoformat()}（{when}{level}）"
        )


def digest_lines(session: Session, as_of: dt.date) -> dict[tuple[str, str], list[DigestLine]]:
    """Open clocks due within ``DUE_WITHIN_DAYS`` or overdue, keyed by (region code, procurator key)."""
    horizon = as_of + dt.timedelta(days=DUE_WITHIN_DAYS)
    rows = session.execute(
        select(Clock, Case.case_id, Case.region_code, Case.procurator_hmac, Recommendation.rec_number, Agency.name)
        .join(Case, Case.id == Clock.case_pk)
        .outerjoin(Recommendation, Recommendation.id == Clock.recommendation_pk)
        .outerjoin(Agency, Agency.id == Recommendation.agency_pk)
        .where(Clock.state.in_(OPEN_STATES), Case.status != "closed")
        .order_by(Case.case_id, Clock.kind)
    ).all()
    grouped: dict[tuple[str, str], list[DigestLine]] = defaultdict(list)
    for clock, case_id, region, proc_key, rec_number, agency in rows:
        due = clock.breach_after or clock.deadline_all_weekends or clock.deadline_official
        if due is None or (due > horizon and clock.state not in ("breached", "escalated")):
            continue
        grouped[(region, (proc_key or "unassigned")[:16])].append(
            DigestLine(case_id, rec_number, agency, clock.kind, due, (due - as_of).days, clock.state, clock.level)
        )
    return grouped


def _body(as_of: dt.date, lines: list[DigestLine]) -> tuple[str, str]:
    overdue = [ln for ln in lines if ln.days_left < 0]
    due = [ln for ln in lines if ln.days_left >= 0]
    subject = f"【每日提醒】{as_of.isoformat()} 即将到期 {len(due)} 件，已超期 {len(overdue)} 件"
    parts = [subject, ""]
    if overdue:
        parts += ["已超期 / overdue:", *(ln.text() for ln in sorted(overdue, key=lambda x: x.days_left))]
    if due:
        parts += ["即将到期 / due soon:", *(ln.text() for ln in sorted(due, key=lambda x: x.days_left))]
    parts += [
        "",
        "期限按民法典第200-204条、民事诉讼法第85条及法释〔2018〕6号第21条计算；在途时间不计入，调休两种口径取较晚者。",
    ]
    return subject, "\n".join(parts)


def _enqueue(
    factory: sessionmaker[Session], dedupe_key: str, recipient: str, subject: str, body: str, payload: dict[str, Any]
) -> bool:
    try:
        with factory() as session, session.begin():
            session.add(
                OutboxMessage(
                    dedupe_key=dedupe_key,
                    channel="inbox",
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    payload=payload,
                )
            )
    except IntegrityError:
        return False
    return True


def enqueue_digests(
    *,
    as_of: dt.date,
    actor: str = "digest",
    factory: sessionmaker[Session] | None = None,
    department_heads: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Queue today's digests; returns counts. Idempotent per day."""
    from hub.store import open_store

    factory = factory or open_store()
    if department_heads is None:
        department_heads = _department_heads()
    with factory() as session:
        grouped = digest_lines(session, as_of)
    queued = skipped = 0
    by_region: dict[str, list[DigestLine]] = defaultdict(list)
    for (region, key), lines in sorted(grouped.items()):
        by_region[region].extend(lines)
        subject, body = _body(as_of, lines)
        payload = {"kind": "digest", "as_of": as_of.isoformat(), "clocks": len(lines), "actor": actor}
        if _enqueue(factory, f"digest:{key}:{as_of.isoformat()}", f"procurator:{key}", subject, body, payload):
            queued += 1
        else:
            skipped += 1
    heads = 0
    for region, lines in sorted(by_region.items()):
        head = next(
            (
                addr
                for prefix, addr in sorted(department_heads.items(), key=lambda kv: -len(kv[0]))
                if region.startswith(prefix)
            ),
            None,
        )
        if head is None:
            continue
        head = head.replace("{region_code}", region)
        subject, body = _body(as_of, lines)
        if _enqueue(
            factory,
            f"digest-head:{region}:{as_of.isoformat()}",
            head,
            f"{subject}（{region} 全区）",
            body,
            {"kind": "digest", "as_of": as_of.isoformat(), "region": region, "clocks": len(lines)},
        ):
            heads += 1
    return {
        "as_of": as_of.isoformat(),
        "procurators": queued,
        "already_sent": skipped,
        "department_heads": heads,
        "clocks_listed": sum(len(v) for v in grouped.values()),
    }


def _department_heads() -> dict[str, str]:
    """Region prefix → department head inbox address template, from the escalation policy's procuratorates."""
    from sla.policy import load_policy

    heads: dict[str, str] = {}
    for proc in load_policy().procuratorates:
        for contact in getattr(proc, "department_head", ()):
            if getattr(contact, "channel", "inbox") == "inbox":
                heads[proc.region_prefix] = contact.address
                break
    return heads
