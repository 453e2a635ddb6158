"""The ``pilhub`` entry point with a clear answer when the store cannot be written.

A full disk or a read-only ``var/`` is an operator's problem, not a programming error:
Typer would print a page of traceback (with SQL and library frames) that hides the one
line that matters. :func:`run_app` wraps :data:`hub.cli.main.app` and turns exactly
those failures into one bilingual line and exit status :data:`EXIT_STORE_WRITE` (4);
every other exception keeps its normal traceback, so real bugs stay visible.

The detail printed is the database's or the operating system's own short message
(``database or disk is full``, ``[Errno 28] No space left on device: '/var/…'``) —
never ``str()`` of a SQLAlchemy error, which embeds the SQL statement and its bound
parameters (personal data). SQLite writes a transaction all or nothing, so after this
message the store holds what was committed before and opens cleanly.

Point the console script at ``hub.cli.errors:run_app``; ``python -m hub.cli.errors``
runs the same.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Sequence

EXIT_STORE_WRITE = 4

#: OS errors meaning "cannot write here": no space, quota, file too large, read-only file system, no permission.
_OS_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM})
#: SQLite's messages for the same conditions (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN).
_SQLITE_MESSAGES = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
    "unable to open database file",
    "readonly database",
)
#: PostgreSQL SQLSTATEs: disk_full (53100) and read_only_sql_transaction (25006, a standby or read-only mode).
_PG_CODES = frozenset({"53100", "25006"})


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, the DBAPI error a SQLAlchemy error wraps (``.orig``), and its causes and contexts."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
    return seen


def storage_failure(exc: BaseException) -> str | None:
    """A short, data-free description if ``exc`` means the store (or ``var/``) cannot be written; else ``None``."""
    for item in _chain(exc):
        if isinstance(item, sqlite3.Error):
            message = str(item.args[0]) if item.args else ""
            if any(m in message.lower() for m in _SQLITE_MESSAGES):
                return message
        elif isinstance(item, OSError) and item.errno in _OS_ERRNOS:
            name = errno.errorcode.get(item.errno or 0, "")
            where = f": {item.filename}" if item.filename else ""
            return f"{name} {item.strerror or ''}{where}".strip()
        elif getattr(item, "pgcode", None) in _PG_CODES:
            return f"PostgreSQL SQLSTATE {item.pgcode}"  # type: ignore[attr-defined]
    return None


def message_for(detail: str) -> str:
    return f"存储写入失败：磁盘已满或只读 / store write failed: disk full or read-only ({detail})"


def run_app(argv: Sequence[str] | None = None) -> None:
    """Run the ``pilhub`` CLI; a full disk or read-only store ends with one clear line and exit status 4."""
    from hub.cli.main import app

    try:
        app(args=list(argv) if argv is not None else None, prog_name="pilhub")
    except Exception as exc:
        detail = storage_failure(exc)
        if detail is None:
            raise
        try:
            sys.stderr.write(message_for(detail) + "\n")
            sys.stderr.flush()
        except OSError:  # stderr itself on the full disk: the exit status still says it
            pass
        raise SystemExit(EXIT_STORE_WRITE) from None


if __name__ == "__main__":  # pragma: no cover
    run_app()
