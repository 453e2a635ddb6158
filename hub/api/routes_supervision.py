"""Supervision routes (supervisor, admin): the morning list and one case's timeline.

``/api/v1/morning`` is what the dashboard opens on (:mod:`hub.reports.morning`); ``/api/v1/cases/{id}/timeline``
is the case page's story (:mod:`hub.reports.timeline`). Neither carries personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.deps import CASE_ROLES, check_district, get_session, require
from hub.api.errors import not_found_case
from hub.api.params import NO_CONTROL, AsOf, District, Domain
from hub.api.routes_figures import ERRORS
from hub.api.tokens import Principal
from hub.reports.morning import MorningQuery, morning
from hub.reports.timeline import case_timeline
from hub.store.models import Case

router = APIRouter(prefix="/api/v1", tags=["cases 案件（督办）"])

CaseId = Annotated[str, Path(max_length=64, pattern=NO_CONTROL, description="案件编号 / case number")]
Since = Annotated[
    dt.date | None,
    Query(description="上次查看日期：此后新超期、新升级的列在最前 / your last visit: newer breaches come first"),
]


@router.get(
    "/morning",
    summary="今日待办：新超期与升级、7日内到期、期限待定、长期超期 / what needs action today",
    responses=ERRORS,
)
def get_morning(
    request: Request,
    as_of: AsOf = None,
    since: Since = None,
    district: District = None,
    domain: Domain = None,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """Each open clock that needs attention once, in sections, with counts per district and per agency."""
    check_district(session, principal, district)
    query = MorningQuery.build(
        as_of=as_of or request.app.state.today(),
        since=since,
        district=district,
        domain=domain,
        region_prefix=principal.region or None,
    )
    return JSONResponse(morning(session, query), headers={"Cache-Control": "no-store"})


@router.get(
    "/cases/{case_id}/timeline",
    summary="案件时间线：期限、依据、回复、升级与通知 / a case's timeline with each deadline's rule",
    responses={**ERRORS, 404: ERRORS[403] | {"description": "无此案件 / no such case"}},
)
def get_timeline(
    request: Request,
    case_id: CaseId,
    as_of: AsOf = None,
    principal: Principal = Depends(require(*CASE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """Events in date order and every clock with its rule and the computation of its deadline."""
    case = session.execute(select(Case).where(Case.case_id == case_id)).scalar_one_or_none()
    if case is None or not principal.covers(case.region_code):
        raise not_found_case()  # another district's case is "no such case": a 403 would confirm that it exists
    body = case_timeline(session, case, as_of or request.app.state.today())
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
