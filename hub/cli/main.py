"""The ``pilhub`` command line: a thin layer over functions the DAGs call too.

Each command group lives in its own module under ``hub.cli`` and exposes
``register(app)``. Modules must keep heavy imports (Great Expectations, pandas,
the store) inside their command functions so ``pilhub --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="pilhub",
    help="pilhub — 检察公益诉讼数据交换与期限监督平台 (procuratorial PIL data-exchange and deadline hub)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# One entry per command module; each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "hub.cli.db",
    "hub.cli.cases",
    "hub.cli.deadline",
    "hub.cli.calendar_cmd",
    "hub.cli.sla_cmd",
    "hub.cli.trust_cmd",
    "hub.cli.link",
    "hub.cli.report_cmd",
    "hub.cli.serve_cmd",
    "hub.cli.ids",
    "hub.cli.schemas_cmd",
    "hub.cli.ingest_cmd",
    "hub.cli.records_cmd",
    "hub.cli.connectors_cmd",
    "hub.cli.review_cmd",
    "hub.cli.airflow_cmd",
    "hub.cli.outbound_cmd",
    "hub.cli.clues_cmd",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
