"""Every test docs/threat-model.md names as proof of a control exists (a renamed test must update the page)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "threat-model.md"
_REF = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)`")


def _named_tests() -> list[tuple[str, str]]:
    """(file, function) pairs; a bare ``::name`` refers to the last file named before it in the same row."""
    refs: list[tuple[str, str]] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        current: str | None = None
        for match in _REF.finditer(line):
            current = match.group(1) or current
            assert current, f"'::{match.group(2)}' has no file before it: {line[:80]}"
            refs.append((current, match.group(2)))
    return refs


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_threat_model_names_only_tests_that_exist() -> None:
    refs = _named_tests()
    assert len(refs) > 60
    missing = []
    for file, name in refs:
        path = REPO / file
        if not path.exists() or name not in _functions(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/threat-model.md names tests that do not exist: {missing}"
