"""``pilhub report``: the compliance summary for a year or a date range, in json, csv, xlsx, html or pdf.

Exit status: 0 written; 2 bad parameters; 3 the format cannot be produced on this machine (no PDF printer).
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path

import typer

from hub.cli.output import err_console

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3


class Format(StrEnum):
    """Mirrors ``hub.reports.FORMATS`` (kept here so ``pilhub --help`` imports nothing heavy)."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    PDF = "pdf"


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        err_console.print(
            f"[red]{name} 日期无效：{value!r}，应为 YYYY-MM-DD / invalid {name} {value!r}: expected YYYY-MM-DD[/red]"
        )
        raise typer.Exit(EXIT_BAD_INPUT) from None


def report_cmd(
    year: int | None = typer.Option(None, "--year", help="统计年度 / calendar year"),
    date_from: str | None = typer.Option(None, "--from", help="起始日 / first day, YYYY-MM-DD (with --to)"),
    date_to: str | None = typer.Option(None, "--to", help="截止日 / last day, YYYY-MM-DD (with --from)"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="统计截止日 / as-of date (default: the period's last day, or today while it runs)"
    ),
    district: str | None = typer.Option(None, "--district", help="地区名称或区划代码 / district name or region code"),
    domain: str | None = typer.Option(None, "--domain", help="领域代码 / domain code (ecology, food_drug, …)"),
    agency: str | None = typer.Option(None, "--agency", help="机关代码或全称 / agency code or exact name"),
    fmt: Format = typer.Option(Format.JSON, "--format", case_sensitive=False, help="输出格式 / output format"),
    out: Path | None = typer.Option(None, "--out", help="输出文件（json/csv 可省略，输出到标准输出）/ output file"),
) -> None:
    """生成公益诉讼工作统计报告 / write the compliance summary (white-paper figures, agency league table)."""
    if out is None and fmt.value in ("xlsx", "pdf", "html"):
        err_console.print(f"[red]{fmt.value} 格式须指定 --out / --out is required for {fmt.value}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hub.reports.figures import QueryError, ReportQuery, compute_figures
    from hub.reports.output import record_generation, render
    from hub.reports.render_pdf import PdfUnavailable
    from hub.store import open_store, session_scope

    try:
        query = ReportQuery.build(
            year=year,
            date_from=_date(date_from, "--from"),
            date_to=_date(date_to, "--to"),
            as_of=_date(as_of, "--as-of"),
            district=district,
            domain=domain,
            agency=agency,
        )
    except QueryError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None

    factory = open_store()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("统计 computing", total=None)

        def on_progress(_stage: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with factory() as session:
            figures = compute_figures(session, query, progress=on_progress)
        progress.update(task, description=f"生成 rendering {fmt.value}", completed=0, total=1)
        try:
            body = render(figures, fmt.value)
        except PdfUnavailable as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        progress.update(task, completed=1)

    with session_scope() as session:
        record_generation(session, actor="cli", query=query, fmt=fmt.value, figures=figures, channel="cli")
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    r = figures["recommendations"]
    err_console.print(
        f"已生成 / written {out} ({len(body):,} bytes): 案件 cases {figures['cases_total']}，"
        f"检察建议 recommendations {r['issued']}，按期回复率 on-time {r['on_time_rate'] if r['on_time_rate'] is not None else '—'}%"
    )


def register(app: typer.Typer) -> None:
    """Add ``pilhub report`` to the root app."""
    app.command("report")(report_cmd)
