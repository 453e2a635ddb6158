"""Figures per supervision model: hits, decisions and cases opened from clues (成案率).

The SPP's model platform tracks each model's hit-to-case rate; the CPPCC report counts "clues received
/ cases filed". A clue counts as **a case opened** when the case registry (the case system's export)
holds a case with the ``case_id`` of the clue's accepted draft. ``rate`` is cases opened / hits, as a
fraction (None when a model has no hits). One grouped query; no row is read into Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from hub.store.models import Case, Clue

__all__ = ["model_figures", "new_clues_by_district"]


def _flag(condition: Any) -> Any:
    return func.sum(cast(case((condition, 1), else_=0), Integer))


def model_figures(
    session: Session, *, since: dt.date | None = None, until: dt.date | None = None, region_prefix: str | None = None
) -> list[dict[str, Any]]:
    """One row per model: its Chinese title, hits, holding, new, under review, accepted, rejected, closed, cases
    opened, rate. The title is the one the model stamped on its clues (readers know a model by its title)."""
    opened = Case.case_id.is_not(None)
    stmt = (
        select(
            Clue.model,
            func.max(Clue.title),
            func.count(Clue.id),
            _flag(Clue.holds.is_(True)),
            _flag(Clue.status == "new"),
            _flag(Clue.status == "under_review"),
            _flag(Clue.status == "accepted"),
            _flag(Clue.status == "rejected"),
            _flag(Clue.status == "closed"),
            _flag(opened),
        )
        .outerjoin(Case, and_(Clue.draft_case_id.is_not(None), Case.case_id == Clue.draft_case_id))
        .group_by(Clue.model)
        .order_by(Clue.model)
    )
    if since is not None:
        stmt = stmt.where(Clue.first_seen >= since)
    if until is not None:
        stmt = stmt.where(Clue.first_seen <= until)
    if region_prefix:
        stmt = stmt.where(Clue.region_code.like(f"{region_prefix}%"))
    out = []
    for model, title, hits, holding, new, reviewing, accepted, rejected, closed, cases in session.execute(stmt):
        out.append(
            {
                "model": model,
                "title": title or model,
                "hits": hits,
                "holding": holding or 0,
                "new": new or 0,
                "under_review": reviewing or 0,
                "accepted": accepted or 0,
                "rejected": rejected or 0,
                "closed": closed or 0,
                "cases_opened": cases or 0,
                "rate": round((cases or 0) / hits, 4) if hits else None,
            }
        )
    return out


def new_clues_by_district(
    session: Session, *, since: dt.date | None = None, region_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Clues with status ``new`` per model and per district (region code; None = no district in the evidence)."""
    from schemas.identifiers.region import region_name

    stmt = (
        select(Clue.model, Clue.region_code, func.count(Clue.id))
        .where(Clue.status == "new", Clue.holds.is_(True))
        .group_by(Clue.model, Clue.region_code)
        .order_by(Clue.model, Clue.region_code)
    )
    if since is not None:
        stmt = stmt.where(Clue.first_seen >= since)
    if region_prefix:
        stmt = stmt.where(Clue.region_code.like(f"{region_prefix}%"))
    rows = []
    for model, region, count in session.execute(stmt):
        try:
            district = region_name(region) if region else None
        except Exception:  # noqa: BLE001 - a code outside GB/T 2260 keeps its code
            district = None
        rows.append({"model": model, "region_code": region, "district": district, "new": count})
    return rows
