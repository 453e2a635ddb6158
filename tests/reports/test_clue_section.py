"""The annual report shows the supervision models' clues: per model hits, decisions, cases opened and the rate,
and the total line (clues received, cases filed from clues) — in the HTML/PDF page and in the XLSX workbook.

The expected figures are counted from the rows written (tests/clue_rows.py), the model titles read from the
project's model files; one accepted clue's draft case is a case of the sample registry (a case opened).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from openpyxl import load_workbook

from hub.reports.figures import ReportQuery, compute_figures
from hub.reports.output import render
from hub.store.db import open_store
from tests.clue_rows import ROWS, expected, seed_clues


def _figures(url: str) -> dict[str, Any]:
    with open_store(url)() as session:
        return compute_figures(session, ReportQuery.build(year=2026, today=dt.date(2026, 11, 23)))


def test_html_and_xlsx_show_the_clue_figures(loaded_store: str) -> None:
    from hub.clues.spec import load_models

    seed_clues(loaded_store, dt.date(2026, 6, 1))
    titles = {name: spec.title_zh for name, spec in load_models().items()}
    want = expected()
    figures = _figures(loaded_store)
    assert figures["clues"]["received"] == len(ROWS) == 7
    assert figures["clues"]["cases_opened"] == 1

    html = render(figures, "html").decode("utf-8")
    section = html[html.index('id="clues"') : html.index('id="trend"')]
    assert "共收到线索7条" in section and "据此立案1件" in section
    for model, row in want.items():
        cells = re.search(rf"<tr><td>{titles[model]}</td>(.*?)</tr>", section)
        assert cells, (model, section[:2000])
        numbers = re.findall(r'<td class="n">([^<]*)</td>', cells.group(1))
        assert numbers[:4] == [str(row[k]) for k in ("hits", "accepted", "rejected", "cases_opened")]
    assert "20.0%" in section  # repeat-offender: 1 case opened from 5 hits

    wb = load_workbook(io.BytesIO(render(figures, "xlsx")))
    ws = wb["监督模型与线索"]
    assert [c.value for c in ws[2]] == ["模型代码", "监督模型", "线索（条）", "采纳", "不采纳", "据此立案", "成案率"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3) if r[0].value}
    assert set(rows) == set(want)
    for model, row in want.items():
        cells = rows[model]
        assert cells[1].value == titles[model]
        assert [c.value for c in cells[2:6]] == [row[k] for k in ("hits", "accepted", "rejected", "cases_opened")]
        assert all(isinstance(c.value, int) for c in cells[2:6])  # numbers as numbers
    rate = rows["repeat-offender"][6]
    assert rate.value == 0.2 and rate.number_format == "0.0%"
    total = next(r for r in ws.iter_rows(min_row=3) if r[1].value == "合计 / total")
    assert total[2].value == 7 and total[5].value == 1


def test_a_period_without_clues_says_so_in_one_line(loaded_store: str) -> None:
    figures = _figures(loaded_store)
    html = render(figures, "html").decode("utf-8")
    section = html[html.index('id="clues"') : html.index('id="trend"')]
    assert "本期间未收到监督模型线索" in section and "<table" not in section
