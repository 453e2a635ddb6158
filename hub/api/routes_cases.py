"""Case-level routes (supervisor, admin): the clock lists, cases, and one case with its parties.

Personal data of natural persons is masked by default (张*, no ID number, phone or address). With
``reveal=true`` it is decrypted for the caller, and the access is recorded in the audit chain — who,
which case, which fields; never the values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hub import audit
from hub.api.deps import CASE_ROLES, audit_session, check_district, get_session, require
from hub.api.errors import not_found_case
from hub.api.params import NO_CONTROL, AsOf, ClockKind, District, Domain, Limit, ListState, ListView, Offset, Year
from hub.api.routes_figures import ERRORS
from hub.api.tokens import Principal
from hub.personal_data import decrypt, mask_name
from hub.registry.format import DOMAIN_LABELS, PROCEDURE_LABELS
from hub.reports.clocklists import ClockQuery, clock_list
from hub.reports.figures import DeadlineCache, RecFacts, ReplyFacts, case_conditions, classify
from hub.store.models import Case, Recommendation

router = APIRouter(prefix="/api/v1", tags=["cases 案件（督办）"])

CaseId = Annotated[str, Path(max_length=64, pattern=NO_CONTROL, description="案件编号 / case number")]


@router.get(
    "/clocks/{view}",
    summary="期限清单：即将到期、已超期、已升级 / clocks due soon, overdue or escalated",
    responses=ERRORS,
)
def get_clocks(
    request: Request,
    view: ListView,
    as_of: AsOf = None,
    district: District = None,
    domain: Domain = None,
    state: Annotated[ListState | None, Query(description="时钟状态 / clock state")] = None,
    kind: Annotated[ClockKind | None, Query(description="时钟类型 / clock kind")] = None,
    limit: Limit = 200,
    offset: Offset = 0,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """The supervisors' morning list, evaluated with the escalation rules of ``sla`` as of ``as_of`` (default today)."""
    check_district(session, principal, district)
    query = ClockQuery.build(
        view,
        as_of=as_of or request.app.state.today(),
        district=district,
        domain=domain,
        state=state,
        kind=kind,
        region_prefix=principal.region or None,
        limit=limit,
        offset=offset,
    )
    return JSONResponse(clock_list(session, query))


@router.get("/cases", summary="案件列表 / cases in your jurisdiction", responses=ERRORS)
def list_cases(
    year: Year = None,
    district: District = None,
    domain: Domain = None,
    limit: Limit = 100,
    offset: Offset = 0,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """Case-level list without parties (no personal data)."""
    check_district(session, principal, district)
    conds = case_conditions(district, domain, region_prefix=principal.region)
    if year is not None:
        conds.append(Case.opened_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    total = session.execute(select(func.count()).select_from(Case).where(*conds)).scalar_one()
    rec_counts = select(Recommendation.case_pk, func.count().label("n")).group_by(Recommendation.case_pk).subquery()
    rows = session.execute(
        select(Case, rec_counts.c.n)
        .outerjoin(rec_counts, rec_counts.c.case_pk == Case.id)
        .where(*conds)
        .order_by(Case.opened_on.desc(), Case.case_id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        {
            "case_id": c.case_id,
            "title": c.title,
            "domain": c.domain,
            "procedure": c.procedure,
            "district": c.district,
            "region_code": c.region_code,
            "opened_on": c.opened_on.isoformat(),
            "status": c.status,
            "litigation_status": c.litigation_status,
            "recommendations": n or 0,
        }
        for c, n in rows
    ]
    return JSONResponse({"total": total, "limit": limit, "offset": offset, "items": items})


def _person(party: Any, reveal: bool) -> dict[str, Any]:
    name = decrypt(party.name_enc, "parties.name")
    if not reveal:
        return {"name": mask_name(name), "id_number": None, "phone": None, "address": None, "masked": True}
    return {
        "name": name,
        "id_number": decrypt(party.id_number_enc, "parties.id_number"),
        "phone": decrypt(party.phone_enc, "parties.phone"),
        "address": decrypt(party.address_enc, "parties.address"),
        "masked": False,
    }


@router.get(
    "/cases/{case_id}",
    summary="案件详情 / one case with recommendations and parties",
    responses={**ERRORS, 404: ERRORS[403] | {"description": "无此案件 / no such case"}},
)
def get_case(
    request: Request,
    case_id: CaseId,
    reveal: Annotated[
        bool, Query(description="显示自然人个人信息（记入审计）/ show natural persons' personal data (audited)")
    ] = False,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """A case in the caller's jurisdiction; natural persons masked unless ``reveal=true`` (audited)."""
    case = session.execute(
        select(Case)
        .where(Case.case_id == case_id)
        .options(selectinload(Case.parties), selectinload(Case.recommendations).selectinload(Recommendation.replies))
    ).scalar_one_or_none()
    if case is None or not principal.covers(case.region_code):
        raise not_found_case()  # another district's case is "no such case": a 403 would confirm that it exists
    today = request.app.state.today()
    deadlines = DeadlineCache()
    parties = []
    revealed_fields: set[str] = set()
    for p in case.parties:
        entry: dict[str, Any] = {"position": p.position, "kind": p.kind, "credit_code": p.credit_code}
        if p.kind == "person":
            entry.update(_person(p, reveal))
            if reveal:
                revealed_fields |= {"name", "id_number", "phone", "address"}
        else:
            entry.update({"name": p.name, "id_number": None, "phone": None, "address": p.address, "masked": False})
        parties.append(entry)
    procurator = decrypt(case.procurator_enc, "cases.procurator")
    if reveal and procurator:
        revealed_fields.add("procurator")
    recs = []
    for r in case.recommendations:
        facts = RecFacts(
            pk=r.id,
            rec_number=r.rec_number,
            case_pk=case.id,
            agency_pk=r.agency_pk,
            issued_on=r.issued_on,
            received_on=r.received_on,
            urgent=bool(r.urgent),
            publicly_delivered=r.publicly_delivered,
            region_code=case.region_code,
            replies=tuple(
                ReplyFacts(
                    seq=x.seq,
                    replied_on=x.replied_on,
                    posted_on=x.posted_on,
                    rectification_due=x.rectification_due,
                    rectified=x.rectified,
                    rectified_on=x.rectified_on,
                    rebound=x.rebound,
                )
                for x in r.replies
            ),
        )
        status = classify(facts, today, deadlines)
        recs.append(
            {
                "rec_number": r.rec_number,
                "agency_code": r.agency.code,
                "agency_name": r.agency.name,
                "issued_on": r.issued_on.isoformat(),
                "received_on": r.received_on.isoformat() if r.received_on else None,
                "urgent": bool(r.urgent),
                "publicly_delivered": r.publicly_delivered,
                "reply_deadline": status.deadline.date.isoformat() if status.deadline else None,
                "status": status.status,
                "rectified": status.rectified,
                "rectification_overdue": status.rectification_overdue,
                "replies": [
                    {
                        "replied_on": x.replied_on.isoformat(),
                        "posted_on": x.posted_on.isoformat() if x.posted_on else None,
                        "has_evidence": bool(x.has_evidence),
                        "rectification_due": x.rectification_due.isoformat() if x.rectification_due else None,
                        "rectified": x.rectified,
                        "rectified_on": x.rectified_on.isoformat() if x.rectified_on else None,
                        "rebound": x.rebound,
                    }
                    for x in r.replies
                ],
            }
        )
    title = case.title  # the public form: persons named in it masked (hub.free_text)
    if reveal and case.title_enc:
        title = decrypt(case.title_enc, "cases.title")
        revealed_fields.add("title")
    if revealed_fields:
        # Recorded before anything is revealed, in its own short write transaction (the request reads only).
        with audit_session(request) as writer:
            audit.append(
                writer,
                actor=f"api:{principal.name}",
                action="personal_data.access",
                object_type="case",
                object_id=case.case_id,
                detail={
                    "fields": sorted(revealed_fields),
                    "persons": sum(1 for p in case.parties if p.kind == "person"),
                    "role": principal.role,
                    "region": principal.region,
                    "channel": "api",
                },
            )
    body = {
        "case_id": case.case_id,
        "title": title,
        "domain": case.domain,
        "domain_label": DOMAIN_LABELS.get(case.domain, case.domain),
        "procedure": case.procedure,
        "procedure_label": PROCEDURE_LABELS.get(case.procedure, case.procedure),
        "district": case.district,
        "region_code": case.region_code,
        "opened_on": case.opened_on.isoformat(),
        "status": case.status,
        "litigation_status": case.litigation_status,
        "procurator": procurator if reveal else mask_name(procurator),
        "outcomes": {
            "land_restored_mu": float(case.land_restored_mu or 0),
            "waste_removed_t": float(case.waste_removed_t or 0),
            "money_recovered_yuan": float(case.money_recovered_yuan or 0),
        },
        "parties": parties,
        "recommendations": recs,
        "personal_data_revealed": bool(revealed_fields),
        "as_of": today.isoformat(),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
