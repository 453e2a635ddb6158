"""The morning list and the case timeline on each store (SQLite and PostgreSQL), after the escalation sweep."""

from __future__ import annotations

import datetime as dt

from tests.reports.conftest import load_sample

AS_OF = dt.date(2026, 11, 23)


def test_morning_and_timeline_after_the_sweep(store_url: str) -> None:
    from sqlalchemy import select

    from hub.reports.clocklists import ClockQuery, clock_list
    from hub.reports.morning import MorningQuery, morning
    from hub.reports.timeline import case_timeline
    from hub.store.db import open_store
    from hub.store.models import Case
    from sla.sweep import sweep

    load_sample(store_url)
    factory = open_store(store_url)
    sweep(factory, as_of=AS_OF)
    with factory() as session:
        body = morning(session, MorningQuery.build(as_of=AS_OF, since=dt.date(2026, 11, 16)))
        overdue = clock_list(session, ClockQuery.build("overdue", as_of=AS_OF, limit=1000))
        sections = {s["key"]: s for s in body["sections"]}
        breached = {i["clock_key"] for k in ("new", "long_standing") for i in sections[k]["items"]}
        assert breached == {i["clock_key"] for i in overdue["items"]}
        assert sections["new"]["total"] >= 1 and sections["due"]["total"] >= 1
        case = session.execute(select(Case).where(Case.case_id == "KC-2026-052")).scalar_one()
        timeline = case_timeline(session, case, AS_OF)
    escalations = [e for e in timeline["events"] if e["kind"] == "escalation"]
    assert escalations and all(e["notices"] for e in escalations)  # the sweep queued a notice for each
    assert all(n["status"] == "pending" for e in escalations for n in e["notices"])  # not delivered yet
