"""The connector SDK stands on its own: no module under ``connectors/sdk`` imports ``hub``.

Checked on the source (every ``import`` and ``from … import`` anywhere in a module — at the
top, inside functions, under ``TYPE_CHECKING``), so a lazy import cannot slip through; and
by importing the SDK in a fresh interpreter and looking at what was loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "connectors" / "sdk"


def _hub_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module",
            "__import__",
        ):
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        else:
            continue
        found += [f"{path.name}:{node.lineno}: {n}" for n in names if n == "hub" or n.startswith("hub.")]
    return found


def test_no_module_of_the_sdk_imports_the_hub():
    modules = sorted(SDK.rglob("*.py"))
    assert len(modules) > 5  # the walk really saw the SDK
    offenders = [line for path in modules for line in _hub_imports(path)]
    assert offenders == []


def test_the_checker_sees_a_lazy_hub_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from hub.store.db import open_store\n    import hub.ingest\n", encoding="utf-8")
    assert len(_hub_imports(sample)) == 2


def test_importing_and_declaring_with_the_sdk_loads_no_hub_module():
    code = (
        "import sys\n"
        "import connectors.sdk as sdk\n"
        "import connectors.sdk.runner, connectors.sdk.sink, connectors.sdk.probe\n"
        "sdk.Stream('s', 'agency.reply', '/x', 'id', sdk.PageNumber(), watermark=sdk.Watermark('更新时间'),"
        " total=sdk.Total(path='data.total'))\n"
        "print(sorted(m for m in sys.modules if m == 'hub' or m.startswith('hub.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
