"""``pilhub match``, ``pilhub review …`` and ``pilhub links unlink``: matching in the store."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from hub.cli.output import console, err_console

review_app = typer.Typer(help="关联复核队列 / the link review queue", no_args_is_help=True)
links_app = typer.Typer(help="记录与案件的关联 / record-to-case links", no_args_is_help=True)


def match_cmd(as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")) -> None:
    """把新入库的单位记录关联到案件 / link newly loaded agency records to cases."""
    from hub.linking import link_pending

    report = link_pending(actor="cli")
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    console.print(
        f"记录 records {report.records}，案件 cases {report.cases}：关联 linked {report.linked}，"
        f"待复核 review {report.review}；效果 effects {report.effects}"
    )


@review_app.command("list")
def review_list(limit: int = typer.Option(50, min=1, help="最多显示条数 / at most this many pairs")) -> None:
    """待复核的关联 / links awaiting a decision."""
    from sqlalchemy import select

    from hub.store import session_scope
    from hub.store.models import AgencyRecord, Case, RecordLink

    with session_scope() as session:
        rows = session.execute(
            select(RecordLink, Case.case_id, AgencyRecord.kind, AgencyRecord.agency_code, AgencyRecord.source_id)
            .join(Case, Case.id == RecordLink.case_pk)
            .join(AgencyRecord, AgencyRecord.id == RecordLink.record_pk)
            .where(RecordLink.status == "pending_review")
            .order_by(RecordLink.score.desc())
            .limit(limit)
        ).all()
        from hub.cli.output import add_id_column
        from hub.reports.timeline import COMPARISON_LABELS

        table = Table()
        add_id_column(table, "ID", [str(r[0].id) for r in rows])
        add_id_column(table, "案件 case", [r[1] for r in rows])  # identifiers whole, never "KC-2017-0…"
        table.add_column("记录 record", overflow="fold")
        table.add_column("得分 score", justify="right")
        table.add_column("依据 agreeing fields", overflow="fold")
        for link, case_id, kind, agency, source_id in rows:
            # The comparisons that counted for the pair (explanations name them "comparison"), in Chinese.
            agree = [
                COMPARISON_LABELS.get(name, name)
                for c in (link.explanation or {}).get("comparisons", [])
                if isinstance(c.get("total"), int | float) and c["total"] > 0
                for name in [c.get("comparison") or c.get("field") or c.get("name")]
            ]
            table.add_row(
                str(link.id),
                case_id,
                f"{agency}/{kind}/{source_id}",
                f"{link.score:.1f}",
                ", ".join(str(a) for a in agree[:5]),
            )
    console.print(table)


def _decide(link_id: int, accept: bool) -> None:
    from hub.linking import LinkError, decide
    from hub.store import session_scope

    try:
        with session_scope() as session:
            link = decide(session, link_id, accept=accept, actor="cli")
            status = link.status
    except LinkError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"关联 link {link_id}: {status}")


@review_app.command("accept")
def review_accept(link_id: int = typer.Argument(..., help="关联编号（pilhub review list）/ link id")) -> None:
    """确认关联（作为训练标签）/ accept the link (kept as a training label)."""
    _decide(link_id, True)


@review_app.command("reject")
def review_reject(link_id: int = typer.Argument(..., help="关联编号（pilhub review list）/ link id")) -> None:
    """否决关联（不再提示）/ reject the link (never proposed again)."""
    _decide(link_id, False)


@links_app.command("unlink")
def unlink_cmd(
    link_id: int = typer.Argument(..., help="关联编号 / link id"),
    reason: str = typer.Option(..., "--reason", help="原因（记入审计）/ reason (audited)"),
) -> None:
    """解除关联并撤销其效果 / unlink and revert its effects (audited)."""
    from hub.linking import LinkError, unlink
    from hub.store import session_scope

    try:
        with session_scope() as session:
            unlink(session, link_id, actor="cli", reason=reason)
    except LinkError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"已解除关联 / unlinked {link_id}")


def register(app: typer.Typer) -> None:
    app.command("match")(match_cmd)
    app.add_typer(review_app, name="review")
    app.add_typer(links_app, name="links")


# --- referrals to the supervisory commission: proposed by the sweep, decided by a procurator ------------------

referral_app = typer.Typer(
    help="向监察委员会移送的建议（须检察官确认，绝不自动发送）/ proposals to refer to the supervisory commission "
    "(a procurator decides; never automatic)",
    no_args_is_help=True,
)


@referral_app.command("list")
def referral_list(
    include_decided: bool = typer.Option(False, "--all", help="包括已决定的 / include decided proposals"),
    case_id: str | None = typer.Option(None, "--case", help="只列出该案件 / only this case"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON"),
) -> None:
    """待决定的移送建议 / referral proposals awaiting a decision."""
    from hub.referrals import list_proposals
    from hub.store import session_scope

    with session_scope() as session:
        rows = list_proposals(session, include_decided=include_decided, case_id=case_id)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("ID", "案件 case", "检察建议 rec.", "机关 agency", "建议日 proposed", "决定 decision")
    for r in rows:
        table.add_row(
            str(r.id),
            r.case_id,
            r.rec_number or "",
            r.agency or "",
            r.proposed_on.isoformat(),
            r.decision or "待决定 awaiting",
        )
    console.print(table)


def _referral(proposal_id: int, confirm: bool, reason: str | None) -> None:
    from hub.referrals import ReferralError, decide_referral
    from hub.store import session_scope
    from sla.policy import PolicyError, load_policy

    try:
        policy = load_policy()
        with session_scope() as session:
            decision = decide_referral(session, proposal_id, confirm=confirm, actor="cli", policy=policy, reason=reason)
            status = decision.decision
    except (ReferralError, PolicyError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if confirm:
        console.print(f"已确认移送 / confirmed: proposal {proposal_id} — 通知已排入发件箱 (pilhub outbox send)")
    else:
        console.print(f"不予移送 / rejected: proposal {proposal_id} ({status})")


@referral_app.command("confirm")
def referral_confirm(
    proposal_id: int = typer.Argument(..., help="移送建议编号 / proposal id (pilhub review referral list)"),
    reason: str | None = typer.Option(None, "--reason", help="理由（记入审计，不得含个人信息）/ reason, audited"),
) -> None:
    """确认移送：此时才通知同级监察委员会（一次）/ confirm: only now is the supervisory commission told (once)."""
    _referral(proposal_id, True, reason)


@referral_app.command("reject")
def referral_reject(
    proposal_id: int = typer.Argument(..., help="移送建议编号 / proposal id"),
    reason: str = typer.Option(..., "--reason", help="不予移送的理由（必填，记入审计）/ reason (required, audited)"),
) -> None:
    """不予移送：监察委员会不会收到任何通知 / reject: the supervisory commission receives nothing."""
    _referral(proposal_id, False, reason)


review_app.add_typer(referral_app, name="referral")
