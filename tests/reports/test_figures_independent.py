"""Every figure of the JSON report equals an independent count made here from the raw sample file.

The count below reads ``hub/samples/cases.jsonl`` directly and applies the law's rule itself: a reply is on
time when it was received, or posted (time in the post is not counted, 民事诉讼法 Art. 85), on or before the
deadline that ``sla.periods`` computes from the day of receipt under the official reading, with the period
of the rule that bound the case's region on the day of receipt (DOMAIN.md: the 2015 pilot's one month only in
the 13 pilot provinces until 2017-06-30, nothing nationally until 2018-03-01 — never late then —, two months or
15 days from 2018-03-02; written out here, not read from ``sla.rules``); a recommendation
whose period has not ended by the as-of date is pending; a reply dated after the as-of date does not count
yet. It shares no code with ``hub.reports.figures`` (only the deadline arithmetic of ``sla``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from hub.reports.figures import ReportQuery, compute_figures
from hub.store.db import open_store
from sla.periods import Period, compute_deadline

TODAY = dt.date(2026, 11, 23)
D = dt.date.fromisoformat


def pct(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


PILOT_PROVINCES = ("11", "15", "22", "32", "34", "35", "37", "42", "44", "52", "53", "61", "62")


def reply_period_there_and_then(region: str, received: dt.date, urgent: bool) -> Period | None:
    if received >= D("2018-03-02"):
        return Period.days(15) if urgent else Period.months(2)
    if D("2015-07-01") <= received <= D("2017-06-30") and region[:2] in PILOT_PROVINCES:
        return Period.months(1)
    return None


def rec_state(rec: dict[str, Any], as_of: dt.date, region: str) -> dict[str, Any]:
    known = [r for r in rec["replies"] if D(r["replied_on"]) <= as_of]
    received = D(rec["received_on"]) if rec["received_on"] else None
    out: dict[str, Any] = {"missing": False, "not_received": False, "days": None}
    if known:
        first = min(known, key=lambda r: D(r["replied_on"]))
        when = D(first["posted_on"]) if first.get("posted_on") else D(first["replied_on"])
        out["days"] = (when - received).days if received else None
    if received is None or received > as_of:
        out["status"], out["not_received"] = "pending", True
    else:
        period = reply_period_there_and_then(region, received, rec["urgent"])
        deadline = compute_deadline(received, period) if period is not None else None
        if deadline is None:
            out["status"] = "pending"  # no rule fixed a period there and then: never counted late
        elif deadline.calendar_missing:
            out["status"], out["missing"] = "pending", True
        elif known:
            posted = D(first["posted_on"]) if first.get("posted_on") else None
            ok = (posted is not None and posted <= deadline.date) or D(first["replied_on"]) <= deadline.date
            out["status"] = "replied_on_time" if ok else "replied_late"
        elif as_of > deadline.date:
            out["status"] = "unreplied_overdue"
        else:
            out["status"] = "pending"
    rectified = any(
        r.get("rectified") is True and (not r.get("rectified_on") or D(r["rectified_on"]) <= as_of) for r in known
    )
    promises = [
        D(r["rectification_due"]) for r in sorted(known, key=lambda r: D(r["replied_on"])) if r.get("rectification_due")
    ]
    out["rectified"] = rectified
    out["rect_overdue"] = not rectified and bool(promises) and as_of > promises[-1]
    out["rebound"] = any(r.get("rebound") is True for r in known)
    return out


def expected(raw: list[dict[str, Any]], q: ReportQuery) -> dict[str, Any]:
    end = min(q.date_to, q.as_of)

    def in_scope(c: dict[str, Any]) -> bool:
        return (not q.district or c["district"] == q.district) and (not q.domain or c["domain"] == q.domain)

    cases = [
        c
        for c in raw
        if in_scope(c)
        and q.date_from <= D(c["opened_on"]) <= end
        and (not q.agency or any(r["agency"] == q.agency for r in c["recommendations"]))
    ]
    recs = [
        (c, r)
        for c in raw
        if in_scope(c)
        for r in c["recommendations"]
        if q.date_from <= D(r["issued_on"]) <= end and (not q.agency or r["agency"] == q.agency)
    ]
    states = [rec_state(r, q.as_of, c["region_code"]) for c, r in recs]
    count = Counter(s["status"] for s in states)
    urgent = Counter(s["status"] for (_, r), s in zip(recs, states, strict=True) if r["urgent"])
    days = [s["days"] for s in states if s["status"] in ("replied_on_time", "replied_late")]
    agencies: dict[str, dict[str, Any]] = defaultdict(lambda: Counter())
    lawsuits: dict[str, set[str]] = defaultdict(set)
    for (c, r), s in zip(recs, states, strict=True):
        a = agencies[r["agency"]]
        a["received"] += 1
        a[s["status"]] += 1
        a["rectified"] += s["rectified"]
        if c["procedure"] == "admin_litigation":
            lawsuits[r["agency"]].add(c["case_id"])
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        months[c["opened_on"][:7]]["cases_opened"] += 1
    for (_, r), s in zip(recs, states, strict=True):
        months[r["issued_on"][:7]]["recommendations_issued"] += 1
        months[r["issued_on"][:7]][s["status"]] += 1

    def total(field: str) -> Decimal:
        return sum((Decimal(str(c["outcomes"][field])) for c in cases), Decimal(0))

    return {
        "cases_total": len(cases),
        "by_domain": Counter(c["domain"] for c in cases),
        "by_district": Counter(c["district"] for c in cases),
        "by_procedure": Counter(c["procedure"] for c in cases),
        "count": count,
        "urgent": urgent,
        "urgent_issued": sum(1 for _, r in recs if r["urgent"]),
        "issued": len(recs),
        "publicly_delivered": sum(1 for _, r in recs if r["publicly_delivered"] is True),
        "rectified": sum(s["rectified"] for s in states),
        "rect_overdue": sum(s["rect_overdue"] for s in states),
        "rebound": sum(s["rebound"] for s in states),
        "missing": sum(s["missing"] for s in states),
        "not_received": sum(s["not_received"] for s in states),
        "avg_days": None
        if not days
        else float((Decimal(sum(days)) / Decimal(len(days))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
        "agencies": agencies,
        "lawsuits": {k: len(v) for k, v in lawsuits.items()},
        "lawsuits_total": len({c["case_id"] for c, _ in recs if c["procedure"] == "admin_litigation"}),
        "outcomes": {f: total(f) for f in ("land_restored_mu", "waste_removed_t", "money_recovered_yuan")},
        "months": months,
    }


QUERIES = [
    pytest.param({"year": 2018}, id="2018"),
    pytest.param({"year": 2018, "as_of": dt.date(2019, 6, 30)}, id="2018-as-of-mid-2019"),
    pytest.param({"year": 2026}, id="2026-running-year"),
    pytest.param(
        {"date_from": dt.date(2017, 7, 1), "date_to": TODAY, "district": "柯城区"}, id="kecheng-since-2017-07"
    ),
    pytest.param(
        {"date_from": dt.date(2017, 1, 1), "date_to": dt.date(2019, 12, 31), "domain": "ecology"}, id="ecology"
    ),
    pytest.param({"year": 2018, "agency": "衢州市衢江区林业局"}, id="agency"),
]


def _check(fig: dict[str, Any], exp: dict[str, Any]) -> None:
    assert fig["cases_total"] == exp["cases_total"]
    for key in ("by_domain", "by_district", "by_procedure"):
        got = {k: v["count"] for k, v in fig[key].items() if v["count"]}
        assert got == dict(exp[key]), key
        for k, v in fig[key].items():
            assert v["share"] == pct(exp[key].get(k, 0), exp["cases_total"]), (key, k)
    r = fig["recommendations"]
    assert r["issued"] == exp["issued"]
    for status in ("replied_on_time", "replied_late", "unreplied_overdue", "pending"):
        assert r[status] == exp["count"][status], status
        assert r["urgent"][status] == exp["urgent"][status], ("urgent", status)
    assert r["urgent"]["issued"] == exp["urgent_issued"]
    assert r["publicly_delivered"] == exp["publicly_delivered"]
    assert r["rectified"] == exp["rectified"]
    assert r["rectification_overdue"] == exp["rect_overdue"]
    assert r["rebound"] == exp["rebound"]
    assert r["pending_calendar_missing"] == exp["missing"]
    assert r["pending_not_received"] == exp["not_received"]
    assert r["average_days_to_reply"] == exp["avg_days"]
    decided = exp["count"]["replied_on_time"] + exp["count"]["replied_late"] + exp["count"]["unreplied_overdue"]
    assert r["on_time_rate"] == pct(exp["count"]["replied_on_time"], decided)
    assert r["rectification_rate"] == pct(exp["rectified"], exp["issued"])
    assert r["lawsuits_after_non_compliance"] == exp["lawsuits_total"]
    # the league table
    assert {a["name"] for a in fig["agencies"]} == set(exp["agencies"])
    for a in fig["agencies"]:
        e = exp["agencies"][a["name"]]
        assert a["received"] == e["received"], a["name"]
        for status in ("replied_on_time", "replied_late", "unreplied_overdue", "pending"):
            assert a[status] == e[status], (a["name"], status)
        assert a["on_time_rate"] == pct(
            e["replied_on_time"], e["replied_on_time"] + e["replied_late"] + e["unreplied_overdue"]
        )
        assert a["rectified"] == e["rectified"]
        assert a["rectification_rate"] == pct(e["rectified"], e["received"])
        assert a["lawsuits_after_non_compliance"] == exp["lawsuits"].get(a["name"], 0)
    # outcomes
    for field, value in exp["outcomes"].items():
        assert Decimal(str(fig["outcomes"][field])) == value, field
    # month by month
    for m in fig["months"]:
        e = exp["months"].get(m["month"], Counter())
        for key in (
            "cases_opened",
            "recommendations_issued",
            "replied_on_time",
            "replied_late",
            "unreplied_overdue",
            "pending",
        ):
            assert m[key] == e[key], (m["month"], key)
    assert sum(m["cases_opened"] for m in fig["months"]) == fig["cases_total"]
    assert sum(m["recommendations_issued"] for m in fig["months"]) == r["issued"]


@pytest.mark.parametrize("params", QUERIES)
def test_every_figure_matches_an_independent_count(
    params: dict[str, Any], sample_url: str, raw_cases: list[dict[str, Any]]
) -> None:
    q = ReportQuery.build(today=TODAY, **params)
    with open_store(sample_url)() as session:
        fig = compute_figures(session, q)
    _check(fig, expected(raw_cases, q))


def test_same_figures_on_every_backend(loaded_store: str, raw_cases: list[dict[str, Any]]) -> None:
    """SQLite and PostgreSQL (when configured) give the same, independently checked figures."""
    for params in ({"year": 2018}, {"year": 2026}, {"year": 2018, "district": "330803"}):
        q = ReportQuery.build(today=TODAY, **params)
        with open_store(loaded_store)() as session:
            fig = compute_figures(session, q)
        if "district" in params:
            params = {**params, "district": "衢江区"}
        _check(fig, expected(raw_cases, ReportQuery.build(today=TODAY, **params)))


def test_shares_add_up_to_100_within_rounding(sample_url: str) -> None:
    for params in ({"year": 2018}, {"year": 2026}, {"date_from": dt.date(2017, 1, 1), "date_to": TODAY}):
        with open_store(sample_url)() as session:
            fig = compute_figures(session, ReportQuery.build(today=TODAY, **params))
        for key in ("by_domain", "by_district", "by_procedure"):
            shares = [v["share"] for v in fig[key].values() if v["count"]]
            assert sum(v["count"] for v in fig[key].values()) == fig["cases_total"]
            # each share is rounded to 0.1 (error ≤ 0.05 each)
            assert abs(sum(shares) - 100) <= 0.05 * len(shares) + 1e-9, (key, shares)


def test_2018_sanity_against_the_sample(sample_url: str) -> None:
    """The 2018 figures quoted in the issue report (a human-readable anchor for the generic checks above)."""
    with open_store(sample_url)() as session:
        fig = compute_figures(session, ReportQuery.build(year=2018, today=TODAY))
    assert fig["period"]["as_of"] == "2018-12-31"
    assert fig["cases_total"] == 30
    assert {k: v["count"] for k, v in fig["by_domain"].items()} == {
        "ecology": 15,
        "food_drug": 5,
        "state_property": 3,
        "land_transfer": 2,
        "heroes": 1,
        "other": 4,
    }
    assert fig["by_domain"]["ecology"]["share"] == 50.0
    assert fig["by_domain"]["food_drug"]["share"] == 16.7


def test_as_of_rules(sample_url: str) -> None:
    """A reply after the as-of date does not count; an unexpired period is pending, never unreplied."""
    with open_store(sample_url)() as session:
        end_2018 = compute_figures(session, ReportQuery.build(year=2018, today=TODAY))
        later = compute_figures(session, ReportQuery.build(year=2018, as_of=dt.date(2019, 6, 30), today=TODAY))
    # KC-2018-008: received 2018-11-25, two months → 2019-01-25; posted 2019-01-23: pending at 2018-12-31, on time later
    assert end_2018["recommendations"]["pending"] > later["recommendations"]["pending"]
    # nothing is pending any more except what no rule gave a period (received 2018-01-01 … 2018-03-01, Zhejiang)
    assert later["recommendations"]["pending"] == later["recommendations"]["pending_no_statutory_period"]
    assert end_2018["recommendations"]["issued"] == later["recommendations"]["issued"]


def test_calendar_missing_year_counts_as_pending_with_a_note(sample_url: str) -> None:
    """Deadlines in 2027 (no official calendar loaded) are pending and said so in the notes."""
    with open_store(sample_url)() as session:
        fig = compute_figures(session, ReportQuery.build(year=2026, as_of=dt.date(2026, 12, 31), today=TODAY))
    missing = fig["recommendations"]["pending_calendar_missing"]
    assert missing >= 1
    assert any("官方节假日安排" in n["zh"] and "calendar" in n["en"] for n in fig["notes"])


def test_default_as_of_is_today_while_the_year_runs() -> None:
    q = ReportQuery.build(year=2026, today=TODAY)
    assert q.as_of == TODAY
    assert ReportQuery.build(year=2018, today=TODAY).as_of == dt.date(2018, 12, 31)
