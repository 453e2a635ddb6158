"""The demo's closing summary, counted from the store (not from the run's own bookkeeping)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cli.output import console
from hub.store.models import Clock, Escalation, IngestBatch, OutboxMessage, RecordLink


def summarise(session: Session, *, mails: int, report_dir: Path, as_of: dt.date) -> dict[str, Any]:
    ingest = session.execute(
        select(IngestBatch.agency_code, func.sum(IngestBatch.received), func.sum(IngestBatch.loaded),
               func.sum(IngestBatch.duplicates), func.sum(IngestBatch.quarantined))
        .group_by(IngestBatch.agency_code).order_by(IngestBatch.agency_code)
    ).all()
    links = dict(session.execute(select(RecordLink.status, func.count()).group_by(RecordLink.status)).all())
    clocks = dict(session.execute(select(Clock.state, func.count()).group_by(Clock.state)).all())
    sent_by_level = dict(session.execute(
        select(Escalation.level_name, func.count())
        .join(OutboxMessage, OutboxMessage.escalation_pk == Escalation.id)
        .where(OutboxMessage.status == "sent").group_by(Escalation.level_name)
    ).all())
    outbox = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    reports = sorted(str(p) for p in report_dir.glob("pilhub-annual-*") if not p.name.endswith(".manifest.json"))
    return {"as_of": as_of, "ingest": [tuple(int(v or 0) if i else v for i, v in enumerate(r)) for r in ingest],
            "links": links, "clocks": clocks, "sent_by_level": sent_by_level, "outbox": outbox, "mails": mails,
            "reports": reports}


def print_summary(s: dict[str, Any]) -> None:
    console.rule("演示小结 / summary")
    table = Table("单位 agency", "拉取 fetched", "入库 loaded", "重复 duplicates", "隔离 quarantined")
    for agency, fetched, loaded, dups, quarantined in s["ingest"]:
        table.add_row(agency, str(fetched), str(loaded), str(dups), str(quarantined))
    console.print(table)
    links = s["links"]
    console.print(f"关联 links: 已关联 linked {links.get('active', 0)}，待复核 sent to review "
                  f"{links.get('pending_review', 0)}")
    console.print("期限 clocks (as of " + s["as_of"].isoformat() + "): "
                  + "，".join(f"{k} {v}" for k, v in sorted(s["clocks"].items())))
    console.print("已发送督促通知 notices sent by level: "
                  + ("，".join(f"{k} {v}" for k, v in sorted(s["sent_by_level"].items())) or "0")
                  + f"；发件箱 outbox {s['outbox']}；SMTP 收件器收到邮件 mails caught {s['mails']}")
    console.print("报告文件 report files:")
    for path in s["reports"]:
        console.print(f"  {path}")
