"""Clues both ways: agencies' clue transfers answered through the outbox, misconduct clues referred to the
supervisory commission — each with a clock.

**Inbound** (行政机关移送线索; 北京市关于加强检察公益诉讼工作的意见 §五(二); 临沧市人大常委会决定 §三(二)): an ``agency.clue_transfer`` record (a
connector stream or ``pilhub records load``) becomes a clue (model ``agency-transfer``) and a transfer
row with a clock: the answer is due within the configured period (``PILHUB_CLUE_ANSWER_PERIOD``, default
``1m`` — no national text fixes it, so it is a setting, counted like a statutory period: the day of
receipt not counted, a last day on a rest day moved, both readings of make-up days kept; ``sla.periods``).
Receipt is the day the record reached the hub (an electronic document is received when it reaches the
recipient's system, 民事诉讼法 Art. 90). The answer — 受理 (accepted for examination), 立案 (a case is
opened) or 不立案 (not opened, with the reasons) — goes back to the agency through the outbox, once per
result (unique message key); 立案 or 不立案 stops the clock. An answer overdue sends one reminder to the
procuratorate.

**Outbound** (公职人员涉嫌违纪违法; 临沧市人大常委会决定 §三(二); 北京市意见 §六): a procurator proposes referring a clue
to the supervisory commission; nothing is sent until a procurator confirms. The confirmation writes the
notice to the outbox — delivered as a hub-signed notice (``hub.notify.signed``) — and starts the clock
on the commission's feedback (``PILHUB_MISCONDUCT_FEEDBACK_PERIOD``, default ``3m``). Exactly once is the
database's job: one referral per clue and one message per referral (unique keys), so a repeated or
concurrent confirmation cannot send a second notice.

Texts are institutional: the transfer number, the clue key, the domain — never a person's name (the
transfer's summary and facts may name persons, so they stay encrypted in the record).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.clues.decisions import ClueError, find_clue
from hub.store.models import Agency, AgencyRecord, Clue, ClueTransfer, MisconductReferral, OutboxMessage, RawLanding
from sla.periods import Period, compute_both

__all__ = [
    "ANSWER_RESULTS",
    "TRANSFER_MODEL",
    "ClockReport",
    "answer_period",
    "answer_transfer",
    "check_clocks",
    "confirm_referral",
    "feedback_period",
    "propose_referral",
    "record_feedback",
    "sync_transfers",
]

TRANSFER_KIND = "agency.clue_transfer"
TRANSFER_MODEL = "agency-transfer"
CHINA = ZoneInfo("Asia/Shanghai")
#: result → (Chinese, English); 立案 / 不立案 are final and stop the clock.
ANSWER_RESULTS = {
    "accepted": ("受理", "accepted for examination"),
    "filed": ("立案", "a case was opened"),
    "not_filed": ("不立案", "no case was opened"),
}
_FINAL = ("filed", "not_filed")
#: Who is reminded of an overdue answer or feedback (the in-hub inbox of the procuratorate's PIL office).
PROCURATORATE_INBOX = os.environ.get("PILHUB_CLUE_OFFICE", "procuratorate-pil-office")


def answer_period() -> Period:
    return Period.parse(os.environ.get("PILHUB_CLUE_ANSWER_PERIOD", "1m"))


def feedback_period() -> Period:
    return Period.parse(os.environ.get("PILHUB_MISCONDUCT_FEEDBACK_PERIOD", "3m"))


def _channel(session: Session, agency_code: str) -> tuple[str, str]:
    """The agency's first institutional contact, else its in-hub inbox."""
    agency = session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    for contact in (agency.contacts if agency else None) or []:
        if contact.get("channel") in ("email", "webhook", "inbox") and contact.get("address"):
            return contact["channel"], contact["address"]
    return "inbox", agency_code


def _message(
    session: Session, key: str, channel: str, recipient: str, subject: str, body: str, facts: dict[str, Any]
) -> OutboxMessage:
    message = OutboxMessage(
        dedupe_key=key,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        payload={"kind": "clue", "document_type": facts.pop("document_type"), "facts": facts},
    )
    session.add(message)
    session.flush()  # the unique dedupe key refuses a second message here
    return message


# --- inbound ----------------------------------------------------------------------------------------------


def sync_transfers(session: Session, *, actor: str = "pilhub.clues") -> int:
    """Register every current ``agency.clue_transfer`` record not yet registered (a clue and a clock each)."""
    period = answer_period()
    rows = session.execute(
        select(
            AgencyRecord.id,
            AgencyRecord.agency_code,
            AgencyRecord.source_id,
            AgencyRecord.version,
            AgencyRecord.payload,
            AgencyRecord.content_hash,
            AgencyRecord.landing_id,
            RawLanding.content_hash,
            AgencyRecord.fetched_at,
        )
        .outerjoin(RawLanding, RawLanding.id == AgencyRecord.landing_id)
        .outerjoin(
            ClueTransfer,
            (ClueTransfer.agency_code == AgencyRecord.agency_code) & (ClueTransfer.source_id == AgencyRecord.source_id),
        )
        .where(AgencyRecord.kind == TRANSFER_KIND, AgencyRecord.is_current.is_(True), ClueTransfer.id.is_(None))
        .order_by(AgencyRecord.id)
    ).all()
    now = dt.datetime.now(dt.UTC)
    for rid, agency, source_id, version, payload, chash, landing, lhash, fetched in rows:
        fetched = fetched if fetched.tzinfo else fetched.replace(tzinfo=dt.UTC)
        received = fetched.astimezone(CHINA).date()
        number = payload["transfer_number"]
        evidence = [
            {
                "role": "anchor",
                "agency_code": agency,
                "kind": TRANSFER_KIND,
                "source_record_id": source_id,
                "version": version,
                "record_id": rid,
                "content_hash": chash,
                "landing_id": landing,
                "landing_hash": lhash,
            }
        ]
        from hub.audit import digest

        clue = Clue(
            key=f"{TRANSFER_MODEL}:{agency}:{number}",
            model=TRANSFER_MODEL,
            subject=number,
            status="new",
            holds=True,
            evidence=evidence,
            hit_count=1,
            title="行政机关移送线索",
            text=f"{agency} 移送线索 {number}（{payload.get('domain')}）/ clue {number} transferred by {agency}",
            domain=payload.get("domain") or "other",
            region_code=payload.get("region_code"),
            first_seen=received,
            last_seen=received,
            evidence_digest=digest(evidence),
            created_at=now,
            updated_at=now,
        )
        session.add(clue)
        session.flush()
        both = compute_both(received, period)
        session.add(
            ClueTransfer(
                record_pk=rid,
                agency_code=agency,
                source_id=source_id,
                clue_pk=clue.id,
                received_on=received,
                period=str(period),
                answer_due=both.official.date,
                answer_due_all_weekends=both.all_weekends.date,
                calendar_missing=both.calendar_missing,
                state="awaiting",
            )
        )
        audit.append(
            session,
            actor=actor,
            action="clue.transfer_received",
            object_type="clue",
            object_id=clue.key,
            detail={
                "agency": agency,
                "transfer_number": number,
                "received_on": received.isoformat(),
                "answer_due": both.official.date.isoformat(),
                "period": str(period),
            },
        )
    session.flush()
    return len(rows)


def _transfer(session: Session, ref: str) -> ClueTransfer:
    """A transfer by its id, its clue's key or id, or its transfer number."""
    transfer = None
    if ref.isdigit():
        transfer = session.get(ClueTransfer, int(ref))
    if transfer is None:
        clue = (
            session.execute(
                select(Clue).where((Clue.key == ref) | ((Clue.subject == ref) & (Clue.model == TRANSFER_MODEL)))
            )
            .scalars()
            .first()
        )
        if clue is not None:
            transfer = session.execute(select(ClueTransfer).where(ClueTransfer.clue_pk == clue.id)).scalar_one_or_none()
    if transfer is None:
        raise ClueError(f"没有移送线索 {ref} / no transferred clue {ref}")
    return transfer


def answer_transfer(
    session: Session,
    ref: str,
    *,
    result: str,
    reason: str | None,
    on: dt.date,
    actor: str,
    case_id: str | None = None,
) -> OutboxMessage:
    """Answer an agency's transfer: one outbox message per result; 立案 / 不立案 stop the clock."""
    if result not in ANSWER_RESULTS:
        raise ClueError(f"未知办理结果 {result} / unknown result; one of {', '.join(ANSWER_RESULTS)}")
    if result == "not_filed" and not (reason or "").strip():
        raise ClueError("不立案须说明理由 / not_filed needs the reasons")
    if result == "filed" and not case_id:
        raise ClueError("立案须给出案件编号 --case-id / filed needs the case id")
    transfer = _transfer(session, ref)
    clue = session.get(Clue, transfer.clue_pk)
    assert clue is not None
    if transfer.result in _FINAL:
        raise ClueError(f"移送线索 {clue.subject} 已答复（{transfer.result}）/ already answered ({transfer.result})")
    zh, en = ANSWER_RESULTS[result]
    channel, recipient = _channel(session, transfer.agency_code)
    subject = f"线索办理结果：{clue.subject} {zh} / clue {clue.subject}: {en}"
    lines = [
        f"贵单位移送的线索 {clue.subject}（{transfer.received_on} 收到）办理结果：{zh}。",
        f"Clue {clue.subject} (received {transfer.received_on}): {en}.",
    ]
    if case_id:
        lines.append(f"案件编号 case id: {case_id}")
    if reason:
        lines.append(f"理由 reasons: {reason.strip()}")
    facts = {
        "document_type": "pilhub.clue_answer",
        "transfer_number": clue.subject,
        "agency": transfer.agency_code,
        "received_on": transfer.received_on.isoformat(),
        "answer_due": transfer.answer_due.isoformat(),
        "result": result,
        "result_zh": zh,
        "reasons": (reason or "").strip() or None,
        "case_id": case_id,
        "answered_on": on.isoformat(),
    }
    message = _message(
        session,
        f"clue-answer:{transfer.agency_code}:{clue.subject}:{result}",
        channel,
        recipient,
        subject,
        "\n".join(lines),
        facts,
    )
    transfer.result, transfer.result_reason = result, (reason or "").strip() or None
    if result in _FINAL:
        late = on > max(transfer.answer_due, transfer.answer_due_all_weekends)
        transfer.state = "answered_late" if late else "answered"
        transfer.answered_on = on
        transfer.answer_key = message.dedupe_key
        transfer.case_id = case_id
    clue_status = {"accepted": "under_review", "filed": "accepted", "not_filed": "rejected"}[result]
    if clue.status != clue_status:
        clue.status = clue_status
        clue.decided_by, clue.decided_at = actor, dt.datetime.now(dt.UTC)
    if result == "not_filed":
        clue.reason = reason
    if result == "filed":
        clue.draft_case_id = case_id
    audit.append(
        session,
        actor=actor,
        action=f"clue.transfer_{result}",
        object_type="clue",
        object_id=clue.key,
        after={"result": result, "reason": reason, "case_id": case_id},
        detail={"message": message.dedupe_key, "answered_on": on.isoformat(), "state": transfer.state},
    )
    return message


# --- outbound ---------------------------------------------------------------------------------------------


def propose_referral(session: Session, ref: str, *, commission: str, facts: str, actor: str) -> MisconductReferral:
    """Propose referring a clue to the supervisory commission (nothing is sent before confirmation)."""
    clue = find_clue(session, ref)
    agency = session.execute(select(Agency).where(Agency.code == commission)).scalar_one_or_none()
    if agency is None or agency.kind != "supervisory_commission":
        raise ClueError(f"{commission} 不是名录中的监察委员会 / {commission} is not a supervisory commission")
    if not facts.strip():
        raise ClueError("须写明涉嫌违纪违法的事实 / the referral needs the facts")
    existing = session.execute(
        select(MisconductReferral).where(MisconductReferral.clue_pk == clue.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise ClueError(f"线索 {clue.key} 已有移送记录（{existing.state}）/ already referred ({existing.state})")
    referral = MisconductReferral(
        clue_pk=clue.id,
        commission_code=commission,
        facts=facts.strip(),
        proposed_by=actor,
        proposed_at=dt.datetime.now(dt.UTC),
        period=str(feedback_period()),
        state="awaiting_confirmation",
    )
    session.add(referral)
    session.flush()  # one referral per clue (unique)
    audit.append(
        session,
        actor=actor,
        action="clue.misconduct_proposed",
        object_type="clue",
        object_id=clue.key,
        detail={"referral": referral.id, "commission": commission},
    )
    return referral


def confirm_referral(session: Session, referral_id: int, *, procurator: str, on: dt.date) -> OutboxMessage:
    """A procurator's confirmation: the signed notice goes to the outbox once, and the feedback clock starts."""
    referral = session.get(MisconductReferral, referral_id, with_for_update=True)
    if referral is None:
        raise ClueError(f"没有移送记录 {referral_id} / no referral {referral_id}")
    if referral.state != "awaiting_confirmation":
        raise ClueError(f"移送 {referral_id} 已确认（{referral.state}）/ referral already confirmed ({referral.state})")
    if not procurator.strip():
        raise ClueError("须由检察官确认 / a procurator must confirm")
    clue = session.get(Clue, referral.clue_pk)
    assert clue is not None
    period = Period.parse(referral.period)
    both = compute_both(on, period)
    channel, recipient = _channel(session, referral.commission_code)
    facts = {
        "document_type": "pilhub.misconduct_referral",
        "clue": clue.key,
        "model": clue.model,
        "commission": referral.commission_code,
        "confirmed_on": on.isoformat(),
        "feedback_due": both.official.date.isoformat(),
        "feedback_period": referral.period,
        "evidence": [
            {k: e.get(k) for k in ("agency_code", "kind", "source_record_id", "version", "content_hash")}
            for e in clue.evidence or []
            if e.get("kind")
        ],
    }
    body = (
        f"经检察官确认，现将涉嫌公职人员违纪违法线索 {clue.key} 移送贵委处理，请于 {both.official.date} 前反馈办理情况。\n"
        f"事实：{referral.facts}\n"
        f"Confirmed by a procurator: clue {clue.key} on suspected misconduct of public officials is referred to "
        f"the commission; please report its handling by {both.official.date}."
    )
    message = _message(
        session,
        f"misconduct:{clue.key}",
        channel,
        recipient,
        f"涉嫌违纪违法问题线索移送：{clue.key} / misconduct clue referral",
        body,
        facts,
    )
    referral.confirmed_by, referral.confirmed_on = procurator.strip(), on
    referral.message_key, referral.feedback_due, referral.state = message.dedupe_key, both.official.date, "sent"
    audit.append(
        session,
        actor=procurator.strip(),
        action="clue.misconduct_confirmed",
        object_type="clue",
        object_id=clue.key,
        detail={"referral": referral.id, "message": message.dedupe_key, "feedback_due": both.official.date.isoformat()},
    )
    return message


def record_feedback(
    session: Session, referral_id: int, *, on: dt.date, feedback: str, actor: str
) -> MisconductReferral:
    """The commission's feedback stops the clock."""
    referral = session.get(MisconductReferral, referral_id)
    if referral is None or referral.state not in ("sent", "overdue"):
        raise ClueError(f"移送 {referral_id} 不在待反馈状态 / referral {referral_id} is not awaiting feedback")
    referral.feedback_on, referral.feedback, referral.state = on, feedback.strip(), "answered"
    audit.append(
        session,
        actor=actor,
        action="clue.misconduct_feedback",
        object_type="misconduct_referral",
        object_id=str(referral.id),
        detail={"on": on.isoformat()},
    )
    return referral


# --- clocks ---------------------------------------------------------------------------------------------


@dataclass
class ClockReport:
    transfers_registered: int = 0
    transfers_overdue: int = 0
    referrals_overdue: int = 0
    reminders: int = 0


def check_clocks(session: Session, as_of: dt.date, *, actor: str = "pilhub.clues") -> ClockReport:
    """Register new transfers; mark answers and feedback overdue after the later reading; remind once."""
    report = ClockReport(transfers_registered=sync_transfers(session, actor=actor))
    overdue = session.execute(
        select(ClueTransfer, Clue.subject)
        .join(Clue, Clue.id == ClueTransfer.clue_pk)
        .where(ClueTransfer.state == "awaiting")
    ).all()
    for transfer, number in overdue:
        if as_of <= max(transfer.answer_due, transfer.answer_due_all_weekends):
            continue
        transfer.state = "overdue"
        report.transfers_overdue += 1
        key = f"clue-answer-overdue:{transfer.agency_code}:{number}"
        _message(
            session,
            key,
            "inbox",
            PROCURATORATE_INBOX,
            f"移送线索答复逾期：{number} / clue answer overdue",
            f"{transfer.agency_code} 移送的线索 {number} 应于 {transfer.answer_due} 前答复，至 {as_of} 仍未答复。\n"
            f"The answer to clue {number} from {transfer.agency_code} was due on {transfer.answer_due}.",
            {
                "document_type": "pilhub.clue_answer_overdue",
                "transfer_number": number,
                "agency": transfer.agency_code,
                "answer_due": transfer.answer_due.isoformat(),
                "as_of": as_of.isoformat(),
            },
        )
        transfer.reminder_key = key
        report.reminders += 1
    for referral in session.execute(select(MisconductReferral).where(MisconductReferral.state == "sent")).scalars():
        if referral.feedback_due is None or as_of <= referral.feedback_due:
            continue
        referral.state = "overdue"
        report.referrals_overdue += 1
        clue = session.get(Clue, referral.clue_pk)
        _message(
            session,
            f"misconduct-feedback-overdue:{referral.id}",
            "inbox",
            PROCURATORATE_INBOX,
            f"监察委员会反馈逾期：{clue.key if clue else referral.id} / commission feedback overdue",
            f"移送 {referral.commission_code} 的线索反馈应于 {referral.feedback_due} 前收到，至 {as_of} 未收到。\n"
            f"Feedback from {referral.commission_code} was due on {referral.feedback_due}.",
            {
                "document_type": "pilhub.misconduct_feedback_overdue",
                "referral": referral.id,
                "commission": referral.commission_code,
                "feedback_due": referral.feedback_due.isoformat(),
                "as_of": as_of.isoformat(),
            },
        )
        report.reminders += 1
    if report.transfers_overdue or report.referrals_overdue:
        audit.append(
            session,
            actor=actor,
            action="clue.clocks",
            object_type="clue_clocks",
            object_id=as_of.isoformat(),
            detail=report.__dict__,
        )
    return report
