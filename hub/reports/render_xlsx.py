"""XLSX form: one sheet per table, Chinese headers, real number formats, filters and native charts.

Why real numbers rather than text: congress staff re-sort, filter and sum these sheets. A share is stored
as a fraction (0.717) with the ``0.0%`` format so Excel shows 71.7 % and still computes with it; money
is in 万元 with two decimals (the white paper's unit); a quantity shows its decimals only when it has
some (``#,##0.##`` would print a whole 16 as "16.", so whole and fractional values get their own
format). Each data table has an autofilter, and the charts are native Excel / WPS charts drawn from the
sheet's own cells — they follow the data when a reader filters or edits it, unlike a pasted picture.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.reports.cells import append_row
from hub.reports.tables import Fmt, Table, report_tables

PCT_FORMAT = "0.0%"
MONEY_FORMAT = "#,##0.00"
NUM_FORMAT = "#,##0.00"
WHOLE_FORMAT = "#,##0"
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
_HEAD_ROW = 2  # row 1: the title; row 2: the headers; data from row 3
#: Sheets whose rows are a list (sortable, filterable); the item/value tables and notes are not.
_FILTERED = ("by_domain", "by_district", "by_procedure", "agencies", "months")
_NOTE_WIDTH = 80


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def number_format(fmt: Fmt, value: Any) -> str | None:
    """The Excel format of a value: quantities without decimals when whole (never "16.")."""
    if fmt not in _FORMATS or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if fmt == "num" and float(value).is_integer():
        return WHOLE_FORMAT
    return _FORMATS[fmt]


def _col(table: Table, key: str) -> int:
    """1-based sheet column of a table column."""
    return next(i for i, c in enumerate(table.columns, start=1) if c.key == key)


def _anchor(table: Table) -> str:
    """Where a chart goes: two columns right of the table, below the header."""
    return f"{get_column_letter(len(table.columns) + 2)}{_HEAD_ROW}"


def _add_charts(ws: Worksheet, table: Table) -> None:
    """Native charts over the sheet's own cells (no chart when the table is empty)."""
    rows = len(table.rows)
    if not rows:
        return
    first, last = _HEAD_ROW + 1, _HEAD_ROW + rows
    if table.key == "agencies":
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"各机关按期回复率（全部{rows}个机关，按排名）"
        rate = _col(table, "on_time_rate")
        name = _col(table, "name")
        chart.add_data(Reference(ws, min_col=rate, min_row=_HEAD_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=name, min_row=first, max_row=last))
        chart.y_axis.title = "按期回复率"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.majorUnit = 0.2
        chart.y_axis.number_format = "0%"
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top, as in the table
        chart.legend = None
        chart.height = max(7.5, 0.45 * rows + 2)
        chart.width = 18
        ws.add_chart(chart, _anchor(table))
    elif table.key in ("by_domain", "by_district", "by_procedure"):
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{table.zh}（件）"
        label = table.label_col + 1
        count = _col(table, "count")
        chart.add_data(Reference(ws, min_col=count, min_row=_HEAD_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=label, min_row=first, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.title = "件数"
        chart.y_axis.scaling.min = 0
        chart.legend = None
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True
        chart.height = max(6.0, 0.7 * rows + 2)
        chart.width = 15
        ws.add_chart(chart, _anchor(table))
    elif table.key == "months":
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "月度趋势：检察建议按发出月份（柱）与立案数（线）"
        for key in ("replied_on_time", "replied_late", "unreplied_overdue", "pending"):
            col = _col(table, key)
            chart.add_data(Reference(ws, min_col=col, min_row=_HEAD_ROW, max_row=last), titles_from_data=True)
        months = Reference(ws, min_col=_col(table, "month"), min_row=first, max_row=last)
        chart.set_categories(months)
        chart.y_axis.title = "件数"
        chart.y_axis.scaling.min = 0
        line = LineChart()
        col = _col(table, "cases_opened")
        line.add_data(Reference(ws, min_col=col, min_row=_HEAD_ROW, max_row=last), titles_from_data=True)
        line.set_categories(months)
        chart += line
        chart.legend.position = "b"
        chart.height = 9
        chart.width = 22
        ws.add_chart(chart, _anchor(table))


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
        for cell in ws[_HEAD_ROW]:
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
                nf = number_format(table.fmt(r, c), cell.value)
                if nf is not None:
                    cell.number_format = nf
        if table.key == "notes":
            # Notes are sentences: wrapped in wide columns, not one endless line.
            for c in range(1, len(table.columns) + 1):
                ws.column_dimensions[get_column_letter(c)].width = _NOTE_WIDTH
            for row in ws.iter_rows(min_row=_HEAD_ROW + 1):
                for cell in row:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            for c, width in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        if table.key in _FILTERED and table.rows:
            ws.auto_filter.ref = f"A{_HEAD_ROW}:{get_column_letter(len(table.columns))}{ws.max_row}"
        ws.freeze_panes = f"A{_HEAD_ROW + 1}"
        _add_charts(ws, table)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
