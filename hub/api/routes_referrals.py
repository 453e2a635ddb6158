"""Referral proposals to the supervisory commission, for the dashboard: list, confirm, reject (supervisor, admin).

The supervisory commission is never told automatically (``hub.referrals``): the sweep proposes, a procurator's
supervisor decides here or with ``pilhub review referral``. A decision is audited with the token's name; a
confirmation enqueues the notice to the commission once (unique keys in the store).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.deps import CASE_ROLES, get_session, require
from hub.api.errors import ApiError
from hub.api.routes_figures import ERRORS
from hub.api.tokens import Principal
from hub.referrals import ReferralError, decide_referral, list_proposals
from hub.store.models import Case, Clock, Escalation

router = APIRouter(prefix="/api/v1", tags=["referrals 移送监察委员会（须确认）"])

ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1, description="移送建议编号 / proposal id")]


def _in_region(session: Session, principal: Principal, proposal_id: int) -> None:
    region = session.execute(
        select(Case.region_code)
        .join(Clock, Clock.case_pk == Case.id)
        .join(Escalation, Escalation.clock_pk == Clock.id)
        .where(Escalation.id == proposal_id)
    ).scalar_one_or_none()
    if region is None:
        raise ApiError(404, "not_found", f"无此移送建议 {proposal_id}", f"no referral proposal {proposal_id}")
    if principal.region and not region.startswith(principal.region):
        raise ApiError(403, "forbidden_region", "该案件不在你的辖区", "the case is outside your jurisdiction")


@router.get("/referrals", summary="待决定的移送建议 / referral proposals awaiting a decision", responses=ERRORS)
def get_referrals(
    include_decided: bool = False,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    rows = list_proposals(session, include_decided=include_decided)
    if principal.region:
        regions = dict(
            session.execute(
                select(Case.case_id, Case.region_code).where(Case.case_id.in_([p.case_id for p in rows]))
            ).all()
        )
        rows = [p for p in rows if regions.get(p.case_id, "").startswith(principal.region)]
    return JSONResponse({"proposals": [p.as_dict() for p in rows]})


def _decide(
    request: Request, proposal_id: int, confirm: bool, reason: str | None, principal: Principal
) -> JSONResponse:
    from sla.policy import load_policy

    factory = request.app.state.writer_factory()  # the API's sessions are read-only; a decision writes
    try:
        with factory() as session, session.begin():
            _in_region(session, principal, proposal_id)
            decision = decide_referral(
                session,
                proposal_id,
                confirm=confirm,
                actor=f"api:{principal.name}",
                policy=load_policy(),
                reason=reason,
            )
            out = {"proposal": proposal_id, "decision": decision.decision, "referral": decision.referral_pk}
    except ReferralError as exc:
        raise ApiError(409, "referral_refused", str(exc), str(exc)) from None
    return JSONResponse(out)


@router.post(
    "/referrals/{proposal_id}/confirm",
    summary="确认移送（此时才通知监察委员会）/ confirm the referral",
    responses=ERRORS,
)
def confirm_referral(
    request: Request,
    proposal_id: ProposalId,
    reason: Annotated[str | None, Body(embed=True, max_length=500)] = None,
    principal: Principal = Depends(require(*CASE_ROLES)),
) -> JSONResponse:
    return _decide(request, proposal_id, True, reason, principal)


@router.post("/referrals/{proposal_id}/reject", summary="不予移送 / reject the referral", responses=ERRORS)
def reject_referral(
    request: Request,
    proposal_id: ProposalId,
    reason: Annotated[str, Body(embed=True, min_length=1, max_length=500)],
    principal: Principal = Depends(require(*CASE_ROLES)),
) -> JSONResponse:
    return _decide(request, proposal_id, False, reason, principal)
