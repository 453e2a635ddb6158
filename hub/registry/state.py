"""What the registry holds right now: the figures ``pilhub status`` and the demo print."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.store.models import Agency, AuditEntry, Case, Recommendation, Reply


def registry_state(session: Session) -> dict[str, Any]:
    def grouped(column: Any) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).group_by(column).order_by(column)).all()
        return {str(key): count for key, count in rows}

    replied = select(Reply.recommendation_pk).distinct().scalar_subquery()
    recs = {
        "total": session.scalar(select(func.count()).select_from(Recommendation)) or 0,
        "received": session.scalar(select(func.count()).where(Recommendation.received_on.is_not(None))) or 0,
        "urgent": session.scalar(select(func.count()).where(Recommendation.urgent.is_(True))) or 0,
        "replied": session.scalar(select(func.count()).where(Recommendation.id.in_(replied))) or 0,
    }
    recs["unreplied"] = recs["total"] - recs["replied"]
    return {
        "cases_total": session.scalar(select(func.count()).select_from(Case)) or 0,
        "by_status": grouped(Case.status),
        "by_domain": grouped(Case.domain),
        "by_district": grouped(Case.district),
        "by_procedure": grouped(Case.procedure),
        "recommendations": recs,
        "agencies": {
            "registered": session.scalar(select(func.count()).where(Agency.registered.is_(True))) or 0,
            "unregistered": session.scalar(select(func.count()).where(Agency.registered.is_(False))) or 0,
        },
        "audit_entries": session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    }
