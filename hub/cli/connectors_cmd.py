"""``pilhub connectors list|check|discover``: what agency systems the hub can pull from."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from hub.cli.output import console, err_console

connectors_app = typer.Typer(help="连接器 / agency connectors", no_args_is_help=True)


@connectors_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="JSON output")) -> None:
    """列出连接器 / list the registered connectors and their streams."""
    from connectors.registry import CONNECTORS

    rows = [
        {
            "name": c.name,
            "agency_code": c.agency_code,
            "title": c.title,
            "auth": type(c.auth).__name__,
            "streams": [f"{s.name} ({s.kind})" for s in c.streams],
        }
        for c in CONNECTORS.values()
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="连接器 / connectors")
    for header in ("名称 name", "单位 agency", "认证 auth", "数据流 streams"):
        table.add_column(header)
    for r in rows:
        table.add_row(r["name"], f"{r['title']} ({r['agency_code']})", r["auth"], "\n".join(r["streams"]))
    console.print(table)


@connectors_app.command("check")
def check_cmd(
    name: str = typer.Argument(..., help="connector name"), as_json: bool = typer.Option(False, "--json")
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
    name: str = typer.Argument(..., help="connector name"),
    as_json: bool = typer.Option(False, "--json", help="print the full catalog with JSON Schemas"),
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
