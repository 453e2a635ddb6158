"""Aggregate routes (every role): the figures, the report files and the charts.

The same :func:`hub.reports.figures.compute_figures` as ``pilhub report``; a caller's jurisdiction is
always applied as a region-code prefix, and naming a district or agency outside it is a 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from hub.api.deps import AGGREGATE_ROLES, audit_session, check_agency, check_district, get_session, require
from hub.api.errors import ApiError, ErrorBody
from hub.api.params import AgencyParam, AsOf, ChartName, DateFrom, DateTo, District, Domain, ReportFormat, Year
from hub.api.tokens import Principal
from hub.reports.figures import ReportQuery, compute_figures

router = APIRouter(prefix="/api/v1", tags=["figures 统计"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "缺少或无效令牌 / missing or invalid token"},
    403: {"model": ErrorBody, "description": "角色或辖区不符 / wrong role or jurisdiction"},
    422: {"model": ErrorBody, "description": "参数无效 / invalid parameters"},
}


class FigureParams:
    """The report scope from query parameters, validated and limited to the caller's jurisdiction."""

    def __init__(
        self,
        request: Request,
        year: Year = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        as_of: AsOf = None,
        district: District = None,
        domain: Domain = None,
        agency: AgencyParam = None,
        principal: Principal = Depends(require(*AGGREGATE_ROLES)),
        session: Session = Depends(get_session),
    ) -> None:
        check_district(session, principal, district)
        check_agency(session, principal, agency)
        self.principal = principal
        self.session = session
        self.query = ReportQuery.build(
            year=year,
            date_from=date_from,
            date_to=date_to,
            as_of=as_of,
            district=district,
            domain=domain,
            agency=agency,
            region_prefix=principal.region or None,
            today=request.app.state.today(),
        )

    def figures(self) -> dict[str, Any]:
        return compute_figures(self.session, self.query)


@router.get(
    "/figures",
    summary="年度（或任意期间）统计数据 / the compliance figures for a year or a date range",
    responses=ERRORS,
)
def get_figures(params: FigureParams = Depends()) -> JSONResponse:
    """Every figure of the annual report, as ``pilhub report --format json`` gives it (aggregates only)."""
    return JSONResponse(params.figures())


@router.get(
    "/report",
    summary="下载报告文件 / download the report as json, csv, xlsx, html or pdf",
    responses={
        **ERRORS,
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "text/html": {},
                "application/pdf": {},
            },
            "description": "报告文件 / the report file",
        },
        503: {"model": ErrorBody, "description": "无 PDF 打印组件 / no PDF printer installed"},
    },
)
def get_report(request: Request, format: ReportFormat = "json", params: FigureParams = Depends()) -> Response:
    """The report file; each download is recorded in the audit chain (who, scope, format, digest).

    PDF, XLSX and HTML are rendered in a worker process, at most two at a time per token (429 beyond).
    """
    from hub.reports.output import MEDIA_TYPES, record_generation
    from hub.reports.render_pdf import PdfUnavailable

    figures = params.figures()
    params.session.close()  # end the read transaction: rendering takes seconds and needs no database
    try:
        body = request.app.state.renders.render(params.principal.name, figures, format)
    except PdfUnavailable as exc:
        zh, _, en = str(exc).partition(" / ")
        raise ApiError(503, "pdf_unavailable", zh, en) from None
    with audit_session(request) as writer:  # one short write, after rendering
        record_generation(
            writer,
            actor=f"api:{params.principal.name}",
            query=params.query,
            fmt=format,
            figures=figures,
            channel="api",
        )
    q = params.query
    stem = f"pilhub-report-{q.year if q.year is not None else f'{q.date_from}_{q.date_to}'}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'},
    )


@router.get(
    "/charts/{name}",
    summary="统计图（SVG）/ a chart of the figures as SVG",
    responses={**ERRORS, 200: {"content": {"image/svg+xml": {}}, "description": "SVG"}},
)
def get_chart(name: ChartName, params: FigureParams = Depends()) -> Response:
    """``domain`` (cases by domain), ``agencies`` (on-time rate by agency) or ``trend`` (month by month)."""
    from hub.reports.charts import render_chart

    return Response(
        render_chart(name, params.figures(), "svg"),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )
