"""Clue figures for the dashboard (aggregates, every role): per model and per district.

New clues per model and per district, and per model the hits, decisions and cases opened from clues
(成案率) — the figures the SPP's model platform tracks. Counts only, within the caller's jurisdiction
(region-code prefix); no subject, evidence or personal data. The ``ui`` dashboard reads this endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from hub.api.deps import AGGREGATE_ROLES, get_session, require
from hub.api.routes_figures import ERRORS
from hub.api.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["clues 线索"])

Since = Annotated[
    dt.date | None, Query(description="只计此日及以后首次发现的线索 / only clues first seen on or after this day")
]


@router.get(
    "/clues/figures",
    summary="监督模型线索统计（按模型、按区县）/ clue figures per model and per district",
    responses=ERRORS,
)
def clue_figures(
    since: Since = None,
    principal: Principal = Depends(require(*AGGREGATE_ROLES)),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """``models``: per model hits, holding, new, under review, accepted, rejected, closed, cases opened and the
    rate (cases opened / hits); ``new_by_district``: clues still ``new`` per model and district."""
    from hub.clues.figures import model_figures, new_clues_by_district

    region = principal.region or None
    body: dict[str, Any] = {
        "since": since.isoformat() if since else None,
        "region_prefix": region,
        "models": model_figures(session, since=since, region_prefix=region),
        "new_by_district": new_clues_by_district(session, since=since, region_prefix=region),
    }
    return JSONResponse(body)
