"""The FastAPI application: figures, reports, clock lists, cases, and the supervisors' dashboard.

``create_app()`` is the factory (``pilhub serve`` runs it under uvicorn; tests call it in-process).
The OpenAPI spec is at ``/openapi.json`` (Swagger UI at ``/docs``). The dashboard at ``/dashboard`` is
a static page: it holds no data and calls the API with the token the user enters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import errors
from hub.api.deps import AGGREGATE_ROLES, get_principal, get_session, require
from hub.api.routes_cases import router as cases_router
from hub.api.routes_figures import ERRORS
from hub.api.routes_figures import router as figures_router
from hub.api.tokens import Principal, TokenStore
from hub.registry.format import DOMAIN_LABELS, DOMAINS, PROCEDURE_LABELS, PROCEDURES
from hub.reports import FORMATS
from hub.store.models import Case

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

DESCRIPTION = """
检察公益诉讼统计与督办接口 / Figures and supervision API of the procuratorial PIL hub.

* 认证 / auth: `Authorization: Bearer <token>`（`pilhub api token create` 生成）.
* 角色 / roles: `congress`（仅汇总数据 / aggregates only）, `supervisor`（本辖区案件级 / case level in the
  jurisdiction）, `admin`.
* 错误 / errors: 401 令牌无效, 403 角色或辖区不符, 422 参数无效 — body `{error, message, errors[]}`.
"""


def create_app(
    store_url: str | None = None,
    *,
    tokens: TokenStore | None = None,
    today: Callable[[], dt.date] | None = None,
) -> FastAPI:
    """A new application on the store at ``store_url`` (default: the configured store).

    ``tokens`` defaults to the file named by ``PILHUB_API_TOKENS_FILE``; ``today`` lets tests fix the
    date that defaults as-of dates.
    """
    from hub.config import database_url

    app = FastAPI(
        title="pilhub API",
        version="1",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "figures 统计", "description": "汇总统计（所有角色）/ aggregates (every role)"},
            {"name": "cases 案件（督办）", "description": "案件级（supervisor, admin）/ case level"},
            {"name": "meta", "description": "会话与选项 / session and options"},
        ],
    )
    app.state.store_url = store_url or database_url()
    app.state.tokens = tokens or TokenStore()
    app.state.today = today or dt.date.today
    factory: dict[str, sessionmaker[Session]] = {}

    def session_factory() -> sessionmaker[Session]:
        # Opened on first use, not at import: opening upgrades the store, which tests and `--help` avoid.
        if "f" not in factory:
            from hub.store.db import open_store

            factory["f"] = open_store(app.state.store_url)
        return factory["f"]

    app.state.session_factory = session_factory
    errors.install(app)
    app.include_router(figures_router)
    app.include_router(cases_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/v1/health", tags=["meta"], summary="健康检查 / liveness (no token)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/me", tags=["meta"], summary="当前令牌 / who the token is", responses=ERRORS)
    def me(principal: Principal = Depends(get_principal)) -> dict[str, Any]:
        return {"name": principal.name, "role": principal.role, "region": principal.region}

    @app.get("/api/v1/meta", tags=["meta"], summary="筛选项 / filter options in your jurisdiction", responses=ERRORS)
    def meta(
        principal: Principal = Depends(require(*AGGREGATE_ROLES)),
        session: Session = Depends(get_session),
    ) -> JSONResponse:
        stmt = select(Case.district, Case.region_code).distinct().order_by(Case.region_code, Case.district)
        if principal.region:
            stmt = stmt.where(Case.region_code.startswith(principal.region, autoescape=True))
        districts = [{"name": d, "region_code": c} for d, c in session.execute(stmt)]
        return JSONResponse(
            {
                "role": principal.role,
                "region": principal.region,
                "case_level": principal.role != "congress",
                "districts": districts,
                "domains": [{"code": d, "label": DOMAIN_LABELS.get(d, d)} for d in DOMAINS],
                "procedures": [{"code": p, "label": PROCEDURE_LABELS.get(p, p)} for p in PROCEDURES],
                "clock_views": ["due_soon", "overdue", "escalated"],
                "clock_states": [
                    {"code": "due_soon", "label": "即将到期"},
                    {"code": "calendar_missing", "label": "日历缺失（期限待定）"},
                    {"code": "breached", "label": "已超期"},
                    {"code": "escalated", "label": "已升级"},
                ],
                "formats": list(FORMATS),
                "today": app.state.today().isoformat(),
            }
        )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @app.get("/dashboard", include_in_schema=False, response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        html = (TEMPLATES / "dashboard.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    return app
