"""Escalation levels fire at the right offsets, once each, to the right recipients (store on both databases).

The ladder (sla/data/escalation.yaml): 7 days before the official deadline (3 for 15-day clocks) a reminder to
the agency; the first day after ``breach_after`` an alert to the procurator and the department head; 15 days
after, the superior authority and the rule-of-law office; 30 days after, the people's congress, and to the
procurator the proposals to refer the matter to the supervisory commission (never the commission itself, which is
told only on the procurator's confirmation) and to consider a lawsuit.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.registry.importer import import_cases, read_lines
from hub.store import open_store
from hub.store.models import Clock, Escalation, OutboxMessage
from sla.policy import load_policy
from sla.sweep import sweep

D = dt.date.fromisoformat
POLICY = load_policy()
KECHENG_ENV = "衢州市生态环境局柯城分局"  # 330802-sthj, superior 330800-sthj


def _store(url: str, tmp: Path, *cases: dict[str, Any]) -> sessionmaker[Session]:
    factory = open_store(url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    path = tmp / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    assert import_cases(read_lines(path), factory).rejected == 0
    return factory


def _case(
    case_id: str,
    received: str,
    *,
    agency: str = KECHENG_ENV,
    urgent: bool = False,
    domain: str = "ecology",
    region: str = "330802",
    number: int = 1,
) -> dict[str, Any]:
    received_on = D(received)
    return {
        "case_id": case_id,
        "title": "督促依法履行环境监管职责（测试）",
        "domain": domain,
        "procedure": "admin_pre_litigation",
        "region_code": region,
        "district": {"330802": "柯城区", "330800": "衢州市"}[region],  # the district must name the region code
        "opened_on": (received_on - dt.timedelta(days=10)).isoformat(),
        "status": "open",
        "procurator": "王测试",
        "recommendations": [
            {
                "rec_id": f"柯检行公建〔{received_on.year}〕{number}号",
                "agency": agency,
                "issued_on": (received_on - dt.timedelta(days=2)).isoformat(),
                "received_on": received,
                "urgent": urgent,
            }
        ],
    }


def _fired(factory: sessionmaker[Session], clock_key: str | None = None) -> set[tuple[int, str, dt.date]]:
    with factory() as s:
        query = select(Escalation.level, Escalation.recipient, Escalation.due_on).join(
            Clock, Clock.id == Escalation.clock_pk
        )
        if clock_key:
            query = query.where(Clock.clock_key == clock_key)
        return {tuple(row) for row in s.execute(query)}  # type: ignore[misc]


def _state(factory: sessionmaker[Session], clock_key: str) -> tuple[str, int | None]:
    with factory() as s:
        clock = s.execute(select(Clock).where(Clock.clock_key == clock_key)).scalar_one()
        return clock.state, clock.level


def test_levels_fire_day_by_day_across_a_breach(store_url: str, tmp_path: Path) -> None:
    # Received 2024-08-12: two months end on Sat 2024-10-12, a make-up working day — official 10-12,
    # all-weekends 10-14 (Mon). Reminder 7 days before the official date; breach only after 10-14.
    factory = _store(store_url, tmp_path, _case("KC-T-001", "2024-08-12"))
    key = "reply:柯检行公建〔2024〕1号"
    # day by day around each offset: the reminder, the two readings and the breach, +15, +30
    days = [D("2024-10-03") + dt.timedelta(days=i) for i in range(4)]
    days += [D("2024-10-11") + dt.timedelta(days=i) for i in range(6)]
    days += [D("2024-10-28") + dt.timedelta(days=i) for i in range(2)]
    days += [D("2024-11-12") + dt.timedelta(days=i) for i in range(3)]
    expected_new = {
        D("2024-10-05"): {(1, "agency:330802-sthj", D("2024-10-05"))},
        D("2024-10-15"): {
            (2, "case_procurator:KC-T-001", D("2024-10-15")),
            (2, "department_head:KC-T-001", D("2024-10-15")),
        },
        D("2024-10-29"): {(3, "agency:330800-sthj", D("2024-10-29")), (3, "agency:330802-fzb", D("2024-10-29"))},
        D("2024-11-13"): {
            (4, "agency:330802-rdcwh", D("2024-11-13")),
            (4, "supervisory_proposal:KC-T-001", D("2024-11-13")),
            (4, "lawsuit_proposal:KC-T-001", D("2024-11-13")),
        },
    }
    expected_state = {
        D("2024-10-03"): ("running", None),
        D("2024-10-05"): ("due_soon", 1),
        D("2024-10-12"): ("due_soon", 1),
        D("2024-10-14"): ("due_soon", 1),
        D("2024-10-15"): ("breached", 2),
        D("2024-10-28"): ("breached", 2),
        D("2024-10-29"): ("escalated", 3),
        D("2024-11-13"): ("escalated", 4),
    }
    seen: set[tuple[int, str, dt.date]] = set()
    for day in days:
        sweep(factory, as_of=day, policy=POLICY)
        fired = _fired(factory, key)
        assert fired - seen == expected_new.get(day, set()), day
        seen = fired
        if day in expected_state:
            assert _state(factory, key) == expected_state[day], day
    with factory() as s:
        messages = s.execute(select(OutboxMessage.channel, OutboxMessage.recipient)).all()
        keys = s.execute(select(OutboxMessage.dedupe_key)).scalars().all()
        keys_by_clock = s.execute(
            select(Clock.clock_key)
            .join(Escalation, Escalation.clock_pk == Clock.id)
            .join(OutboxMessage, OutboxMessage.escalation_pk == Escalation.id)
        ).all()
    # agencies are reached on every registered contact (inbox and e-mail), the procuratorate in its inbox
    assert ("email", "sthj@330802.gov.example.cn") in messages and ("inbox", "procurator:KC-T-001") in messages
    assert ("inbox", "department-head:330802") in messages and ("email", "fzb@330802.gov.example.cn") in messages
    # one message per escalation and address: 11 on the reply clock, and the reminder of the decision-to-sue clock
    # that follows the breach (2024-10-14 + 1 month, reminded 7 days before: 2024-11-07)
    assert len(messages) == 12 and len(keys) == len(set(keys))
    assert sum(1 for (k,) in keys_by_clock if k.startswith("lawsuit:")) == 1


def test_a_fifteen_day_clock_is_reminded_three_days_before(store_url: str, tmp_path: Path) -> None:
    factory = _store(store_url, tmp_path, _case("KC-T-002", "2026-11-10", urgent=True))
    key = "reply:柯检行公建〔2026〕1号"
    sweep(factory, as_of=D("2026-11-21"), policy=POLICY)
    assert _fired(factory, key) == set() and _state(factory, key) == ("running", None)
    sweep(factory, as_of=D("2026-11-22"), policy=POLICY)  # 11-25 minus 3 days
    assert _fired(factory, key) == {(1, "agency:330802-sthj", D("2026-11-22"))}
    assert _state(factory, key) == ("due_soon", 1)
    sweep(factory, as_of=D("2026-11-26"), policy=POLICY)
    assert {lv for lv, _, _ in _fired(factory, key)} == {1, 2}


def test_a_domain_override_moves_the_superior_notice(store_url: str, tmp_path: Path) -> None:
    # Zhejiang (33) food and drug safety: the superior is told 5 days after the breach, not 15.
    factory = _store(
        store_url, tmp_path, _case("KC-T-003", "2024-03-20", agency="衢州市柯城区市场监督管理局", domain="food_drug")
    )
    key = "reply:柯检行公建〔2024〕1号"  # 2 months: 2024-05-20
    sweep(factory, as_of=D("2024-05-24"), policy=POLICY)
    assert {lv for lv, _, _ in _fired(factory, key)} == {2}
    sweep(factory, as_of=D("2024-05-25"), policy=POLICY)
    assert {(lv, r) for lv, r, _ in _fired(factory, key) if lv == 3} == {
        (3, "agency:330800-scjg"),
        (3, "agency:330802-fzb"),
    }


def test_a_late_first_sweep_sends_the_due_levels_but_not_a_stale_reminder(store_url: str, tmp_path: Path) -> None:
    factory = _store(store_url, tmp_path, _case("KC-T-004", "2024-03-20"))
    report = sweep(factory, as_of=D("2024-06-10"), policy=POLICY)  # 21 days after the 05-20 deadline
    assert report.enqueued == {2: 2, 3: 2}
    assert _state(factory, "reply:柯检行公建〔2024〕1号") == ("escalated", 3)


def test_recipients_missing_from_the_registry_go_to_the_operator(store_url: str, tmp_path: Path) -> None:
    # A city-level bureau: no superior in the registry, and no rule-of-law office in 330800 (→ the government).
    factory = _store(store_url, tmp_path, _case("KC-T-005", "2024-03-20", agency="衢州市生态环境局", region="330800"))
    sweep(factory, as_of=D("2024-06-30"), policy=POLICY)
    fired = {(lv, r) for lv, r, _ in _fired(factory)}
    assert (3, "unresolved:superior_authority:330800-sthj") in fired
    assert (3, "agency:330800-gov") in fired and (4, "agency:330800-rdcwh") in fired
    with factory() as s:
        routed = (
            s.execute(
                select(OutboxMessage.recipient)
                .join(Escalation, Escalation.id == OutboxMessage.escalation_pk)
                .where(Escalation.recipient == "unresolved:superior_authority:330800-sthj")
            )
            .scalars()
            .all()
        )
    assert routed == ["pilhub-operator"]
