"""Error responses of the API: one JSON shape, a message in Chinese and English, no internals.

Why one shape: congress staff's tools and agency integrators read the message; engineers read the
English half. A 422 names each bad parameter. A 500 never echoes the exception (it could carry data).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.reports.figures import QueryError

log = logging.getLogger("pilhub.api")


class ErrorItem(BaseModel):
    param: str
    zh: str
    en: str


class ErrorBody(BaseModel):
    """Every error response."""

    error: str
    message: str
    errors: list[ErrorItem] = []


class ApiError(Exception):
    """An error with a status code and a bilingual message."""

    def __init__(self, status: int, code: str, zh: str, en: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.headers = headers


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "缺少或无效的访问令牌（Authorization: Bearer …）",
        "missing or invalid bearer token",
        headers={"WWW-Authenticate": 'Bearer realm="pilhub"'},
    )


def token_config_broken() -> ApiError:
    """The token file became unusable while the server runs: refuse everyone, clearly (fail closed, not a 500)."""
    return ApiError(
        503,
        "token_config_invalid",
        "访问令牌配置文件有误，暂停接受任何令牌，请联系管理员（pilhub api token list 可查看原因）",
        "the API token file is malformed; no token is accepted until an operator fixes it (pilhub api token list)",
        headers={"Retry-After": "60"},
    )


def not_found_case() -> ApiError:
    """No such case — also for a case outside the caller's jurisdiction, so case ids cannot be probed."""
    return ApiError(404, "not_found", "无此案件", "no such case")


def forbidden_role(role: str, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(
        403,
        "forbidden_role",
        f"当前角色（{role}）无权访问，需要：{'、'.join(allowed)}",
        f"role {role} may not use this; needs one of: {', '.join(allowed)}",
    )


def forbidden_region(zh_what: str, en_what: str) -> ApiError:
    return ApiError(
        403,
        "forbidden_jurisdiction",
        f"所请求的{zh_what}不在您的辖区内",
        f"the requested {en_what} is outside your jurisdiction",
    )


# Chinese for pydantic's error types (the English comes from pydantic itself).
_ZH = {
    "missing": "缺少必填参数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为 true 或 false",
    "date_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "须为日期 YYYY-MM-DD",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "string_pattern_mismatch": "格式无效或含非法字符",
}


def _param(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "header", "body")]
    return ".".join(parts) or "(request)"


def _body(code: str, zh: str, en: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": f"{zh} / {en}", "errors": errors or []}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.zh, exc.en), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(QueryError)
    async def _query_error(_: Request, exc: QueryError) -> JSONResponse:
        item = {"param": exc.param, "zh": exc.zh, "en": exc.en}
        return JSONResponse(
            _body("invalid_parameter", f"参数无效：{exc.zh}", f"invalid parameter: {exc.en}", [item]), status_code=422
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        items = []
        for err in exc.errors():
            param = _param(tuple(err.get("loc", ())))
            zh = _ZH.get(str(err.get("type")), "无效")
            items.append({"param": param, "zh": f"参数 {param} {zh}", "en": f"{param}: {err.get('msg', 'invalid')}"})
        names = "、".join(i["param"] for i in items)
        return JSONResponse(
            _body(
                "invalid_parameter",
                f"参数无效：{names}",
                f"invalid parameter(s): {', '.join(i['param'] for i in items)}",
                items,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "未找到", 405: "不支持该请求方法"}.get(exc.status_code, "请求错误")
        return JSONResponse(
            _body("http_error", zh, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type, path and stack frames only: an exception's text may quote stored (personal) values.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("internal error on %s: %s\n%s", request.url.path, type(exc).__name__, frames)
        return JSONResponse(_body("internal_error", "服务器内部错误", "internal server error"), status_code=500)
