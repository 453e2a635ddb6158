"""``make demo``: the main job on the embedded default (SQLite under ``var/``).

Today it loads the sample agency registry and case registry and prints the registry's
state; each later stage of the pipeline (ingestion, matching, deadline sweep,
reports) adds its step here, run the same way the Airflow DAGs run it.
"""

from __future__ import annotations

import sys

from hub.cli.output import console, err_console


def main() -> int:
    from hub.agencies import import_agencies, load_registry_file
    from hub.cli.cases import print_state
    from hub.config import database_url
    from hub.registry.importer import import_cases, read_lines
    from hub.registry.state import registry_state
    from hub.samples import SAMPLE_AGENCIES, SAMPLE_CASES
    from hub.store import open_store, session_scope

    console.rule("pilhub 演示 / demo")
    console.print(f"存储 / store: {database_url()}")
    factory = open_store()
    with session_scope() as session:
        counts = import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="demo")
    console.print(f"① 机关名录 / agency registry: {counts}")
    report = import_cases(read_lines(SAMPLE_CASES), factory, actor="demo")
    console.print(
        f"② 案件名录 / case registry: 收到 received {report.received}, 新增 inserted {report.inserted}, "
        f"更新 updated {report.updated}, 未变 unchanged {report.unchanged}, 拒收 rejected {report.rejected}"
    )
    for error in report.errors:
        err_console.print(f"拒收 rejected: {error}")
    with session_scope() as session:
        print_state(registry_state(session))
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
