"""HTML form: the white-paper style summary with tables and charts, self-contained in one file.

Why self-contained (charts as data URIs, CSS inline): the file is mailed to a congress office and
opened offline; the PDF is printed from the same HTML so both always show the same thing.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.reports.charts import CHART_FORMATS, font_warning, render_charts
from hub.reports.fonts import embedded_font_face
from hub.reports.tables import Fmt, report_tables, wan

TEMPLATES = Path(__file__).with_name("templates")
FILTER_LABELS = {"district": "地区", "domain": "领域", "agency": "机关", "region_prefix": "辖区"}


def format_cell(value: Any, fmt: Fmt = "int") -> str:
    """A cell as text: ``71.7%``, ``154.00`` (万元), ``—`` for no value."""
    if value is None or value == "":
        return "—"
    if fmt == "pct":
        return f"{value:.1f}%"
    if fmt == "money":
        return f"{value:,.2f}"
    if fmt == "days":
        return f"{value:.1f}"
    if fmt in ("int", "num") and isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = format_cell
    env.filters["pct"] = lambda v: format_cell(v, "pct")
    return env


def _share_list(block: dict[str, Any], suffix: str = "", of_total: bool = False) -> str:
    parts = []
    for key, v in block.items():
        if not v["count"]:
            continue
        share = format_cell(v["share"], "pct")
        parts.append(f"{v.get('label', key)}{suffix}{v['count']}件，占{'案件总数的' if of_total else ''}{share}")
    return "；".join(parts)


def narrative(figures: dict[str, Any]) -> dict[str, str]:
    """Sentences in the white paper's style (衢州市检察院公益诉讼白皮书 §一), filled from the figures."""
    f = figures
    r = f["recommendations"]
    o = f["outcomes"]
    total = f["cases_total"]
    domains_used = sum(1 for v in f["by_domain"].values() if v["count"])
    p = f["period"]
    if p["year"] is not None and (p["from"], p["to"]) == (f"{p['year']}-01-01", f"{p['year']}-12-31"):
        period = f"{p['year']}年"
    else:
        period = f"{p['from']}至{p['to']}"
    if p["as_of"] != p["to"]:
        period += f"（截至{p['as_of']}）"
    u = r["urgent"]
    return {
        "cases": f"{period}，共立案办理各类公益诉讼案件{total}件。",
        "domains": f"涵盖{domains_used}个领域。其中，{_share_list(f['by_domain'], '领域')}。" if total else "",
        "districts": f"地域分布：{_share_list(f['by_district'])}。" if total else "",
        "procedures": f"办案程序：{_share_list(f['by_procedure'], of_total=True)}。" if total else "",
        "recommendations": (
            f"发出诉前检察建议{r['issued']}件，其中宣告送达{r['publicly_delivered']}件。按期回复{r['replied_on_time']}件，"
            f"逾期回复{r['replied_late']}件，逾期未回复{r['unreplied_overdue']}件，尚在期限内{r['pending']}件，"
            f"按期回复率{format_cell(r['on_time_rate'], 'pct')}；其中紧急检察建议{u['issued']}件，按期回复{u['replied_on_time']}件，"
            f"逾期未回复{u['unreplied_overdue']}件。已整改{r['rectified']}件，整改逾期{r['rectification_overdue']}件，"
            f"跟进监督发现反弹回潮{r['rebound']}件；行政机关不依法履职、提起行政公益诉讼{r['lawsuits_after_non_compliance']}件。"
        ),
        "outcomes": (
            f"督促修复土地{format_cell(o['land_restored_mu'], 'num')}亩，清理处置固体废物、危化品"
            f"{format_cell(o['waste_removed_t'], 'num')}吨，收回国有财产或索赔、追回各类资金共计"
            f"{format_cell(wan(o['money_recovered_yuan']), 'money')}万元。"
        ),
        "clues": _clue_sentence(f.get("clues")),
    }


def _clue_sentence(clues: dict[str, Any] | None) -> str:
    """The CPPCC report's line: clues received from supervision models and transfers, cases filed from them."""
    if not clues or not clues.get("received"):
        return "本期间未收到监督模型线索。"
    return (
        f"本期间通过监督模型和行政机关移送共收到线索{clues['received']}条，采纳{clues['accepted']}条、"
        f"不予采纳{clues['rejected']}条，据此立案{clues['cases_opened']}件，"
        f"成案率{format_cell(clues.get('case_rate'), 'pct')}。"
    )


def _data_uri(data: bytes, fmt: str) -> str:
    return f"data:{CHART_FORMATS[fmt]};base64," + base64.b64encode(data).decode("ascii")


def render_html(
    figures: dict[str, Any],
    *,
    charts: dict[str, bytes] | None = None,
    chart_format: str = "svg",
    embed_font: bool = True,
) -> bytes:
    """The report page as UTF-8 HTML; ``charts`` (name → image bytes in ``chart_format``) are drawn if not given.

    With ``embed_font`` the packaged CJK font, subset to the page's characters, is embedded, so the file shows
    Chinese on a machine without any Chinese font (the PDF printer gets the whole font file instead).
    """
    images = charts if charts is not None else render_charts(figures, chart_format)
    warning = font_warning()
    if warning and warning not in figures["notes"]:
        figures = {**figures, "notes": [*figures["notes"], warning]}
    html = (
        _env()
        .get_template("report.html.j2")
        .render(
            f=figures,
            r=figures["recommendations"],
            tables=report_tables(figures),
            charts={name: _data_uri(data, chart_format) for name, data in images.items()},
            narrative=narrative(figures),
            filter_labels=FILTER_LABELS,
        )
    )
    if embed_font:
        face = embedded_font_face(html)
        if face:
            html = html.replace("<head>", f"<head>\n<style>{face}</style>", 1)
    return html.encode("utf-8")
