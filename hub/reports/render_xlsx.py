"""XLSX form: one sheet per table, Chinese headers, real number formats for per cent and money.

Why real numbers rather than text: congress staff re-sort and sum these sheets. A share is stored
as a fraction (0.717) with the ``0.0%`` format so Excel shows 71.7 % and still computes with it;
money is a number with thousands separators and two decimals.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hub.reports.cells import append_row
from hub.reports.tables import Fmt, report_tables

PCT_FORMAT = "0.0%"
MONEY_FORMAT = '#,##0.00"元"'
NUM_FORMAT = "#,##0.##"
DAYS_FORMAT = "0.0"
INT_FORMAT = "#,##0"
_FORMATS: dict[Fmt, str] = {
    "pct": PCT_FORMAT,
    "money": MONEY_FORMAT,
    "num": NUM_FORMAT,
    "days": DAYS_FORMAT,
    "int": INT_FORMAT,
}
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def render_xlsx(figures: dict[str, Any]) -> bytes:
    """The workbook as bytes."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    tables = report_tables(figures)
    for table in tables:
        ws = wb.create_sheet(title=table.zh[:31])
        append_row(ws, [f"{figures['title']} — {table.zh}"])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([c.zh for c in table.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [_width(c.zh) for c in table.columns]
        for r, row in enumerate(table.rows):
            out = []
            for c, value in enumerate(row):
                fmt = table.fmt(r, c)
                out.append(value / 100 if fmt == "pct" and value is not None else value)
                widths[c] = max(widths[c], _width(value) + (2 if fmt in ("pct", "money") else 0))
            append_row(ws, out)  # text from imported data is never written as a formula
            for c, cell in enumerate(ws[ws.max_row]):
                fmt = table.fmt(r, c)
                if fmt in _FORMATS and isinstance(cell.value, int | float):
                    cell.number_format = _FORMATS[fmt]
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
