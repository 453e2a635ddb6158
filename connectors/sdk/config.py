"""Connector configuration — base URL and credentials — from the environment, never from code.

Sources, first match wins:

1. Inside an Airflow process (Airflow already imported — a DAG task, a worker): the Connection
   ``pilhub_<name>`` through Airflow's own ``BaseHook.get_connection``, so Connections kept in
   Airflow's database or in a secrets backend (Vault, AWS/GCP secret managers) work as Airflow
   users expect. Outside Airflow, Airflow is never imported for this (it costs seconds of
   start-up); ``PILHUB_AIRFLOW_CONNECTIONS=1`` asks for it anyway.
2. Airflow Connection ``AIRFLOW_CONN_PILHUB_<NAME>`` in the environment, in Airflow's JSON form
   ``{"conn_type": "http", "host": "…", "schema": "https", "port": 443, "login": "…",
   "password": "…", "extra": {"api_key": "…", "token_url": "…", "cert": "…"}}``
   or URI form ``https://login:password@host:port/path?token_url=…``. Parsed here, without
   importing Airflow.
3. Variables ``PILHUB_CONN_<NAME>_<FIELD>``: ``URL``, ``API_KEY``, ``KEY_ID``, ``SECRET``,
   ``CLIENT_ID``, ``CLIENT_SECRET``, ``TOKEN_URL``, ``CERT``, ``KEY``, ``CA``,
   ``TIMEOUT``, ``READ_TIMEOUT``, ``MAX_ATTEMPTS``, ``BACKOFF`` — and the per-deployment
   tuning without code edits: ``PAGE_SIZE`` (overrides the declared page size),
   ``RATE_LIMIT`` (requests per second for the connector, shared by all its processes — see
   :mod:`connectors.sdk.rate_limit`), ``REWALK_PAUSE`` (seconds before re-walking a stream
   short of its reported total). The same names work as keys of a Connection's ``extra``.

Every secret read is registered with :mod:`connectors.sdk.redaction`, so it is masked
in any log line. ``repr()`` of a config hides secrets too.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from connectors.sdk import redaction
from connectors.sdk.errors import ConfigurationError

_SECRET_FIELDS = ("api_key", "secret", "client_secret", "password")


@dataclass(frozen=True)
class ConnectorConfig:
    """Resolved settings of one connector. Secrets are excluded from ``repr``."""

    name: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    key_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_attempts: int | None = None
    backoff: float | None = None
    page_size: int | None = None  # overrides the streams' declared page size (a gateway's cap, a slow agency)
    rate_limit: float | None = None  # requests per second for the connector, shared by all its processes
    rewalk_pause: float | None = None  # seconds before the first re-walk of a stream short of its total
    source: str = "defaults"

    def require(self, *names: str) -> None:
        """Raise a clear error naming the missing settings and the variables that provide them."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            envs = ", ".join(f"PILHUB_CONN_{self.name.upper()}_{_ENV_NAME.get(n, n.upper())}" for n in missing)
            raise ConfigurationError(
                f"连接器 {self.name} 缺少配置：{', '.join(missing)}（设置 {envs} 或 Airflow 连接 AIRFLOW_CONN_PILHUB_{self.name.upper()}）",
                f"connector {self.name} is missing {', '.join(missing)} (set {envs} or the Airflow connection "
                f"AIRFLOW_CONN_PILHUB_{self.name.upper()})",
            )

    def with_overrides(self, **overrides: Any) -> ConnectorConfig:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return ConnectorConfig(**values)


_ENV_NAME = {"base_url": "URL"}
_FLOATS = {
    "connect_timeout": "TIMEOUT",
    "read_timeout": "READ_TIMEOUT",
    "backoff": "BACKOFF",
    "rate_limit": "RATE_LIMIT",
    "rewalk_pause": "REWALK_PAUSE",
}
_INTS = ("max_attempts", "page_size")


def _from_env(name: str, env: dict[str, str]) -> dict[str, Any]:
    prefix = f"PILHUB_CONN_{name.upper()}_"
    out: dict[str, Any] = {}
    for f in fields(ConnectorConfig):
        if f.name in ("name", "source"):
            continue
        var = prefix + _FLOATS.get(f.name, _ENV_NAME.get(f.name, f.name.upper()))
        if var in env and env[var] != "":
            raw = env[var]
            try:
                out[f.name] = float(raw) if f.name in _FLOATS else int(raw) if f.name in _INTS else raw
            except ValueError as exc:
                raise ConfigurationError(f"{var} 的值不是数字", f"{var} is not a number") from exc
    return out


def _from_airflow(name: str, env: dict[str, str]) -> dict[str, Any]:
    raw = env.get(f"AIRFLOW_CONN_PILHUB_{name.upper()}")
    if not raw:
        return {}
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            conn = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                f"AIRFLOW_CONN_PILHUB_{name.upper()} 不是合法 JSON",
                f"AIRFLOW_CONN_PILHUB_{name.upper()} is not valid JSON",
            ) from exc
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        scheme = conn.get("schema") or ("https" if conn.get("conn_type") in ("https",) else "http")
        host = conn.get("host") or ""
        if "://" in host:
            base = host.rstrip("/")
        else:
            port = f":{conn['port']}" if conn.get("port") else ""
            base = f"{scheme}://{host}{port}" if host else None
        login, password = conn.get("login"), conn.get("password")
    else:
        parts = urlsplit(raw)
        extra = dict(parse_qsl(parts.query))
        scheme = parts.scheme.replace("http+", "").replace("-", "")
        if scheme not in ("http", "https"):
            scheme = "https" if extra.pop("__secure", "") else "http"
        port = f":{parts.port}" if parts.port else ""
        base = f"{scheme}://{parts.hostname}{port}{parts.path}".rstrip("/") if parts.hostname else None
        login = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
    out: dict[str, Any] = {k: v for k, v in extra.items() if k in {f.name for f in fields(ConnectorConfig)}}
    if base:
        out["base_url"] = base
    if login:
        out.setdefault("client_id", login)
        out.setdefault("key_id", login)
    if password:
        # The connection's password is whichever secret the connector's auth uses.
        out.setdefault("secret", password)
        out.setdefault("client_secret", password)
        out.setdefault("api_key", password)
    return out


def _airflow_connection(name: str, env: dict[str, str]) -> dict[str, Any]:
    """The Connection ``pilhub_<name>`` through Airflow's ``BaseHook`` (database, secrets backends), if in Airflow."""
    if "airflow" not in sys.modules and env.get("PILHUB_AIRFLOW_CONNECTIONS", "") not in ("1", "true", "yes"):
        return {}
    try:
        try:
            from airflow.sdk import BaseHook  # Airflow 3
        except ImportError:  # pragma: no cover - Airflow 2
            from airflow.hooks.base import BaseHook  # type: ignore[no-redef]
    except ImportError:
        return {}
    try:
        conn = BaseHook.get_connection(f"pilhub_{name}")
    except Exception:  # noqa: BLE001 - not defined (AirflowNotFoundException), or no metadata database here
        return {}
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}
    as_json = {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "schema": conn.schema,
        "port": conn.port,
        "login": conn.login,
        "password": conn.password,
        "extra": extra or {},
    }
    return _from_airflow(name, {f"AIRFLOW_CONN_PILHUB_{name.upper()}": json.dumps(as_json)})


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Numbers from a Connection's ``extra`` (strings in the URI form) as the fields' types."""
    out = dict(values)
    for key in list(out):
        if out[key] is None:
            continue
        try:
            if key in _FLOATS:
                out[key] = float(out[key])
            elif key in _INTS:
                out[key] = int(out[key])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"连接配置 {key} 的值不是数字", f"connection setting {key} is not a number"
            ) from exc
    return out


def load_config(name: str, env: dict[str, str] | None = None, **defaults: Any) -> ConnectorConfig:
    """Resolve a connector's settings: Airflow's Connection (in Airflow), ``AIRFLOW_CONN_PILHUB_*``, then
    ``PILHUB_CONN_*`` variables, then ``defaults``."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
    source = "defaults"
    from_env = _from_env(name, env)
    if from_env:
        values.update(from_env)
        source = "environment"
    from_airflow = _typed(_from_airflow(name, env))
    if from_airflow:
        values.update(from_airflow)
        source = "airflow"
    from_hook = _typed(_airflow_connection(name, env))
    if from_hook:
        values.update(from_hook)
        source = "airflow-connection"
    redaction.install()
    for secret_field in _SECRET_FIELDS:
        redaction.register_secret(values.get(secret_field))
    if values.get("base_url"):
        values["base_url"] = str(values["base_url"]).rstrip("/")
    return ConnectorConfig(name=name, source=source, **values)
