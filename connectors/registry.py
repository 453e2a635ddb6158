"""Every connector the hub knows, by name — found, not listed. Airflow generates one DAG per entry.

A connector is either a Python module in ``connectors/agencies/`` that defines ``connector``
(a :class:`~connectors.sdk.declarations.Connector`), or a file of declarations there —
``<name>.yaml``/``.yml``/``.toml``, checked against the published JSON Schema
(:mod:`connectors.sdk.spec_file`). Deployments may add directories of declaration files
with ``PILHUB_CONNECTORS_PATH`` (paths separated by ``os.pathsep``) — a new agency without
touching the hub's code. Adding a connector therefore edits no list: not here, not in the
tests (which run over :data:`CONNECTORS`).

A declaration file that does not load is not silently skipped: it is kept in :data:`BROKEN`
with the error naming its file, line and key, logged as an error (Airflow's DAG-processor log
shows it), ``get_connector`` of that name raises it and ``pilhub connectors list`` shows it and
exits 1 — while the other connectors keep working. Two connectors with one name are refused
at import.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from pathlib import Path

import connectors.agencies
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.errors import ConfigurationError
from connectors.sdk.spec_file import SPEC_SUFFIXES, load_connector_file

__all__ = ["BROKEN", "CONNECTORS", "SOURCES", "discover_connectors", "find_stream", "get_connector"]

AGENCIES_DIR = Path(connectors.agencies.__file__).parent
log = logging.getLogger("connectors.registry")


def _declaration_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("PILHUB_CONNECTORS_PATH", "").split(os.pathsep) if p.strip()]
    return [AGENCIES_DIR, *extra]


def discover_connectors() -> tuple[dict[str, Connector], dict[str, str], dict[str, ConfigurationError]]:
    """``(connectors by name, where each was declared, broken declaration files by name)``."""
    found: dict[str, Connector] = {}
    sources: dict[str, str] = {}
    broken: dict[str, ConfigurationError] = {}

    def add(connector: Connector, source: str) -> None:
        if connector.name in found:
            raise ConfigurationError(
                f"连接器名称 {connector.name} 重复：{sources[connector.name]} 与 {source}",
                f"connector name {connector.name} is declared twice: {sources[connector.name]} and {source}",
            )
        found[connector.name] = connector
        sources[connector.name] = source

    for info in pkgutil.iter_modules(connectors.agencies.__path__, prefix="connectors.agencies."):
        module = importlib.import_module(info.name)
        connector = getattr(module, "connector", None)
        if isinstance(connector, Connector):
            add(connector, f"{info.name.replace('.', '/')}.py")
    for directory in _declaration_dirs():
        if not directory.is_dir():
            continue
        for path in sorted(p for p in directory.iterdir() if p.suffix.lower() in SPEC_SUFFIXES):
            try:
                add(load_connector_file(path), str(path))
            except ConfigurationError as exc:
                if path.stem in found:
                    raise
                broken[path.stem] = exc
                log.error("connector file not loaded: %s", exc)
    return dict(sorted(found.items())), sources, broken


CONNECTORS, SOURCES, BROKEN = discover_connectors()


def get_connector(name: str) -> Connector:
    try:
        return CONNECTORS[name]
    except KeyError:
        if name in BROKEN:
            raise BROKEN[name] from None
        known = ", ".join(CONNECTORS)
        raise ConfigurationError(
            f"未知连接器 {name}（可用：{known}）", f"unknown connector {name} (known: {known})"
        ) from None


def find_stream(agency_code: str, stream: str) -> tuple[Connector, Stream]:
    """The connector and stream that produce records of ``agency_code``/``stream`` (quarantine replay)."""
    for connector in CONNECTORS.values():
        if connector.agency_code == agency_code and any(s.name == stream for s in connector.streams):
            return connector, connector.stream(stream)
    for connector in CONNECTORS.values():
        if connector.agency_code == agency_code:
            return connector, connector.stream(stream)
    raise ConfigurationError(f"没有单位 {agency_code} 的连接器", f"no connector for agency {agency_code}")
