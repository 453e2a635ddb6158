"""The figures laid out as titled tables with Chinese headers — the shared layout of CSV, XLSX and HTML.

Why a layout module: the three tabular outputs must show the same tables with the same headers in the
same order; each renderer then only decides how a per-cent or a money cell looks in its format.
Nothing here computes a figure: every value is read from :func:`hub.reports.figures.compute_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Column", "Table", "escalation_text", "report_tables", "wan"]

#: How a cell is shown: ``pct`` holds per cent (71.7 → "71.7%"), ``money`` 万元 (ten thousand yuan, as the
#: white paper counts money: "共计700余万元"), ``num`` a quantity.
Fmt = Literal["text", "int", "pct", "num", "money", "days"]


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    fmt: Fmt = "int"
    #: False for identifiers kept for machines (CSV, XLSX) but left out of the printed report.
    printed: bool = True


def wan(yuan: float | int | None) -> float | None:
    """Yuan as 万元 (ten thousand yuan) with two decimals, the unit of the white paper's money figures."""
    if yuan is None:
        return None
    return round(float(yuan) / 10_000, 2)


@dataclass
class Table:
    """One table: an XLSX sheet, a CSV section, an HTML section."""

    key: str
    zh: str
    en: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    #: For two-column "item / value" tables whose rows mix formats: the value column's format per row.
    row_formats: list[Fmt] | None = None
    #: The column that names a row (the CSV's "item"): a label rather than a code where both exist.
    label_col: int = 0

    def printed_columns(self) -> list[int]:
        """Indexes of the columns the HTML / PDF report shows."""
        return [i for i, c in enumerate(self.columns) if c.printed]

    def fmt(self, row: int, col: int) -> Fmt:
        if self.row_formats is not None and col == len(self.columns) - 1:
            return self.row_formats[row]
        return self.columns[col].fmt


def escalation_text(levels: dict[str, int], names: dict[str, str]) -> str:
    """``1级（上级主管机关）2件；2级 1件`` — escalations by level in one cell."""
    parts = []
    for level, count in levels.items():
        name = names.get(level)
        parts.append(f"{level}级{f'（{name}）' if name else ''}{count}件")
    return "；".join(parts)


def _item_table(key: str, zh: str, en: str, items: list[tuple[str, str, Any, Fmt]]) -> Table:
    return Table(
        key,
        zh,
        en,
        [Column("item", "项目", "item", "text"), Column("value", "数值", "value", "int")],
        rows=[[f"{izh} / {ien}", value] for izh, ien, value, _ in items],
        row_formats=[fmt for *_, fmt in items],
    )


def report_tables(figures: dict[str, Any]) -> list[Table]:
    """All tables of the report, in reading order."""
    f = figures
    r = f["recommendations"]
    o = f["outcomes"]
    summary = _item_table(
        "summary",
        "概况",
        "Summary",
        [
            ("统计期间", "period", f"{f['period']['from']} 至 {f['period']['to']}", "text"),
            ("统计截止日", "as of", f["period"]["as_of"], "text"),
            ("案件总数", "cases", f["cases_total"], "int"),
            ("发出诉前检察建议", "recommendations issued", r["issued"], "int"),
            ("其中宣告送达", "publicly delivered", r["publicly_delivered"], "int"),
            ("按期回复", "replied on time", r["replied_on_time"], "int"),
            ("逾期回复", "replied late", r["replied_late"], "int"),
            ("逾期未回复", "unreplied, overdue", r["unreplied_overdue"], "int"),
            ("尚在期限内", "pending (within the period)", r["pending"], "int"),
            ("按期回复率", "on-time reply rate", r["on_time_rate"], "pct"),
            ("平均回复用时（日）", "average days to reply", r["average_days_to_reply"], "days"),
            ("已整改", "rectified", r["rectified"], "int"),
            ("整改逾期", "rectification overdue", r["rectification_overdue"], "int"),
            ("整改率", "rectification rate", r["rectification_rate"], "pct"),
            ("跟进监督发现反弹回潮", "rebound found at follow-up", r["rebound"], "int"),
            ("不履职后提起行政公益诉讼", "lawsuits after non-compliance", r["lawsuits_after_non_compliance"], "int"),
            ("督促修复土地（亩）", "land restored (mu)", o["land_restored_mu"], "num"),
            ("清理固废、危化品（吨）", "waste removed (t)", o["waste_removed_t"], "num"),
            ("追回、索赔金额（万元）", "money recovered (10,000 yuan)", wan(o["money_recovered_yuan"]), "money"),
        ],
    )
    share_cols = [Column("count", "件数", "cases"), Column("share", "占比", "share", "pct")]
    by_domain = Table(
        "by_domain",
        "领域分布",
        "Cases by domain",
        [Column("label", "领域", "domain", "text"), *share_cols],
        [[v["label"], v["count"], v["share"]] for v in f["by_domain"].values()],
        label_col=0,
    )
    by_district = Table(
        "by_district",
        "地区分布",
        "Cases by district",
        [
            Column("region_code", "区划代码", "region code", "text", printed=False),
            Column("key", "地区", "district", "text"),
            *share_cols,
        ],
        [[v.get("region_code"), k, v["count"], v["share"]] for k, v in f["by_district"].items()],
        label_col=1,
    )
    by_procedure = Table(
        "by_procedure",
        "办案程序",
        "Cases by procedure",
        [Column("label", "程序", "procedure", "text"), *share_cols],
        [[v["label"], v["count"], v["share"]] for v in f["by_procedure"].values()],
        label_col=0,
    )
    status_cols = [
        Column("issued", "发出", "issued"),
        Column("replied_on_time", "按期回复", "on time"),
        Column("replied_late", "逾期回复", "late"),
        Column("unreplied_overdue", "逾期未回复", "overdue, no reply"),
        Column("pending", "尚在期限内", "pending"),
        Column("on_time_rate", "按期回复率", "on-time rate", "pct"),
    ]
    recs = Table(
        "recommendations",
        "检察建议回复情况",
        "Replies to recommendations",
        [Column("scope", "范围", "scope", "text"), *status_cols],
        [
            ["全部 / all", *(r[c.key] for c in status_cols)],
            ["其中紧急（15日）/ urgent", *(r["urgent"][c.key] for c in status_cols)],
        ],
    )
    names = f.get("escalation_level_labels") or f.get("escalation_levels", {})
    agency_cols = [
        Column("rank", "排名", "rank"),
        Column("code", "机关代码", "code", "text", printed=False),
        Column("name", "机关", "agency", "text"),
        Column("received", "收到检察建议", "received"),
        Column("replied_on_time", "按期回复", "on time"),
        Column("replied_late", "逾期回复", "late"),
        Column("unreplied_overdue", "逾期未回复", "overdue, no reply"),
        Column("pending", "尚在期限内", "pending"),
        Column("on_time_rate", "按期回复率", "on-time rate", "pct"),
        Column("average_days_to_reply", "平均回复用时（日）", "average days to reply", "days"),
        Column("rectified", "已整改", "rectified"),
        Column("rectification_overdue", "整改逾期", "rectification overdue"),
        Column("rectification_rate", "整改率", "rectification rate", "pct"),
        Column("rebound", "反弹回潮", "rebound"),
        Column("escalations", "升级督办（按级别）", "escalations by level", "text"),
        Column("lawsuits_after_non_compliance", "提起诉讼", "lawsuits"),
    ]
    agencies = Table(
        "agencies",
        "机关回复排名",
        "Agency league table",
        agency_cols,
        [
            [
                escalation_text(a["escalations_by_level"], names) if c.key == "escalations" else a[c.key]
                for c in agency_cols
            ]
            for a in f["agencies"]
        ],
        label_col=2,
    )
    month_cols = [
        Column("month", "月份", "month", "text"),
        Column("cases_opened", "立案", "cases filed"),
        Column("recommendations_issued", "发出检察建议", "recommendations issued"),
        Column("replied_on_time", "按期回复", "on time"),
        Column("replied_late", "逾期回复", "late"),
        Column("unreplied_overdue", "逾期未回复", "overdue, no reply"),
        Column("pending", "尚在期限内", "pending"),
    ]
    months = Table(
        "months", "月度趋势", "Monthly trend", month_cols, [[m[c.key] for c in month_cols] for m in f["months"]]
    )
    clue_cols = [
        Column("model", "模型代码", "model", "text", printed=False),
        Column("title", "监督模型", "supervision model", "text"),
        Column("hits", "线索（条）", "clues (hits)"),
        Column("accepted", "采纳", "accepted"),
        Column("rejected", "不采纳", "rejected"),
        Column("cases_opened", "据此立案", "cases opened"),
        Column("rate", "成案率", "hit-to-case rate", "pct"),
    ]
    clue_fig = f.get("clues") or {"by_model": [], "received": 0, "accepted": 0, "rejected": 0, "cases_opened": 0}
    clue_rows = [
        # ``rate`` is a fraction in the clue figures; the tables hold per cent.
        [m.get("title") or m["model"], *(m[k] for k in ("hits", "accepted", "rejected", "cases_opened"))]
        for m in clue_fig["by_model"]
    ]
    clues = Table(
        "clues",
        "监督模型与线索",
        "Supervision models and clues",
        clue_cols,
        [
            [m["model"], *row, None if m["rate"] is None else round(m["rate"] * 100, 1)]
            for m, row in zip(clue_fig["by_model"], clue_rows, strict=True)
        ],
        label_col=1,
    )
    if clue_fig["by_model"]:
        clues.rows.append(
            [
                None,
                "合计 / total",
                clue_fig["received"],
                clue_fig["accepted"],
                clue_fig["rejected"],
                clue_fig["cases_opened"],
                clue_fig.get("case_rate"),
            ]
        )
    notes = Table(
        "notes",
        "说明",
        "Notes",
        [Column("zh", "说明", "note (Chinese)", "text"), Column("en", "Note", "note (English)", "text")],
        [[n["zh"], n["en"]] for n in f["notes"]],
    )
    return [summary, by_domain, by_district, by_procedure, recs, agencies, months, clues, notes]
