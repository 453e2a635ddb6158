"""Every connector the hub knows, by name — Airflow generates one DAG per entry.

Adding an agency: write ``connectors/agencies/<name>.py`` and add its ``connector`` here.
"""

from __future__ import annotations

from connectors.agencies import court, environment, forestry, market, water
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.errors import ConfigurationError

CONNECTORS: dict[str, Connector] = {
    c.name: c for c in (environment.connector, forestry.connector, market.connector, court.connector, water.connector)
}


def get_connector(name: str) -> Connector:
    try:
        return CONNECTORS[name]
    except KeyError:
        known = ", ".join(CONNECTORS)
        raise ConfigurationError(
            f"未知连接器 {name}（可用：{known}）", f"unknown connector {name} (known: {known})"
        ) from None


def find_stream(agency_code: str, stream: str) -> tuple[Connector, Stream]:
    """The connector and stream that produce records of ``agency_code``/``stream`` (quarantine replay)."""
    for connector in CONNECTORS.values():
        if connector.agency_code == agency_code:
            return connector, connector.stream(stream)
    raise ConfigurationError(f"没有单位 {agency_code} 的连接器", f"no connector for agency {agency_code}")
