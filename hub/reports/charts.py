"""Charts of the compliance summary (bar by domain, per-agency on-time rates, monthly trend) as SVG or PNG.

Why SVG with text drawn as paths: the same picture goes into the HTML report, the PDF and the
dashboard, and must show Chinese characters on machines without a CJK font (a congress office's
PC, a PDF viewer). Matplotlib draws the glyphs from a CJK font found here; if the machine has none,
the charts fall back to English labels and :func:`font_warning` says so in the report — never boxes.

Rendering uses the object-oriented ``Figure`` API (no pyplot global state) under a lock, because
the API server renders from worker threads.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from hub.audit import digest
from hub.reports.fonts import PACKAGED_FAMILY, packaged_cjk_font

__all__ = ["CHARTS", "CHART_FORMATS", "cjk_font", "font_warning", "render_chart", "render_charts"]

#: Preferred CJK families, best first (Debian fonts-noto-cjk, Adobe/Google Source Han, WenQuanYi, Windows, macOS).
_PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
    "Noto Serif CJK SC",
)
_LOCK = threading.Lock()
_BLUE = "#2f5d8a"
_GREEN = "#3f8f5a"
_ORANGE = "#d08a2c"
_RED = "#b8433b"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use: a system one first, else the packaged Noto Sans SC."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in _PREFERRED:
        if name in names:
            return name
    system = next((n for n in sorted(names) if "CJK" in n or "Hei" in n or "Song" in n), None)
    if system is not None:
        return system
    packaged = packaged_cjk_font()  # the font wheel every install has (hub/reports/fonts.py)
    if packaged is None:
        return None
    font_manager.fontManager.addfont(str(packaged))
    return PACKAGED_FAMILY


def font_warning() -> dict[str, str] | None:
    """A report note when no CJK font exists, so the fallback to English chart labels is visible."""
    if cjk_font() is not None:
        return None
    return {
        "zh": "本机未找到中文字体（如 Debian 软件包 fonts-noto-cjk），图表改用英文标签。",
        "en": "No CJK font found on this machine (install e.g. Debian fonts-noto-cjk); charts use English labels.",
    }


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100)


def _style(ax: Any) -> None:
    (ax.xaxis if ax.get_label() == "h" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="x" if ax.get_label() == "h" else "y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def domain_chart(figures: dict[str, Any]) -> Figure:
    """Horizontal bars: cases by domain, with count and share."""
    zh = cjk_font() is not None
    items = [(k, v) for k, v in figures["by_domain"].items() if v["count"] or k != "other"]
    labels = [v["label"] if zh else k for k, v in items]
    counts = [v["count"] for _, v in items]
    fig = _figure(7.0, 0.45 * len(items) + 1.2)
    ax = fig.add_subplot(label="h")
    bars = ax.barh(range(len(items)), counts, color=_BLUE)
    ax.set_yticks(range(len(items)), labels)
    ax.invert_yaxis()
    for bar, (_, v) in zip(bars, items, strict=True):
        share = "" if v["share"] is None else f"  {v['share']:.1f}%"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v['count']}{share}", va="center", fontsize=9)
    ax.set_xlabel("件数" if zh else "cases")
    ax.set_title("案件领域分布" if zh else "Cases by domain")
    ax.set_xlim(0, max([*counts, 1]) * 1.25)
    _style(ax)
    return fig


#: The agency chart lists every agency up to this many; beyond it, the worst this many (labelled as such).
AGENCY_CHART_MAX = 30
#: Colour bands of the on-time rate (the same in the legend).
RATE_BANDS = ((90.0, _GREEN, "≥90%"), (60.0, _ORANGE, "60–90%"), (0.0, _RED, "<60%"))


def _rate_colour(rate: float) -> str:
    return next(colour for floor, colour, _ in RATE_BANDS if rate >= floor)


def agency_chart(figures: dict[str, Any], limit: int = AGENCY_CHART_MAX) -> Figure:
    """Horizontal bars: each agency's on-time reply rate (agencies with a decided reply), league order.

    Every agency is drawn while there are at most ``limit``; beyond that the ``limit`` worst are drawn and
    the title says so — a committee must see the agencies that do not reply, never only the best.
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    zh = cjk_font() is not None
    rated = [a for a in figures["agencies"] if a["on_time_rate"] is not None]
    rows = rated if len(rated) <= limit else rated[-limit:]
    fig = _figure(8.0, 0.3 * max(len(rows), 1) + 1.6)
    ax = fig.add_subplot(label="h")
    if len(rows) < len(rated):
        title = (
            f"各机关按期回复率（按期回复率最低的{len(rows)}个机关，共{len(rated)}个）"
            if zh
            else f"On-time reply rate: the {len(rows)} lowest of {len(rated)} agencies"
        )
    else:
        title = (
            f"各机关按期回复率（有到期检察建议的全部{len(rows)}个机关）"
            if zh
            else f"On-time reply rate, all {len(rows)} agencies with a decided reply"
        )
    if not rows:
        ax.text(0.5, 0.5, "暂无已到期的检察建议" if zh else "No recommendation due yet", ha="center", va="center")
        ax.set_axis_off()
    else:
        rates = [a["on_time_rate"] for a in rows]
        bars = ax.barh(range(len(rows)), rates, color=[_rate_colour(r) for r in rates])
        ax.set_yticks(range(len(rows)), [a["name"] if zh else a["code"] for a in rows], fontsize=8)
        ax.invert_yaxis()
        for bar, a in zip(bars, rows, strict=True):
            decided = a["received"] - a["pending"]
            inside = bar.get_width() > 75
            ax.text(
                bar.get_width() - 1 if inside else bar.get_width() + 1,
                bar.get_y() + bar.get_height() / 2,
                f"{a['on_time_rate']:.1f}%（{a['replied_on_time']}/{decided}）"
                if zh
                else f"{a['on_time_rate']:.1f}% ({a['replied_on_time']}/{decided})",
                va="center",
                ha="right" if inside else "left",
                color="white" if inside else "#1d2733",
                fontsize=7.5,
            )
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel(
            "按期回复率（括号内：按期回复件数/已到期件数）" if zh else "on-time reply rate (on time / decided)"
        )
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            handles=[Patch(color=c, label=label) for _, c, label in RATE_BANDS],
            title="按期回复率" if zh else "on-time rate",
            fontsize=7.5,
            title_fontsize=7.5,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
        )
    ax.set_title(title)
    return fig


def trend_chart(figures: dict[str, Any]) -> Figure:
    """Monthly bars of recommendations by outcome (stacked) with a line of cases filed."""
    zh = cjk_font() is not None
    months = figures["months"]
    x = list(range(len(months)))
    fig = _figure(8.0, 3.6)
    ax = fig.add_subplot(label="v")
    bottom = [0] * len(months)
    series = (
        ("replied_on_time", "按期回复", "on time", _GREEN),
        ("replied_late", "逾期回复", "late", _ORANGE),
        ("unreplied_overdue", "逾期未回复", "overdue, no reply", _RED),
        ("pending", "尚在期限内", "pending", "#9aa9b8"),
    )
    for key, zh_label, en_label, colour in series:
        values = [m[key] for m in months]
        ax.bar(x, values, bottom=bottom, color=colour, label=zh_label if zh else en_label, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.plot(
        x, [m["cases_opened"] for m in months], color=_BLUE, marker="o", markersize=3, label="立案数" if zh else "cases"
    )
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], [m["month"] for m in months][::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("件数" if zh else "count")
    ax.set_title("月度趋势（检察建议按发出月份）" if zh else "Monthly trend (recommendations by month issued)")
    ax.legend(fontsize=8, ncols=5, loc="upper left", frameon=False)
    ax.set_ylim(0, max([*bottom, *(m["cases_opened"] for m in months), 1]) * 1.35)
    _style(ax)
    return fig


CHARTS = {"domain": domain_chart, "agencies": agency_chart, "trend": trend_chart}
#: SVG for screens (sharp at any zoom); PNG (150 dpi) for the PDF, which WeasyPrint lays out twice as fast.
CHART_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


#: The figures each chart draws: the cache key covers exactly these (not generation time or notes).
_INPUTS = {"domain": ("by_domain",), "agencies": ("agencies",), "trend": ("months",)}
_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_SIZE = 64


def render_chart(name: str, figures: dict[str, Any], fmt: str = "svg") -> bytes:
    """One chart by name (``domain`` | ``agencies`` | ``trend``) as SVG (text drawn as paths) or PNG.

    Recently drawn charts are kept (keyed by the figures they draw and the font): the dashboard asks for
    the same three charts on every filter change, and a report renders them once per format.
    """
    fn = CHARTS[name]
    if fmt not in CHART_FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    font = cjk_font()
    key = digest({"chart": name, "fmt": fmt, "font": font, "data": [figures[k] for k in _INPUTS[name]]})
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    rc: dict[str, Any] = {"svg.fonttype": "path", "svg.hashsalt": "pilhub", "font.size": 9, "axes.unicode_minus": False}
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    buf = io.BytesIO()
    with _LOCK, matplotlib.rc_context(rc):
        fig = fn(figures)
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
        _CACHE[key] = buf.getvalue()
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return buf.getvalue()


def render_charts(figures: dict[str, Any], fmt: str = "svg") -> dict[str, bytes]:
    """All charts by name."""
    return {name: render_chart(name, figures, fmt) for name in CHARTS}
