"""Message texts: Chinese Jinja2 templates rendered at send time from the escalation and its clock.

Rendering at send time (not in the sweep's SQL) keeps the sweep set-based and lets the text show the clock
as it stands. The context holds the case, recommendation number, agency, both deadlines where they differ,
days left or overdue on the escalation's as-of date, and what is asked.

Personal data: the case procurator's name (stored encrypted, ``Case.procurator_enc``) is decrypted only for
an e-mail addressed to that procurator (``include_personal``); every stored text — the outbox body, the in-hub
inbox, the notify file, group-robot webhooks — uses the neutral “承办检察官”.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.personal_data import decrypt
from hub.registry.format import DOMAIN_LABELS, PROCEDURE_LABELS
from hub.store.models import Agency, Case, Clock, Escalation, OutboxMessage, Recommendation

TEMPLATES_DIR = Path(__file__).with_name("templates")
PROCURATOR_ROLES = ("case_procurator", "lawsuit_proposal", "supervisory_proposal")

_DUTY = {
    "reply": "书面回复检察建议",
    "lawsuit": "决定是否提起行政公益诉讼",
    "rectification": "完成承诺的整改",
    "follow_up": "开展整改“回头看”",
    "announcement": "公告期满后依法决定是否提起民事公益诉讼",
}
_ROLE_NAMES = {
    "case_procurator": "承办检察官",
    "lawsuit_proposal": "承办检察官",
    "department_head": "公益诉讼检察部门负责人",
    "superior_authority": "上级主管机关",
    "government_rule_of_law_office": "同级政府法治机构",
    "people_congress": "同级人大常委会",
    "supervisory_commission": "同级监察委员会",
    "supervisory_proposal": "承办检察官",
    "agency_contact": "被建议机关",
    "copied_to": "抄送机关",
}


def _applied(clock: Clock) -> list[dict[str, Any]]:
    return list((clock.explanation or {}).get("rules_applied") or [])


def _citation(clock: Clock) -> str:
    """The provision a clock's period comes from, exactly as applied when the clock was derived.

    Read from the clock's explanation (``rules_applied``, selected by the case's region and the receipt date),
    never re-guessed here: a notice cites the rule that was applied, and only that one.
    """
    applied = [r for r in _applied(clock) if r.get("kind") != "urgent_reply_evidence"]
    if applied:
        return "、".join(r["citation"] for r in applied)
    return str((clock.explanation or {}).get("citation") or "")


def _evidence_citation(clock: Clock) -> str:
    """The local rule requiring evidence with an urgent reply, if it was applied to this clock (else empty)."""
    return "、".join(r["citation"] for r in _applied(clock) if r.get("kind") == "urgent_reply_evidence")


def cn_date(value: dt.date | str | None) -> str:
    """``2026年11月30日`` — the form of dates in official documents."""
    if value is None:
        return "（未知）"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    undefined=StrictUndefined,
    autoescape=False,  # plain text and robot markdown, never HTML
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["cn_date"] = cn_date


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def template_names() -> set[str]:
    return {p.stem for p in TEMPLATES_DIR.glob("*.j2") if not p.stem.startswith("_")}


def render(template: str, context: dict[str, Any]) -> Rendered:
    """Render ``templates/<template>.j2``; it sets ``subject`` with ``{% set %}`` and its output is the body."""
    module = _env.get_template(f"{template}.j2").make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in str(module).strip().splitlines())) + "\n"
    return Rendered(subject=subject[:500], body=body)


def _lawsuit_note(explanation: dict[str, Any]) -> str:
    follows = str(explanation.get("follows") or "")
    if follows.startswith("reply:"):
        return "逾期未书面回复检察建议 / no reply by the deadline"
    if follows.startswith("follow_up:"):
        return "跟进调查期满仍未完全整改 / rectification incomplete when the follow-up ran out"
    return ""


def _correction_context(payload: dict[str, Any]) -> dict[str, Any]:
    """What a correction notice (更正通知) says: the notice it withdraws and what changed in the records."""
    if payload.get("template") != "correction":
        return {}
    sent = payload.get("corrected_sent_on")
    return {
        "corrected_subject": payload.get("corrected_subject", ""),
        "corrected_sent_on": dt.date.fromisoformat(sent) if sent else None,
        "changes": list(payload.get("changes") or []),
        "corrected_state_line": payload.get("corrected_state_line", ""),
    }


def message_context(session: Session, message: OutboxMessage, *, include_personal: bool = False) -> dict[str, Any]:
    """Everything a template may use, loaded from the message's escalation, clock, case and agency."""
    payload = dict(message.payload or {})
    escalation = session.get(Escalation, message.escalation_pk) if message.escalation_pk else None
    clock = session.get(Clock, payload.get("clock_pk") or (escalation.clock_pk if escalation else None))
    if clock is None:
        raise LookupError(f"outbox message {message.id}: its clock no longer exists")
    case = session.get(Case, clock.case_pk)
    assert case is not None
    rec = session.get(Recommendation, clock.recommendation_pk) if clock.recommendation_pk else None
    agency = session.get(Agency, rec.agency_pk) if rec is not None else None
    as_of = dt.date.fromisoformat(str(payload.get("as_of") or dt.date.today().isoformat()))
    role = str(payload.get("role") or "")
    recipient = escalation.recipient if escalation is not None else message.recipient
    recipient = recipient.removeprefix("copied:")  # a copy for a body the recommendation was copied to
    unresolved_role = None
    if recipient.startswith("agency:"):
        code = recipient.split(":", 1)[1]
        target = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
        recipient_name = target.name if target is not None else recipient
    elif recipient.startswith("unresolved:"):
        unresolved_role = recipient.split(":")[1]
        recipient_name = "平台运维人员"
        if unresolved_role == "copied_to":
            unresolved_role = f"抄送机关“{payload.get('copied_name', recipient.split(':', 2)[-1])}”"
    else:
        recipient_name = _ROLE_NAMES.get(role, "承办检察官")
    if include_personal and role in PROCURATOR_ROLES and case.procurator_enc:
        recipient_name = f"{decrypt(case.procurator_enc, 'cases.procurator')}检察官"
    explanation = clock.explanation or {}
    breach_after = clock.breach_after
    days_overdue = (as_of - breach_after).days if breach_after and as_of > breach_after else 0
    days_left = (clock.deadline_official - as_of).days if clock.deadline_official else None
    return {
        "as_of": as_of,
        "case_id": case.case_id,
        "case_title": case.title,
        "district": case.district,
        "procuratorate": f"{case.district}人民检察院",
        "domain_label": DOMAIN_LABELS.get(case.domain, case.domain),
        "procedure_label": PROCEDURE_LABELS.get(case.procedure, case.procedure),
        "rec_number": rec.rec_number if rec is not None else None,
        "issued_on": rec.issued_on if rec is not None else None,
        "received_on": rec.received_on if rec is not None else None,
        "urgent": bool(rec.urgent) if rec is not None else False,
        "agency_name": agency.name if agency is not None else None,
        "kind": clock.kind,
        "duty": _DUTY.get(clock.kind, ""),
        "period": clock.period,
        "start_on": clock.start_on,
        "deadline_official": clock.deadline_official,
        "deadline_all_weekends": clock.deadline_all_weekends,
        "differs": clock.deadline_official != clock.deadline_all_weekends,
        "breach_after": breach_after,
        "days_overdue": days_overdue,
        "days_left": days_left,
        "incomplete": bool(clock.incomplete),
        "rule": _citation(clock),
        "evidence_rule": _evidence_citation(clock),
        "explanation_rule": explanation.get("rule", ""),
        "round": explanation.get("round"),
        "rule_note": _lawsuit_note(explanation),
        "escalation_id": escalation.id if escalation is not None else None,
        **_correction_context(payload),
        "level": escalation.level if escalation is not None else payload.get("level"),
        "level_name": escalation.level_name if escalation is not None else payload.get("level_name"),
        "label": message.subject,
        "role": role,
        "recipient_name": recipient_name,
        "unresolved_role": unresolved_role,
        "unresolved_role_name": _ROLE_NAMES.get(unresolved_role or "", unresolved_role),
        "dedupe_key": message.dedupe_key,
    }
