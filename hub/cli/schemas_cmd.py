"""``pilhub schemas export DIR``: write the published contract (JSON Schema per kind and version)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["export", "register"]


def export(
    out_dir: Path = typer.Argument(
        ...,
        help="输出目录（<kind>/<version>.schema.json 与 index.json）/ directory to write the schemas and index.json",
    ),
) -> None:
    """导出各记录类型的 JSON Schema / write the JSON Schema of every record kind, versioned, plus an index."""
    from schemas.export import export_schemas

    written = export_schemas(out_dir)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"已写出 {len(written)} 个文件 / wrote {len(written)} files", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``schemas`` command group to the ``pilhub`` app."""
    schemas_app = typer.Typer(
        help="数据契约 (the published record contract)", no_args_is_help=True, add_completion=False
    )
    schemas_app.command("export")(export)
    app.add_typer(schemas_app, name="schemas")
