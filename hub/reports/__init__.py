"""Compliance summaries for people's congresses and supervisors.

Every output — JSON, CSV, XLSX, HTML, PDF, the HTTP API and the dashboard — takes its numbers
from one place, :func:`hub.reports.figures.compute_figures`, so two outputs can never disagree.
The renderers only lay the figures out.
"""

from __future__ import annotations

__all__ = ["FORMATS"]

#: Output formats of ``pilhub report`` and ``GET /api/v1/report``.
FORMATS: tuple[str, ...] = ("json", "csv", "xlsx", "html", "pdf")
