"""Period reports written to files, signed, and announced to their recipients.

The reporting DAGs call :func:`deliver_period_report` for the month or year that just
ended. It writes the summary in every format people use (XLSX and PDF for congress
staff, HTML, JSON for systems) under ``var/reports/``, signs each file with the hub's
Ed25519 key (``FILE.manifest.json``, verifiable with ``pilhub verify FILE``), records
the generation in the audit log, and queues one notice per recipient through the outbox
(dedupe key per report and recipient, so a re-run never notifies twice).

Recipients: ``PILHUB_REPORT_RECIPIENTS_ANNUAL`` / ``PILHUB_REPORT_RECIPIENTS_MONTHLY``
(comma-separated ``channel:address``, e.g. ``inbox:330800-rdcwh,email:rdcwh@example.cn``);
by default the annual report goes to every registered people's congress standing
committee (the annual report to the congress, 临沧市人大常委会决定 §五(一)) and the monthly one to the
procuratorate's department heads' inbox.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.config import var_dir

FORMATS = ("xlsx", "pdf", "html", "json")


def report_dir() -> Path:
    path = var_dir() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _recipients(kind: str, session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from hub.store.models import Agency

    configured = os.environ.get(f"PILHUB_REPORT_RECIPIENTS_{kind.upper()}")
    if configured:
        return [tuple(item.strip().split(":", 1)) for item in configured.split(",") if ":" in item]  # type: ignore[misc]
    if kind == "annual":
        congresses = session.execute(select(Agency.code).where(Agency.kind == "congress").order_by(Agency.code))
        return [("inbox", code) for code in congresses.scalars()]
    return [("inbox", "department-heads")]


def deliver_period_report(
    *,
    kind: str,
    start: dt.date,
    end: dt.date,
    run_id: str,
    as_of: dt.date | None = None,
    formats: tuple[str, ...] = FORMATS,
) -> dict[str, Any]:
    """Write, sign and announce the report for ``start``..``end`` (inclusive)."""
    from hub.reports.figures import ReportQuery, compute_figures
    from hub.reports.output import record_generation, render
    from hub.reports.render_pdf import PdfUnavailable
    from hub.store import open_store
    from hub.store.models import OutboxMessage
    from hub.trust.manifest import sign_artifact

    year = start.year if kind == "annual" and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) else None
    query = (
        ReportQuery.build(year=year, as_of=as_of)
        if year
        else ReportQuery.build(date_from=start, date_to=end, as_of=as_of)
    )
    factory = open_store()
    with factory() as session:
        figures = compute_figures(session, query)
    stem = f"pilhub-{kind}-{start.isoformat()}_{end.isoformat()}"
    files: list[str] = []
    skipped: dict[str, str] = {}
    for fmt in formats:
        try:
            body = render(figures, fmt)
        except PdfUnavailable as exc:
            skipped[fmt] = str(exc)
            continue
        path = report_dir() / f"{stem}.{fmt}"
        path.write_bytes(body)
        sign_artifact(path)
        files.append(str(path))
    queued = 0
    with factory() as session, session.begin():
        record_generation(
            session, actor=f"airflow:{run_id}", query=query, fmt=",".join(formats), figures=figures, channel="files"
        )
        recipients = _recipients(kind, session)
    period = f"{start.isoformat()} 至 {end.isoformat()}"
    r = figures["recommendations"]
    body_text = (
        f"检察公益诉讼{'年度' if kind == 'annual' else '月度'}统计（{period}，截至 {figures.get('as_of', '')}）已生成：\n"
        f"案件 {figures['cases_total']} 件；检察建议 {r['issued']} 件，按期回复 {r['replied_on_time']} 件，"
        f"逾期回复 {r['replied_late']} 件，逾期未回复 {r['unreplied_overdue']} 件，尚在期限内 {r['pending']} 件；"
        f"已整改 {r['rectified']} 件。\n文件（均附 Ed25519 签名清单，可用 pilhub verify 校验）：\n"
        + "\n".join(Path(f).name for f in files)
    )
    for channel, address in recipients:
        try:
            with factory() as session, session.begin():
                session.add(
                    OutboxMessage(
                        dedupe_key=f"report:{stem}:{channel}:{address}",
                        channel=channel,
                        recipient=address,
                        subject=f"【pilhub】检察公益诉讼{'年度' if kind == 'annual' else '月度'}统计 {period}",
                        body=body_text,
                        payload={"kind": "report", "files": files, "period": [str(start), str(end)]},
                    )
                )
            queued += 1
        except IntegrityError:
            continue
    return {
        "kind": kind,
        "period": [start.isoformat(), end.isoformat()],
        "files": files,
        "skipped": skipped,
        "notices_queued": queued,
        "cases_total": figures["cases_total"],
    }
