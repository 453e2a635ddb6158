"""``pilhub serve`` (the API and dashboard under uvicorn) and ``pilhub api token …`` (bearer tokens).

Tokens are printed once, at creation; only their SHA-256 hashes are stored (``PILHUB_API_TOKENS_FILE``,
default ``var/api-tokens.yaml``). Exit status of ``token create``: 0 created, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import typer

from hub.cli.output import console, err_console

api_app = typer.Typer(help="HTTP 接口 / HTTP API", no_args_is_help=True)
token_app = typer.Typer(help="访问令牌 / API bearer tokens", no_args_is_help=True)
api_app.add_typer(token_app, name="token")

EXIT_BAD_INPUT = 2


# Plain formatters: the CLI installs hub.trust.log_redaction, whose record factory merges each record's args
# into its message (args=None); uvicorn's own AccessFormatter would try to unpack those args and fail.
LOG_CONFIG: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "pilhub": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


class Role(StrEnum):
    """Mirrors ``hub.api.tokens.ROLES``."""

    CONGRESS = "congress"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / bind address"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口 / port"),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="进程数 / worker processes"),
) -> None:
    """启动统计接口与督办看板 / serve the API (/docs) and the dashboard (/dashboard) with uvicorn."""
    import uvicorn

    from hub.api.tokens import TokenConfigError, TokenStore

    store = TokenStore()
    try:
        store.check()
    except TokenConfigError as exc:
        err_console.print(f"[red]无法启动：令牌文件有误 / cannot start: the token file is malformed — {exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if not store.principals():
        err_console.print(
            f"[yellow]尚无访问令牌（{store.path}）：请先运行 pilhub api token create / no API tokens yet in "
            f"{store.path}: run `pilhub api token create`[/yellow]"
        )
    console.print(f"pilhub API: http://{host}:{port}/docs · 看板 dashboard: http://{host}:{port}/dashboard")
    if workers > 1:
        uvicorn.run(
            "hub.api.app:create_app", factory=True, host=host, port=port, workers=workers, log_config=LOG_CONFIG
        )
    else:
        from hub.api.app import create_app

        uvicorn.run(create_app(), host=host, port=port, log_config=LOG_CONFIG)


@token_app.command("create")
def token_create(
    role: Role = typer.Option(
        ...,
        "--role",
        case_sensitive=False,
        help="角色 / role: congress（人大，仅汇总）| supervisor（督办）| admin（管理员）",
    ),
    region: str = typer.Option(
        "", "--region", help="辖区：行政区划代码前缀，如 3308、330802；空为全部 / jurisdiction prefix; empty = all"
    ),
    name: str = typer.Option(..., "--name", help="持有单位（非个人姓名）/ holder: an office, not a person's name"),
    expires: str | None = typer.Option(None, "--expires", help="到期日 / expiry date YYYY-MM-DD"),
) -> None:
    """生成访问令牌（仅显示一次）/ create a bearer token (shown once; only its hash is stored)."""
    from hub.api.tokens import TokenConfigError, create_token, default_tokens_file

    try:
        until = dt.date.fromisoformat(expires) if expires else None
        path = default_tokens_file()
        token, principal = create_token(path, role=role.value, region=region.strip(), name=name, expires=until)
    except (TokenConfigError, ValueError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    err_console.print(
        f"已创建 / created: {principal.name} · {principal.role} · 辖区 region {principal.region or '全部 all'} → {path}\n"
        "令牌仅显示这一次，请妥善保存 / the token is shown only once:"
    )
    print(token)


@token_app.command("list")
def token_list() -> None:
    """列出令牌（不含令牌本身）/ list tokens (names, roles, regions — never the tokens)."""
    from rich.table import Table

    from hub.api.tokens import TokenConfigError, TokenStore

    store = TokenStore()
    try:
        principals = store.principals()
    except TokenConfigError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    table = Table(title=f"API 令牌 / tokens ({store.path})")
    for col in ("名称 name", "角色 role", "辖区 region", "到期 expires"):
        table.add_column(col)
    for p in principals:
        table.add_row(p.name, p.role, p.region or "全部 all", p.expires.isoformat() if p.expires else "—")
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: str = typer.Argument(..., help="令牌名称 / token name")) -> None:
    """吊销令牌 / revoke a token by name (takes effect on the next request)."""
    from hub.api.tokens import TokenConfigError, default_tokens_file, revoke_token

    try:
        removed = revoke_token(default_tokens_file(), name)
    except TokenConfigError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if not removed:
        err_console.print(f"[red]无此令牌 / no token named {name!r}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)
    console.print(f"已吊销 / revoked: {name}")


def register(app: typer.Typer) -> None:
    """Add ``pilhub serve`` and ``pilhub api`` to the root app."""
    app.command("serve")(serve_cmd)
    app.add_typer(api_app, name="api")
