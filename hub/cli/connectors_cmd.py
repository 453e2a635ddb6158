"""``pilhub connectors list|check|discover|validate``: what agency systems the hub can pull from."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.output import console, err_console

connectors_app = typer.Typer(help="连接器 / agency connectors", no_args_is_help=True)


@connectors_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / JSON output")) -> None:
    """列出连接器 / list the connectors found (modules and declaration files) and their streams.

    Exit status: 0; 1 when a declaration file does not load (each is shown with its error).
    """
    from connectors.registry import BROKEN, CONNECTORS, SOURCES

    rows = [
        {
            "name": c.name,
            "agency_code": c.agency_code,
            "title": c.title,
            "auth": type(c.auth).__name__,
            "streams": [f"{s.name} ({s.kind})" for s in c.streams],
            "source": SOURCES.get(c.name),
        }
        for c in CONNECTORS.values()
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        raise typer.Exit(1 if BROKEN else 0)
    table = Table(title="连接器 / connectors")
    for header in ("名称 name", "单位 agency", "认证 auth", "数据流 streams"):
        table.add_column(header)
    for r in rows:
        table.add_row(r["name"], f"{r['title']} ({r['agency_code']})", r["auth"], "\n".join(r["streams"]))
    console.print(table)
    for name, error in BROKEN.items():
        err_console.print(f"[red]✘ {name}: {error.zh} / {error.en}[/red]")
    raise typer.Exit(1 if BROKEN else 0)


@connectors_app.command("validate")
def validate_cmd(
    file: Path = typer.Argument(..., help="连接器声明文件 / connector declaration file (.yaml, .yml, .toml)"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / JSON output"),
) -> None:
    """校验连接器声明文件 / check a connector declaration file against the published JSON Schema.

    Exit status: 0 the file loads (its streams are listed); 2 it does not (file, line and key named).
    """
    from connectors.sdk.errors import ConfigurationError
    from connectors.sdk.spec_file import load_connector_file

    try:
        connector = load_connector_file(file)
    except ConfigurationError as exc:
        err_console.print(f"[red]{exc.zh}\n{exc.en}[/red]")
        raise typer.Exit(2) from None
    report = {
        "name": connector.name,
        "agency_code": connector.agency_code,
        "auth": type(connector.auth).__name__,
        "streams": [
            {"name": s.name, "kind": s.kind, "path": s.path, "paginator": type(s.paginator).__name__}
            for s in connector.streams
        ],
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    console.print(f"[green]✔[/green] {file}: {connector.name} ({connector.title}, {connector.agency_code})")
    for s in report["streams"]:
        console.print(f"  {s['name']} → {s['kind']}  {s['path']}  ({s['paginator']})")


@connectors_app.command("check")
def check_cmd(
    name: str = typer.Argument(..., help="连接器名称 / connector name"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / JSON output"),
) -> None:
    """检查配置与连通性 / check credentials and reachability. Exit 0 ok, 1 not."""
    from connectors.registry import get_connector
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.probe import check

    try:
        result = check(get_connector(name))
    except ConnectorError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        mark = "[green]✔[/green]" if result.ok else "[red]✘[/red]"
        console.print(f"{mark} {name}: {result.zh} / {result.en}")
        console.print(
            f"  配置来源 config source: {result.source}; 已配置 configured: {result.configured}; "
            f"可达 reachable: {result.reachable}; 凭据有效 authenticated: {result.authenticated}; "
            f"HTTP {result.status}; {result.seconds}s"
        )
    raise typer.Exit(0 if result.ok else 1)


@connectors_app.command("discover")
def discover_cmd(
    name: str = typer.Argument(..., help="连接器名称 / connector name"),
    as_json: bool = typer.Option(
        False, "--json", help="输出完整目录及 JSON Schema / print the full catalog with JSON Schemas"
    ),
) -> None:
    """数据流及其 JSON Schema / streams and the JSON Schemas of their records."""
    from connectors.registry import get_connector
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.probe import discover

    try:
        catalog = discover(get_connector(name))
    except ConnectorError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(catalog, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{name} 数据流 / streams")
    for header in (
        "stream",
        "kind",
        "version",
        "primary key",
        "cursor",
        "signed",
        "personal-data fields",
        "schema fields",
    ):
        table.add_column(header)
    for s in catalog:
        pk = s["primary_key"] if isinstance(s["primary_key"], str) else "+".join(s["primary_key"])
        table.add_row(
            s["stream"],
            s["kind"],
            s["schema_version"],
            pk,
            s["cursor_field"] or "-",
            "yes" if s["signed"] else "no",
            ", ".join(s["personal_data_fields"]) or "-",
            str(len(s["json_schema"].get("properties", {}))),
        )
    console.print(table)
    console.print("完整 JSON Schema：加 --json / full JSON Schemas: add --json")


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
