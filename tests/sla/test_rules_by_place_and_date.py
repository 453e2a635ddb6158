"""Rules carry their place and time: the same facts give different clocks in Zhejiang and in Lincang, and before,
during and after the pilot — and every notice cites exactly the rule applied.

The Lincang rule is checked against the decision's own text (``sources/lincang_congress_decision_2020.txt``, the
document as published: 临沧市人大常委会关于加强和支持检察机关公益诉讼工作的决定, adopted 2020-08-30), not against
a fixture written here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.notify.render import message_context, render
from hub.registry.importer import import_cases, read_lines
from hub.store import open_store
from hub.store.models import Clock, Escalation, OutboxMessage
from sla.calendar import OfficialCalendar
from sla.clocks import CaseFacts, RecommendationFacts, ReplyFacts, derive_case_clocks
from sla.escalation import evaluate
from sla.policy import SHIPPED_POLICY, PolicyError, load_policy
from sla.rules import shipped_rules
from sla.sweep import sweep

D = dt.date.fromisoformat
CAL = OfficialCalendar.load()
POLICY = load_policy()
DECISION = Path(__file__).with_name("sources") / "lincang_congress_decision_2020.txt"
ZHEJIANG, LINCANG, BEIJING, YUNNAN = "330802", "530902", "110101", "530102"


def _reply_clock(region: str, received: str, *replies: ReplyFacts, urgent: bool = False, issued: str | None = None):
    rec = RecommendationFacts(
        "测检行公建〔2025〕1号",
        D(issued) if issued else D(received) - dt.timedelta(days=1),
        D(received),
        urgent,
        tuple(replies),
    )
    case = CaseFacts("KC-R-001", "admin_pre_litigation", "open", None, (rec,), (), region_code=region)
    return next(c for c in derive_case_clocks(case, calendar=CAL) if c.kind == "reply")


# --- the rule's text comes from the decision itself ---------------------------------------------------------


def test_the_lincang_evidence_rule_is_the_decisions_own_words_and_date() -> None:
    text = DECISION.read_text(encoding="utf-8")
    rule = shipped_rules().by_id("lincang_2020_urgent_evidence")
    # adopted "2020年8月30日临沧市四届人民代表大会常务委员会第二十次会议通过": the rule binds from that day
    year, month, day = map(int, re.search(r"（(\d{4})年(\d{1,2})月(\d{1,2})日临沧市", text).groups())  # type: ignore[union-attr]
    assert rule.effective_from == dt.date(year, month, day) == dt.date(2020, 8, 30)
    # the quoted provision is in §三(五) verbatim, and it is that paragraph which asks for evidence
    section = next(p for p in text.splitlines() if p.startswith("（五）认真落实行政机关整改义务"))
    assert rule.source.text is not None and rule.source.text in section
    assert "并附有相关证明材料" in rule.source.text
    assert rule.jurisdiction == ("5309",) and "临沧" in rule.source.document
    # and the national interpretation's urgent rule asks for a written reply only
    national = shipped_rules().by_id("spc_spp_2018_art21_urgent")
    assert national.source.text is not None and "证明材料" not in national.source.text


# --- the same urgent reply without evidence: met in Zhejiang, incomplete in Lincang --------------------------


@pytest.mark.parametrize(("region", "outcome", "incomplete"), [(ZHEJIANG, "met", False), (LINCANG, None, True)])
def test_the_same_urgent_reply_without_evidence(region: str, outcome: str | None, incomplete: bool) -> None:
    # received 2025-09-10, urgent: 15 days → 09-25; replied on day 12 without supporting evidence
    clock = _reply_clock(region, "2025-09-10", ReplyFacts(1, D("2025-09-22"), has_evidence=False), urgent=True)
    assert (clock.breach_after, clock.outcome, clock.incomplete) == (D("2025-09-25"), outcome, incomplete)
    ids = [r["id"] for r in clock.explanation["rules_applied"]]
    if region == LINCANG:
        assert ids == ["spc_spp_2018_art21_urgent", "lincang_2020_urgent_evidence"]
        assert evaluate(clock, D("2025-09-26"), POLICY.resolve(region, "ecology")).state.value == "breached"
    else:
        assert ids == ["spc_spp_2018_art21_urgent"] and "临沧" not in json.dumps(
            clock.explanation, ensure_ascii=False, default=str
        )


def test_the_evidence_rule_binds_lincang_only_from_its_own_date() -> None:
    before = _reply_clock(LINCANG, "2020-08-20", ReplyFacts(1, D("2020-08-25")), urgent=True)
    after = _reply_clock(LINCANG, "2020-09-01", ReplyFacts(1, D("2020-09-05")), urgent=True)
    elsewhere_in_yunnan = _reply_clock(YUNNAN, "2020-09-01", ReplyFacts(1, D("2020-09-05")), urgent=True)
    assert (before.outcome, after.outcome, elsewhere_in_yunnan.outcome) == ("met", None, "met")
    assert after.incomplete


# --- where and when: the pilot, the gap, the interpretation ---------------------------------------------------


@pytest.mark.parametrize(
    ("region", "received", "urgent", "period", "outcome", "rule"),
    [
        (YUNNAN, "2016-05-03", False, "1m", None, "pilot_2015_reply"),  # a pilot province during the pilot
        (YUNNAN, "2016-05-03", True, "1m", None, "pilot_2015_reply"),  # the pilot had no urgent period
        (ZHEJIANG, "2016-05-03", False, None, "no_statutory_period", None),  # Zhejiang was not a pilot province
        (BEIJING, "2017-06-30", False, "1m", None, "pilot_2015_reply"),  # last day of the pilot
        (BEIJING, "2017-07-01", False, None, "no_statutory_period", None),  # the gap
        (ZHEJIANG, "2018-02-20", True, None, "no_statutory_period", None),  # no 15-day rule before 2018-03-02
        (ZHEJIANG, "2018-03-02", True, "15d", None, "spc_spp_2018_art21_urgent"),
        (ZHEJIANG, "2018-03-02", False, "2m", None, "spc_spp_2018_art21_reply"),
    ],
)
def test_the_receipt_date_and_the_region_select_the_rule(
    region: str, received: str, urgent: bool, period: str | None, outcome: str | None, rule: str | None
) -> None:
    clock = _reply_clock(region, received, urgent=urgent, issued="2015-12-01")
    assert (clock.period, clock.outcome) == (period, outcome)
    assert [r["id"] for r in clock.explanation["rules_applied"]] == ([rule] if rule else [])
    if outcome == "no_statutory_period":
        assert clock.breach_after is None and "不认定超期" in clock.explanation["outcome"]
        assert "第二十一条" not in clock.explanation.get("citation", "")
        assert evaluate(clock, D("2030-01-01"), POLICY.resolve(region, "ecology")).state.value == "no_statutory_period"


def test_the_gap_says_so_in_its_explanation() -> None:
    clock = _reply_clock(ZHEJIANG, "2017-10-10", issued="2017-10-09")
    assert "2017年7月1日至2018年3月1日" in clock.explanation["outcome"]


# --- in the store: notices cite the rule applied -------------------------------------------------------------


def _case_line(case_id: str, region: str, district: str, agency: str, *, replied: str | None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "rec_id": f"{case_id}-建〔2025〕1号",
        "agency": agency,
        "issued_on": "2025-09-09",
        "received_on": "2025-09-10",
        "urgent": True,
    }
    if replied:
        rec["replies"] = [{"replied_on": replied, "has_evidence": False}]
    return {
        "case_id": case_id,
        "title": "督促整治非法排污（测试）",
        "domain": "ecology",
        "procedure": "admin_pre_litigation",
        "region_code": region,
        "district": district,
        "opened_on": "2025-09-01",
        "status": "open",
        "recommendations": [rec],
    }


def _store(url: str, tmp: Path, *lines: dict[str, Any]) -> sessionmaker[Session]:
    factory = open_store(url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    path = tmp / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines), encoding="utf-8")
    assert import_cases(read_lines(path), factory).rejected == 0
    return factory


def _texts(factory: sessionmaker[Session], case_id: str) -> list[str]:
    with factory() as s:
        messages = (
            s.execute(
                select(OutboxMessage).join(Escalation).join(Clock).where(Clock.clock_key.like(f"reply:{case_id}%"))
            )
            .scalars()
            .all()
        )
        out = []
        for m in messages:
            ctx = message_context(s, m)
            r = render(str(m.payload["template"]), ctx)
            out.append(r.subject + "\n" + r.body)
        return out


def test_notices_cite_the_rule_actually_applied(store_url: str, tmp_path: Path) -> None:
    factory = _store(
        store_url,
        tmp_path,
        _case_line("ZJ-1", ZHEJIANG, "柯城区", "衢州市生态环境局柯城分局", replied="2025-09-22"),
        _case_line("LC-1", LINCANG, "临翔区", "临沧市生态环境局临翔分局", replied="2025-09-22"),
        _case_line("ZJ-2", ZHEJIANG, "柯城区", "衢州市生态环境局柯城分局", replied=None),
        _case_line("LC-2", LINCANG, "临翔区", "临沧市生态环境局临翔分局", replied=None),
    )
    sweep(factory, as_of=D("2025-09-22"), policy=POLICY)  # reminders, 3 days before the 15-day deadline
    sweep(factory, as_of=D("2025-09-26"), policy=POLICY)  # breach alerts
    with factory() as s:
        states = dict(s.execute(select(Clock.clock_key, Clock.state).where(Clock.kind == "reply")).all())
        flags = dict(s.execute(select(Clock.clock_key, Clock.incomplete).where(Clock.kind == "reply")).all())
    assert states["reply:ZJ-1-建〔2025〕1号"] == "met" and not flags["reply:ZJ-1-建〔2025〕1号"]
    assert states["reply:LC-1-建〔2025〕1号"] == "breached" and flags["reply:LC-1-建〔2025〕1号"]
    assert _texts(factory, "ZJ-1") == []  # the Zhejiang agency that replied on day 12 is accused of nothing
    lincang = "\n".join(_texts(factory, "LC-1"))
    assert "临沧市人大常委会关于加强和支持检察机关公益诉讼工作的决定" in lincang and "证明材料" in lincang
    assert "法释〔2018〕6号）第二十一条第二款" in lincang
    # without any reply: a reminder and a breach alert each; only Lincang's speak of evidence, citing its own rule
    zhejiang, lincang_no_reply = _texts(factory, "ZJ-2"), _texts(factory, "LC-2")
    assert len(zhejiang) >= 2 and len(lincang_no_reply) >= 2  # (Zhejiang's agency has two contacts)
    assert all("第二十一条第二款" in t and "证明材料" not in t and "临沧市人大" not in t for t in zhejiang)
    reminder = next(t for t in lincang_no_reply if t.startswith("【期限提醒】"))
    assert "依照《临沧市人大常委会关于加强和支持检察机关公益诉讼工作的决定》" in reminder


# --- a deployment's local rules -------------------------------------------------------------------------------


def _policy_with(tmp_path: Path, local_rules: list[dict[str, Any]]) -> Path:
    data = yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))
    data["local_rules"] = local_rules
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


LOCAL = {
    "id": "kecheng_2024_urgent_evidence",
    "kind": "urgent_reply_evidence",
    "jurisdiction": ["330802"],
    "jurisdiction_name": "柯城区（示例）",
    "effective_from": "2024-01-01",
    "source": {
        "document": "柯城区人大常委会关于支持公益诉讼工作的决定（示例）",
        "article": "第五条",
        "text": "紧急情形的，应当在十五日内书面回复，并附相关证明材料。",
    },
}


def test_a_local_rule_in_the_policy_file_binds_its_region(tmp_path: Path) -> None:
    policy = load_policy(_policy_with(tmp_path, [LOCAL]))
    from sla.sweep import derivation_config

    config = derivation_config(policy)
    rec = RecommendationFacts(
        "柯检行公建〔2025〕9号", D("2025-09-09"), D("2025-09-10"), True, (ReplyFacts(1, D("2025-09-22")),)
    )
    kecheng = CaseFacts("KC-L-1", "admin_pre_litigation", "open", None, (rec,), (), region_code="330802")
    quzhou_other = CaseFacts("KC-L-2", "admin_pre_litigation", "open", None, (rec,), (), region_code="330803")
    k = next(c for c in derive_case_clocks(kecheng, config=config, calendar=CAL) if c.kind == "reply")
    o = next(c for c in derive_case_clocks(quzhou_other, config=config, calendar=CAL) if c.kind == "reply")
    assert (k.outcome, k.incomplete, o.outcome) == (None, True, "met")
    assert "柯城区人大常委会关于支持公益诉讼工作的决定（示例）》第五条" in k.explanation["citation"]
    assert config.digest != derivation_config(POLICY).digest  # a new local rule re-derives every clock


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(jurisdiction=[""]), "local rule must name its region"),
        (lambda r: r.update(jurisdiction=["33a"]), "must be 0-6 digits"),
        (lambda r: r.update(effective_to="2023-01-01"), "effective_to is before effective_from"),
        (lambda r: r.update(kind="reply_period"), "needs a period"),
        (lambda r: r.pop("source"), "source"),
        (lambda r: r.update(id="spc_spp_2018_art21_reply"), "duplicate rule ids"),
    ],
    ids=["national", "bad-prefix", "dates", "no-period", "no-source", "id-clash"],
)
def test_bad_local_rules_are_refused_with_a_clear_message(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    rule = json.loads(json.dumps(LOCAL))
    change(rule)
    with pytest.raises(PolicyError) as exc:
        load_policy(_policy_with(tmp_path, [rule]))
    text = str(exc.value)
    assert message in text and "升级策略文件格式错误" in text and "local_rules" in text
