"""Look-back evidence (回头看) reopening a recommendation's follow-up.

A ``reopens_follow_up`` model (``rebound``) finds a party whose rectification was declared met and who is
penalised again, exceeds a limit again or has a new enforcement case within the model's window: rebound
(反弹回潮, seed 002 §一(二), seed 004 §三(二)). The follow-up investigation (跟进调查, 人民检察院公益诉讼办案规则)
must then start again. The hit is recorded on the case as a dated ``rebound`` event of the deadline module
(``sla_events``): the day it was found, the recommendation, and a note naming the clue and its evidence
records — the clue holds the full evidence. The deadline derivation reads the event and opens a new
``follow_up`` clock from that day. One event per clue and recommendation: a re-run adds none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.clues.spec import ModelSpec
from hub.store.models import Case, Recommendation, SlaEvent

__all__ = ["REBOUND_EVENT", "reopen_follow_ups"]

REBOUND_EVENT = "rebound"


def _note(key: str, evidence: list[dict[str, Any]]) -> str:
    records = [
        f"{e['kind']} {e['agency_code']}/{e['source_record_id']} v{e['version']}"
        for e in evidence
        if e.get("role") != "anchor" and "kind" in e
    ]
    text = f"线索 clue {key}；证据 evidence: " + "; ".join(records)
    return text if len(text) <= 500 else text[:497] + "…"


def reopen_follow_ups(
    session: Session, spec: ModelSpec, as_of: dt.date, found: dict[str, dict[str, Any]], *, actor: str
) -> int:
    """Record a ``rebound`` event for each hit not yet recorded; return how many were recorded."""
    recorded = 0
    for subject, value in sorted(found.items()):
        key = f"{spec.name}:{subject}"
        anchor = next((e for e in value["evidence"] if e.get("registry")), None)
        if anchor is None:
            continue
        row = session.execute(
            select(Case.id, Recommendation.id)
            .join(Recommendation, Recommendation.case_pk == Case.id)
            .where(Case.case_id == anchor["case_id"], Recommendation.rec_number == anchor["rec_number"])
        ).first()
        if row is None:
            continue
        case_pk, rec_pk = row
        already = session.execute(
            select(SlaEvent.id).where(
                SlaEvent.case_pk == case_pk,
                SlaEvent.recommendation_pk == rec_pk,
                SlaEvent.kind == REBOUND_EVENT,
                SlaEvent.note.like(f"线索 clue {key}；%"),
            )
        ).first()
        if already is not None:
            continue
        session.add(
            SlaEvent(
                case_pk=case_pk,
                recommendation_pk=rec_pk,
                kind=REBOUND_EVENT,
                occurred_on=as_of,
                note=_note(key, value["evidence"]),
                recorded_by=actor,
                recorded_at=dt.datetime.now(dt.UTC),
            )
        )
        audit.append(
            session,
            actor=actor,
            action="sla.event",
            object_type="case",
            object_id=anchor["case_id"],
            after={"kind": REBOUND_EVENT, "occurred_on": as_of, "rec_number": anchor["rec_number"], "clue": key},
            detail={
                "kind": REBOUND_EVENT,
                "occurred_on": as_of.isoformat(),
                "rec_number": anchor["rec_number"],
                "clue": key,
            },
        )
        recorded += 1
    session.flush()
    return recorded
