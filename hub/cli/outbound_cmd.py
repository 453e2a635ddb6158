"""``pilhub recommendations export`` / ``pilhub notices export``: signed outbound documents as files.

An agency or a people's congress checks what the hub sent with ``pilhub verify FILE`` or openssl
(``docs/verify.md``). These commands produce the files to check: a recommendation as served on the
agency (``hub.outbound.recommendation``), and a notice delivered to the in-hub inbox — whose signed
document lives in the store (``hub.notify.inbox``) — written out with its manifest. Both are audited.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hub.cli.output import console, err_console

recommendations_app = typer.Typer(help="检察建议 / procuratorial recommendations as served", no_args_is_help=True)
notices_app = typer.Typer(help="通知 / signed notices delivered to the in-hub inbox", no_args_is_help=True)

EXIT_NOT_FOUND = 1


@recommendations_app.command("export")
def export_recommendation_cmd(
    rec_number: str = typer.Argument(..., help="检察建议文号 / recommendation number, e.g. 柯检行公建〔2026〕3号"),
    out: Path = typer.Option(..., "--out", file_okay=False, help="输出目录 / output folder"),
    text: bool = typer.Option(True, "--text/--no-text", help="另附中文文本 / also write the Chinese text"),
    as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable"),
) -> None:
    """导出签名的检察建议 / write a recommendation as served (JSON + text), signed, audited; verify with pilhub verify."""
    from hub.outbound.recommendation import RecommendationNotFound, export_recommendation
    from hub.store import session_scope

    try:
        with session_scope() as session:
            result = export_recommendation(session, rec_number, out, actor="cli", with_text=text)
    except RecommendationNotFound as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    if as_json:
        print(
            json.dumps(
                {
                    "rec_number": result.rec_number,
                    "files": [str(p) for p in result.files],
                    "manifests": [f"{p}.manifest.json" for p in result.files],
                    "sha256": result.sha256,
                    "key_id": result.key_id,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for path in result.files:
        console.print(f"已签名 / signed: {path}  (+ {path.name}.manifest.json)")
    console.print(f"密钥 / key {result.key_id}; 核验 / verify: pilhub verify '{result.files[0]}'")


@notices_app.command("export")
def export_notice_cmd(
    dedupe_key: str = typer.Argument(..., help="消息标识（发件箱去重键）/ message id (the outbox dedupe key)"),
    out: Path = typer.Option(..., "--out", file_okay=False, help="输出目录 / output folder"),
) -> None:
    """导出站内通知的签名文件 / write an in-hub inbox notice and its manifest for pilhub verify (audited)."""
    from sqlalchemy import select

    from hub import audit
    from hub.notify.signed import SignedNotice
    from hub.store import session_scope
    from hub.store.models import InboxMessage

    with session_scope() as session:
        row = session.execute(select(InboxMessage).where(InboxMessage.dedupe_key == dedupe_key)).scalar_one_or_none()
        stored = (row.payload or {}).get("notice") if row is not None else None
        if row is None or not stored:
            err_console.print(f"[red]站内信箱中无此签名通知 / no signed notice in the inbox under: {dedupe_key}[/red]")
            raise typer.Exit(EXIT_NOT_FOUND)
        notice = SignedNotice.from_payload(stored)
        path = notice.write(out)
        audit.append(
            session,
            actor="cli",
            action="notice.exported",
            object_type="inbox",
            object_id=dedupe_key,
            detail={"file": notice.name, "notice_sha256": notice.sha256, "key_id": notice.key_id},
        )
    console.print(f"已导出 / written: {path}  (+ {notice.manifest_name}); 核验 / verify: pilhub verify '{path}'")


def register(app: typer.Typer) -> None:
    app.add_typer(recommendations_app, name="recommendations")
    app.add_typer(notices_app, name="notices")
