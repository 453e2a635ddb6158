"""One case's whole story as a dated timeline: why each date is what it is.

In the spirit of an SLA timeline (ServiceNow shows each SLA's start, pause, breach and the rule that set
them): a supervisor reading a case sees, in date order, the filing, each recommendation issued and
received, each deadline with the article it comes from and the day-by-day explanation of the computation
(start day not counted, month arithmetic, a last day on a holiday moved to the next working day), the
replies (and why one did not stop the clock), promised rectification dates, escalations and the notices
sent for them with their recipients, corrections of the case record, recorded procedural events, and the
agency records linked to the case with the evidence of the match.

The clock dates are derived with the sweep's own pure function (``sla.clocks.derive_case_clocks``) from
the facts as they are now, and evaluated with ``sla.escalation.evaluate`` as of the requested date — the
same rules the dashboard lists and the escalation sweep use. No personal data: parties are not part of the
timeline (the case route masks them per role), and notices are shown by subject and recipient address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store.models import (
    Agency,
    AgencyRecord,
    AuditEntry,
    Case,
    Clock,
    Escalation,
    OutboxMessage,
    Recommendation,
    RecordLink,
    SlaEvent,
)

__all__ = ["case_timeline"]

#: Event kinds and their labels (the page colours them by kind).
EVENT_LABELS = {
    "case_opened": "立案 / case filed",
    "recommendation_issued": "发出检察建议 / recommendation issued",
    "recommendation_received": "检察建议送达 / recommendation received",
    "clock_started": "期限起算 / period starts",
    "deadline": "期限届满 / deadline",
    "reply": "书面回复 / reply",
    "promise": "承诺整改期限 / promised rectification date",
    "rectified": "整改完成 / rectified",
    "escalation": "升级督办 / escalation",
    "notice": "通知发送 / notice sent",
    "event": "程序事项 / procedural event",
    "correction": "案件信息更正 / case record corrected",
    "record_linked": "关联单位记录 / agency record linked",
}
SLA_EVENT_LABELS = {
    "announcement": "发布公告 / announcement published",
    "follow_up_done": "完成“回头看” / follow-up done",
    "withdrawn": "撤回检察建议 / recommendation withdrawn",
    "obstacle": "客观障碍，中止计时 / obstacle recorded: clock suspended",
    "resume": "障碍消除，恢复计时 / obstacle removed: clock resumed",
    "closed": "案件办结 / case closed",
    "lawsuit_decided": "作出是否起诉的决定 / decision on a lawsuit taken",
}
OUTBOX_STATUS_LABELS = {"sent": "已发送", "pending": "待发送", "dead": "发送失败", "failed": "发送失败"}
CLOCK_STATE_LABELS = {
    "pending": "未开始",
    "running": "计时中",
    "due_soon": "即将到期",
    "met": "按期完成",
    "met_late": "逾期完成",
    "breached": "已超期",
    "escalated": "已升级",
    "closed": "已关闭",
    "calendar_missing": "期限待定（日历缺失）",
    "no_statutory_period": "当时当地无法定回复期限（不认定超期）",
    "withdrawn": "检察建议已撤回",
    "suspended": "中止计时",
}

RECIPIENT_LABELS = {
    "case_procurator": "承办检察官",
    "department_head": "部门负责人",
    "lawsuit_proposal": "承办检察官（提起诉讼建议）",
}


def recipient_label(recipient: str, agency_names: dict[str, str]) -> str:
    """``agency:330800-nync`` → 衢州市农业农村局; ``case_procurator:KC-…`` → 承办检察官 (the route, not a person)."""
    role, _, target = recipient.partition(":")
    if role == "agency":
        return agency_names.get(target, target)
    return RECIPIENT_LABELS.get(role, recipient)


COMPARISON_LABELS = {
    "credit_code": "统一社会信用代码",
    "id_number": "身份证号（密钥散列比对）",
    "court_case_number": "法院案号",
    "doc_number": "文书号",
    "company_name": "单位名称",
    "person_name": "自然人姓名",
    "agency_name": "机关名称",
    "branch": "分支机构",
    "address": "地址",
    "region": "行政区划",
    "domain": "领域",
    "time_window": "时间窗口",
    "public_body": "公职机关",
}
EXACT_KEY_LABELS = {
    "recommendation_number": "检察建议文号",
    "case_id": "案件编号",
    "court_case_number": "法院案号",
}


def evidence_lines(explanation: dict[str, Any]) -> list[str]:
    """Why a record was linked, as readable lines — comparison, level and weight, never the compared values.

    The stored explanation keeps both sides' values for the reviewer; a name of a natural person may be
    among them, so the timeline (read by every supervisor) shows only which fields agreed and how much each
    counted.
    """
    lines: list[str] = []
    key = explanation.get("exact_key")
    if key:
        lines.append(f"按{EXACT_KEY_LABELS.get(key, key)}精确匹配 / exact key: {key}")
    if "score" in explanation:
        lines.append(f"匹配得分 / score {explanation['score']}（{explanation.get('decision', '')}）")
    for c in explanation.get("comparisons") or []:
        if c.get("level") in (None, "null", "else") or c.get("total") in (0, 0.0):
            continue
        name = c.get("comparison", "")
        total = c.get("total")
        shown = total if isinstance(total, str) else f"{float(total):+.2f}"
        lines.append(f"{COMPARISON_LABELS.get(name, name)}：{c.get('level')}（{shown}）")
    effects = explanation.get("effects") or {}
    if effects.get("evidence"):
        lines.append("单位记录附有证明材料 / the agency record carries evidence")
    if effects.get("reply"):
        lines.append("作为书面回复计入 / counted as the written reply")
    return lines


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: dt.datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


def case_timeline(session: Session, case: Case, as_of: dt.date) -> dict[str, Any]:
    """``{case_id, as_of, clocks: [...], events: [...]}`` — events sorted by date, then by their order of kind."""
    from hub.reports.figures import current_policy
    from sla.clocks import KIND_LABELS, derive_case_clocks, load_case_facts
    from sla.escalation import evaluate
    from sla.sweep import derivation_config

    policy = current_policy()  # the policy file parsed once per version, not per request
    resolved = policy.resolve(case.region_code, case.domain)
    facts = load_case_facts(session, [case.id]).get(case.id)
    from hub.calendar_store import store_calendar

    calendar = store_calendar(session)  # with the notices imported into the store
    derived = (
        derive_case_clocks(facts, config=derivation_config(policy), calendar=calendar) if facts is not None else []
    )
    recs = {r.id: r for r in session.execute(select(Recommendation).where(Recommendation.case_pk == case.id)).scalars()}
    rec_by_number = {r.rec_number: r for r in recs.values()}
    agencies = {
        a.id: a
        for a in session.execute(select(Agency).where(Agency.id.in_({r.agency_pk for r in recs.values()}))).scalars()
    }
    events: list[dict[str, Any]] = []

    def add(kind: str, on: dt.date | None, text: str, **extra: Any) -> None:
        events.append({"kind": kind, "label": EVENT_LABELS[kind], "date": _iso(on), "text": text, **extra})

    add("case_opened", case.opened_on, f"{case.district}立案：{case.title}")
    for r in sorted(recs.values(), key=lambda x: (x.issued_on, x.rec_number)):
        agency = agencies.get(r.agency_pk)
        name = agency.name if agency else "?"
        urgent = "（紧急，15日内回复）" if r.urgent else ""
        add(
            "recommendation_issued",
            r.issued_on,
            f"{r.rec_number} 发往 {name}{urgent}",
            rec_number=r.rec_number,
            agency=name,
        )
        if r.received_on:
            how = "宣告送达" if r.publicly_delivered else "送达"
            add(
                "recommendation_received",
                r.received_on,
                f"{name}收到 {r.rec_number}（{how}）",
                rec_number=r.rec_number,
                agency=name,
            )
        for x in sorted(r.replies, key=lambda y: (y.replied_on, y.seq)):
            parts = [f"{name}书面回复（第{x.seq}次）"]
            if x.posted_on:
                parts.append(f"邮寄日 {x.posted_on}（在途时间不计）")
            parts.append("附证明材料" if x.has_evidence else "未附证明材料")
            if x.rebound:
                parts.append("跟进监督发现反弹回潮")
            add(
                "reply",
                x.replied_on,
                "，".join(parts),
                rec_number=r.rec_number,
                agency=name,
                source="单位系统 / agency record" if x.source == "record" else "案件名录 / case registry",
            )
            if x.rectification_due:
                add(
                    "promise",
                    x.rectification_due,
                    f"{name}承诺于 {x.rectification_due} 前整改完毕",
                    rec_number=r.rec_number,
                    agency=name,
                )
            if x.rectified and x.rectified_on:
                add("rectified", x.rectified_on, f"{name}报告整改完毕", rec_number=r.rec_number, agency=name)

    stored = {c.clock_key: c for c in session.execute(select(Clock).where(Clock.case_pk == case.id)).scalars()}
    clocks = []
    for clock in derived:
        ev = evaluate(clock, as_of, resolved)
        rec = rec_by_number.get(clock.rec_number or "")
        agency = agencies.get(rec.agency_pk) if rec else None
        levels = [
            {"level": lv.level, "label": lv.label, "offset_days": lv.offset_for(clock.short_period)}
            for lv in resolved.levels(clock.kind)
        ]
        entry = {
            "clock_key": clock.key,
            "kind": clock.kind,
            "kind_label": KIND_LABELS.get(clock.kind, clock.kind),
            "rec_number": clock.rec_number,
            "agency": agency.name if agency else None,
            "period": clock.period,
            "start_on": _iso(clock.start_on),
            "deadline_official": _iso(clock.deadline_official),
            "deadline_all_weekends": _iso(clock.deadline_all_weekends),
            "breach_after": _iso(clock.breach_after),
            "outcome": clock.outcome,
            "resolved_on": _iso(clock.resolved_on),
            "state": ev.state.value,
            "state_label": CLOCK_STATE_LABELS.get(ev.state.value, ev.state.value),
            "level": ev.level,
            "days_left": ev.days_left,
            "days_overdue": ev.days_overdue,
            "incomplete": clock.incomplete,
            "explanation": clock.explanation,
            "escalation_levels": levels,
            "swept": clock.key in stored,
        }
        clocks.append(entry)
        if clock.start_on:
            add(
                "clock_started",
                clock.start_on,
                f"{entry['kind_label'].split(' / ')[0]}起算（期间 {clock.period or '—'}）",
                clock_key=clock.key,
                rec_number=clock.rec_number,
                agency=entry["agency"],
            )
        if clock.deadline_official:
            rule = clock.explanation.get("rule") or ""
            missing = clock.explanation.get("calendar_missing_years")
            text = f"{entry['kind_label'].split(' / ')[0]}届满"
            if missing:
                text += (
                    f"（{'、'.join(map(str, missing))}年国务院节假日安排未载入：最早 {clock.deadline_official}，"
                    f"最晚 {clock.breach_after}，超期只在最晚日之后认定）"
                )
            elif clock.breach_after and clock.breach_after != clock.deadline_official:
                text += f"（按“全部周末休息”口径 {clock.breach_after}，以较晚者判断超期）"
            add(
                "deadline",
                clock.deadline_official,
                text,
                clock_key=clock.key,
                rec_number=clock.rec_number,
                agency=entry["agency"],
                rule=rule,
                explanation=clock.explanation.get("official") or [],
                state=entry["state"],
                state_label=entry["state_label"],
            )

    keys = [c["clock_key"] for c in clocks] + [k for k in stored if k not in {c["clock_key"] for c in clocks}]
    if keys:
        rows = session.execute(
            select(Escalation, Clock.clock_key)
            .join(Clock, Clock.id == Escalation.clock_pk)
            .where(Clock.clock_key.in_(keys), Escalation.due_on <= as_of)
            .order_by(Escalation.due_on, Escalation.level)
        ).all()
        notices: dict[int, list[OutboxMessage]] = {}
        esc_pks = [e.id for e, _ in rows]
        if esc_pks:
            for m in session.execute(
                select(OutboxMessage).where(OutboxMessage.escalation_pk.in_(esc_pks)).order_by(OutboxMessage.id)
            ).scalars():
                notices.setdefault(m.escalation_pk or 0, []).append(m)
        codes = {e.recipient.partition(":")[2] for e, _ in rows if e.recipient.startswith("agency:")}
        agency_names = dict(session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all())
        level_labels = {}
        for kind in {c["kind"] for c in clocks}:
            for lv in resolved.levels(kind):
                level_labels[(kind, lv.level)] = lv.label
        kind_of = {c["clock_key"]: c["kind"] for c in clocks}
        for esc, key in rows:
            sent = notices.get(esc.id, [])
            who = recipient_label(esc.recipient, agency_names)
            level_label = level_labels.get((kind_of.get(key, key.partition(":")[0]), esc.level), esc.level_name)
            add(
                "escalation",
                esc.due_on,
                f"第{esc.level}级 {level_label}：通知 {who}",
                clock_key=key,
                level=esc.level,
                level_name=esc.level_name,
                level_label=level_label,
                recipient=esc.recipient,
                recipient_label=who,
                notices=[
                    {
                        "channel": m.channel,
                        "recipient": m.recipient,
                        "subject": m.subject,
                        "status": m.status,
                        "status_label": OUTBOX_STATUS_LABELS.get(m.status, m.status),
                        "sent_at": _iso(m.sent_at),
                    }
                    for m in sent
                ],
            )

    for e in session.execute(
        select(SlaEvent).where(SlaEvent.case_pk == case.id).order_by(SlaEvent.occurred_on, SlaEvent.id)
    ).scalars():
        label = SLA_EVENT_LABELS.get(e.kind, e.kind)
        add(
            "event",
            e.occurred_on,
            label + (f"：{e.note}" if e.note else ""),
            recorded_by=e.recorded_by,
            recorded_on=_day(e.recorded_at),
        )

    for a in session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == "case", AuditEntry.object_id == case.case_id, AuditEntry.action == "case.update"
        )
        .order_by(AuditEntry.id)
    ).scalars():
        changed = (a.detail or {}).get("changed_fields") or []
        add(
            "correction",
            a.at.date(),
            "更正字段 / fields changed: " + ("、".join(map(str, changed)) or "—"),
            actor=a.actor,
            fields=changed,
        )

    links = session.execute(
        select(RecordLink, AgencyRecord, Agency.name)
        .join(AgencyRecord, AgencyRecord.id == RecordLink.record_pk)
        .outerjoin(Agency, Agency.code == AgencyRecord.agency_code)
        .where(RecordLink.case_pk == case.id, RecordLink.status.in_(("active", "pending_review")))
        .order_by(RecordLink.created_at, RecordLink.id)
    ).all()
    for link, record, agency_name in links:
        status = "已关联" if link.status == "active" else "待人工复核"
        add(
            "record_linked",
            record.fetched_at.date(),
            f"{agency_name or record.agency_code} {record.kind} 记录 {record.source_id}（{status}，得分 {link.score:.2f}）",
            agency=agency_name or record.agency_code,
            record_kind=record.kind,
            source_id=record.source_id,
            stream=record.stream,
            link_status=link.status,
            score=round(link.score, 3),
            evidence=evidence_lines(link.explanation or {}),
            decided_by=link.decided_by,
        )

    order = {k: i for i, k in enumerate(EVENT_LABELS)}
    events.sort(key=lambda e: (e["date"] or "9999", order[e["kind"]]))
    return {"case_id": case.case_id, "as_of": as_of.isoformat(), "clocks": clocks, "events": events}
