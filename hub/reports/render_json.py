"""JSON form of the report: the figures exactly as computed (the form the API returns)."""

from __future__ import annotations

import json
from typing import Any


def render_json(figures: dict[str, Any]) -> bytes:
    """UTF-8 JSON, Chinese kept readable (``ensure_ascii=False``), keys in computation order."""
    return (json.dumps(figures, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
