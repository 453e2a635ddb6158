"""End to end through Airflow: the whole demo (every DAG via ``dag.test()`` over the agency
sandbox) on a fresh embedded store, and a scan of every log it wrote for personal data and keys."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.samples import SAMPLE_CASES

ROOT = Path(__file__).resolve().parents[2]


def _sample_secrets() -> set[str]:
    values: set[str] = set()
    for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        values.add(case["procurator"])
        for party in case["parties"]:
            if party["kind"] == "person":
                values.update(v for v in (party["name"], party["id_number"], party.get("phone")) if v)
    return values


def _pdf_possible() -> bool:
    from hub.reports.render_pdf import chromium_binary

    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the Pango library is missing
        return chromium_binary() is not None
    return True


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, dict]:
    var = tmp_path_factory.mktemp("demo-var")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PILHUB_DATABASE_URL"))}
    env.update({"PILHUB_VAR_DIR": str(var), "COLUMNS": "200"})
    result = subprocess.run(
        [sys.executable, "-m", "hub.demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    return result, var, env


def test_demo_runs_every_dag_and_reports_non_zero_figures(demo_run) -> None:
    result, var, _env = demo_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    status = [json.loads(x) for x in (var / "logs" / "demo-airflow.status.jsonl").read_text().splitlines()]
    assert status and all(s["state"].endswith("success") for s in status), status
    assert {s["dag_id"] for s in status} >= {
        "pilhub_matching",
        "pilhub_sla_sweep",
        "pilhub_outbox",
        "pilhub_report_annual",
        "pilhub_ingest_environment",
    }
    assert re.search(r"已关联 linked [1-9]", out), out
    assert re.search(r"待复核 sent to review \d+", out)
    assert re.search(r"已升级\s*│\s*escalated\s*│\s*[1-9]", out) and re.search(r"按期完成\s*│\s*met\s*│\s*[1-9]", out)
    assert "{'" not in out  # no raw Python dict in what users read
    # The summary ends with what the user must do, each with its case (a 2027 deadline; an unrecorded announcement).
    todo = out[out.index("需要您处理的事项") :]
    assert "KC-2026-057" in todo and "2027" in todo and "KC-2026-055" in todo and "--kind" in todo
    assert re.search(r"SMTP 收件器收到邮件 mails caught [1-9]", out)
    reports = sorted((var / "reports").glob("pilhub-annual-2018-01-01_2018-12-31.*"))
    expected = {".xlsx", ".html", ".json"} | ({".pdf"} if _pdf_possible() else set())
    assert {p.suffix for p in reports} >= expected
    manifest = var / "reports" / "pilhub-annual-2018-01-01_2018-12-31.json.manifest.json"
    assert manifest.exists()
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub.cli.main",
            "verify",
            str(var / "reports" / "pilhub-annual-2018-01-01_2018-12-31.json"),
        ],
        cwd=ROOT,
        env=demo_run[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_no_personal_data_or_key_in_any_log_of_the_demo(demo_run) -> None:
    result, var, _env = demo_run
    secrets = _sample_secrets()
    keyfile = var / "keys" / "pilhub-keys.json"
    if keyfile.exists():
        secrets.update(v.split(":", 1)[-1] for v in json.loads(keyfile.read_text()).values())
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    for path in list((var / "logs").rglob("*")) + list((var / "airflow" / "logs").rglob("*")):
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert len(texts) > 3
    leaks = {name: sorted(v for v in secrets if v in text) for name, text in texts.items()}
    assert {k: v for k, v in leaks.items() if v} == {}
