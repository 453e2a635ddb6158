"""``pilhub db``: schema migrations of the hub store."""

from __future__ import annotations

import typer

from hub.cli.output import console

db_app = typer.Typer(help="数据库迁移 / store schema migrations", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("heads", help="目标版本（默认最新）/ target revision")) -> None:
    """应用迁移 / apply Alembic migrations up to REVISION (default head)."""
    from hub.config import database_url
    from hub.store.db import current_revisions, upgrade

    upgrade(revision=revision)
    console.print(f"数据库已升级 / store upgraded: revision {', '.join(current_revisions())} ({_safe(database_url())})")


@db_app.command("current")
def current_cmd() -> None:
    """显示当前版本 / print the store's current revision."""
    from hub.store.db import current_revisions, head_revisions

    current, heads = current_revisions(), head_revisions()
    console.print(f"{', '.join(current) or '(empty)'}" + ("" if current == heads else f"  (heads: {', '.join(heads)})"))


def _safe(url: str) -> str:
    """The URL without a password, for display."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
