"""The supervisors' lists (due soon, overdue, escalated) agree with the sla rules and with the escalation sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from hub.reports.clocklists import VIEWS, ClockQuery, clock_list
from hub.reports.figures import QueryError, ReportQuery, compute_figures
from hub.store.db import open_store
from hub.store.models import Clock, Escalation, Recommendation

AS_OF = dt.date(2026, 11, 23)


def _lists(url: str, **kw: Any) -> dict[str, dict[str, Any]]:
    with open_store(url)() as session:
        return {view: clock_list(session, ClockQuery.build(view, as_of=AS_OF, limit=1000, **kw)) for view in VIEWS}


def test_lists_follow_the_deadlines(sample_url: str) -> None:
    lists = _lists(sample_url)
    overdue = lists["overdue"]["items"]
    assert overdue, "the sample has overdue clocks on 2026-11-23"
    for item in overdue:
        assert dt.date.fromisoformat(item["breach_after"]) < AS_OF
        assert item["days_overdue"] == (AS_OF - dt.date.fromisoformat(item["breach_after"])).days
        assert item["state"] in ("breached", "escalated")
    assert {i["clock_key"] for i in lists["escalated"]["items"]} <= {i["clock_key"] for i in overdue}
    for item in lists["due_soon"]["items"]:
        assert item["state"] in ("due_soon", "calendar_missing")
        assert 0 <= item["days_left"] <= 7
    # most overdue first
    days = [i["days_overdue"] for i in overdue if i["state"] == "escalated"]
    assert days == sorted(days, reverse=True)
    # the unreplied 2018 recommendation KC-2018-021 (received 2018-07-19) is overdue and escalated
    assert any(i["case_id"] == "KC-2018-021" and i["kind"] == "reply" and i["state"] == "escalated" for i in overdue)


def test_filters_and_jurisdiction(sample_url: str) -> None:
    everything = _lists(sample_url)["overdue"]["items"]
    qujiang = _lists(sample_url, district="衢江区")["overdue"]["items"]
    assert qujiang and all(i["district"] == "衢江区" for i in qujiang)
    assert [i for i in everything if i["district"] == "衢江区"] == qujiang
    assert _lists(sample_url, district="330803")["overdue"]["items"] == qujiang
    kecheng = _lists(sample_url, region_prefix="330802")["overdue"]["items"]
    assert kecheng and all(i["region_code"] == "330802" for i in kecheng)
    breached = _lists(sample_url, state="breached")["overdue"]["items"]
    assert all(i["state"] == "breached" for i in breached)
    replies = _lists(sample_url, kind="reply")["overdue"]["items"]
    assert replies and all(i["kind"] == "reply" for i in replies)
    with pytest.raises(QueryError):
        ClockQuery.build("overdue", state="asleep")
    with pytest.raises(QueryError):
        ClockQuery.build("tomorrow")


def test_lists_agree_with_the_escalation_sweep(loaded_store: str) -> None:
    """After the sweep derived and stored the clocks, the lists read them and show the fired escalations."""
    from sla import sweep as sweep_mod

    before = _lists(loaded_store)
    sweep_mod.sweep(open_store(loaded_store), as_of=AS_OF)
    with open_store(loaded_store)() as session:
        assert session.execute(select(Clock.id).limit(1)).first() is not None
    after = _lists(loaded_store)
    for view in VIEWS:
        strip = [{k: v for k, v in i.items() if k != "escalations_fired"} for i in after[view]["items"]]
        assert strip == [{k: v for k, v in i.items() if k != "escalations_fired"} for i in before[view]["items"]], view
    assert after["overdue"]["derived_on_the_fly"] == 0
    escalated = after["escalated"]["items"]
    assert escalated and all(i["escalations_fired"] for i in escalated)

    # The report counts the fired escalations by level per agency, from the escalations table.
    with open_store(loaded_store)() as session:
        fig = compute_figures(
            session, ReportQuery.build(date_from=dt.date(2017, 1, 1), date_to=AS_OF, as_of=AS_OF, today=AS_OF)
        )
        rows = session.execute(
            select(Escalation.clock_pk, Escalation.level)
            .join(Clock, Clock.id == Escalation.clock_pk)
            .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
            .where(Escalation.due_on <= AS_OF)
            .distinct()
        ).all()
    expected: dict[str, int] = {}
    for _, level in rows:
        expected[str(level)] = expected.get(str(level), 0) + 1
    assert fig["recommendations"]["escalations_by_level"] == expected
    assert sum(sum(a["escalations_by_level"].values()) for a in fig["agencies"]) == len(rows)
    assert set(fig["escalation_levels"]) == set(expected)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in fig["escalation_level_labels"].values())
