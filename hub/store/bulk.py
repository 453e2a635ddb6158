"""Writing many new rows at once: ``COPY … FROM STDIN`` on PostgreSQL, batched ``INSERT`` elsewhere.

A supervision-model run stores 100,000s of clues and events in one transaction. A multi-row ``INSERT`` makes
PostgreSQL parse and plan every batch of literal values and SQLAlchemy bind every parameter in Python; ``COPY``
streams the rows in the server's text format instead (measured on the clue bench: the write of 149,511 clues
and 43,884 events went from most of the run to a few seconds). The rows are written in the caller's
transaction, so they commit or roll back with the rest of the run; column defaults of the database (the
sequence of ``id``) apply to the columns a row does not name.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

__all__ = ["insert_rows"]

_BATCH = 1000


def _copy_value(value: Any) -> str:
    """One field in PostgreSQL's ``COPY`` text format (``\\N`` is NULL; backslash, tab and line ends escaped)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    # str.replace returns the string itself when there is nothing to replace (str.translate copies every string)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, column names of ``table``) in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), _BATCH):
            connection.execute(table.insert(), list(rows[start : start + _BATCH]))
        return
    columns = list(rows[0])
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise KeyError(f"{table.name}.{unknown[0]}")
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(row[c]) for c in columns))
        buffer.write("\n")
    buffer.seek(0)
    names = ", ".join(f'"{c}"' for c in columns)
    target = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    cursor = connection.connection.cursor()
    try:
        cursor.copy_expert(f"COPY {target} ({names}) FROM STDIN", buffer)
    finally:
        cursor.close()
