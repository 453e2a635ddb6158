"""A procurator's decisions on a clue: review, accept (a case-registry draft), reject (with the reason), close.

Accepting a clue writes a **draft case line** in the case registry's own JSON Lines format
(README, "The case registry"; validated with ``hub.registry.format.CaseLine``) for the
procuratorate's case system to open the case (立案) — the hub does not open cases itself. When
the case system's export later carries a case with the draft's ``case_id``, the clue counts as a
case opened from a clue (成案, ``hub.clues.figures``). Every decision is an audit entry.

The draft holds no personal data: parties are organisations named in the evidence (credit code
and name); a natural person's name stays encrypted in the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.clues.spec import load_models
from hub.store.models import AgencyRecord, Clue

__all__ = ["STATUSES", "ClueError", "accept", "close", "draft_line", "find_clue", "reject", "review"]

STATUSES = ("new", "under_review", "accepted", "rejected", "closed")
STATUS_LABELS = {
    "new": "新线索 new",
    "under_review": "审查中 under review",
    "accepted": "已采纳 accepted",
    "rejected": "不采纳 rejected",
    "closed": "已办结 closed",
}
#: From which statuses a decision may be taken.
_ALLOWED = {
    "under_review": ("new",),
    "accepted": ("new", "under_review"),
    "rejected": ("new", "under_review"),
    "closed": ("new", "under_review", "accepted", "rejected"),
}


class ClueError(ValueError):
    """A decision that cannot be taken (unknown clue, wrong status, missing input); bilingual."""


def find_clue(session: Session, ref: str) -> Clue:
    """A clue by its key or its numeric id."""
    clue = session.execute(select(Clue).where(Clue.key == ref)).scalar_one_or_none()
    if clue is None and ref.isdigit():
        clue = session.get(Clue, int(ref))
    if clue is None:
        raise ClueError(f"没有线索 {ref} / no clue {ref}")
    return clue


def _move(session: Session, clue: Clue, status: str, actor: str, reason: str | None, detail: dict[str, Any]) -> None:
    if clue.status not in _ALLOWED[status]:
        raise ClueError(
            f"线索 {clue.key} 当前为 {STATUS_LABELS[clue.status]}，不能改为 {STATUS_LABELS[status]} / "
            f"clue {clue.key} is {clue.status}; cannot become {status}"
        )
    before = {"status": clue.status, "reason": clue.reason}
    clue.status = status
    clue.decided_by = actor
    clue.decided_at = dt.datetime.now(dt.UTC)
    if reason is not None:
        clue.reason = reason
    clue.updated_at = clue.decided_at
    audit.append(
        session,
        actor=actor,
        action=f"clue.{status}",
        object_type="clue",
        object_id=clue.key,
        before=before,
        after={"status": status, "reason": clue.reason},
        detail={"model": clue.model, **detail},
    )


def review(session: Session, ref: str, *, actor: str) -> Clue:
    clue = find_clue(session, ref)
    _move(session, clue, "under_review", actor, None, {})
    return clue


def reject(session: Session, ref: str, *, reason: str, actor: str) -> Clue:
    """Reject a clue; the reason is kept on the clue and in the audit log (institutional text only)."""
    if not reason or not reason.strip():
        raise ClueError("不采纳须说明理由 / a rejection needs a reason")
    clue = find_clue(session, ref)
    _move(session, clue, "rejected", actor, reason.strip(), {"reason": reason.strip()})
    return clue


def close(session: Session, ref: str, *, reason: str, actor: str) -> Clue:
    clue = find_clue(session, ref)
    _move(session, clue, "closed", actor, reason.strip() or None, {"reason": reason})
    return clue


def _organisations(session: Session, clue: Clue) -> list[dict[str, Any]]:
    """Organisation parties named by the evidence records (credit code and name), once each."""
    from hub.ingest.loader import PERSONAL_COLUMN
    from hub.ingest.sealing import open_json

    ids = [e["record_id"] for e in clue.evidence or [] if e.get("record_id")]
    parties: dict[str, dict[str, Any]] = {}
    if not ids:
        return []
    rows = session.execute(
        select(AgencyRecord.payload, AgencyRecord.personal_enc)
        .where(AgencyRecord.id.in_(ids))
        .order_by(AgencyRecord.id)
    ).all()
    for payload, personal_enc in rows:
        code = payload.get("credit_code") or payload.get("seller_credit_code")
        if not code or payload.get("party_type", "organisation") != "organisation":
            continue
        personal = open_json(personal_enc, PERSONAL_COLUMN) if personal_enc else {}
        name = personal.get("party_name") or personal.get("holder") or personal.get("seller_name")
        if name and code.upper() not in parties:
            parties[code.upper()] = {
                "name": name,
                "kind": "company",
                "credit_code": code.upper(),
                "id_number": None,
                "address": None,
            }
    return list(parties.values())


def draft_line(session: Session, clue: Clue, *, case_id: str, opened_on: dt.date, region_code: str) -> dict[str, Any]:
    """The registry line of a case to be opened from ``clue`` (validated against the registry format)."""
    from hub.registry.format import CaseLine
    from schemas.identifiers.region import region_name

    try:
        district = region_name(region_code)
    except Exception:  # noqa: BLE001 - an unknown code is reported as a ClueError below
        raise ClueError(f"未知行政区划代码 {region_code} / unknown region code {region_code}") from None
    spec = load_models().get(clue.model)
    line = {
        "case_id": case_id,
        "title": f"{clue.title}：{clue.subject}",
        "domain": spec.domain if spec else clue.domain,
        "procedure": "admin_pre_litigation",
        "region_code": region_code,
        "district": district,
        "opened_on": opened_on.isoformat(),
        "status": "open",
        "procurator": None,
        "parties": _organisations(session, clue),
        "recommendations": [],
        "outcomes": {"land_restored_mu": 0, "waste_removed_t": 0, "money_recovered_yuan": 0},
        "source": {
            "clue": clue.key,
            "model": clue.model,
            "legal_basis": list(spec.legal_basis) if spec else [],
            "evidence": [
                {k: e.get(k) for k in ("agency_code", "kind", "source_record_id", "version")}
                for e in clue.evidence or []
                if e.get("kind")
            ],
        },
    }
    CaseLine.model_validate(line)  # the draft must import as it is
    return line


def accept(
    session: Session,
    ref: str,
    *,
    actor: str,
    opened_on: dt.date | None = None,
    region_code: str | None = None,
    case_id: str | None = None,
) -> tuple[Clue, dict[str, Any]]:
    """Accept a clue and return it with its case-registry draft line (also kept on the clue)."""
    clue = find_clue(session, ref)
    region = region_code or clue.region_code
    if not region:
        raise ClueError(f"线索 {clue.key} 无法确定行政区划，请用 --region 指定 / the clue has no region: give --region")
    opened = opened_on or dt.date.today()
    new_id = case_id or f"XS-{opened.year}-{clue.id:06d}"
    line = draft_line(session, clue, case_id=new_id, opened_on=opened, region_code=region)
    _move(session, clue, "accepted", actor, None, {"draft_case_id": new_id})
    clue.draft_case_id = new_id
    clue.case_draft = line
    return clue, line
