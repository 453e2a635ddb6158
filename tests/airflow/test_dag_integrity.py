"""The DAG folder imports cleanly, fast, and every DAG is operable (owner, tags, retries, timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
# A wall-clock budget per file on a shared two-core machine: the first file parsed pays for the modules the DAG
# files share (the connector declarations with their record kinds), so the budget allows for that once; the
# precise guard against heavy imports at parse time is test_dag_files_import_nothing_heavy.
MAX_PARSE_SECONDS = 2.0


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_expected_dags_exist(dagbag) -> None:
    from connectors.registry import CONNECTORS

    expected = {f"pilhub_ingest_{name}" for name in CONNECTORS} | {
        "pilhub_matching",
        "pilhub_sla_sweep",
        "pilhub_outbox",
        "pilhub_daily_digest",
        "pilhub_report_monthly",
        "pilhub_report_annual",
    }
    assert expected <= set(dagbag.dags)


def test_every_dag_is_operable(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "pilhub" in dag.tags, dag_id
        assert dag.catchup is False, dag_id
        for t in dag.tasks:
            assert t.owner == "pilhub", (dag_id, t.task_id)
            assert t.retries >= 1, (dag_id, t.task_id)
            assert t.execution_timeout is not None, (dag_id, t.task_id)
            assert t.on_failure_callback, (dag_id, t.task_id)


def test_ingestion_maps_over_streams_and_publishes_assets(dagbag) -> None:
    from connectors.registry import CONNECTORS

    for name, connector in CONNECTORS.items():
        dag = dagbag.dags[f"pilhub_ingest_{name}"]
        assert dag.get_task("pull").is_mapped is True  # one mapped task instance per stream
        outlets = {a.uri for a in dag.get_task("publish").outlets}
        assert outlets == {f"pilhub://records/{s.kind}" for s in connector.streams}


def test_each_dag_file_parses_fast(dagbag) -> None:
    stats = {Path(s.file).name: s.duration for s in dagbag.dagbag_stats}
    assert set(stats) == {p.name for p in DAGS.glob("*.py")}
    slow = {f: d for f, d in stats.items() if d.total_seconds() > MAX_PARSE_SECONDS}
    assert not slow, f"DAG files parse slower than {MAX_PARSE_SECONDS}s: {slow}"


def test_dag_files_import_nothing_heavy() -> None:
    """Parsing the DAG folder must not import GX, pandas or the store models."""
    code = (
        "import sys; from airflow.dag_processing.dagbag import DagBag; "
        f"b = DagBag({str(DAGS)!r}); assert not b.import_errors, b.import_errors; "
        "heavy = [m for m in ('great_expectations', 'pandas', 'hub.store.models', 'matplotlib') if m in sys.modules]; "
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    marker = [line for line in out.stdout.splitlines() if line.startswith("HEAVY=")]
    assert marker == ["HEAVY="], out.stdout[-2000:]


def test_every_dag_is_scheduled_in_beijing_time_with_its_own_bilingual_doc(dagbag) -> None:
    """Users are in Beijing: schedules in Asia/Shanghai; each DAG page says what it does and what to do on failure."""
    import datetime as dt

    docs = {}
    for dag_id, dag in dagbag.dags.items():
        assert str(dag.timezone.name if hasattr(dag.timezone, "name") else dag.timezone) == "Asia/Shanghai", dag_id
        doc = dag.doc_md or ""
        assert "做什么" in doc and "失败时怎么办" in doc, dag_id
        assert "What it does" in doc and "When it fails" in doc, dag_id
        docs[dag_id] = doc
    assert len(set(docs.values())) == len(docs), "every DAG has its own page text"
    # The daily digest runs at 08:00 Beijing time (00:00 UTC): ask the scheduler's own timetable.
    from airflow.serialization.serialized_objects import decode_timetable, encode_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = decode_timetable(encode_timetable(dagbag.dags["pilhub_daily_digest"].timetable))
    after = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(earliest=after, latest=None, catchup=False)
    )
    assert info is not None
    run_at = info.run_after.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (run_at.hour, run_at.minute) == (8, 0), run_at


def test_the_embedded_profile_starts_dags_unpaused_in_beijing_time() -> None:
    from hub.orchestration.env import airflow_environment

    env = airflow_environment({})
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    # A cluster's own choice wins.
    assert (
        airflow_environment({"AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True"})[
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"
        ]
        == "True"
    )
