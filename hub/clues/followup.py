"""Look-back evidence (回头看) reopening a recommendation's follow-up.

A ``reopens_follow_up`` model (``rebound``) finds a party whose rectification was declared met and who is
penalised again, exceeds a limit again or has a new enforcement case within the model's window: rebound
(反弹回潮, as county CPPCC surveys and the Beijing opinions on public-interest litigation describe it). The follow-up investigation (跟进调查, 人民检察院公益诉讼办案规则)
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
from hub.store.bulk import insert_rows
from hub.store.models import Case, Recommendation, SlaEvent

__all__ = ["REBOUND_EVENT", "reopen_follow_ups"]

REBOUND_EVENT = "rebound"
_CHUNK = 5000


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
    """Record a ``rebound`` event for each hit not yet recorded (set-based); return how many were recorded."""
    wanted: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = {}
    for subject, value in sorted(found.items()):
        anchor = next((e for e in value["evidence"] if e.get("registry")), None)
        if anchor is not None:
            wanted[(anchor["case_id"], anchor["rec_number"])] = (f"{spec.name}:{subject}", value["evidence"])
    if not wanted:
        return 0
    numbers = sorted({rec for _, rec in wanted})
    targets: dict[tuple[str, str], tuple[int, int]] = {}
    recorded_keys: set[tuple[int, str]] = set()
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        for case_id, rec_number, case_pk, rec_pk in session.execute(
            select(Case.case_id, Recommendation.rec_number, Case.id, Recommendation.id)
            .join(Recommendation, Recommendation.case_pk == Case.id)
            .where(Recommendation.rec_number.in_(chunk))
        ):
            targets[(case_id, rec_number)] = (case_pk, rec_pk)
        for rec_pk, note in session.execute(
            select(SlaEvent.recommendation_pk, SlaEvent.note)
            .join(Recommendation, Recommendation.id == SlaEvent.recommendation_pk)
            .where(SlaEvent.kind == REBOUND_EVENT, Recommendation.rec_number.in_(chunk))
        ):
            recorded_keys.add((rec_pk, (note or "").split("；", 1)[0].removeprefix("线索 clue ")))
    now = dt.datetime.now(dt.UTC)
    rows, done = [], []
    for (case_id, rec_number), (key, evidence) in wanted.items():
        target = targets.get((case_id, rec_number))
        if target is None or (target[1], key) in recorded_keys:
            continue
        rows.append(
            {
                "case_pk": target[0],
                "recommendation_pk": target[1],
                "kind": REBOUND_EVENT,
                "occurred_on": as_of,
                "note": _note(key, evidence),
                "recorded_by": actor,
                "recorded_at": now,
            }
        )
        done.append({"case_id": case_id, "rec_number": rec_number, "clue": key})
    insert_rows(session, SlaEvent.__table__, rows)
    if done:
        audit.append(
            session,
            actor=actor,
            action="sla.event",
            object_type="clue_model",
            object_id=spec.name,
            after=done,
            detail={"kind": REBOUND_EVENT, "occurred_on": as_of.isoformat(), "events": done},
        )
    return len(done)
