"""``pilhub records load KIND FILE --agency CODE``: an agency's record file through the pull pipeline.

The work is in :func:`hub.ingest.file_load.load_record_file`; this prints the counts (a
table, or ``--json``), the reasons by line and field, and exits like ``pilhub cases import``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

records_app = typer.Typer(help="单位记录 / agency records (load files of records)", no_args_is_help=True)

EXIT_QUARANTINED = 1  # some records were quarantined (the others are stored)
EXIT_USAGE = 2  # nothing was stored: unknown kind or agency, unreadable file

_STAGES = {"read": "读取文件 reading", "check": "契约校验 checking", "store": "入库 storing"}


@records_app.command("load")
def load_cmd(
    kind: str = typer.Argument(..., help="记录类型 / record kind, e.g. nr.land_case (pilhub schemas export)"),
    file: Path = typer.Argument(
        ..., help="JSON Lines、CSV（UTF-8 或 GB18030）或 XLSX 文件 / JSON Lines, CSV or XLSX file"
    ),
    agency: str = typer.Option(
        ..., "--agency", help="来源单位代码（机关名录）/ the sending agency's code (agency registry)"
    ),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出报告 / print the report as JSON (for scripts)"),
) -> None:
    """导入单位记录文件 / load a file of records through the same pipeline as a pull.

    Columns are the contract's field names plus source_record_id; the hub fills the envelope.
    Optional column source_updated_at (更新时间, e.g. 2026-12-01 09:00:00, Beijing time): a later
    file with an older copy of a record counts it as a duplicate instead of making it current.
    Exit status: 0 every record loaded (or a duplicate); 1 some quarantined (the others are
    stored); 2 usage error or unreadable file (nothing stored).
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from hub.ingest.file_load import FileUsageError, load_record_file
    from hub.store import open_store

    if file.is_dir():
        err_console.print(f"[red]{file} 是目录，不是文件 / {file} is a directory, not a file[/red]")
        raise typer.Exit(EXIT_USAGE)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(_STAGES["read"], total=None)
        try:
            result = load_record_file(
                open_store(),
                kind,
                file,
                agency,
                actor="cli",
                on_stage=lambda name: progress.update(task, description=_STAGES.get(name, name)),
            )
        except FileUsageError as exc:
            progress.stop()
            if as_json:
                print(json.dumps({"error": {"zh": exc.zh, "en": exc.en}}, ensure_ascii=False, indent=2))
            err_console.print(f"[red]{exc.zh} / {exc.en}[/red]")
            raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print(result)
    raise typer.Exit(EXIT_QUARANTINED if result.quarantined else 0)


def _print(result) -> None:  # type: ignore[no-untyped-def]
    encoding = f", {result.encoding}" if result.encoding else ""
    table = Table(title=f"{result.kind} ← {result.file} ({result.format}{encoding}) · {result.agency}")
    table.add_column("项目 / item")
    table.add_column("数量 / count", justify="right")
    for zh, en, value in [
        ("收到", "received", result.received),
        ("入库", "loaded", result.loaded),
        ("重复", "duplicates", result.duplicates),
        ("隔离", "quarantined", result.quarantined),
    ]:
        table.add_row(f"{zh} / {en}", str(value))
    console.print(table)
    console.print(f"批次 batch {result.batch} · 数据流 stream {result.stream} · 状态 status {result.status}")
    for problem in result.problems[:50]:
        where = f"第 {problem.line} 行 / line {problem.line}" if problem.line is not None else "整批 / batch"
        field = f"，字段 {problem.reason.field} / field {problem.reason.field}" if problem.reason.field else ""
        err_console.print(f"[yellow]{where}{field}[/yellow]: {problem.reason.zh} / {problem.reason.en}")
    if len(result.problems) > 50:
        err_console.print(
            f"……另有 {len(result.problems) - 50} 条 / … {len(result.problems) - 50} more (--json lists all)"
        )
    if result.quarantined:
        console.print(
            "隔离记录可用 pilhub quarantine list / show / replay 查看与重放 / see pilhub quarantine list|show|replay"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
