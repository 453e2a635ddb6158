"""``check`` and ``discover`` (the Singer/Airbyte verbs): is a connector configured and reachable,
and what does it offer?"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from connectors.sdk.config import ConnectorConfig, load_config
from connectors.sdk.declarations import Connector
from connectors.sdk.errors import ConfigurationError, ConnectorError, HttpStatusError


@dataclass
class CheckResult:
    connector: str
    ok: bool
    configured: bool
    reachable: bool | None = None
    authenticated: bool | None = None
    missing: list[str] = field(default_factory=list)
    status: int | None = None
    seconds: float | None = None
    source: str = "defaults"
    zh: str = ""
    en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def check(connector: Connector, config: ConnectorConfig | None = None) -> CheckResult:
    """Credentials present, base URL reachable, credentials accepted (a GET of ``check_path``)."""
    from connectors.sdk.runner import build_client

    config = config or load_config(connector.name)
    needed = ("base_url", *connector.auth.required)
    missing = [n for n in needed if not getattr(config, n)]
    result = CheckResult(connector.name, False, not missing, missing=missing, source=config.source)
    if missing:
        try:
            config.require(*missing)
        except ConfigurationError as exc:
            result.zh, result.en = exc.zh, exc.en
        return result
    policy = replace(
        connector.policy, max_attempts=2, read_timeout=min(connector.policy.read_timeout, 10.0), backoff_base=0.2
    )
    started = time.monotonic()
    try:
        client = build_client(connector, config, policy)
        fetched = client.get(connector.check_path)
    except HttpStatusError as exc:
        result.reachable, result.status = True, exc.status
        result.authenticated = exc.status not in (401, 403)
        result.zh, result.en = exc.zh, exc.en
    except ConnectorError as exc:
        result.reachable = False
        result.zh, result.en = exc.zh, exc.en
    else:
        result.reachable = True
        result.status = fetched.status_code
        problem = _body_problem(connector, fetched.body, fetched.content_type)
        if problem is not None:  # HTTP 200, but the body says the request was refused
            result.authenticated = False
            result.zh, result.en = problem
        else:
            result.ok = result.authenticated = True
            result.zh, result.en = "可以连接，凭据有效", "reachable, credentials accepted"
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _body_problem(connector: Connector, body: bytes, content_type: str | None) -> tuple[str, str] | None:
    """The agency's own error, when the connector declares a body-level status and the check body carries one."""
    status = connector.body_status
    if status is None:
        return None
    import json

    from connectors.sdk.decoding import charset_of, decode_body
    from connectors.sdk.errors import BodyFormatError

    try:
        text, _ = decode_body(body, charset_of(content_type), ("gb18030",))
        document = json.loads(text)
    except (BodyFormatError, ValueError):
        return "检查地址返回的内容无法解析", "the check path returned a body that cannot be parsed"
    verdict, code, message = status.verdict(document)
    if verdict == "ok":
        return None
    what = "要求降低频率" if verdict == "throttle" else "返回错误"
    return (
        f"HTTP 200，但单位系统{what}（代码 {code}：{message or '无说明'}）",
        f"HTTP 200, but the agency's body says {verdict} (code {code}: {message or 'no message'})",
    )


def discover(connector: Connector) -> list[dict[str, Any]]:
    """Each stream with its record kind, keys, cursor and the JSON Schema of the contract it maps to."""
    from schemas.registry import get_model, personal_data_fields

    out = []
    for stream in connector.streams:
        model = get_model(stream.kind)
        out.append(
            {
                "stream": stream.name,
                "title": stream.title or model.TITLE_ZH,
                "kind": stream.kind,
                "schema_version": stream.schema_version or model.SCHEMA_VERSION,
                "path": stream.path,
                "format": stream.format,
                "primary_key": stream.primary_key,
                "cursor_field": stream.cursor_field,
                "signed": stream.signed is not None,
                "personal_data_fields": list(personal_data_fields(stream.kind)),
                "mapped_fields": sorted(stream.mapping or {}),
                "json_schema": model.model_json_schema(),
            }
        )
    return out
