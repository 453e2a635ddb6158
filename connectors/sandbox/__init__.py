"""Local simulated agency systems for tests, the demo and integration engineers.

``start_sandbox()`` starts one loopback HTTP server per connector — each speaking its
agency's protocol with its quirks, serving the seeded data set of
:mod:`connectors.sandbox.dataset` — and returns a :class:`Sandbox` handle with the URLs,
the ``PILHUB_CONN_*`` variables that point connectors at them, fault switches and
``stop()``. ``pilhub sandbox`` runs the same in the foreground.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.sandbox.court import CourtSystem
from connectors.sandbox.credentials import SIGNING_KEY_ID, public_key_b64
from connectors.sandbox.dataset import build_dataset
from connectors.sandbox.environment import EnvironmentSystem
from connectors.sandbox.faults import FAULT_MODES, FaultPlan, expand
from connectors.sandbox.forestry import ForestrySystem
from connectors.sandbox.market import MarketSystem
from connectors.sandbox.natural_resources import NaturalResourcesSystem
from connectors.sandbox.server import AgencySystem, SandboxServer
from connectors.sandbox.water import WaterSystem

__all__ = ["FAULT_MODES", "SYSTEMS", "Sandbox", "sandbox_env", "start_sandbox"]

#: Connector name → simulated system, in port order (``--port-base N`` gives N, N+1, …).
SYSTEMS: dict[str, type[AgencySystem]] = {
    "environment": EnvironmentSystem,
    "forestry": ForestrySystem,
    "market": MarketSystem,
    "court": CourtSystem,
    "water": WaterSystem,
    "natural_resources": NaturalResourcesSystem,
}
DEFAULT_SEED = 20181231
SIGNING_AGENCY = "330800-sthj"


@dataclass
class Sandbox:
    """Running sandbox servers. Use as a context manager or call :meth:`stop`."""

    servers: dict[str, SandboxServer]
    seed: int
    scale: int
    faults: frozenset[str] = field(default_factory=frozenset)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def system(self, name: str) -> AgencySystem:
        return self.servers[name].system

    def env(self) -> dict[str, str]:
        """``PILHUB_CONN_*`` variables (URLs and the sandbox's demo credentials) for every system."""
        out: dict[str, str] = {}
        for server in self.servers.values():
            out.update(server.system.env(server.url))
        return out

    def set_faults(self, faults: Iterable[str] = (), systems: Iterable[str] | None = None) -> None:
        """Switch fault modes on (or all off with ``()``) for some or all systems."""
        modes = expand(list(faults))
        for name in systems or self.servers:
            self.servers[name].system.plan.set_modes(modes)
        self.faults = modes

    def republish(self) -> list[str]:
        """The forestry bureau re-publishes two files with corrections (newer modification time)."""
        system = self.servers["forestry"].system
        assert isinstance(system, ForestrySystem)
        return system.republish()

    def signing_key(self) -> tuple[str, str, str]:
        """``(agency code, key id, base64 public key)`` of the environment bureau's signing key."""
        return SIGNING_AGENCY, SIGNING_KEY_ID, public_key_b64(self.seed)

    def register_keys(self, session) -> bool:  # type: ignore[no-untyped-def]
        """Register the signing key as an :class:`~hub.store.models.AgencyKey` (once); True if added."""
        from sqlalchemy import select

        from hub.store.models import AgencyKey

        agency, key_id, public = self.signing_key()
        exists = session.execute(
            select(AgencyKey).where(AgencyKey.agency_code == agency, AgencyKey.key_id == key_id)
        ).scalar_one_or_none()
        if exists is not None:
            return False
        session.add(
            AgencyKey(agency_code=agency, key_id=key_id, public_key=public, valid_from=datetime(2016, 1, 1, tzinfo=UTC))
        )
        return True

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    faults: Iterable[str] = (),
    *,
    port_base: int = 0,
    host: str = "127.0.0.1",
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    systems: Iterable[str] | None = None,
    retry_after: str = "1",
    timeout_delay: float = 2.0,
    slow_delay: float = 0.05,
    ssl_context: ssl.SSLContext | None = None,
) -> Sandbox:
    """Start the simulated systems (all, or ``systems``) on loopback; ports from ``port_base`` or free ones.

    With ``ssl_context`` (a server-side context: certificate, and ``CERT_REQUIRED`` with a CA
    to demand client certificates) the systems speak HTTPS — for testing mutual TLS.
    """
    dataset = build_dataset(seed, scale, tuple(sorted(systems)) if systems is not None else None)
    modes = expand(list(faults))
    servers: dict[str, SandboxServer] = {}
    try:
        for offset, (name, cls) in enumerate(SYSTEMS.items()):
            if systems is not None and name not in set(systems):
                continue
            plan = FaultPlan(modes, retry_after=retry_after, timeout_delay=timeout_delay, slow_delay=slow_delay)
            server = SandboxServer(cls(dataset, plan), host, port_base + offset if port_base else 0, ssl_context)
            server.start()
            servers[name] = server
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return Sandbox(servers, seed, scale, modes)


@contextmanager
def sandbox_env(sandbox: Sandbox) -> Iterator[dict[str, str]]:
    """Point connectors at ``sandbox`` for the duration (sets and restores ``PILHUB_CONN_*``)."""
    env = sandbox.env()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
