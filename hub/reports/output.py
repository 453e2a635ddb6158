"""One entry point for every output format, and the audit entry that records a report was generated.

Why audit report generation: a summary sent to a congress is an official act; the audit chain keeps
who produced which report over which scope (digest of the figures, no personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from hub import audit
from hub.reports import FORMATS
from hub.reports.figures import ReportQuery

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def _renderer(fmt: str) -> Callable[[dict[str, Any]], bytes]:
    # Imported on demand: XLSX, charts and PDF pull in openpyxl, matplotlib and WeasyPrint.
    if fmt == "json":
        from hub.reports.render_json import render_json

        return render_json
    if fmt == "csv":
        from hub.reports.render_csv import render_csv

        return render_csv
    if fmt == "xlsx":
        from hub.reports.render_xlsx import render_xlsx

        return render_xlsx
    if fmt == "html":
        from hub.reports.render_html import render_html

        return render_html
    if fmt == "pdf":
        from hub.reports.render_pdf import render_pdf

        return render_pdf
    raise ValueError(f"未知格式 / unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def render(figures: dict[str, Any], fmt: str) -> bytes:
    """The report in ``fmt`` (json | csv | xlsx | html | pdf)."""
    return _renderer(fmt)(figures)


#: Filters a caller types freely: a district or an agency *name* may carry anything pasted into the box —
#: a person's name, a phone number. The audit chain is kept for ever and read widely, so it keeps a keyed
#: digest of these (equal inputs, equal digests: "who asked for 柯城区" stays answerable with the index key).
FREE_TEXT_FILTERS = ("district", "agency")


def audited_filters(query: ReportQuery) -> dict[str, str | None]:
    """The report's filters as the audit entry keeps them: free text as ``hmac-sha256:…``, codes as they are."""
    from hub.personal_data import blind_index

    out = dict(query.filters())
    for name in FREE_TEXT_FILTERS:
        value = out.get(name)
        if value:
            out[name] = f"hmac-sha256:{blind_index('report_filter', value)}"
    return out


def record_generation(
    session: Session, *, actor: str, query: ReportQuery, fmt: str, figures: dict[str, Any], channel: str
) -> None:
    """Append a ``report.generate`` audit entry in the caller's transaction."""
    audit.append(
        session,
        actor=actor,
        action="report.generate",
        object_type="report",
        object_id=f"{query.date_from}..{query.date_to}@{query.as_of}",
        after=figures,
        detail={
            "format": fmt,
            "channel": channel,
            "filters": audited_filters(query),
            "year": query.year,
            "as_of": query.as_of.isoformat(),
        },
    )
