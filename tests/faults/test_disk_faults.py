"""Fault tests (issue 9, point 4): a full disk or a read-only ``var/`` under the embedded store.

The CLI must answer with one clear bilingual line and exit status 4 (``hub.cli.errors.run_app``)
— no traceback with SQL in it — and the SQLite store must stay sound: ``PRAGMA integrity_check``
passes, no foreign key dangles, the audit chain verifies, and it holds exactly what was committed
before the failure (a whole prefix of the import, each chunk all or nothing). After space is freed,
or the file system is writable again, the same import completes.

How the faults are made:

* **disk full** — a small ``tmpfs`` mounted on the test's ``var/`` and filled up (needs root and
  mount rights, as in the CI container); and independently of that, ``RLIMIT_FSIZE`` in the child
  process with ``SIGXFSZ`` ignored, so writes past the limit fail with ``EFBIG`` the way they fail
  on a full disk. That variant needs no privilege and always runs.
* **read-only** — the ``tmpfs`` remounted ``ro``. ``chmod 0555`` does not stop root, so without
  mount rights the read-only case runs only as a non-root user (with ``chmod``) and is skipped
  otherwise, with the reason shown.

The CLI runs in a child process through ``python -m hub.cli.errors`` — the entry point the console
script ``pilhub`` is to point at.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.samples import SAMPLE_CASES
from tests.conftest import FaultFigures

EXIT_STORE_WRITE = 4
MESSAGE = "存储写入失败：磁盘已满或只读 / store write failed: disk full or read-only"
FS_SIZE = "2m"


def _sample_case_ids() -> list[str]:
    return [json.loads(line)["case_id"] for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if line]


def _mount(target: Path, options: str) -> bool:
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, timeout=30
        ).returncode
        == 0
    )


def _umount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True, timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A ``FS_SIZE`` tmpfs as the store's ``var/``; skipped (with the reason) where mounting is not allowed."""
    target = tmp_path / "var"
    target.mkdir()
    if shutil.which("mount") is None or not _mount(target, f"size={FS_SIZE},mode=0755"):
        pytest.skip("cannot mount a tmpfs here (needs root with mount rights); the RLIMIT_FSIZE variant still runs")
    try:
        yield target
    finally:
        _umount(target)


def _cli(var: Path, *args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``pilhub ARGS`` (through ``hub.cli.errors``) in a child on the embedded store in ``var``."""
    env = {k: v for k, v in os.environ.items() if k != "PILHUB_DATABASE_URL"}
    env["PILHUB_VAR_DIR"] = str(var)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "hub.cli.errors", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=preexec,
    )


def _assert_clear_store_error(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_STORE_WRITE, output[-3000:]
    assert MESSAGE in result.stderr
    for noise in ("Traceback", "OperationalError", "sqlalche.me", "INSERT", "SELECT"):
        assert noise not in output, f"{noise!r} in the CLI output:\n{output[-3000:]}"


def _store_state(var: Path) -> list[str]:
    """Check the store is sound (integrity, foreign keys) and return its case ids in import order."""
    with sqlite3.connect(var / "pilhub.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return [row[0] for row in conn.execute("SELECT case_id FROM cases ORDER BY id")]


def _assert_committed_prefix(stored: list[str], expected: list[str]) -> None:
    """What was committed is a whole prefix of the file: no case half-written, none out of order."""
    assert stored == expected[: len(stored)]


def _fill(var: Path, leave: int) -> Path:
    """Fill ``var``'s file system until ``leave`` bytes are free."""
    stat = os.statvfs(var)
    free = stat.f_bavail * stat.f_frsize
    filler = var / "filler.bin"
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def _import_and_recover(
    var: Path, failed: subprocess.CompletedProcess[str], test: str, fault_figures: FaultFigures
) -> None:
    """After the failed import: a sound store holding a committed prefix; then the import completes."""
    expected = _sample_case_ids()
    assert failed.returncode != 0 and "Traceback" not in failed.stdout + failed.stderr
    _assert_committed_prefix(_store_state(var), expected)
    assert _cli(var, "audit", "verify").returncode == 0

    again = _cli(var, "cases", "import", str(SAMPLE_CASES))
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    stored = _store_state(var)
    assert stored == expected
    verified = _cli(var, "audit", "verify")
    assert verified.returncode == 0, verified.stdout[-2000:]
    duplicates = len(stored) - len(set(stored))
    fault_figures(
        test, records=len(expected), notices=0, duplicates=duplicates, losses=len(set(expected) - set(stored))
    )
    assert duplicates == 0


def test_disk_full_during_import_on_a_full_file_system(small_fs: Path, fault_figures: FaultFigures) -> None:
    upgraded = _cli(small_fs, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    filler = _fill(small_fs, leave=48 * 1024)  # the import needs ~200 KB
    failed = _cli(small_fs, "cases", "import", str(SAMPLE_CASES))
    filler.unlink()  # space freed: the operator cleaned up
    _assert_clear_store_error(failed)  # the commit could not be written
    _import_and_recover(small_fs, failed, "disk full (tmpfs)", fault_figures)


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _import_under_a_file_size_limit(var: Path) -> subprocess.CompletedProcess[str]:
    """``db upgrade``, then ``cases import`` where no write may reach past 64 KB (the import needs ~200 KB)."""
    upgraded = _cli(var, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    return _cli(var, "cases", "import", str(SAMPLE_CASES), preexec=_file_size_limit(64 * 1024))


def test_disk_full_by_a_file_size_limit_is_a_clear_error_and_leaves_a_sound_store(
    tmp_path: Path, fault_figures: FaultFigures
) -> None:
    """The unprivileged variant; here the disk fills inside a line's savepoint, not at the commit.

    The write fails as 'disk I/O error' on RELEASE SAVEPOINT (the savepoint's sub-journal spilling to a
    temporary file) and SQLite rolls back the whole transaction. The importer must not report that as 60
    rejected lines — the data is fine, the disk is not — so it catches only IntegrityError/DataError per
    line and the storage failure reaches ``run_app``: one clear line, exit 4, nothing half-written.
    """
    var = tmp_path / "var"
    failed = _import_under_a_file_size_limit(var)
    _assert_clear_store_error(failed)
    _import_and_recover(var, failed, "disk full (RLIMIT_FSIZE)", fault_figures)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None], Callable[[], None]]]:
    """A ``var/`` and two switches, (make read-only, make writable): a remounted tmpfs, or chmod for non-root."""
    target = tmp_path / "var"
    target.mkdir()
    if shutil.which("mount") is not None and _mount(target, f"size={FS_SIZE},mode=0755"):

        def remount(mode: str) -> Callable[[], None]:
            return lambda: subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True, timeout=30)

        try:
            yield target, remount("ro"), remount("rw")
        finally:
            _umount(target)
        return
    if os.geteuid() == 0:
        pytest.skip("read-only var/: cannot mount a tmpfs here, and chmod does not stop root")

    def chmod(dir_mode: int, file_mode: int) -> Callable[[], None]:
        def apply() -> None:
            for path in target.iterdir():
                path.chmod(file_mode)
            target.chmod(dir_mode)

        return apply

    try:
        yield target, chmod(0o555, 0o444), chmod(0o755, 0o644)
    finally:
        target.chmod(0o755)


def test_read_only_var_is_a_clear_error_and_the_store_survives(
    read_only: tuple[Path, Callable[[], None], Callable[[], None]], fault_figures: FaultFigures
) -> None:
    var, make_read_only, make_writable = read_only
    expected = _sample_case_ids()
    first = _cli(var, "cases", "import", str(SAMPLE_CASES))
    assert first.returncode == 0, first.stderr[-2000:]
    make_read_only()
    try:
        failed = _cli(var, "cases", "import", str(SAMPLE_CASES))  # opening takes the write lock: a write
    finally:
        make_writable()
    _assert_clear_store_error(failed)
    stored = _store_state(var)
    assert stored == expected
    assert _cli(var, "audit", "verify").returncode == 0
    fault_figures(
        "read-only var",
        records=len(expected),
        notices=0,
        duplicates=len(stored) - len(set(stored)),
        losses=len(set(expected) - set(stored)),
    )
