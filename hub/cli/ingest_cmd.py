"""``pilhub pull``, ``pilhub validate``, ``pilhub quarantine …`` and ``pilhub sandbox``.

Thin wrappers: the work is in :func:`hub.ingest.pull.pull` (which the Airflow DAGs
call), :mod:`hub.ingest.quarantine`, :mod:`hub.ingest.file_check` and
:func:`connectors.sandbox.start_sandbox`.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

quarantine_app = typer.Typer(help="隔离区 / quarantine: rejected records and batches", no_args_is_help=True)

EXIT_INVALID = 1
EXIT_ERROR = 2


def _parse_when(value: str | None, option: str) -> str | None:
    if not value:
        return None
    try:
        return (datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)).isoformat()
    except ValueError:
        err_console.print(
            f"[red]{option} 须为日期 YYYY-MM-DD 或 ISO 时间 / {option} must be a date YYYY-MM-DD or an ISO time[/red]"
        )
        raise typer.Exit(EXIT_ERROR) from None


def pull_cmd(
    name: str = typer.Argument(..., help="连接器名称（pilhub connectors list）/ connector name"),
    stream: str | None = typer.Option(None, "--stream", "-s", help="只拉取这一数据流 / one stream only"),
    since: str | None = typer.Option(
        None, "--since", help="窗口起点（日期或 ISO 时间），默认续接上次 / window start; default: the stored cursor"
    ),
    until: str | None = typer.Option(None, "--until", help="窗口终点（不含）/ window end (exclusive)"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出小结 / print the summary as JSON"),
) -> None:
    """增量拉取一次 / one incremental pull, with a summary by stream.

    Per stream: status (loaded = stored and, where the agency reports a total, proven complete;
    incomplete = stored, but records may be missing — cursor held, operator alerted), fetched,
    loaded, duplicates, quarantined, expected_total, distinct_ids, rewalks.

    Exit status: 0 every stream stored and complete; 1 a stream failed or ended incomplete (the
    others are stored; its cursor is unchanged); 2 usage.
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from connectors.registry import get_connector
    from connectors.sdk.errors import ConnectorError
    from hub.ingest.pull import PullHooks, pull

    since_text, until_text = _parse_when(since, "--since"), _parse_when(until, "--until")
    try:
        connector = get_connector(name)
        if stream:
            connector.stream(stream)
    except ConnectorError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[pages]} 页 pages · {task.fields[records]} 条 records"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        tasks: dict[str, int] = {}

        def on_start(stream_name: str) -> None:
            tasks[stream_name] = progress.add_task(f"{name}/{stream_name}", total=None, pages=0, records=0)

        def on_page(stream_name: str, pages: int, records: int) -> None:
            progress.update(tasks[stream_name], pages=pages, records=records)

        try:
            summary = pull(
                name,
                stream,
                since_text,
                until_text,
                hooks=PullHooks(on_page=on_page, on_stream_start=on_start),
                raise_on_error=False,
            )
        except ConnectorError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_ERROR) from None
    if as_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        table = Table(title=f"拉取 pull {name} ({summary.run_id})")
        for header in (
            "数据流 stream",
            "状态 status",
            "收到 fetched",
            "入库 loaded",
            "重复 duplicates",
            "隔离 quarantined",
            "应有 expected",
            "不同编号 distinct",
            "重走 rewalks",
            "请求 requests",
            "重试 retries",
            "限流 429",
            "秒 s",
        ):
            table.add_column(header, justify="right" if header[0] not in "数状" else "left")
        for s in summary.streams:
            table.add_row(
                s.stream,
                s.status,
                str(s.fetched),
                str(s.loaded),
                str(s.duplicates),
                str(s.quarantined),
                "—" if s.expected_total is None else str(s.expected_total),
                str(s.distinct_ids),
                str(s.rewalks),
                str(s.requests),
                str(s.retries),
                str(s.throttled),
                f"{s.seconds:.1f}",
            )
        console.print(table)
        for s in summary.streams:
            if s.reasons:
                console.print(
                    f"  {s.stream} 隔离原因 quarantine reasons: "
                    + ", ".join(f"{k}×{v}" for k, v in sorted(s.reasons.items()))
                )
            if s.error:
                console.print(f"  [red]{s.stream}: {s.error}[/red]")
            if s.status == "incomplete":
                console.print(
                    f"  [yellow]{s.stream}: 无法证明完整（单位报告 {s.expected_total}，收到 {s.distinct_ids} 个不同编号，"
                    f"重走 {s.rewalks} 次）；游标未前移，已通知运维 / not proven complete (reported {s.expected_total}, "
                    f"{s.distinct_ids} distinct ids received after {s.rewalks} re-walks); cursor held, operators alerted[/yellow]"
                )
    raise typer.Exit(0 if summary.complete else EXIT_INVALID)


def validate_cmd(
    kind: str = typer.Argument(..., help="记录类型，如 env.penalty / record kind, e.g. env.penalty"),
    file: Path = typer.Argument(..., help="JSON Lines、CSV 或 XLSX 文件 / JSON Lines, CSV or XLSX file"),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="拒收记录写入位置（默认 FILE.rejects.jsonl）/ where to write rejects"
    ),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON"),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        help="文件编码，默认自动识别 UTF-8/GB18030/UTF-16 / file encoding (default: detect UTF-8, GB18030, UTF-16 BOM)",
    ),
) -> None:
    """按契约校验文件 / validate a JSON Lines or CSV file of one record kind.

    Exit status: 0 all valid; 1 some invalid (written with reasons to the rejects file); 2 unreadable input.
    """
    from hub.ingest.file_check import FileFormatError, check_file
    from schemas.errors import InvalidValue

    try:
        result = check_file(kind, file, rejects, encoding=encoding)
    except (FileFormatError, InvalidValue) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    except LookupError:
        err_console.print(f"[red]未知编码 / unknown encoding: {encoding}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    if as_json:
        print(
            json.dumps(
                {
                    "kind": kind,
                    "received": result.received,
                    "valid": result.valid,
                    "invalid": result.invalid,
                    "reasons": dict(result.reasons),
                    "rejects": str(result.rejects_path) if result.invalid else None,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        console.print(
            f"{kind}: 收到 received {result.received} · 有效 valid {result.valid} · 无效 invalid {result.invalid}"
        )
        if result.reasons:
            table = Table(title="无效原因 / invalid by reason")
            for header in ("code", "条 count", "说明 / message"):
                table.add_column(header)
            for code, count in result.reasons.most_common():
                r = result.messages[code]
                table.add_row(code, str(count), f"{r.zh} / {r.en}")
            console.print(table)
            for line, r in result.examples:
                where = f"字段 {r.field} / field {r.field}: " if r.field else ""
                console.print(f"  第 {line} 行 / line {line}: {where}{r.zh} / {r.en}")
            shown = len({line for line, _ in result.examples})
            if result.invalid > shown:
                console.print(
                    f"  …… 仅列出前 {shown} 条，共 {result.invalid} 条无效记录 / showing {shown} of {result.invalid} "
                    "invalid records"
                )
            console.print(f"拒收记录及原因已写入 / rejects with reasons written to: {result.rejects_path}")
    raise typer.Exit(0 if result.invalid == 0 else EXIT_INVALID)


@quarantine_app.command("list")
def quarantine_list(
    status: str = typer.Option(
        "held", "--status", help="状态 / status: held（隔离中）| replayed（已重放）| discarded（已丢弃）| all"
    ),
    agency: str | None = typer.Option(None, "--agency", help="单位代码 / agency code"),
    stream: str | None = typer.Option(None, "--stream", help="数据流 / stream"),
    limit: int = typer.Option(100, "--limit", help="最多显示条数 / at most this many items"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON"),
) -> None:
    """列出隔离项 / list quarantine items (reasons only, never values)."""
    from hub.ingest.quarantine import list_items
    from hub.store import open_store

    with open_store()() as session:
        items = list_items(session, None if status == "all" else status, agency, stream, limit)
        rows = [
            {
                "id": i.id,
                "scope": i.scope,
                "status": i.status,
                "agency": i.agency_code,
                "stream": i.stream,
                "kind": i.kind,
                "source_id": i.source_id,
                "reasons": [r["code"] for r in i.reasons],
                "created_at": i.created_at.isoformat() if i.created_at else None,
            }
            for i in items
        ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"隔离区 / quarantine ({status})")
    for header in ("id", "scope", "status", "agency/stream", "kind", "source id", "reasons"):
        table.add_column(header)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["scope"],
            r["status"],
            f"{r['agency']}/{r['stream']}",
            r["kind"],
            r["source_id"] or "-",
            ", ".join(r["reasons"]),
        )
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(
    item_id: int = typer.Argument(..., help="隔离项编号 / quarantine item id"),
    raw: bool = typer.Option(
        False,
        "--raw",
        help="显示原始记录（可能含个人信息，记入审计）/ print the raw record (may hold personal data; audited)",
    ),
) -> None:
    """显示隔离项 / show one item: reasons, provenance, raw field names (values with --raw)."""
    from hub import audit
    from hub.ingest.quarantine import describe
    from hub.store import open_store
    from hub.store.models import QuarantineItem

    with open_store()() as session, session.begin():
        item = session.get(QuarantineItem, item_id)
        if item is None:
            err_console.print(f"[red]没有隔离项 {item_id} / no quarantine item {item_id}[/red]")
            raise typer.Exit(EXIT_ERROR)
        info = describe(item, reveal=raw)
        if raw:
            audit.append(
                session,
                actor="cli",
                action="quarantine.raw_shown",
                object_type="quarantine_item",
                object_id=str(item_id),
            )
    print(json.dumps(info, ensure_ascii=False, indent=2, default=str))


@quarantine_app.command("replay")
def quarantine_replay(
    item_id: int | None = typer.Argument(None, help="隔离项编号（或 --all）/ item id (or --all)"),
    all_held: bool = typer.Option(False, "--all", help="重放全部隔离项 / replay every held item"),
) -> None:
    """修复后重放 / re-parse held items with the current mapping and schema and load what now passes.

    Exit status: 0 all replayed; 1 some still held.
    """
    from hub.ingest.quarantine import replay
    from hub.store import open_store

    if item_id is None and not all_held:
        err_console.print("[red]给出隔离项编号或 --all / give an item id or --all[/red]")
        raise typer.Exit(EXIT_ERROR)
    results = replay(open_store(), item_id, all_held=all_held)
    for r in results:
        colour = "green" if r.outcome in ("loaded", "duplicate") else "yellow" if r.outcome == "still_held" else "red"
        console.print(f"[{colour}]#{r.item_id} {r.outcome}[/{colour}] {r.detail}")
    held = sum(1 for r in results if r.outcome not in ("loaded", "duplicate"))
    console.print(f"重放 replayed {len(results) - held} · 仍在隔离 still held {held}")
    raise typer.Exit(0 if held == 0 else EXIT_INVALID)


def sandbox_cmd(
    fault: list[str] = typer.Option(
        [], "--fault", "-f", help="故障模式（可重复），或 all / fault mode (repeatable), or 'all'"
    ),
    port_base: int = typer.Option(
        8710,
        "--port-base",
        help="起始端口，各系统依次占用（0：任意空闲）/ first port; systems take consecutive ports (0: any free)",
    ),
    scale: int = typer.Option(
        1, "--scale", help="放大与案件无关的记录数量 / multiply the records that belong to no case"
    ),
    seed: int = typer.Option(20181231, "--seed", help="随机种子 / random seed of the generated data"),
    register_key: bool = typer.Option(
        True, "--register-key/--no-register-key", help="在库中登记签名公钥 / register the signing key in the store"
    ),
) -> None:
    """运行模拟单位系统 / run the simulated agency systems in the foreground (Ctrl-C stops)."""
    from connectors.sandbox import FAULT_MODES, start_sandbox

    try:
        sandbox = start_sandbox(fault, port_base=port_base, scale=scale, seed=seed)
    except (ValueError, OSError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    with sandbox:
        table = Table(title="模拟单位系统 / agency sandbox")
        table.add_column("connector")
        table.add_column("system")
        table.add_column("URL")
        for name, server in sandbox.servers.items():
            table.add_row(name, server.system.title, server.url)
        console.print(table)
        console.print(
            "故障模式 faults: "
            + (", ".join(sorted(sandbox.faults)) or "无 none")
            + f"   (可用 available: all, {', '.join(FAULT_MODES)})"
        )
        if register_key:
            from hub.store import open_store

            with open_store()() as session, session.begin():
                added = sandbox.register_keys(session)
            agency, key_id, _ = sandbox.signing_key()
            console.print(
                f"签名公钥 signing key {agency}/{key_id}: {'已登记 registered' if added else '已存在 already registered'}"
            )
        console.print("连接器配置（在另一个终端执行）/ point the connectors at it (in another shell):")
        for key, value in sandbox.env().items():
            console.print(f"  export {key}={value}")
        console.print("然后 then: pilhub pull environment   —   Ctrl-C 停止 / stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("已停止 / stopped")


def register(app: typer.Typer) -> None:
    app.command("pull")(pull_cmd)
    app.command("validate")(validate_cmd)
    app.command("sandbox")(sandbox_cmd)
    app.add_typer(quarantine_app, name="quarantine")
