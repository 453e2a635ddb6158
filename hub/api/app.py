"""The FastAPI application: figures, reports, clock lists, cases, and the supervisors' dashboard.

``create_app()`` is the factory (``pilhub serve`` runs it under uvicorn; tests call it in-process).
The OpenAPI spec is at ``/openapi.json`` (Swagger UI at ``/docs``, ReDoc at ``/redoc``). The dashboard at
``/dashboard`` and the case page at ``/cases/{case_id}`` are static pages: they hold no data and call the API
with the token the user enters.

Why every asset is served by the hub itself: the hub runs on government intranets without internet access,
so a page that loads a script or font from a CDN is blank there. The Swagger UI and ReDoc files come from
the ``fastapi-offline`` package (MIT; Swagger UI Apache-2.0, ReDoc MIT) and are mounted under ``/static/docs``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import errors
from hub.api.deps import AGGREGATE_ROLES, get_principal, get_session, require
from hub.api.renders import RenderPool
from hub.api.routes_cases import router as cases_router
from hub.api.routes_clues import router as clues_router
from hub.api.routes_figures import ERRORS
from hub.api.routes_figures import router as figures_router
from hub.api.routes_referrals import router as referrals_router
from hub.api.routes_supervision import router as supervision_router
from hub.api.tokens import Principal, TokenStore
from hub.registry.format import DOMAIN_LABELS, DOMAINS, PROCEDURE_LABELS, PROCEDURES
from hub.reports import FORMATS
from hub.store.models import Case

ROLE_LABELS = {"congress": "人大常委会（汇总）", "supervisor": "检察院督办", "admin": "管理员"}

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
#: No referrer leaves the page, nothing is cached, and the browser loads scripts, styles, images and fonts
#: from this host only (``blob:``/``data:`` for the charts the page draws from API responses).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:"
    ),
}


def docs_assets() -> Path:
    """The vendored Swagger UI / ReDoc files (``fastapi-offline``'s static folder)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


@lru_cache(maxsize=1)
def redoc_js() -> bytes:
    """ReDoc's script with its one remote image (the vendor logo on cdn.redoc.ly) pointed at the hub's icon."""
    script = (docs_assets() / "redoc.standalone.js").read_bytes()
    return script.replace(b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"/static/docs/favicon.png")


def _with_cjk_fonts(page: HTMLResponse) -> HTMLResponse:
    """The docs page with the stylesheet that gives its Chinese text a font on machines without one."""
    html = bytes(page.body).decode("utf-8")
    html = html.replace("</head>", '<link rel="stylesheet" href="/static/docs-cjk.css">\n</head>', 1)
    return HTMLResponse(html)


def unit_name(region: str) -> str:
    """The name of a jurisdiction (a region-code prefix): ``330802`` → 柯城区, ``3308`` → 衢州市, "" → 全部辖区."""
    from schemas.identifiers.region import region_name

    if not region:
        return "全部辖区"
    code = region.ljust(6, "0")
    try:
        return region_name(code)
    except (ValueError, KeyError):
        return region


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
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "figures 统计", "description": "汇总统计（所有角色）/ aggregates (every role)"},
            {"name": "cases 案件（督办）", "description": "案件级（supervisor, admin）/ case level"},
            {"name": "meta", "description": "会话与选项 / session and options"},
        ],
    )
    app.state.store_url = store_url or database_url()
    app.state.tokens = tokens or TokenStore()
    app.state.tokens.check()  # a malformed token file stops the server at start (TokenConfigError), not per request
    app.state.today = today or dt.date.today
    factory: dict[str, sessionmaker[Session]] = {}

    def session_factory() -> sessionmaker[Session]:
        """Read-only sessions for every request (never SQLite's write lock; see ``hub.store.db.open_reader``)."""
        # Opened on first use, not at import: opening upgrades the store, which tests and `--help` avoid.
        if "read" not in factory:
            from hub.store.db import open_reader

            factory["read"] = open_reader(app.state.store_url)
        return factory["read"]

    def writer_factory() -> sessionmaker[Session]:
        """Sessions that write — audit entries only, each in its own short transaction."""
        if "write" not in factory:
            from hub.store.db import open_store

            factory["write"] = open_store(app.state.store_url)
        return factory["write"]

    app.state.session_factory = session_factory
    app.state.writer_factory = writer_factory
    app.state.renders = RenderPool()
    errors.install(app)
    app.include_router(figures_router)
    app.include_router(clues_router)
    app.include_router(supervision_router)  # before cases: /cases/{id}/timeline is more specific
    app.include_router(cases_router)

    @app.get("/static/docs/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        # Registered before the mounts so it wins over the static file: ReDoc's sidebar shows a logo it loads
        # from cdn.redoc.ly, which an intranet cannot reach; the hub's own icon replaces it.
        return Response(redoc_js(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    # The more specific mount first: /static/docs is the vendored Swagger UI and ReDoc.
    app.mount("/static/docs", StaticFiles(directory=docs_assets()), name="docs-assets")
    app.include_router(referrals_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/fonts/cjk.otf", include_in_schema=False)
    def cjk_font() -> Response:
        # The packaged Noto Sans SC (SIL OFL 1.1) for browsers without a Chinese font; the CSS asks for
        # the reader's own CJK fonts first, so most never download it.
        from hub.reports.fonts import packaged_cjk_font

        path = packaged_cjk_font()
        if path is None:
            return Response(status_code=404)
        return FileResponse(path, media_type="font/otf", headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _with_cjk_fonts(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="pilhub API 文档 / API docs",
                swagger_js_url="/static/docs/swagger-ui-bundle.js",
                swagger_css_url="/static/docs/swagger-ui.css",
                swagger_favicon_url="/static/docs/favicon.png",
                # No badge from validator.swagger.io: the page must not contact another host.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _with_cjk_fonts(
            get_redoc_html(
                openapi_url="/openapi.json",
                title="pilhub API 文档 / API docs",
                redoc_js_url="/static/docs/redoc.standalone.js",
                redoc_favicon_url="/static/docs/favicon.png",
                with_google_fonts=False,
            )
        )

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
                "role_label": ROLE_LABELS.get(principal.role, principal.role),
                "name": principal.name,
                "region": principal.region,
                "region_name": unit_name(principal.region),
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
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @app.get("/cases/{case_id}", include_in_schema=False, response_class=HTMLResponse)
    def case_page(case_id: str) -> HTMLResponse:
        # The page reads the case number from its own address and asks the API (which checks the token).
        html = (TEMPLATES / "case.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=PAGE_HEADERS)

    return app
