"""``pilhub clues …``: supervision models, the clues they find, and the procurator's decisions on them.

Exit status: 0 done; 1 a model file does not load (file, key and line are printed); 2 bad input
(date, unknown model or clue, a decision the clue's status does not allow).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

clues_app = typer.Typer(help="监督模型与线索 / supervision models and clues (大数据法律监督模型)", no_args_is_help=True)

EXIT_MODEL = 1
EXIT_BAD_INPUT = 2


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        err_console.print(f"日期无效 / invalid date {name} {value!r}: 应为 YYYY-MM-DD / expected YYYY-MM-DD")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _models():  # type: ignore[no-untyped-def]
    from hub.clues.spec import ModelError, load_models

    try:
        return load_models()
    except ModelError as exc:
        err_console.print(f"[red]模型文件无效 / invalid model file[/red] {exc}")
        raise typer.Exit(EXIT_MODEL) from None


@clues_app.command("run")
def run_cmd(
    as_of: str = typer.Option(..., "--as-of", help="查询基准日 YYYY-MM-DD / the as-of date the windows count from"),
    model: list[str] = typer.Option(None, "--model", help="只运行该模型（可重复）/ run only this model (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="输出本次发现的线索 JSON 列表 / print the clues found as JSON"),
) -> None:
    """运行监督模型并保存线索 / run the supervision models and store their hits as clues."""
    from hub.clues.run import run_models
    from hub.store import session_scope

    day = _date(as_of, "--as-of")
    assert day is not None
    catalogue = _models()
    unknown = [m for m in model or [] if m not in catalogue]
    if unknown:
        err_console.print(f"未知模型 / unknown model {unknown[0]!r}; 可用 / available: {', '.join(sorted(catalogue))}")
        raise typer.Exit(EXIT_BAD_INPUT)

    def progress(name: str, hits: int) -> None:
        if not as_json:
            err_console.print(f"  模型 model {name}: {hits} 条命中 hits")

    with session_scope() as session:
        report = run_models(session, day, names=model or None, actor="cli", models=catalogue, progress=progress)
    if as_json:
        print(json.dumps(report.clues, ensure_ascii=False, indent=1))
        return
    table = Table("模型 model", "命中 hits", "新增 new", "更新 refreshed", "不再成立 lapsed", "用时 s")
    for name, figures in report.models.items():
        table.add_row(
            name,
            str(figures["hits"]),
            str(figures["new"]),
            str(figures["refreshed"]),
            str(figures["lapsed"]),
            f"{figures['seconds']:.2f}",
        )
    console.print(table)
    console.print(
        f"基准日 as of {day}: 线索 clues {report.hits}（新增 new {report.new}，更新 refreshed {report.refreshed}，"
        f"未变 unchanged {report.unchanged}，不再成立 lapsed {report.lapsed}）；重开回头看 follow-ups reopened "
        f"{report.followed_up}"
    )


@clues_app.command("list")
def list_cmd(
    model: str | None = typer.Option(None, "--model", help="按模型筛选 / only this model"),
    status: str | None = typer.Option(None, "--status", help="按状态筛选 / only this status (new, under_review, …)"),
    limit: int = typer.Option(100, "--limit", min=1, help="最多显示条数 / at most this many"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print JSON"),
) -> None:
    """列出线索 / list clues."""
    from sqlalchemy import select

    from hub.clues.decisions import STATUS_LABELS, STATUSES
    from hub.clues.run import clue_json
    from hub.store import session_scope
    from hub.store.models import Clue

    if status is not None and status not in STATUSES:
        err_console.print(f"未知状态 / unknown status {status!r}; 可用 / one of {', '.join(STATUSES)}")
        raise typer.Exit(EXIT_BAD_INPUT)
    with session_scope() as session:
        stmt = select(Clue).order_by(Clue.model, Clue.first_seen, Clue.key).limit(limit)
        if model:
            stmt = stmt.where(Clue.model == model)
        if status:
            stmt = stmt.where(Clue.status == status)
        clues = session.execute(stmt).scalars().all()
        if as_json:
            print(json.dumps([{**clue_json(c), "holds": c.holds} for c in clues], ensure_ascii=False, indent=1))
            return
        from hub.cli.output import add_id_column

        table = Table()
        add_id_column(table, "线索 key", [c.key for c in clues])  # a key cut short cannot be passed to `clues show`
        for header in ("状态 status", "成立 holds", "证据 evidence", "首次 first", "最近 last"):
            table.add_column(header, overflow="fold")
        for c in clues:
            table.add_row(
                c.key,
                STATUS_LABELS[c.status],
                "是 yes" if c.holds else f"否 no（{c.lapsed_on}）",
                str(len(c.evidence or [])),
                c.first_seen.isoformat(),
                c.last_seen.isoformat(),
            )
    console.print(table)


@clues_app.command("show")
def show_cmd(key: str = typer.Argument(..., help="线索键或编号 / clue key or id")) -> None:
    """显示线索及其证据 / show a clue with its evidence."""
    from hub.clues.decisions import ClueError, find_clue
    from hub.clues.run import clue_json
    from hub.store import session_scope

    with session_scope() as session:
        try:
            clue = find_clue(session, key)
        except ClueError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        out = {
            **clue_json(clue),
            "id": clue.id,
            "title": clue.title,
            "text": clue.text,
            "holds": clue.holds,
            "lapsed_on": clue.lapsed_on.isoformat() if clue.lapsed_on else None,
            "region_code": clue.region_code,
            "reason": clue.reason,
            "decided_by": clue.decided_by,
            "draft_case_id": clue.draft_case_id,
        }
    print(json.dumps(out, ensure_ascii=False, indent=1))


def _decide(action, *args, **kwargs):  # type: ignore[no-untyped-def]
    from hub.clues.decisions import ClueError
    from hub.store import session_scope

    try:
        with session_scope() as session:
            return action(session, *args, **kwargs)
    except ClueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None


@clues_app.command("review")
def review_cmd(
    key: str = typer.Argument(..., help="线索键或编号 / clue key or id"),
    actor: str = typer.Option("cli", "--by", help="办理人（用户标识，记入审计）/ who decides (user id, audited)"),
) -> None:
    """开始审查线索 / start reviewing a clue."""
    from hub.clues.decisions import review

    clue = _decide(review, key, actor=actor)
    console.print(f"线索 clue {clue.key}: under_review")


@clues_app.command("accept")
def accept_cmd(
    key: str = typer.Argument(..., help="线索键或编号 / clue key or id"),
    out: Path | None = typer.Option(
        None, "--out", help="案件草稿追加写入的 JSONL 文件 / append the draft to this JSONL file"
    ),
    region: str | None = typer.Option(
        None, "--region", help="行政区划代码（证据无区划时）/ region code when the evidence has none"
    ),
    opened_on: str | None = typer.Option(None, "--on", help="立案草稿日期 / the draft's opening date (default today)"),
    actor: str = typer.Option("cli", "--by", help="办理人（用户标识，记入审计）/ who decides (user id, audited)"),
) -> None:
    """采纳线索，生成案件登记草稿 / accept a clue: a case-registry draft line for the case system."""
    from hub.clues.decisions import accept

    clue, line = _decide(accept, key, actor=actor, opened_on=_date(opened_on, "--on"), region_code=region)
    text = json.dumps(line, ensure_ascii=False)
    if out is not None:
        with out.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
        console.print(f"线索 clue {clue.key}: accepted → 草稿 draft {line['case_id']} 写入 written to {out}")
    else:
        print(text)


@clues_app.command("reject")
def reject_cmd(
    key: str = typer.Argument(..., help="线索键或编号 / clue key or id"),
    reason: str = typer.Option(..., "--reason", help="不采纳理由（记入审计）/ the reason (kept and audited)"),
    actor: str = typer.Option("cli", "--by", help="办理人（用户标识，记入审计）/ who decides (user id, audited)"),
) -> None:
    """不采纳线索并记录理由 / reject a clue, keeping the reason."""
    from hub.clues.decisions import reject

    clue = _decide(reject, key, reason=reason, actor=actor)
    console.print(f"线索 clue {clue.key}: rejected（{clue.reason}）")


@clues_app.command("close")
def close_cmd(
    key: str = typer.Argument(..., help="线索键或编号 / clue key or id"),
    reason: str = typer.Option("", "--reason", help="办结说明 / why it is closed"),
    actor: str = typer.Option("cli", "--by", help="办理人 / who decides (audited)"),
) -> None:
    """办结线索 / close a clue."""
    from hub.clues.decisions import close

    clue = _decide(close, key, reason=reason, actor=actor)
    console.print(f"线索 clue {clue.key}: closed")


@clues_app.command("figures")
def figures_cmd(
    year: int | None = typer.Option(None, "--year", help="按首次发现年份 / clues first seen in this year"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print JSON"),
) -> None:
    """各模型命中、采纳、不采纳、成案数与成案率 / hits, decisions and cases opened per model."""
    from hub.clues.figures import model_figures
    from hub.store import session_scope

    since = dt.date(year, 1, 1) if year else None
    until = dt.date(year, 12, 31) if year else None
    with session_scope() as session:
        rows = model_figures(session, since=since, until=until)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table(
        "模型 model", "命中 hits", "采纳 accepted", "不采纳 rejected", "审查中 reviewing", "成案 cases", "成案率 rate"
    )
    for r in rows:
        rate = "—" if r["rate"] is None else f"{r['rate'] * 100:.1f}%"
        table.add_row(
            r["model"],
            str(r["hits"]),
            str(r["accepted"]),
            str(r["rejected"]),
            str(r["under_review"]),
            str(r["cases_opened"]),
            rate,
        )
    console.print(table)


@clues_app.command("models")
def models_cmd(as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print JSON")) -> None:
    """列出已加载的监督模型 / list the supervision models loaded."""
    catalogue = _models()
    rows = [
        {
            "name": m.name,
            "version": m.version,
            "title": m.title_zh,
            "title_en": m.title_en,
            "domain": m.domain,
            "kinds": list(m.kinds_read),
            "legal_basis": list(m.legal_basis),
            "file": m.path,
        }
        for m in catalogue.values()
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("模型 model", "名称 title", "读取记录 kinds", "文件 file")
    for r in rows:
        table.add_row(r["name"], f"{r['title']} / {r['title_en']}", ", ".join(r["kinds"]), Path(r["file"]).name)
    console.print(table)


@clues_app.command("check")
def check_cmd(files: list[Path] = typer.Argument(..., help="模型文件 / model files (YAML or TOML)")) -> None:
    """校验模型文件（出错时指出文件、键和行号）/ validate model files (errors name file, key and line)."""
    from hub.clues.spec import ModelError, load_model

    failed = False
    for path in files:
        try:
            spec = load_model(path)
        except ModelError as exc:
            err_console.print(f"[red]✗[/red] {exc}")
            failed = True
            continue
        console.print(f"✓ {path}: {spec.name} — {spec.title_zh} / {spec.title_en}")
    if failed:
        raise typer.Exit(EXIT_MODEL)


@clues_app.command("schema")
def schema_cmd() -> None:
    """输出模型文件的 JSON Schema / print the model files' JSON Schema."""
    from hub.clues.spec import model_schema

    print(json.dumps(model_schema(), ensure_ascii=False, indent=2))


@clues_app.command("transfers")
def transfers_cmd(as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print JSON")) -> None:
    """行政机关移送的线索及答复时钟 / clues transferred by agencies, with their answer clocks."""
    from sqlalchemy import select

    from hub.clues.exchange import sync_transfers
    from hub.store import session_scope
    from hub.store.models import Clue, ClueTransfer

    with session_scope() as session:
        sync_transfers(session, actor="cli")
        rows = session.execute(
            select(ClueTransfer, Clue.key, Clue.subject)
            .join(Clue, Clue.id == ClueTransfer.clue_pk)
            .order_by(ClueTransfer.answer_due, ClueTransfer.id)
        ).all()
        out = [
            {
                "id": t.id,
                "clue": key,
                "transfer_number": number,
                "agency": t.agency_code,
                "received_on": t.received_on.isoformat(),
                "period": t.period,
                "answer_due": t.answer_due.isoformat(),
                "answer_due_all_weekends": t.answer_due_all_weekends.isoformat(),
                "state": t.state,
                "result": t.result,
                "answered_on": t.answered_on.isoformat() if t.answered_on else None,
            }
            for t, key, number in rows
        ]
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return
    table = Table("ID", "移送函 transfer", "单位 agency", "收到 received", "答复期限 due", "状态 state", "结果 result")
    for r in out:
        table.add_row(
            str(r["id"]),
            r["transfer_number"],
            r["agency"],
            r["received_on"],
            r["answer_due"],
            r["state"],
            r["result"] or "—",
        )
    console.print(table)


@clues_app.command("answer")
def answer_cmd(
    transfer: str = typer.Argument(
        ..., help="移送线索编号、线索键或移送函文号 / transfer id, clue key or transfer number"
    ),
    result: str = typer.Option(..., "--result", help="accepted（受理）| filed（立案）| not_filed（不立案）"),
    reason: str | None = typer.Option(None, "--reason", help="理由（不立案必填）/ reasons (required for not_filed)"),
    case_id: str | None = typer.Option(None, "--case-id", help="立案的案件编号 / the case id when filed"),
    on: str | None = typer.Option(None, "--on", help="答复日期 / the answer's date (default today)"),
    actor: str = typer.Option("cli", "--by", help="办理人（用户标识，记入审计）/ who answers (audited)"),
) -> None:
    """答复行政机关移送的线索（经发件箱送达）/ answer an agency's transferred clue through the outbox."""
    from hub.clues.exchange import answer_transfer

    day = _date(on, "--on") or dt.date.today()
    message = _decide(answer_transfer, transfer, result=result, reason=reason, on=day, actor=actor, case_id=case_id)
    console.print(f"答复已进入发件箱 / answer queued: {message.dedupe_key} → {message.channel}:{message.recipient}")


@clues_app.command("refer")
def refer_cmd(
    key: str = typer.Argument(..., help="线索键或编号 / clue key or id"),
    commission: str = typer.Option(..., "--commission", help="监察委员会单位代码 / the supervisory commission's code"),
    facts: str = typer.Option(..., "--facts", help="涉嫌违纪违法的事实（不写个人姓名）/ the facts (no personal names)"),
    actor: str = typer.Option("cli", "--by", help="提出人（用户标识）/ who proposes (audited)"),
) -> None:
    """提出向监察委员会移送涉嫌违纪违法线索（待检察官确认）/ propose a misconduct referral (awaits confirmation)."""
    from hub.clues.exchange import propose_referral

    referral = _decide(propose_referral, key, commission=commission, facts=facts, actor=actor)
    console.print(
        f"移送待确认 / referral {referral.id} awaits a procurator's confirmation（pilhub clues confirm-referral "
        f"{referral.id} --by …）"
    )


@clues_app.command("confirm-referral")
def confirm_referral_cmd(
    referral: int = typer.Argument(..., help="移送编号 / referral id"),
    procurator: str = typer.Option(
        ..., "--by", help="确认的检察官（用户标识，记入审计）/ the confirming procurator (audited)"
    ),
    on: str | None = typer.Option(None, "--on", help="确认日期 / date of confirmation (default today)"),
) -> None:
    """检察官确认后发出签名的移送通知（仅一次）/ confirm: the signed referral is sent, once."""
    from hub.clues.exchange import confirm_referral

    day = _date(on, "--on") or dt.date.today()
    message = _decide(confirm_referral, referral, procurator=procurator, on=day)
    console.print(
        f"移送通知已进入发件箱 / referral queued: {message.dedupe_key} → {message.channel}:{message.recipient}"
    )


@clues_app.command("feedback")
def feedback_cmd(
    referral: int = typer.Argument(..., help="移送编号 / referral id"),
    text: str = typer.Option(..., "--text", help="监察委员会反馈的办理情况 / the commission's feedback"),
    on: str | None = typer.Option(None, "--on", help="收到日期 / date received (default today)"),
    actor: str = typer.Option("cli", "--by", help="登记人 / who records it (audited)"),
) -> None:
    """登记监察委员会的反馈（停止反馈时钟）/ record the commission's feedback (stops its clock)."""
    from hub.clues.exchange import record_feedback

    day = _date(on, "--on") or dt.date.today()
    _decide(record_feedback, referral, on=day, feedback=text, actor=actor)
    console.print(f"已登记反馈 / feedback recorded for referral {referral}")


@clues_app.command("clocks")
def clocks_cmd(
    as_of: str | None = typer.Option(None, "--as-of", help="基准日 / the as-of date (default today)"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print JSON"),
) -> None:
    """登记新移送线索，检查答复与反馈时钟，逾期提醒一次 / register transfers, check answer and feedback clocks."""
    from hub.clues.exchange import check_clocks
    from hub.store import session_scope

    day = _date(as_of, "--as-of") or dt.date.today()
    with session_scope() as session:
        report = check_clocks(session, day, actor="cli")
    if as_json:
        print(json.dumps(report.__dict__, ensure_ascii=False))
        return
    console.print(
        f"新登记移送线索 transfers registered {report.transfers_registered}；答复逾期 answers overdue "
        f"{report.transfers_overdue}；反馈逾期 feedback overdue {report.referrals_overdue}；提醒 reminders {report.reminders}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(clues_app, name="clues")
