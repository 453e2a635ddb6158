"""The set-based SQL evaluation agrees with the Python reference on random clocks, in daily and full mode.

Random stored clocks (short and long periods, differing readings, pending, calendar-missing, met, met late,
closed, stopped in the future) are swept on an increasing run of days and then one earlier day; after each
sweep every clock's state and level must equal ``sla.escalation.evaluate``, and at the end the escalations in
the store must be exactly those the Python rules call for on the swept days — nothing missing, nothing extra.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.store import open_store
from hub.store.models import Agency, Case, Clock, Escalation, Recommendation
from sla.clocks import ClockDates
from sla.escalation import Directory, evaluate, level_recipients
from sla.policy import load_policy
from sla.sweep import evaluate_clocks

POLICY = load_policy()
BASE = dt.date(2026, 1, 1)


def _random_clock(rng: random.Random) -> dict:
    start = BASE + dt.timedelta(days=rng.randrange(0, 200))
    short = rng.random() < 0.3
    official = start + dt.timedelta(days=15 if short else rng.choice([30, 61, 62]))
    weekends = official + dt.timedelta(days=rng.choice([0, 0, 0, 1, 2]))
    row = {
        "kind": rng.choice(["reply", "reply", "rectification", "follow_up"]),
        "start_on": start,
        "deadline_official": official,
        "deadline_all_weekends": weekends,
        "breach_after": weekends,
        "short_period": short,
        "outcome": None,
        "resolved_on": None,
    }
    r = rng.random()
    if r < 0.08:
        row.update(start_on=None, deadline_official=None, deadline_all_weekends=None, breach_after=None)
    elif r < 0.14:
        row.update(breach_after=None)  # calendar missing
    elif r < 0.30:
        row.update(outcome="met", resolved_on=start + dt.timedelta(days=rng.randrange(0, (weekends - start).days + 1)))
    elif r < 0.42:
        row.update(outcome="met_late", resolved_on=weekends + dt.timedelta(days=rng.randrange(1, 60)))
    elif r < 0.48:
        row.update(outcome="closed", resolved_on=rng.choice([None, start + dt.timedelta(days=rng.randrange(1, 90))]))
    return row


def _seed(factory: sessionmaker[Session], rng: random.Random, per_case: int) -> None:
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
        agency = s.execute(select(Agency).where(Agency.code == "330802-sthj")).scalar_one()
        for n, domain in enumerate(("ecology", "food_drug")):
            case = Case(
                case_id=f"KC-R-{n}",
                title="随机时钟",
                domain=domain,
                procedure="admin_pre_litigation",
                region_code="330802",
                district="柯城区",
                opened_on=BASE,
                status="open",
                content_hash="x",
            )
            s.add(case)
            s.flush()
            rec = Recommendation(
                rec_number=f"柯检行公建〔2026〕9{n}号",
                case_pk=case.id,
                agency_pk=agency.id,
                issued_on=BASE,
                received_on=BASE,
            )
            s.add(rec)
            s.flush()
            for i in range(per_case):
                s.add(
                    Clock(
                        clock_key=f"random:{n}:{i}",
                        case_pk=case.id,
                        recommendation_pk=rec.id,
                        state="running",
                        explanation={},
                        next_check_on=dt.date(1970, 1, 1),
                        **_random_clock(rng),
                    )
                )


def _dates(c: Clock) -> ClockDates:
    return ClockDates(
        c.kind,
        c.start_on,
        c.deadline_official,
        c.deadline_all_weekends,
        c.breach_after,
        c.outcome,
        c.resolved_on,
        bool(c.short_period),
    )


def test_sql_and_python_agree_on_random_clocks(store_url: str) -> None:
    rng = random.Random(20261123)
    factory = open_store(store_url)
    _seed(factory, rng, per_case=120)
    days = sorted(BASE + dt.timedelta(days=rng.randrange(0, 320)) for _ in range(12))
    days.append(days[3] - dt.timedelta(days=5))  # an earlier day: full re-evaluation
    expected: set[tuple[str, int, str]] = set()
    with factory() as s:
        directory = Directory.build(s, POLICY)
    modes = []
    for day in days:
        modes.append(evaluate_clocks(factory, as_of=day, policy=POLICY).mode)
        with factory() as s:
            rows = s.execute(
                select(Clock, Case.case_id, Case.region_code, Case.domain, Recommendation.agency_pk)
                .join(Case, Case.id == Clock.case_pk)
                .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
            ).all()
        for clock, case_id, region, domain, agency_pk in rows:
            resolved = POLICY.resolve(region, domain)
            ev = evaluate(_dates(clock), day, resolved)
            assert (clock.state, clock.level) == (ev.state.value, ev.level), (day, clock.clock_key, _dates(clock))
            for due in ev.active:
                for recipient in level_recipients(
                    due.level, directory, agency_pk=agency_pk, case_id=case_id, region_code=region
                ):
                    expected.add((clock.clock_key, due.level.level, recipient))
    assert modes[0] == "full" and "daily" in modes and modes[-1] == "full"
    with factory() as s:
        stored = {
            (k, lv, r)
            for k, lv, r in s.execute(
                select(Clock.clock_key, Escalation.level, Escalation.recipient).join(
                    Clock, Clock.id == Escalation.clock_pk
                )
            )
        }
    assert stored == expected and len(expected) > 100


def _expected(factory: sessionmaker[Session], policy, day: dt.date) -> set[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    """Every escalation due on ``day`` under ``policy`` (the Python reference), as (clock key, level, recipient)."""
    out: set[tuple[str, int, str]] = set()
    with factory() as s:
        directory = Directory.build(s, policy)
        rows = s.execute(
            select(Clock, Case.case_id, Case.region_code, Case.domain, Recommendation.agency_pk)
            .join(Case, Case.id == Clock.case_pk)
            .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
        ).all()
    for clock, case_id, region, domain, agency_pk in rows:
        for due in evaluate(_dates(clock), day, policy.resolve(region, domain)).active:
            for recipient in level_recipients(
                due.level, directory, agency_pk=agency_pk, case_id=case_id, region_code=region
            ):
                out.add((clock.clock_key, due.level.level, recipient))
    return out


def _stored(factory: sessionmaker[Session]) -> set[tuple[str, int, str]]:
    with factory() as s:
        return {
            (k, lv, r)
            for k, lv, r in s.execute(
                select(Clock.clock_key, Escalation.level, Escalation.recipient).join(
                    Clock, Clock.id == Escalation.clock_pk
                )
            )
        }


def test_a_policy_edit_reaches_clocks_past_the_edited_level(store_url: str) -> None:
    """A full run after a policy edit checks against the store only what the edit changed and what fell due
    since the last run — and that is enough: a recipient added to a level every clock has long passed gets
    its escalations, an edit that changes no level adds nothing, and the store ends with exactly what the
    Python rules call for."""
    rng = random.Random(7)
    factory = open_store(store_url)
    _seed(factory, rng, per_case=80)
    day = BASE + dt.timedelta(days=250)
    evaluate_clocks(factory, as_of=day - dt.timedelta(days=1), policy=POLICY)
    evaluate_clocks(factory, as_of=day, policy=POLICY)
    assert _stored(factory) == _expected(factory, POLICY, day - dt.timedelta(days=1)) | _expected(factory, POLICY, day)

    # 1. an edit that changes no level (a jurisdiction without cases): full run, nothing new, nothing missed
    raw = POLICY.model_dump(mode="json")
    raw["jurisdictions"] = [*raw["jurisdictions"], {"region_prefix": "3399", "name": "无案件的辖区"}]
    untouched = type(POLICY).model_validate(raw)
    before = _stored(factory)
    report = evaluate_clocks(factory, as_of=day, policy=untouched)
    assert report.mode == "full" and report.enqueued == {} and _stored(factory) == before

    # 2. a recipient added to the breach alert (level 2), which most clocks passed months ago
    raw = untouched.model_dump(mode="json")
    level2 = next(lv for lv in raw["ladders"]["agency"]["levels"] if lv["level"] == 2)
    level2["recipients"] = [*level2["recipients"], "superior_authority"]
    edited = type(POLICY).model_validate(raw)
    new = _expected(factory, edited, day) - before
    assert any(level == 2 for _key, level, _r in new)  # the edit does call for new escalations of old levels
    report = evaluate_clocks(factory, as_of=day, policy=edited)
    assert report.mode == "full" and report.enqueued.get(2, 0) == sum(1 for _k, lv, _r in new if lv == 2)
    assert _stored(factory) == before | new
    # and the next daily run under the edited policy finds nothing left to do
    assert evaluate_clocks(factory, as_of=day, policy=edited).enqueued == {}
