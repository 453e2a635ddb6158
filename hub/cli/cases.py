"""``pilhub cases`` / ``pilhub agencies`` / ``pilhub status``: the case registry."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

cases_app = typer.Typer(help="案件名录 / case registry", no_args_is_help=True)
agencies_app = typer.Typer(help="机关名录 / agency registry", no_args_is_help=True)

EXIT_REJECTED = 1  # some lines were rejected (the good ones are loaded)
EXIT_UNREADABLE = 2  # the file as a whole cannot be read (missing, binary, unknown encoding); nothing loaded


CASE_STATUS_LABELS = {"open": "办理中", "closed": "已办结"}


@cases_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="案件名录导出（JSON Lines）/ the registry export (JSON Lines)"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出报告 / print the report as JSON (for scripts)"),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        help="文件编码，默认自动识别 UTF-8/GB18030/UTF-16 / file encoding (default: detect UTF-8, GB18030, UTF-16 BOM)",
    ),
) -> None:
    """导入案件 JSONL（幂等）/ import the case-registry export idempotently.

    Exit status: 0 every line accepted; 1 some lines rejected (the others are loaded); 2 the file cannot be
    read at all (nothing loaded).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hub.registry.importer import import_cases, read_lines
    from hub.store import open_store
    from schemas.textfile import UnreadableFile

    try:
        total = sum(1 for _ in read_lines(file, encoding=encoding))
    except (UnreadableFile, LookupError) as exc:
        message = str(exc) if isinstance(exc, UnreadableFile) else f"未知编码 / unknown encoding: {encoding}"
        err_console.print(f"[red]无法读取 / cannot read {file}: {message}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from None
    factory = open_store()
    with Progress(
        TextColumn("导入 importing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("import", total=total)
        try:
            report = import_cases(read_lines(file, encoding=encoding), factory, on_line=lambda: progress.advance(task))
        except UnreadableFile as exc:  # the file changed or vanished between the count and the import
            err_console.print(f"[red]无法读取 / cannot read {file}: {exc}[/red]")
            raise typer.Exit(EXIT_UNREADABLE) from None
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="案件导入 / case import", show_header=True)
    table.add_column("项目 / item")
    table.add_column("数量 / count", justify="right")
    for zh, en, value in [
        ("收到", "received", report.received),
        ("新增", "inserted", report.inserted),
        ("更新", "updated", report.updated),
        ("未变", "unchanged", report.unchanged),
        ("文件内重复", "duplicates", report.duplicates),
        ("拒收", "rejected", report.rejected),
    ]:
        table.add_row(f"{zh} / {en}", str(value))
    console.print(table)
    for error in report.errors:
        err_console.print(f"[red]拒收 rejected[/red] {error}")
    for warning in report.warnings:
        err_console.print(f"[yellow]提示 warning[/yellow] {warning}")


@cases_app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, help="状态 / status: open（办理中）| closed（已办结）"),
    district: str | None = typer.Option(None, help="区县 / district, e.g. 柯城区"),
    limit: int = typer.Option(50, min=1, help="最多显示条数 / at most this many cases"),
) -> None:
    """列出案件，最新立案在前 / list cases, the most recently filed first."""
    from sqlalchemy import func, select

    from hub.cli.output import add_id_column, shown_of
    from hub.registry.format import DOMAIN_LABELS, PROCEDURE_LABELS
    from hub.store import session_scope
    from hub.store.models import Case

    with session_scope() as session:
        conds = []
        if status:
            conds.append(Case.status == status)
        if district:
            conds.append(Case.district == district)
        total = session.execute(select(func.count()).select_from(Case).where(*conds)).scalar_one()
        cases = (
            session.execute(
                select(Case).where(*conds).order_by(Case.opened_on.desc(), Case.case_id.desc()).limit(limit)
            )
            .scalars()
            .all()
        )
        table = Table(title=f"案件 / cases（{len(cases)}/{total}）")
        add_id_column(table, "案件编号 case", [c.case_id for c in cases])
        for header in ("立案 opened", "区县 district", "领域 domain", "程序 procedure", "状态 status", "案由 title"):
            # Chinese has no spaces to wrap at: fold, never cut with "…".
            table.add_column(header, no_wrap=header.startswith("立案"), overflow="fold")
        for case in cases:
            table.add_row(
                case.case_id,
                case.opened_on.isoformat(),
                case.district,
                DOMAIN_LABELS.get(case.domain, case.domain),
                PROCEDURE_LABELS.get(case.procedure, case.procedure),
                CASE_STATUS_LABELS.get(case.status, case.status),
                case.title,
            )
    console.print(table)
    more = shown_of(len(cases), total)
    if more:
        console.print(more)


@cases_app.command("show")
def show_cmd(
    case_id: str = typer.Argument(..., help="案件编号 / case id, e.g. KC-2017-001"),
    reveal: bool = typer.Option(False, help="解密显示自然人信息（记入审计）/ decrypt personal data (audited)"),
) -> None:
    """显示案件详情 / show one case with its parties and recommendations."""
    from sqlalchemy import select

    from hub import audit
    from hub.personal_data import decrypt, mask_name
    from hub.store import session_scope
    from hub.store.models import Case

    with session_scope() as session:
        case = session.execute(select(Case).where(Case.case_id == case_id)).scalar_one_or_none()
        if case is None:
            err_console.print(f"无此案件 / no such case: {case_id}")
            raise typer.Exit(1)
        console.print(
            f"[bold]{case.case_id}[/bold] {case.title}  {case.district} {case.domain} {case.procedure} "
            f"立案 opened {case.opened_on} 状态 {case.status}"
        )
        for party in case.parties:
            if party.kind == "person":
                name = decrypt(party.name_enc, "parties.name")
                shown = name if reveal else mask_name(name)
                console.print(
                    f"  当事人 party (person): {shown}  ID: {'已加密 encrypted' if not reveal else decrypt(party.id_number_enc, 'parties.id_number')}"
                )
            else:
                console.print(f"  当事人 party ({party.kind}): {party.name}  {party.credit_code or ''}")
        for rec in case.recommendations:
            console.print(
                f"  检察建议 {rec.rec_number} → {rec.agency.name}  发出 {rec.issued_on} 送达 {rec.received_on or '未送达'}"
                f"{'  [紧急 urgent]' if rec.urgent else ''}"
            )
            for reply in rec.replies:
                console.print(
                    f"    回复 reply {reply.replied_on} 邮寄 {reply.posted_on or '-'} 证据 {'有' if reply.has_evidence else '无'}"
                    f" 承诺整改 {reply.rectification_due or '-'} 已整改 {reply.rectified}"
                )
        if reveal:
            audit.append(
                session,
                actor="cli",
                action="personal_data.access",
                object_type="case",
                object_id=case.case_id,
                detail={"via": "cases show --reveal"},
            )


@agencies_app.command("import")
def agencies_import_cmd(
    file: Path = typer.Argument(..., help="机关名录 YAML 文件 / the agency registry (YAML)"),
) -> None:
    """导入机关名录 YAML / import an agency registry (YAML), idempotently.

    Exit status: 0 imported; 1 an entry breaks the contract (each listed, nothing imported); 2 the file cannot
    be read as a registry (missing, binary, not YAML, aliases or duplicate keys — the line named).
    """
    from hub.agencies import RegistryEntryError, import_agencies, load_registry_file
    from hub.store import session_scope
    from schemas.textfile import UnreadableFile

    try:
        items = load_registry_file(file)
    except UnreadableFile as exc:
        err_console.print(f"[red]无法读取机关名录 / cannot read the agency registry {file}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from None
    except RegistryEntryError as exc:
        err_console.print("[red]机关名录条目有误，未导入 / invalid agency registry entries, nothing imported:[/red]")
        for problem in exc.problems:
            err_console.print(f"  {problem}")
        raise typer.Exit(1) from None
    with session_scope() as session:
        counts = import_agencies(session, items)
    console.print(
        f"机关 agencies: 新增 inserted {counts['inserted']}, 更新 updated {counts['updated']}, "
        f"未变 unchanged {counts['unchanged']}"
    )


@agencies_app.command("list")
def agencies_list_cmd(region: str | None = typer.Option(None, help="行政区划代码 region code")) -> None:
    """列出机关 / list agencies."""
    from sqlalchemy import select

    from hub.store import session_scope
    from hub.store.models import Agency

    with session_scope() as session:
        query = select(Agency).order_by(Agency.region_code, Agency.code)
        if region:
            query = query.where(Agency.region_code == region)
        table = Table("code", "名称 name", "类别 kind", "区划 region", "上级 superior", "登记 registered")
        for agency in session.execute(query).scalars():
            table.add_row(
                agency.code,
                agency.name,
                agency.kind,
                agency.region_code or "",
                agency.superior.name if agency.superior else "",
                "是" if agency.registered else "否",
            )
    console.print(table)


def status_cmd(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（供脚本使用）/ machine-readable JSON"),
) -> None:
    """名录现状 / print the state of the case registry."""
    from hub.registry.state import registry_state
    from hub.store import session_scope

    with session_scope() as session:
        state = registry_state(session)
    if as_json:
        print(json.dumps(state, ensure_ascii=False, indent=2))
        return
    print_state(state)


def print_state(state: dict) -> None:
    from hub.registry.format import DOMAIN_LABELS, PROCEDURE_LABELS

    console.print(
        f"[bold]案件总数 / cases: {state['cases_total']}[/bold]  "
        + "  ".join(f"{k}: {v}" for k, v in state["by_status"].items())
    )
    for title, key, labels in [
        ("领域 / domain", "by_domain", DOMAIN_LABELS),
        ("区县 / district", "by_district", {}),
        ("程序 / procedure", "by_procedure", PROCEDURE_LABELS),
    ]:
        table = Table(title=title)
        table.add_column("")
        table.add_column("件数 cases", justify="right")
        for name, count in state[key].items():
            table.add_row(f"{labels.get(name, name)} ({name})" if labels else name, str(count))
        console.print(table)
    recs = state["recommendations"]
    console.print(
        f"检察建议 / recommendations: 共 total {recs['total']}, 已送达 received {recs['received']}, "
        f"紧急 urgent {recs['urgent']}, 已回复 replied {recs['replied']}, 未回复 unreplied {recs['unreplied']}"
    )
    console.print(
        f"机关 / agencies: 已登记 registered {state['agencies']['registered']}, "
        f"未登记 unregistered {state['agencies']['unregistered']};  审计条目 / audit entries: {state['audit_entries']}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
    app.add_typer(agencies_app, name="agencies")
    app.command("status")(status_cmd)
