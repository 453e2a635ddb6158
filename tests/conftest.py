"""Test-wide set-up: an isolated var/ folder, fresh personal-data keys, and store URLs.

The store fixtures run every store test on SQLite and, when ``PILHUB_TEST_POSTGRES_URL``
is set (``.ci/run`` sets it), on PostgreSQL too — each test in its own schema.
Without the variable the PostgreSQL variants are skipped with a visible reason.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_VAR = Path(tempfile.mkdtemp(prefix="pilhub-test-var-"))
os.environ["PILHUB_VAR_DIR"] = str(_VAR)
os.environ.pop("PILHUB_DATABASE_URL", None)
# Random keys for this test session: never from the repository.
os.environ["PILHUB_SECRET_KEY"] = "t1:" + base64.b64encode(secrets.token_bytes(32)).decode()
os.environ["PILHUB_INDEX_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
os.environ.pop("PILHUB_OLD_SECRET_KEYS", None)
# Airflow must never create ~/airflow from a stray import; its settings are read at import time.
os.environ["AIRFLOW_HOME"] = str(_VAR / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_VAR / 'airflow' / 'airflow.db'}"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
for _key in [k for k in os.environ if k.startswith("AIRFLOW_CONN_") or k.startswith("PILHUB_CONN_")]:
    os.environ.pop(_key)

POSTGRES_URL = os.environ.get("PILHUB_TEST_POSTGRES_URL")
SKIP_PG = "PostgreSQL tests skipped: PILHUB_TEST_POSTGRES_URL is not set (.ci/run sets it)"


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"  # type: ignore[operator]
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def pg_schema_urls(count: int = 1) -> Iterator[list[str]]:
    """``count`` private, empty schemas on the test server as store URLs; dropped (and the hub's caches reset) after.

    Skips visibly when PostgreSQL is not configured.
    """
    if not POSTGRES_URL:
        pytest.skip(SKIP_PG)
    import sqlalchemy as sa

    from hub.store.db import reset_caches

    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield [_pg_schema_url(schema) for schema in schemas]
    finally:
        reset_caches()
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: SQLite file, or a private PostgreSQL schema."""
    from hub.store.db import reset_caches

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        reset_caches()
        return
    with pg_schema_urls(1) as (url,):
        yield url


@pytest.fixture
def use_store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make ``store_url`` the hub's configured store (what CLI commands use)."""
    monkeypatch.setenv("PILHUB_DATABASE_URL", store_url)
    return store_url


def ensure_tool(binary: str, package: str) -> str:
    """The path of ``binary``; installs Debian ``package`` if missing (root with apt-get), else skips visibly."""
    found = shutil.which(binary)
    if found:
        return found
    reason = f"{binary} 未安装 / not installed (Debian package {package}: apt-get install -y {package})"
    if os.environ.get("PILHUB_TEST_NO_INSTALL") or not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip(reason)
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", package],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"{reason}; install failed: {type(exc).__name__}")
    found = shutil.which(binary)
    if not found:
        pytest.skip(reason)
    return found


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="session")
def need_tool() -> Any:
    """``need_tool(binary, package)`` → path, installing or skipping (see :func:`ensure_tool`)."""
    return ensure_tool


@pytest.fixture(scope="session")
def chromium_flags() -> tuple[str, ...]:
    """Flags for a headless Chromium in a root container without a display."""
    return CHROMIUM_FLAGS


@pytest.fixture
def robot() -> Iterator[Any]:
    """A group-robot webhook on loopback (:class:`tests.endpoints.Robot`)."""
    from tests.endpoints import running_robot

    with running_robot() as endpoint:
        yield endpoint


@pytest.fixture
def smtp() -> Iterator[tuple[Any, int]]:
    """An SMTP server on loopback and its port (:class:`tests.endpoints.MailSink` keeps what it gets)."""
    from tests.endpoints import smtp_server

    with smtp_server() as (sink, port):
        yield sink, port


# Fault-test figures (issue 9: "the fault tests pass in CI … with figures printed"). pytest captures a
# passing test's output, so each figure line is also kept here and printed in the run's summary.
_FAULT_FIGURES = pytest.StashKey[list[tuple[str, str]]]()


def engine_name(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a store URL: the label fault figures carry."""
    return url.split(":", 1)[0].split("+", 1)[0]


class FaultFigures:
    """Reports one fault scenario's figures in one shape: records checked, notices checked, duplicates, losses."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._lines = request.config.stash.setdefault(_FAULT_FIGURES, [])
        self._test = request.node.nodeid

    def __call__(
        self, scenario: str, *, records: int, notices: int, duplicates: int, losses: int, detail: str = ""
    ) -> None:
        line = (
            f"[{scenario}] records checked {records}, notices checked {notices}, "
            f"duplicates {duplicates}, losses {losses}" + (f" ({detail})" if detail else "")
        )
        print(line)
        self._lines.append((self._test, line))


@pytest.fixture
def fault_figures(request: pytest.FixtureRequest) -> FaultFigures:
    """Call with a scenario's figures; they appear with the test and in the summary of the whole run."""
    return FaultFigures(request)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_FAULT_FIGURES, [])
    if lines:
        terminalreporter.section("fault-test figures / 故障测试数字")
        for test, line in lines:
            terminalreporter.write_line(f"{line}  — {test.split('::')[-1]}")
