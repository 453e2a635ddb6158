"""The record kinds declared under ``schemas/records``, read from the source without importing the models.

Parsing an Airflow DAG file must stay fast (no heavy imports at parse time): the clue-models DAG needs the kind
names for its Asset schedule, not the pydantic models. Discovery proper (:mod:`schemas.registry`) imports and
checks every model; a test keeps the two in agreement, so a new kind file is still the only thing to add.
"""

from __future__ import annotations

import ast
from pathlib import Path

_RECORDS = Path(__file__).with_name("records")


def _kind_of(stmt: ast.stmt) -> str | None:
    """The string a ``KIND = "…"`` / ``KIND: ClassVar[str] = "…"`` class statement declares, if it is one."""
    if isinstance(stmt, ast.AnnAssign):
        target, value = stmt.target, stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    else:
        return None
    if isinstance(target, ast.Name) and target.id == "KIND" and isinstance(value, ast.Constant):
        return value.value if isinstance(value.value, str) and value.value else None
    return None


def declared_kinds(records: Path = _RECORDS) -> list[str]:
    """Every non-empty ``KIND`` a class under ``records`` declares, sorted."""
    kinds: set[str] = set()
    for path in sorted(records.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                kinds.update(k for k in map(_kind_of, node.body) if k)
    return sorted(kinds)
