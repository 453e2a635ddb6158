"""Query parameters shared by the routes, declared once so the OpenAPI spec documents them the same way.

Free-text filters refuse control characters and overlong values at the edge (422), so nothing odd ever
reaches SQL — which only ever sees them as bound parameters anyway.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query

from hub.reports.figures import EARLIEST, LATEST

# Literal types list the registry's codes, so the spec (and generated clients) know the valid values.
DomainCode = Literal["ecology", "food_drug", "state_property", "land_transfer", "heroes", "other"]
ListView = Literal["due_soon", "overdue", "escalated"]
ListState = Literal["due_soon", "calendar_missing", "breached", "escalated"]
ClockKind = Literal["reply", "rectification", "follow_up", "announcement"]
ReportFormat = Literal["json", "csv", "xlsx", "html", "pdf"]
ChartName = Literal["domain", "agencies", "trend"]

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"

Year = Annotated[
    int | None,
    Query(
        ge=EARLIEST.year,
        le=LATEST.year,
        description="年度 / calendar year (cases by filing date, recommendations by issue date)",
    ),
]
DateFrom = Annotated[
    dt.date | None, Query(alias="from", description="起始日 / first day (with `to`, instead of `year`)")
]
DateTo = Annotated[dt.date | None, Query(alias="to", description="截止日 / last day (with `from`)")]
AsOf = Annotated[
    dt.date | None,
    Query(description="统计截止日 / as-of date: later replies do not count yet (default: end of period or today)"),
]
District = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=NO_CONTROL,
        description="地区名称（如 柯城区）或6位区划代码 / district name or 6-digit region code",
    ),
]
Domain = Annotated[DomainCode | None, Query(description="领域代码 / registry domain code")]
AgencyParam = Annotated[
    str | None, Query(max_length=200, pattern=NO_CONTROL, description="机关代码或全称 / agency code or exact name")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="每页条数 / page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="偏移 / offset")]
