"""CSV form: every table in one "long" file (table, row, column, value), with a BOM for Excel.

Why long format: CSV holds one table, the report has eight. A long file keeps them all, sorts and
pivots in any spreadsheet, and is trivial to read in scripts; the BOM makes Excel on Chinese
Windows read UTF-8 instead of GBK.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hub.reports.cells import csv_row
from hub.reports.tables import report_tables

HEADER = ["表 table", "表名 title", "行 row", "项目 item", "指标 metric", "数值 value"]


def render_csv(figures: dict[str, Any]) -> bytes:
    """One line per cell; per-cent cells hold the per-cent number (71.7), money in 万元 (as its label says)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    for table in report_tables(figures):
        for i, row in enumerate(table.rows, start=1):
            item = row[table.label_col]
            for j, (col, value) in enumerate(zip(table.columns, row, strict=True)):
                if j == table.label_col:
                    continue
                # Items and values may come from imported data (agency, district, party names): never a formula.
                writer.writerow(
                    csv_row([table.key, table.zh, i, item, f"{col.zh} {col.en}", "" if value is None else value])
                )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
