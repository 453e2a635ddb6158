"""Each format opens and shows the figures: JSON, CSV, XLSX (openpyxl), HTML (Chromium), PDF (pdftoppm, CJK font)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hub.reports import charts
from hub.reports.figures import ReportQuery, compute_figures
from hub.reports.output import render
from hub.store.db import open_store

TODAY = dt.date(2026, 11, 23)
HEADINGS = ("检察公益诉讼工作统计", "一、案件总体情况", "三、办案成效", "五、各机关回复情况排名")


@pytest.fixture(scope="module")
def figures(sample_url: str) -> dict[str, Any]:
    with open_store(sample_url)() as session:
        return compute_figures(session, ReportQuery.build(year=2018, today=TODAY))


@pytest.fixture(scope="module")
def pdf_bytes(figures: dict[str, Any]) -> bytes:
    return render(figures, "pdf")


def test_json_has_the_required_keys(figures: dict[str, Any]) -> None:
    data = json.loads(render(figures, "json"))
    for key in ("cases_total", "by_domain", "by_district", "by_procedure", "recommendations", "agencies", "outcomes"):
        assert key in data
    for key in ("issued", "replied_on_time", "replied_late", "unreplied_overdue", "pending", "rectified"):
        assert isinstance(data["recommendations"][key], int)
    for key in ("land_restored_mu", "waste_removed_t", "money_recovered_yuan"):
        assert key in data["outcomes"]
    assert set(data["by_domain"]) >= {"ecology", "food_drug", "state_property", "heroes"}
    assert set(data["by_procedure"]) >= {"admin_pre_litigation", "civil", "criminal_incidental_civil"}
    assert all({"count", "share"} <= set(v) for v in data["by_district"].values())
    assert isinstance(data["agencies"], list) and {"name", "received", "on_time_rate"} <= set(data["agencies"][0])


def test_csv_is_long_utf8_with_bom(figures: dict[str, Any]) -> None:
    raw = render(figures, "csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0].startswith("表")
    cases = [r for r in rows if r[0] == "summary" and r[3].startswith("案件总数")]
    assert cases and cases[0][5] == str(figures["cases_total"])
    eco = [r for r in rows if r[0] == "by_domain" and r[3] == "生态环境和资源保护" and r[4].startswith("占比")]
    assert eco and float(eco[0][5]) == figures["by_domain"]["ecology"]["share"]


def test_xlsx_opens_with_chinese_headers_and_number_formats(figures: dict[str, Any]) -> None:
    wb = load_workbook(io.BytesIO(render(figures, "xlsx")))
    assert {"概况", "领域分布", "地区分布", "办案程序", "检察建议回复情况", "机关回复排名", "月度趋势", "说明"} <= set(
        wb.sheetnames
    )
    ws = wb["领域分布"]
    headers = [c.value for c in ws[2]]
    assert headers == ["领域", "件数", "占比"]  # Chinese labels, no English codes
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "生态环境和资源保护")
    assert row[1].value == figures["by_domain"]["ecology"]["count"]
    assert row[2].number_format == "0.0%"
    assert row[2].value == pytest.approx(figures["by_domain"]["ecology"]["share"] / 100)
    summary = wb["概况"]
    money = next(r for r in summary.iter_rows(min_row=3) if str(r[0].value).startswith("追回"))
    assert "万元" in money[0].value and money[1].number_format == "#,##0.00"
    assert money[1].value == pytest.approx(figures["outcomes"]["money_recovered_yuan"] / 10_000, abs=0.005)
    rate = next(r for r in summary.iter_rows(min_row=3) if str(r[0].value).startswith("按期回复率"))
    assert rate[1].number_format == "0.0%"
    league = wb["机关回复排名"]
    assert [c.value for c in league[2]][:4] == ["排名", "机关代码", "机关", "收到检察建议"]
    assert league.max_row - 2 == len(figures["agencies"])


def test_html_renders_in_chromium(
    figures: dict[str, Any], tmp_path: Path, need_tool: Any, chromium_flags: tuple[str, ...]
) -> None:
    html = render(figures, "html")
    text = html.decode("utf-8")
    assert text.count("data:image/svg+xml;base64,") == 3
    for heading in HEADINGS:
        assert heading in text
    chromium = need_tool("chromium", "chromium")
    page = tmp_path / "report.html"
    page.write_bytes(html)
    shot = tmp_path / "report.png"
    common = [chromium, *chromium_flags, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, timeout=60, check=True
    ).stdout.decode("utf-8")
    assert "一、案件总体情况" in dom and "生态环境和资源保护" in dom
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.exists() and shot.stat().st_size > 20_000  # a blank page would be a few KB


def test_pdf_embeds_a_cjk_font_and_holds_chinese_text(pdf_bytes: bytes, tmp_path: Path, need_tool: Any) -> None:
    assert pdf_bytes.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    fonts = subprocess.run(
        [need_tool("pdffonts", "poppler-utils"), str(pdf)], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    cjk = [line for line in fonts.splitlines() if any(k in line for k in ("CJK", "Hei", "Song", "Sans-SC"))]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), "CJK font must be embedded"
    text = subprocess.run(
        [need_tool("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    for heading in HEADINGS:
        assert heading in text
    assert "生态环境和资源保护" in text


def test_pdf_page_turns_into_a_png(pdf_bytes: bytes, tmp_path: Path, need_tool: Any) -> None:
    from PIL import Image

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    subprocess.run(
        [
            need_tool("pdftoppm", "poppler-utils"),
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "p"),
        ],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("p*.png"))
    with Image.open(png) as img:
        grey = img.convert("L")
        dark = sum(1 for v in grey.getdata() if v < 128)
    assert dark > 2_000  # text and charts, not an empty page


def test_packaged_font_is_used_when_the_machine_has_no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server without any CJK font still draws Chinese labels: the font wheel is the floor."""
    from matplotlib import font_manager

    from hub.reports.fonts import PACKAGED_FAMILY, font_face_css, packaged_cjk_font

    packaged = packaged_cjk_font()
    assert packaged is not None and packaged.stat().st_size > 1_000_000
    latin_only = [
        f for f in font_manager.fontManager.ttflist if not any(k in f.name for k in ("CJK", "Hei", "Song", " SC"))
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin_only)
    assert charts.cjk_font.__wrapped__() == PACKAGED_FAMILY
    assert font_manager.findfont(PACKAGED_FAMILY, fallback_to_default=False).endswith(packaged.name)
    assert packaged.as_uri() in font_face_css()


def test_charts_use_a_cjk_font_or_say_so(figures: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    svg = charts.render_chart("domain", figures)
    assert svg.startswith(b"<?xml") and b"<path" in svg
    assert charts.cjk_font() is not None  # a system CJK font, or at least the packaged Noto Sans SC
    # Fallback: without a CJK font the report says so and the charts use English labels.
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    note = charts.font_warning()
    assert note is not None and "fonts-noto-cjk" in note["en"]
    from hub.reports.render_html import render_html

    assert "本机未找到中文字体" in render_html(figures, charts={}).decode("utf-8")
    assert charts.render_chart("trend", figures).startswith(b"<?xml")
