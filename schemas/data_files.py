"""Access to the reference tables shipped in ``schemas/data``.

One place knows where the package data lives so that the validators work the same
from a source checkout, an installed wheel, or a zipped deployment.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files


def read_table(name: str) -> list[dict[str, str]]:
    """Read a CSV shipped in ``schemas/data`` (UTF-8, header row) into dicts."""
    text = files("schemas").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))
