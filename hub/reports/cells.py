"""Spreadsheet cells that cannot be turned against their readers (CSV / formula injection).

An agency, district, case title or party name imported from outside may begin with ``=``,
``+``, ``-`` or ``@`` (or a TAB / CR that some spreadsheets skip before parsing). Excel,
WPS and LibreOffice read such a cell as a formula when a CSV is opened, and openpyxl writes
a string beginning with ``=`` as a live formula — ``=HYPERLINK("http://…","点此")`` in a
report sent to a people's congress would phone home, or worse, on the reader's machine.

Every writer of CSV fields and XLSX cells passes data values through this module:

* CSV has no cell types, so a text field that begins with one of those characters gets a
  leading apostrophe (``'=HYPERLINK(…)``), the OWASP recommendation: spreadsheets show it
  as text, scripts still see the original after the apostrophe;
* XLSX cells carry their type, so the text is kept as it is, stored as a *string* cell
  (never a formula) with Excel's ``quotePrefix`` style, which also keeps it text when a
  reader edits the cell.

Numbers stay numbers: ``int``/``float``/``Decimal`` values are never touched, and a text
that is a plain number (``-12.5``, ``+3``) is not a formula and is kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

#: The characters a spreadsheet may treat as the start of a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def is_formula_like(value: Any) -> bool:
    """True for a text a spreadsheet could evaluate (a plain number such as ``-5`` is not)."""
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)


def csv_field(value: Any) -> Any:
    """The value as a CSV field: formula-like text gets a leading apostrophe, anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_field(v) for v in values]


def as_text_cell(cell: Cell) -> None:
    """Make a cell that holds formula-like text a string cell shown as text (never a formula)."""
    cell.data_type = "s"
    cell.quotePrefix = True


def append_row(ws: Worksheet, values: Sequence[Any]) -> None:
    """``ws.append(values)`` with every formula-like text written as a text cell."""
    ws.append(list(values))
    row = ws.max_row
    for column, value in enumerate(values, start=1):
        if is_formula_like(value):
            cell = ws.cell(row=row, column=column)
            cell.value = value  # openpyxl typed a leading "=" as a formula: keep the text …
            as_text_cell(cell)  # … as a string cell


def set_cell(ws: Worksheet, coordinate: str, value: Any) -> Cell:
    """``ws[coordinate] = value`` with formula-like text written as a text cell."""
    cell = ws[coordinate]
    cell.value = value
    if is_formula_like(value):
        as_text_cell(cell)
    return cell
