"""Reports a committee can read: every agency (or the worst, labelled), 0–100 % axes, legends, Chinese labels,
money in 万元, XLSX with native charts / filters / formats, and no missing glyph in PDF or HTML.

The glyph checks look at the files as readers receive them: the PDF's content streams (a glyph id 0 is the
font's .notdef — an empty box) and its pages rendered by poppler; the HTML in Chromium on this machine,
which has no system CJK font at all.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hub.reports import charts
from hub.reports.output import render


def _agency(i: int, rate: float | None, decided: int = 4) -> dict[str, Any]:
    on_time = None if rate is None else round(decided * rate / 100)
    return {
        "rank": i,
        "code": f"330800-a{i:02d}",
        "name": f"测试机关{i:02d}局",
        "kind": "bureau",
        "region_code": "330800",
        "received": decided,
        "replied_on_time": on_time or 0,
        "replied_late": 0,
        "unreplied_overdue": decided - (on_time or 0),
        "pending": 0,
        "on_time_rate": rate,
        "average_days_to_reply": None,
        "rectified": 0,
        "rectification_overdue": 0,
        "rectification_rate": 0.0,
        "rebound": 0,
        "escalations_by_level": {},
        "lawsuits_after_non_compliance": 0,
    }


def _labels(fig: Any) -> tuple[list[str], str, tuple[float, float], Any]:
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], ax.get_title(), ax.get_xlim(), ax.get_legend()


def test_the_agency_chart_shows_every_agency_on_a_0_to_100_axis_with_a_legend(figures: dict[str, Any]) -> None:
    rated = [a for a in figures["agencies"] if a["on_time_rate"] is not None]
    assert 0 < len(rated) <= charts.AGENCY_CHART_MAX
    labels, title, xlim, legend = _labels(charts.agency_chart(figures))
    assert labels == [a["name"] for a in rated]
    assert "全部" in title and xlim == (0.0, 100.0)
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["≥90%", "60–90%", "<60%"]


def test_with_many_agencies_the_chart_shows_the_worst_and_says_so(figures: dict[str, Any]) -> None:
    many = copy.deepcopy(figures)
    # 40 agencies in league order (best first); the last two never replied on time.
    many["agencies"] = [_agency(i, 100.0 - i) for i in range(1, 39)] + [_agency(39, 0.0), _agency(40, 0.0)]
    labels, title, xlim, _ = _labels(charts.agency_chart(many))
    assert len(labels) == charts.AGENCY_CHART_MAX
    assert labels[-2:] == ["测试机关39局", "测试机关40局"]  # the worst are never dropped
    assert "测试机关01局" not in labels
    assert f"最低的{charts.AGENCY_CHART_MAX}个" in title and "共40个" in title
    assert xlim == (0.0, 100.0)


def test_printed_tables_use_chinese_labels_and_money_in_wan(figures: dict[str, Any]) -> None:
    html = render(figures, "html").decode("utf-8")
    body = re.sub(r"data:[^\"')]+", "", html)
    for code in ("admin_pre_litigation", "criminal_incidental_civil", "ecology", "food_drug", "state_property"):
        assert f">{code}<" not in body, code
    wan = figures["outcomes"]["money_recovered_yuan"] / 10_000
    assert f"共计{wan:,.2f}万元" in body


def test_xlsx_has_native_charts_filters_whole_numbers_and_wrapped_notes(figures: dict[str, Any]) -> None:
    raw = render(figures, "xlsx")
    wb = load_workbook(io.BytesIO(raw))
    league = wb["机关回复排名"]
    assert league.auto_filter.ref and league.auto_filter.ref.startswith("A2:")
    assert wb["月度趋势"].auto_filter.ref
    # Native charts live in xl/charts/*.xml and draw from the sheet's own cells.
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        chart_xml = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(chart_xml) >= 5
    agency_chart = next(x for x in chart_xml if "各机关按期回复率" in x)
    assert "'机关回复排名'!" in agency_chart or "机关回复排名!" in agency_chart
    assert re.search(r'<(c:)?max val="1"', agency_chart) and re.search(r'<(c:)?min val="0"', agency_chart)
    # No number format that prints a whole number with a trailing point ("16.").
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=3):
            for cell in row:
                assert not cell.number_format.endswith(".##"), (ws.title, cell.coordinate, cell.number_format)
    summary = wb["概况"]
    money = next(r for r in summary.iter_rows(min_row=3) if str(r[0].value).startswith("追回"))
    assert "万元" in money[0].value
    land = next(r for r in summary.iter_rows(min_row=3) if str(r[0].value).startswith("督促修复土地"))
    if float(land[1].value).is_integer():
        assert land[1].number_format == "#,##0"
    notes = wb["说明"]
    assert all(c.alignment.wrap_text for c in notes["A"][2:]) and notes.column_dimensions["A"].width >= 60


def _uncovered(pdf: bytes, tmp_path: Path, need_tool: Any) -> set[str]:
    """Characters of the PDF's text that the embedded CJK font cannot draw (they print as .notdef boxes).

    The text is poppler's reading of the PDF (through the fonts' ToUnicode maps); the coverage is the
    packaged Noto Sans SC's own character map, read with fontTools — the font every report embeds.
    """
    from fontTools.ttLib import TTFont

    from hub.reports.fonts import packaged_cjk_font

    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [need_tool("pdftotext", "poppler-utils"), str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert text.strip()
    cmap = TTFont(str(packaged_cjk_font()), lazy=True).getBestCmap()
    return {ch for ch in text if ch == "\ufffd" or (not ch.isspace() and ord(ch) not in cmap)}


def test_the_pdf_has_no_missing_glyph_and_every_page_renders(pdf_bytes: bytes, tmp_path: Path, need_tool: Any) -> None:
    assert _uncovered(pdf_bytes, tmp_path, need_tool) == set()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    fonts = subprocess.run([need_tool("pdffonts", "poppler-utils"), str(pdf)], capture_output=True, check=True)
    rows = fonts.stdout.decode().splitlines()[2:]
    assert rows and all(" yes " in r for r in rows), "every font embedded"
    assert all("Noto-Sans-SC" in r for r in rows), rows  # no fallback font stood in for a missing glyph
    subprocess.run(
        [need_tool("pdftoppm", "poppler-utils"), "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    from PIL import Image

    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 4
    for page in pages:
        with Image.open(page) as img:
            grey = img.convert("L")
            ink = sum(1 for v in grey.getdata() if v < 200) / (grey.width * grey.height)
        assert ink > 0.02, f"{page.name} is (nearly) empty"


def test_the_glyph_check_finds_a_missing_glyph(tmp_path: Path, need_tool: Any) -> None:
    """The check above can fail: a character outside the font (CJK Extension B) prints as a box."""
    from weasyprint import HTML

    from hub.reports.fonts import font_face_css

    html = (
        f"<html><head><style>{font_face_css()}</style></head>"
        "<body style='font-family:\"Noto Sans SC\"'>检察\U00020000</body></html>"
    )
    assert _uncovered(HTML(string=html).write_pdf(), tmp_path, need_tool) == {"\U00020000"}


def test_the_html_report_embeds_the_glyphs_it_uses(figures: dict[str, Any]) -> None:
    import base64

    from fontTools.ttLib import TTFont

    html = render(figures, "html").decode("utf-8")
    m = re.search(r'font-family: "pilhub CJK"; src: url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', html)
    assert m, "no embedded font"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    cmap = font.getBestCmap()
    text = re.sub(r"<[^>]+>|data:[^\"')]+", "", html)
    missing = {ch for ch in text if ord(ch) > 0x2E80 and ord(ch) not in cmap}
    assert not missing
    assert len(m.group(1)) < 400_000  # a subset, not the 8 MB font


def test_the_html_report_shows_chinese_in_a_browser_without_cjk_fonts(
    figures: dict[str, Any], tmp_path: Path, need_tool: Any, chromium_flags: tuple[str, ...]
) -> None:
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_bytes(render(figures, "html"))
    chromium = need_tool("chromium", "chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(chromium_flags))
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.evaluate("document.fonts.ready")
        loaded = page.evaluate(
            "Array.from(document.fonts).filter(f => f.family.replace(/\"/g, '') === 'pilhub CJK').map(f => f.status)"
        )
        assert loaded == ["loaded"]
        assert page.evaluate("document.fonts.check('16px \"pilhub CJK\"', '检察公益诉讼')")
        browser.close()


@pytest.fixture(scope="module")
def figures(sample_url: str) -> dict[str, Any]:
    from hub.reports.figures import ReportQuery, compute_figures
    from hub.store.db import open_store

    with open_store(sample_url)() as session:
        return compute_figures(session, ReportQuery.build(year=2018, today=dt.date(2026, 11, 23)))


@pytest.fixture(scope="module")
def pdf_bytes(figures: dict[str, Any]) -> bytes:
    return render(figures, "pdf")
