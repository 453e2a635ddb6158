"""``pilhub audit`` / ``pilhub verify`` / ``pilhub keys``: the trust commands.

A thin layer over :mod:`hub.trust`. Registering this module also installs the log
redaction for the whole CLI (every command), and honours ``PILHUB_LOG_LEVEL`` /
``PILHUB_LOG_FILE`` — the CLI's only logging switches — so no command can write an
ID number, a phone number or a key into a log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

audit_app = typer.Typer(help="审计链 / tamper-evident audit trail", no_args_is_help=True)
keys_app = typer.Typer(help="密钥 / keys: rotation, status, agency public keys", no_args_is_help=True)
agency_keys_app = typer.Typer(help="机关公钥 / agencies' registered public keys", no_args_is_help=True)

EXIT_INVALID = 1  # broken trail, invalid artefact, refused operation
EXIT_UNFINISHED = 3  # rotation stopped with rows still under an old key

#: Dates given without a zone are China Standard Time (no DST), the hub's jurisdiction.
CST = timezone(timedelta(hours=8), "CST")


def _parse_when(text: str, *, end_of_day: bool = False) -> datetime:
    """``2026-12-31`` (a whole day in CST; as an end, the day is included) or an ISO date-time."""
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=CST)
            return day + timedelta(days=1) if end_of_day else day
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"日期格式应为 YYYY-MM-DD 或 ISO 时间 / expected YYYY-MM-DD or ISO time: {text}"
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=CST)


# --- audit ----------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify_cmd(
    as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable"),
    anchor: Path | None = typer.Option(None, help="检查点锚定文件 / checkpoint anchor file (default var/audit/…)"),
    no_anchor: bool = typer.Option(False, "--no-anchor", help="不核对锚定文件 / skip the anchor file"),
) -> None:
    """核验审计链、签名检查点与各行摘要 / walk the audit chain, the signed checkpoints and every registry, clock and
    escalation row's keyed tags; exit 1 at a broken link or an edited row (table, row and field are named)."""
    from hub.store import session_scope
    from hub.store.integrity import verify_rows
    from hub.trust.checkpoints import verify_trail

    with session_scope() as session:
        report = verify_trail(session, use_anchor=not no_anchor, anchor=anchor)
        rows = verify_rows(session)
    if as_json:
        print(json.dumps({**report.as_dict(), "rows": rows.as_dict()}, ensure_ascii=False, indent=2))
    else:
        _print_trail(report)
        _print_rows(rows)
    if not report.ok or not rows.ok:
        raise typer.Exit(EXIT_INVALID)


def _print_rows(rows) -> None:  # type: ignore[no-untyped-def]
    checked = ", ".join(f"{table} {n}" for table, n in rows.checked.items())
    if rows.ok:
        console.print(f"[green]各行摘要一致[/green] / every row matches its keyed tags: {checked}")
        return
    err_console.print(
        f"[red]发现被直接修改的行[/red] / rows edited around the hub: {len(rows.findings) + rows.more} ({checked})"
    )
    for finding in rows.findings:
        err_console.print(f"  {finding.line()}")
    if rows.more:
        err_console.print(f"  … 另有 {rows.more} 行 / {rows.more} more rows")


def _print_trail(report) -> None:  # type: ignore[no-untyped-def]
    chain = report.chain
    if chain.ok:
        console.print(f"[green]审计链完整[/green] / chain intact: {chain.checked} 条目 entries checked")
    else:
        err_console.print(
            f"[red]审计链断裂[/red] / chain broken at entry {chain.first_broken_id} "
            f"(checked {chain.checked}): {chain.reason}"
        )
    console.print(
        f"签名检查点 / signed checkpoints: {report.checkpoints_checked}; 锚定 anchored: {report.anchored_checked}"
    )
    if report.checkpoint_reason:
        err_console.print(
            f"[red]检查点不符[/red] / checkpoint {report.first_bad_checkpoint_id}: {report.checkpoint_reason}"
        )
    elif report.last_checkpoint_id is not None and chain.ok:
        console.print(
            f"最近检查点 / last checkpoint {report.last_checkpoint_id} (entry {report.last_checkpoint_entry_id}) "
            f"与链一致 matches; 其后 {report.entries_after_last_checkpoint} 条 entries after it, 链接完好 linked"
        )
    for note in report.notes:
        console.print(f"[yellow]{note}[/yellow]")


@audit_app.command("checkpoint")
def audit_checkpoint_cmd(as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable")) -> None:
    """签署审计链当前链头 / sign the chain's current head (after verifying it); anchors it to var/audit/."""
    from hub.store import open_store
    from hub.trust.checkpoints import CheckpointRefused, anchor_path, checkpoint_now, statement

    try:
        cp = checkpoint_now(open_store())
    except CheckpointRefused as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    if as_json:
        print(json.dumps({"id": cp.id, **statement(cp), "signature": cp.signature}, ensure_ascii=False, indent=2))
        return
    console.print(
        f"检查点 / checkpoint {cp.id}: 条目 entry {cp.last_entry_id} ({cp.entries} entries), "
        f"key {cp.key_id}, 锚定 anchored in {anchor_path()}"
    )


# --- verify ---------------------------------------------------------------------------


def verify_cmd(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="报告、通知或检察建议文件 / report, notice or recommendation",
    ),
    manifest: Path | None = typer.Option(None, help="清单（默认 FILE.manifest.json 或内嵌）/ manifest path"),
    public_key: str | None = typer.Option(None, "--public-key", help="公钥 PEM 文件或 base64 / pin a public key"),
    as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable"),
) -> None:
    """核验签名文件 / verify a signed report, notice or recommendation against its manifest: exit 0 valid, 1 invalid."""
    from hub.trust.manifest import kind_label, verify_artifact

    result = verify_artifact(file, manifest=manifest, public_key=public_key)
    summary = _document_summary(file) if result.ok else {}
    if as_json:
        print(
            json.dumps(
                {
                    "ok": result.ok,
                    "kind": result.kind,
                    "reason_zh": result.reason_zh,
                    "reason_en": result.reason_en,
                    "manifest": result.manifest,
                    "document": summary,
                    "warnings": list(result.warnings),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif result.ok:
        m = result.manifest or {}
        console.print(
            f"[green]有效[/green] / VALID {kind_label(result.kind)}: {result.reason} — {m.get('key_id')} {m.get('signed_at')}"
        )
        for key, value in summary.items():
            console.print(f"  {key}: {value}")
    else:
        claimed = f" ({kind_label(result.kind)})" if result.kind else ""
        err_console.print(f"[red]无效[/red] / INVALID{claimed}: {result.reason}")
    for warning in result.warnings:
        err_console.print(f"[yellow]{warning}[/yellow]")
    if not result.ok:
        raise typer.Exit(EXIT_INVALID)


#: What ``pilhub verify`` shows of a valid signed JSON document, so the reader sees *what* is vouched for.
_SUMMARY_FIELDS = (
    ("document_type", "类型 type"),
    ("message_id", "消息 message id"),
    ("issued_at", "签发 issued at"),
    ("rec_number", "检察建议 recommendation"),
    ("case_id", "案件 case"),
    ("agency", "机关 agency"),
    ("recipient", "收件 recipient"),
    ("level_name", "级别 level"),
    ("days_overdue", "逾期日数 days overdue"),
    ("served_on", "送达 served"),
)


def _document_summary(path: Path) -> dict[str, str]:
    """Key facts of a valid notice or recommendation JSON (nothing for reports and other files)."""
    if path.suffix != ".json":
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(doc, dict) or not str(doc.get("document_type", "")).startswith("pilhub."):
        return {}
    flat = {**doc, **({"case_id": doc["case"].get("case_id")} if isinstance(doc.get("case"), dict) else {})}
    if isinstance(doc.get("addressee"), dict):
        flat["agency"] = doc["addressee"].get("name")
    return {label: str(flat[key]) for key, label in _SUMMARY_FIELDS if flat.get(key) not in (None, "")}


# --- keys -----------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate_cmd(
    batch: int = typer.Option(500, "--batch", min=1, help="每批行数 / rows per transaction"),
    as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable"),
) -> None:
    """把个人信息重新加密到当前密钥（分批、可续跑）/ re-encrypt personal data to the current key, resumably.

    Exit status: 0 finished; 1 refused or a row does not decrypt; 3 rows remain under an old key.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hub.store import open_store
    from hub.trust.rotation import RotationError, RotationRefused, remaining, rotate

    factory = open_store()
    with factory() as session:
        total = sum(remaining(session).values())
    try:
        with Progress(
            TextColumn("轮换 rotating"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task("rotate", total=total)
            report = rotate(factory, batch=batch, on_progress=lambda n: progress.advance(task, n))
    except (RotationRefused, RotationError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.finished:
        console.print(
            f"[green]轮换完成[/green] / rotation finished → {report.target_key_id}: 重新加密 re-encrypted "
            f"{report.rewritten}, 并发已更新 changed meanwhile {report.skipped}. "
            "旧密钥现可从 PILHUB_OLD_SECRET_KEYS 移除 / old keys may now be removed from PILHUB_OLD_SECRET_KEYS"
        )
    else:
        err_console.print(
            f"[yellow]仍有行使用旧密钥 / rows still under an old key: {report.remaining}[/yellow] — "
            "仍有进程使用旧配置？重启后再运行 / processes still on the old configuration? restart them and re-run"
        )
    if not report.finished:
        raise typer.Exit(EXIT_UNFINISHED)


@keys_app.command("status")
def keys_status_cmd(as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable")) -> None:
    """密钥与轮换现状 / key ids configured and in use, blind-index pinning, last rotation (never key material)."""
    from hub.store import session_scope
    from hub.trust.rotation import rotation_status

    with session_scope() as session:
        status = rotation_status(session)
    if as_json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return
    console.print(
        f"当前密钥 / current key id: [bold]{status['current_key_id']}[/bold]; "
        f"旧密钥 / old key ids: {', '.join(status['old_key_ids']) or '-'}; "
        f"索引密钥已固定 / index key pinned: {'是 yes' if status['index_key_pinned'] else '否 NO'}"
    )
    table = Table("列 column", "各密钥行数 rows per key id")
    for column, counts in status["rows"].items():
        table.add_row(column, ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-")
    console.print(table)
    if status["removable_old_key_ids"]:
        console.print(f"可移除的旧密钥 / old keys no longer used: {', '.join(status['removable_old_key_ids'])}")
    last = status["last_rotation"]
    if last:
        console.print(
            f"最近轮换 / last rotation {last['id']} → {last['target_key_id']}: {last['status']}, {last['rewritten']} rows"
        )


@keys_app.command("public")
def keys_public_cmd(out: Path | None = typer.Option(None, help="写入文件 / write to this file")) -> None:
    """输出平台签名公钥（PEM）/ print the hub's public signing key (PEM) for recipients."""
    from hub.trust.signing import hub_signer, public_key_pem, publish_public_key

    signer = hub_signer()
    if out:
        publish_public_key(signer, out)
        err_console.print(f"公钥 / public key {signer.key_id} → {out}")
        return
    print(public_key_pem(signer.public_key), end="")


@agency_keys_app.command("add")
def agency_add_cmd(
    agency_code: str = typer.Argument(..., help="机关代码 / agency code"),
    key_id: str = typer.Argument(..., help="密钥 id / the agency's key id"),
    public_key: str = typer.Argument(..., help="公钥 PEM 文件或 base64 / PEM file or base64 raw key"),
    valid_from: str = typer.Option(..., "--valid-from", help="生效 YYYY-MM-DD / valid from"),
    valid_to: str | None = typer.Option(None, "--valid-to", help="失效（含当日）YYYY-MM-DD / valid to (inclusive)"),
) -> None:
    """登记机关公钥及有效期 / register an agency's Ed25519 public key for a validity period (audited)."""
    from hub.store import session_scope
    from hub.trust.agency_keys import AgencyKeyError, register_agency_key

    start = _parse_when(valid_from)
    end = _parse_when(valid_to, end_of_day=True) if valid_to else None
    key_text = Path(public_key).read_text(encoding="ascii") if Path(public_key).is_file() else public_key
    try:
        with session_scope() as session:
            register_agency_key(session, agency_code, key_id, key_text, start, end)
    except AgencyKeyError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    console.print(f"已登记 / registered {agency_code}/{key_id} ({start:%Y-%m-%d %H:%M%z} – {end or '∞'})")


@agency_keys_app.command("retire")
def agency_retire_cmd(
    agency_code: str = typer.Argument(..., help="机关代码 / agency code"),
    key_id: str = typer.Argument(..., help="公钥编号 / key id"),
    at: str | None = typer.Option(None, help="失效时间（默认现在）/ end of validity (default now)"),
) -> None:
    """停用机关公钥（换钥或泄露）/ end a key's validity (rollover or compromise); later payloads are refused."""
    from hub.store import session_scope
    from hub.trust.agency_keys import AgencyKeyError, retire_agency_key

    when = _parse_when(at) if at else datetime.now(CST)
    try:
        with session_scope() as session:
            retire_agency_key(session, agency_code, key_id, when)
    except AgencyKeyError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    console.print(f"已停用 / retired {agency_code}/{key_id} at {when.isoformat()}")


@agency_keys_app.command("list")
def agency_list_cmd(
    agency: str | None = typer.Option(None, help="机关代码 / agency code"),
    as_json: bool = typer.Option(False, "--json", help="机器可读 / machine-readable"),
) -> None:
    """列出机关公钥 / list agencies' public keys and whether each is valid now."""
    from hub.store import session_scope
    from hub.trust.agency_keys import agency_keys, key_validity_error

    now = datetime.now(CST)
    with session_scope() as session:
        rows = [
            {
                "agency_code": k.agency_code,
                "key_id": k.key_id,
                "public_key": k.public_key,
                "valid_from": k.valid_from.isoformat(),
                "valid_to": k.valid_to.isoformat() if k.valid_to else None,
                "valid_now": key_validity_error(k, now) is None,
            }
            for k in agency_keys(session, agency)
        ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("机关 agency", "密钥 key id", "生效 from", "失效 to", "现在有效 valid now", "公钥 public key")
    for r in rows:
        table.add_row(
            r["agency_code"],
            r["key_id"],
            r["valid_from"],
            r["valid_to"] or "∞",
            "是 yes" if r["valid_now"] else "否 no",
            r["public_key"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    from hub.trust.log_redaction import configure_logging_from_env, install_redaction

    install_redaction()
    configure_logging_from_env()
    keys_app.add_typer(agency_keys_app, name="agency")
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")
    app.command("verify")(verify_cmd)
