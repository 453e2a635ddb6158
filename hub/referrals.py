"""Referrals to the supervisory commission (监察委员会): proposed by the sweep, decided by a procurator.

Why not automatic: only clues of officials' misconduct go to the supervisory commission (纪检监察, 临沧市人大常委会决定
§三(二)(三), 北京市关于加强检察公益诉讼工作的意见 §六), and whether a late reply is such a clue is a procurator's judgment. So the escalation
ladder never addresses the commission (``sla.policy`` refuses it); its last level *proposes* the referral to the
case procurator (role ``supervisory_proposal``). The procurator confirms or rejects the proposal here —
``pilhub review referral confirm|reject`` or the API (``/api/v1/referrals``) the dashboard uses. Only a
confirmation creates the notice to the commission, once: one decision per proposal (``referral_decisions``
unique on the proposal) and one referral per clock and level (the ``escalations`` unique key), in the same
transaction as the decision. A later correction that removes the basis revokes it like any notice (a correction
notice follows one already sent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.store.models import Agency, Case, Clock, Escalation, OutboxMessage, Recommendation, ReferralDecision
from sla.escalation import REFERRAL_LEVEL_NAME, Directory
from sla.policy import EscalationPolicy

__all__ = ["PROPOSAL_PREFIX", "Proposal", "ReferralError", "decide_referral", "list_proposals"]

PROPOSAL_PREFIX = "supervisory_proposal:"


class ReferralError(ValueError):
    """A decision that cannot be taken (no such proposal, already decided, no reason for a rejection)."""


@dataclass(frozen=True)
class Proposal:
    id: int
    case_id: str
    clock_key: str
    rec_number: str | None
    agency: str | None
    level: int
    proposed_on: dt.date
    decision: str | None  # None: awaiting a decision; confirmed | rejected
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items()}


def list_proposals(session: Session, *, include_decided: bool = False, case_id: str | None = None) -> list[Proposal]:
    """Proposals to refer to the supervisory commission, those awaiting a decision first."""
    query = (
        select(Escalation, Clock.clock_key, Case.case_id, Recommendation.rec_number, Agency.name, ReferralDecision)
        .join(Clock, Clock.id == Escalation.clock_pk)
        .join(Case, Case.id == Clock.case_pk)
        .outerjoin(Recommendation, Recommendation.id == Clock.recommendation_pk)
        .outerjoin(Agency, Agency.id == Recommendation.agency_pk)
        .outerjoin(ReferralDecision, ReferralDecision.proposal_pk == Escalation.id)
        .where(Escalation.recipient.like(f"{PROPOSAL_PREFIX}%"))
        .order_by(Escalation.due_on, Escalation.id)
    )
    if case_id is not None:
        query = query.where(Case.case_id == case_id)
    out = []
    for esc, clock_key, cid, rec_number, agency, decision in session.execute(query):
        if decision is not None and not include_decided:
            continue
        out.append(
            Proposal(
                esc.id,
                cid,
                clock_key,
                rec_number,
                agency,
                esc.level,
                esc.due_on,
                decision.decision if decision else None,
                decision.decided_by if decision else None,
                decision.decided_at if decision else None,
                decision.reason if decision else None,
            )
        )
    out.sort(key=lambda p: (p.decision is not None, p.proposed_on, p.id))
    return out


def decide_referral(
    session: Session,
    proposal_id: int,
    *,
    confirm: bool,
    actor: str,
    policy: EscalationPolicy,
    reason: str | None = None,
    as_of: dt.date | None = None,
) -> ReferralDecision:
    """Record a procurator's decision; on confirmation enqueue the notice to the supervisory commission."""
    proposal = session.get(Escalation, proposal_id)
    if proposal is None or not proposal.recipient.startswith(PROPOSAL_PREFIX):
        raise ReferralError(f"无此移送建议 / no referral proposal {proposal_id}")
    existing = session.execute(
        select(ReferralDecision).where(ReferralDecision.proposal_pk == proposal_id)
    ).scalar_one_or_none()
    if existing is not None:
        raise ReferralError(
            f"移送建议 {proposal_id} 已于 {existing.decided_at:%Y-%m-%d} {existing.decision}，不能重复决定 / "
            f"already {existing.decision}"
        )
    if not confirm and not (reason and reason.strip()):
        raise ReferralError("不予移送须说明理由 / a rejection needs a reason (--reason)")
    clock = session.get(Clock, proposal.clock_pk)
    assert clock is not None
    case = session.get(Case, clock.case_pk)
    assert case is not None
    rec = session.get(Recommendation, clock.recommendation_pk) if clock.recommendation_pk else None
    now = dt.datetime.now(dt.UTC)
    day = as_of or now.date()
    decision = ReferralDecision(
        proposal_pk=proposal.id,
        decision="confirmed" if confirm else "rejected",
        reason=(reason or "").strip()[:500] or None,
        decided_by=actor,
        decided_at=now,
    )
    session.add(decision)
    session.flush()  # the unique proposal key refuses a concurrent second decision here
    messages = 0
    if confirm:
        directory = Directory.build(session, policy, [case.region_code])
        recipient, route = directory.route(
            "supervisory_commission",
            agency_pk=rec.agency_pk if rec else None,
            case_id=case.case_id,
            region_code=case.region_code,
        )
        referral = Escalation(
            clock_pk=clock.id,
            level=proposal.level,
            level_name=REFERRAL_LEVEL_NAME,
            recipient=recipient,
            due_on=day,
            enqueued_at=now,
        )
        session.add(referral)
        session.flush()
        for entry in directory.addresses(route):
            session.add(
                OutboxMessage(
                    dedupe_key=f"esc:{referral.id}:{entry.channel}:{entry.addr_key}",
                    escalation_pk=referral.id,
                    channel=entry.channel,
                    recipient=entry.address.replace("{case_id}", case.case_id),
                    subject="线索移送",
                    body="",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    payload={
                        "template": "supervisory_referral",
                        "role": "supervisory_commission",
                        "as_of": day.isoformat(),
                        "proposal": proposal.id,
                    },
                )
            )
            messages += 1
        decision.referral_pk = referral.id
    audit.append(
        session,
        actor=actor,
        action=f"referral.{decision.decision}",
        object_type="clock",
        object_id=clock.clock_key,
        after={"proposal": proposal.id, "decision": decision.decision},
        detail={
            "proposal": proposal.id,
            "case_id": case.case_id,
            "decision": decision.decision,
            "reason": decision.reason,
            "messages": messages,
        },
    )
    session.flush()
    return decision
