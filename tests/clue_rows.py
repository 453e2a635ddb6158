"""Clue rows written straight into a store, for the tests of what the dashboard and the report SHOW.

How clues are found (models over agency records) is tested in ``tests/clues``; here only the display is at
stake, so the rows are written directly: two of the project's own models (their Chinese titles read from the
model files), decisions of each kind, one accepted clue whose draft case the case registry holds (a case
opened from a clue). Subjects are unified social credit codes, never a person's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

#: (model, status, region code, draft case id); the draft case id must be a case of the sample registry.
ROWS: tuple[tuple[str, str, str, str | None], ...] = (
    ("repeat-offender", "new", "330802", None),
    ("repeat-offender", "new", "330802", None),
    ("repeat-offender", "new", "330824", None),
    ("repeat-offender", "accepted", "330824", "KC-2017-001"),
    ("repeat-offender", "rejected", "330822", None),
    ("food-licence-lapsed", "new", "330822", None),
    ("food-licence-lapsed", "under_review", "330822", None),
)


def expected() -> dict[str, dict[str, Any]]:
    """Per model: hits, accepted, rejected, cases opened — counted from ROWS, not from the code under test."""
    out: dict[str, dict[str, Any]] = {}
    for model, status, _, draft in ROWS:
        row = out.setdefault(model, {"hits": 0, "accepted": 0, "rejected": 0, "cases_opened": 0, "new": 0})
        row["hits"] += 1
        if status in row:
            row[status] += 1
        row["cases_opened"] += draft is not None
    return out


def seed_clues(url: str, first_seen: dt.date) -> list[int]:
    """Write ROWS into the store at ``url``; returns the ids (for :func:`remove_clues`)."""
    from hub.clues.spec import load_models
    from hub.store.db import session_scope
    from hub.store.models import Clue

    specs = load_models()
    ids = []
    with session_scope(url) as session:
        for i, (model, status, region, draft) in enumerate(ROWS):
            clue = Clue(
                key=f"{model}|91330800MA2{i:07d}X",
                model=model,
                subject=f"91330800MA2{i:07d}X",
                status=status,
                holds=True,
                evidence=[],
                hit_count=1,
                title=specs[model].title_zh,
                text="依据行政处罚记录发现的线索",
                domain="ecology",
                region_code=region,
                first_seen=first_seen,
                last_seen=first_seen,
                evidence_digest=f"{i:064d}",
                draft_case_id=draft,
            )
            session.add(clue)
            session.flush()
            ids.append(clue.id)
    return ids


def remove_clues(url: str, ids: list[int]) -> None:
    from hub.store.db import session_scope
    from hub.store.models import Clue

    with session_scope(url) as session:
        for clue in session.scalars(select(Clue).where(Clue.id.in_(ids))):
            session.delete(clue)
