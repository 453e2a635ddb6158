"""``pilhub sla …`` and ``pilhub outbox …``: the deadline sweep, clock status, case events, and delivery.

A thin layer over ``sla.sweep.sweep``, ``sla.escalation.clock_status``, ``sla.clocks.record_event`` and
``hub.notify.outbox.send_pending`` — the functions the Airflow DAG calls too. Heavy imports stay inside the
commands so ``pilhub --help`` stays fast.

Exit status: 0 done; 1 the policy or calendar file is invalid; 2 bad input (date, unknown case or event).
"""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.output import console, err_console

sla_app = typer.Typer(help="期限监督与升级 / statutory deadlines and escalation", no_args_is_help=True)
outbox_app = typer.Typer(help="通知发件箱 / notification outbox", no_args_is_help=True)

EXIT_CONFIG = 1
EXIT_BAD_INPUT = 2

STATE_LABELS = {
    "pending": "未送达 pending",
    "running": "计时中 running",
    "due_soon": "即将到期 due soon",
    "met": "按期 met",
    "met_late": "逾期完成 met late",
    "breached": "已逾期 breached",
    "escalated": "已升级 escalated",
    "closed": "已关闭 closed",
    "calendar_missing": "缺日历 calendar missing",
    "no_statutory_period": "无法定期限 no statutory period",
    "withdrawn": "已撤回 withdrawn",
    "suspended": "中止 suspended",
}
STATE_STYLES = {
    "escalated": "bold red",
    "breached": "red",
    "due_soon": "yellow",
    "calendar_missing": "magenta",
    "met_late": "dim yellow",
    "met": "green",
    "closed": "dim",
    "pending": "cyan",
    "no_statutory_period": "dim cyan",
    "withdrawn": "dim",
    "suspended": "blue",
}


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        err_console.print(f"日期无效 / invalid date {value!r}: expected YYYY-MM-DD")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _policy():  # type: ignore[no-untyped-def]
    from sla.policy import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as exc:
        err_console.print(str(exc))
        raise typer.Exit(EXIT_CONFIG) from None


@sla_app.command("sweep")
def sweep_cmd(
    as_of: str | None = typer.Option(
        None, "--as-of", help="评估日期 YYYY-MM-DD，默认今天 / evaluation date, default today"
    ),
    full: bool = typer.Option(False, "--full", help="重新推算全部时钟 / re-derive every clock"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print the report as JSON"),
) -> None:
    """评估全部时钟并生成到期的升级通知 / evaluate every clock and enqueue due escalations."""
    from sla.calendar import CalendarConfigError
    from sla.sweep import sweep

    day = _as_of(as_of)
    policy = _policy()
    try:
        report = sweep(as_of=day, policy=policy, full=full, actor="cli")
    except CalendarConfigError as exc:
        err_console.print(str(exc))
        raise typer.Exit(EXIT_CONFIG) from None
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        r = report.recompute
        console.print(
            f"期限扫描 / SLA sweep as of {day}: 重新推算 recomputed {r.created + r.changed + r.withdrawn} "
            f"(新增 new {r.created}, 变更 changed {r.changed}, 撤回 withdrawn {r.withdrawn}; 撤销升级 revoked "
            f"{r.revoked}); 评估 evaluated {report.evaluation.evaluated} ({report.evaluation.mode}), 状态变化 "
            f"state changes {report.evaluation.states_changed}"
        )
        table = Table(title="时钟状态 / clocks by state")
        table.add_column("状态 / state")
        table.add_column("数量 / count", justify="right")
        for state, label in STATE_LABELS.items():
            if report.states.get(state):
                table.add_row(Text(label, style=STATE_STYLES.get(state, "")), str(report.states[state]))
        console.print(table)
        levels = Table(title="新增升级 / escalations enqueued")
        levels.add_column("级别 / level", justify="right")
        levels.add_column("数量 / count", justify="right")
        for level, count in sorted(report.enqueued.items()):
            levels.add_row(str(level), str(count))
        levels.add_row("通知 / messages", str(report.messages))
        console.print(levels)
    for warning in report.warnings:
        err_console.print(f"[yellow]警告 warning[/yellow] {warning}")


@sla_app.command("status")
def status_cmd(
    case_id: str | None = typer.Argument(None, help="案件编号 / case id (default: all open clocks)"),
    as_of: str | None = typer.Option(None, "--as-of", help="评估日期 / evaluation date, default today"),
    include_all: bool = typer.Option(False, "--all", help="包括已完成、已关闭的时钟 / include met and closed"),
    limit: int = typer.Option(200, "--limit", min=1, help="最多列出条数 / at most this many rows"),
    as_json: bool = typer.Option(
        False, "--json", help="以 JSON 输出；指定案件时含适用规则和历史 / JSON; for one case with rules and history"
    ),
) -> None:
    """列出时钟：届满日、剩余或逾期天数、状态和级别 / list clocks with deadlines, days left or overdue, state.

    指定案件并加 --json 时，每个时钟附适用的规则（citation、rules_applied）、解释和历史（history：起算、回复、
    通知及其发送/撤销/更正、中止、结果）。/ For one case with --json, each clock carries the rules applied, its
    explanation and its history (start, replies, notices and what became of them, suspensions, outcome).
    """
    from hub.store import session_scope
    from sla.escalation import clock_status

    day = _as_of(as_of)
    policy = _policy()
    with session_scope() as session:
        rows = clock_status(
            session,
            as_of=day,
            policy=policy,
            case_id=case_id,
            include_final=include_all,
            limit=limit,
            with_history=as_json and case_id is not None,
        )
    if case_id is not None and not rows:
        err_console.print(f"无此案件或该案无时钟 / no clocks for case {case_id} (run `pilhub sla sweep` first?)")
        raise typer.Exit(EXIT_BAD_INPUT)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    from hub.cli.output import add_id_column

    table = Table(title=f"期限状态 / clock status as of {day}", show_lines=False)
    add_id_column(table, "案件 case", [r.case_id for r in rows])
    add_id_column(table, "检察建议·期限 rec.·clock", [r.rec_number for r in rows])
    # Chinese has no spaces to wrap at: fold, never "…"; dates stay whole, one per line.
    table.add_column("机关 agency", overflow="fold")
    table.add_column("起算→届满 dates", min_width=12, overflow="fold")
    table.add_column("天数 days", overflow="fold", max_width=8)
    table.add_column("状态·级别 state·level", overflow="fold", max_width=12)
    for r in rows:
        dates = f"{r.start_on or '—'}\n→ {r.deadline_official or '—'}"
        if r.deadline_all_weekends and r.deadline_all_weekends != r.deadline_official:
            dates += f"\n（{r.deadline_all_weekends}）"
        if r.calendar_missing_years and r.deadline_latest and r.deadline_latest != r.deadline_official:
            # the year's notice is unknown: the deadline is a range, a breach only after its latest date
            dates = f"{r.start_on or '—'}\n→ {r.deadline_official}\n… {r.deadline_latest}\n（待定 range）"
        elif r.calendar_missing_years:
            dates += "\n（待定 year unknown）"
        if r.days_overdue:
            days: str | Text = Text(f"逾期 {r.days_overdue}", style="red")
        elif r.days_left is not None:
            days = f"剩 {r.days_left}"
        else:
            days = "—"
        # The cell in Chinese (the header carries the English): narrow enough for a 100-column terminal.
        state = Text(STATE_LABELS.get(r.state, r.state).split(" ")[0], style=STATE_STYLES.get(r.state, ""))
        if r.incomplete:
            state.append("（回复不完整）", style="yellow")
        if r.level:
            state.append(f"\n{r.level}级 {r.level_label}")
        rec_and_kind = f"{r.rec_number or '—'}\n{KIND_SHORT.get(r.kind, r.kind)}"
        table.add_row(r.case_id, rec_and_kind, r.agency or "", dates, days, state)
    console.print(table)


#: Clock kinds as a table cell (the full labels are in sla.clocks.KIND_LABELS).
KIND_SHORT = {
    "reply": "书面回复",
    "rectification": "承诺整改",
    "follow_up": "回头看",
    "announcement": "公告期间",
    "lawsuit": "起诉决定",
}


@sla_app.command("event")
def event_cmd(
    case_id: str = typer.Argument(..., help="案件编号 / case id"),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="announcement 公告发布 | follow_up_done 回头看完成 | withdrawn 撤回检察建议 | obstacle 客观障碍（中止）| "
        "resume 障碍消除（恢复）| closed 案件办结 | lawsuit_decided 已作出是否起诉的决定",
    ),
    on: str = typer.Option(..., "--on", help="发生日期 YYYY-MM-DD / the day it happened"),
    rec: str | None = typer.Option(
        None,
        "--rec",
        help="检察建议编号（除 announcement、closed 外必填）/ recommendation number (all but announcement and closed)",
    ),
    note: str | None = typer.Option(None, "--note", help="说明（不得含个人信息）/ note, no personal data"),
) -> None:
    """登记时钟所需、案件名录没有的事件 / record a dated event the case registry lacks.

    撤回（withdrawn）使该建议的全部时钟于当日终止、待发通知撤销；客观障碍（obstacle）中止跟进调查和整改期限，
    恢复（resume）后继续计算：期限按中止日数顺延，顺延后的末日遇法定休假日再顺延至其后第一个工作日（民法典第203条）。
    / withdrawn ends the recommendation's clocks that day and revokes pending notices; obstacle suspends the
    follow-up and rectification clocks (中止), resume lets them run again: the deadline moves by the days
    suspended, and a moved last day on a rest day moves to the next working day (Civil Code Art. 203).
    """
    from hub.store import session_scope
    from sla.clocks import EventError, record_event

    day = _as_of(on)
    try:
        with session_scope() as session:
            record_event(session, case_id=case_id, kind=kind, occurred_on=day, actor="cli", rec_number=rec, note=note)
    except EventError as exc:
        err_console.print(str(exc))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(f"已登记 / recorded: {case_id} {kind} {day}（下次扫描时重新推算 / applied at the next sweep）")


@outbox_app.command("send")
def send_cmd(
    limit: int = typer.Option(500, "--limit", min=1, help="本次最多发送条数 / at most this many messages"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON"),
) -> None:
    """发送待发通知（失败按指数退避重试）/ deliver pending notifications (retries with backoff)."""
    from hub.notify.outbox import send_pending

    report = send_pending(limit=limit)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    console.print(
        f"已发送 sent {report.sent}，失败待重试 failed {report.failed}，放弃 dead {report.dead}"
        f"（领取 claimed {report.claimed}，接管超时 reclaimed {report.reclaimed}）"
    )
    for error in report.errors[:20]:
        err_console.print(f"[yellow]失败 failed[/yellow] {error}")


@outbox_app.command("list")
def list_cmd(
    status: str | None = typer.Option(
        None,
        "--status",
        help="状态 / status: pending（待发）| sending | sent（已发）| failed | dead（失败）| cancelled",
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="最多显示条数 / at most this many messages"),
) -> None:
    """列出通知 / list outbox messages (newest first)."""
    from hub.notify.base import mask_address
    from hub.notify.outbox import list_messages, status_counts
    from hub.store import session_scope

    with session_scope() as session:
        counts = status_counts(session)
        messages = list_messages(session, status=status, limit=limit)
        table = Table(title="通知发件箱 / outbox " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for header in (
            "#",
            "状态 status",
            "渠道 channel",
            "收件 recipient",
            "主题 subject",
            "尝试 attempts",
            "错误 error",
        ):
            table.add_column(header)
        for m in messages:
            table.add_row(
                str(m.id),
                m.status,
                m.channel,
                mask_address(m.channel, m.recipient),
                m.subject,
                str(m.attempts),
                (m.last_error or "")[:60],
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``pilhub sla`` and ``pilhub outbox`` to the root app."""
    app.add_typer(sla_app, name="sla")
    app.add_typer(outbox_app, name="outbox")
