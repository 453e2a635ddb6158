"""The demo's closing summary, counted from the store (not from the run's own bookkeeping).

Readable by the people the demo is shown to: tables with agency names rather than codes, clock states in
Chinese (with the code beside it for engineers), notices by the name of their level — and, last, the
things the user has to do: clocks whose deadline falls in a year without an official holiday calendar,
and civil cases in the announcement stage without a recorded announcement date, each with its case and the
command that settles it. The sweep only logs these; a demo that ends without saying them hides them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hub.cli.output import add_id_column, console
from hub.store.models import Agency, Case, Clock, Escalation, IngestBatch, OutboxMessage, RecordLink, SlaEvent

STATE_LABELS = {
    "escalated": "已升级",
    "breached": "已超期",
    "due_soon": "即将到期",
    "calendar_missing": "期限待定（日历缺失）",
    "running": "计时中",
    "pending": "未开始（未送达）",
    "met": "按期完成",
    "met_late": "逾期完成",
    "closed": "已关闭",
    "no_statutory_period": "当时当地无法定期限",
    "withdrawn": "检察建议已撤回",
    "suspended": "中止计时",
}
OUTBOX_LABELS = {"sent": "已发送", "pending": "待发送", "dead": "发送失败", "failed": "发送失败"}
KIND_LABELS = {
    "reply": "书面回复",
    "rectification": "承诺整改",
    "follow_up": "回头看",
    "announcement": "公告期间",
    "lawsuit": "起诉决定",
}


def _level_labels() -> dict[str, str]:
    """Level names (``breach_alert``) → their Chinese labels (逾期告警) from the escalation policy."""
    from sla.policy import load_policy

    policy = load_policy()
    return {lv.name: lv.label for ladder in policy.ladders.values() for lv in ladder.levels}


def _actions(session: Session) -> list[dict[str, str]]:
    """What the user must do, one line per case: the problem and the command that settles it."""
    actions: list[dict[str, str]] = []
    for case_id, kind, explanation in session.execute(
        select(Case.case_id, Clock.kind, Clock.explanation)
        .join(Case, Case.id == Clock.case_pk)
        .where(Clock.state == "calendar_missing")
        .order_by(Case.case_id, Clock.kind)
    ):
        years = "、".join(str(y) for y in (explanation or {}).get("calendar_missing_years", [])) or "?"
        actions.append(
            {
                "case_id": case_id,
                "problem": f"{KIND_LABELS.get(kind, kind)}期限届满于{years}年，该年国务院节假日安排尚未录入，期限只能暂定"
                f" / the deadline falls in {years}, whose official holiday calendar is not loaded",
                "command": f"国务院通知公布后：pilhub calendar import 通知.txt，再 pilhub sla sweep；"
                f"查看：pilhub sla status {case_id}",
            }
        )
    announced = select(SlaEvent.case_pk).where(SlaEvent.kind == "announcement")
    for (case_id,) in session.execute(
        select(Case.case_id)
        .where(
            and_(
                Case.procedure.in_(("civil", "criminal_incidental_civil")),
                Case.litigation_status == "announcement",
                Case.status != "closed",
                Case.id.not_in(announced),
            )
        )
        .order_by(Case.case_id)
    ):
        actions.append(
            {
                "case_id": case_id,
                "problem": "民事公益诉讼处于公告阶段，但未登记公告日期，30日公告期间无法起算"
                " / in the announcement stage without a recorded announcement date",
                "command": f"pilhub sla event {case_id} --kind announcement --on YYYY-MM-DD",
            }
        )
    return actions


def summarise(session: Session, *, mails: int, report_dir: Path, as_of: dt.date) -> dict[str, Any]:
    names = dict(session.execute(select(Agency.code, Agency.name)).tuples().all())
    ingest = session.execute(
        select(
            IngestBatch.agency_code,
            func.sum(IngestBatch.received),
            func.sum(IngestBatch.loaded),
            func.sum(IngestBatch.duplicates),
            func.sum(IngestBatch.quarantined),
        )
        .group_by(IngestBatch.agency_code)
        .order_by(IngestBatch.agency_code)
    ).all()
    links = dict(session.execute(select(RecordLink.status, func.count()).group_by(RecordLink.status)).tuples().all())
    clocks = dict(session.execute(select(Clock.state, func.count()).group_by(Clock.state)).tuples().all())
    sent_by_level = dict(
        session.execute(
            select(Escalation.level_name, func.count())
            .join(OutboxMessage, OutboxMessage.escalation_pk == Escalation.id)
            .where(OutboxMessage.status == "sent")
            .group_by(Escalation.level_name)
        )
        .tuples()
        .all()
    )
    outbox = dict(
        session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).tuples().all()
    )
    reports = sorted(str(p) for p in report_dir.glob("pilhub-annual-*") if not p.name.endswith(".manifest.json"))
    return {
        "as_of": as_of,
        "ingest": [(code, names.get(code, code), *(int(v or 0) for v in counts)) for code, *counts in ingest],
        "links": links,
        "clocks": clocks,
        "sent_by_level": sent_by_level,
        "outbox": outbox,
        "mails": mails,
        "reports": reports,
        "actions": _actions(session),
    }


def print_summary(s: dict[str, Any]) -> None:
    console.rule("演示小结 / summary")
    table = Table(title="① 拉取与入库 / records pulled and loaded")
    table.add_column("单位 agency", overflow="fold", min_width=14)
    for header in ("拉取 fetched", "入库 loaded", "重复 duplicates", "隔离 quarantined"):
        table.add_column(header, justify="right")
    for _code, name, fetched, loaded, dups, quarantined in s["ingest"]:
        table.add_row(name, str(fetched), str(loaded), str(dups), str(quarantined))
    console.print(table)
    links = s["links"]
    console.print(
        f"② 关联 links: 已关联 linked {links.get('active', 0)}，待复核 sent to review {links.get('pending_review', 0)}"
        f"（pilhub review list）"
    )
    clocks = Table(title=f"③ 期限 / clocks as of {s['as_of'].isoformat()}")
    for header, justify in (("状态", "left"), ("state", "left"), ("个数 count", "right")):
        clocks.add_column(header, justify=justify)  # type: ignore[arg-type]
    order = list(STATE_LABELS)
    for state, count in sorted(s["clocks"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
        clocks.add_row(STATE_LABELS.get(state, state), state, str(count))
    console.print(clocks)
    labels = _level_labels()
    notices = Table(title="④ 已发送督促通知 / notices sent")
    for header, justify in (("级别 level", "left"), ("件数 count", "right")):
        notices.add_column(header, justify=justify)  # type: ignore[arg-type]
    for name, count in sorted(s["sent_by_level"].items()):
        notices.add_row(f"{labels.get(name, name)}（{name}）", str(count))
    console.print(notices)
    outbox = "，".join(f"{OUTBOX_LABELS.get(k, k)} {k} {v}" for k, v in sorted(s["outbox"].items())) or "0"
    console.print(f"发件箱 outbox: {outbox}；SMTP 收件器收到邮件 mails caught {s['mails']}")
    console.print("报告文件 report files:")
    for path in s["reports"]:
        console.print(f"  {path}")
    actions = s["actions"]
    if not actions:
        console.print("[green]无待处理事项 / nothing for you to do[/green]")
        return
    todo = Table(title=f"⑤ 需要您处理的事项 / what you need to do（{len(actions)}）", title_style="bold yellow")
    add_id_column(todo, "案件 case", [a["case_id"] for a in actions])
    todo.add_column("问题 problem", overflow="fold")
    todo.add_column("处理 / command", overflow="fold")
    for a in actions:
        todo.add_row(a["case_id"], a["problem"], a["command"])
    console.print(todo)
