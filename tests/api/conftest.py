"""Fixtures of the API tests: the sample registry, one token per role and jurisdiction, the app in-process."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Starlette's TestClient warns (once, on import) that httpx support moves to httpx2; irrelevant here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import fastapi.testclient  # noqa: F401

TODAY = dt.date(2026, 11, 23)  # the sample registry's "now": due-soon and overdue clocks exist on this day


def load_sample(url: str) -> None:
    from hub.agencies import import_agencies, load_registry_file
    from hub.registry.importer import import_cases, read_lines
    from hub.samples import SAMPLE_AGENCIES, SAMPLE_CASES
    from hub.store.db import open_store, session_scope

    factory = open_store(url)
    with session_scope(url) as session:
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="test")
    report = import_cases(read_lines(SAMPLE_CASES), factory, actor="test")
    assert report.rejected == 0, report.errors


@dataclass(frozen=True)
class Tokens:
    admin: str
    congress: str  # the city congress (3308)
    kecheng: str  # supervisor of 柯城区 (330802)
    jiangshan: str  # supervisor of 江山市 (330881)
    expired: str
    path: Path


def make_tokens(directory: Path) -> Tokens:
    from hub.api.tokens import create_token

    path = directory / "api-tokens.yaml"
    admin, _ = create_token(path, role="admin", region="", name="平台运维")
    congress, _ = create_token(path, role="congress", region="3308", name="衢州市人大常委会")
    kecheng, _ = create_token(path, role="supervisor", region="330802", name="柯城区人民检察院")
    jiangshan, _ = create_token(path, role="supervisor", region="330881", name="江山市人民检察院")
    expired, _ = create_token(path, role="admin", region="", name="过期令牌", expires=dt.date(2020, 1, 1))
    return Tokens(admin, congress, kecheng, jiangshan, expired, path)


def build_client(url: str, tokens: Tokens) -> Any:
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.api.tokens import TokenStore

    app = create_app(url, tokens=TokenStore(tokens.path), today=lambda: TODAY)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def api_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Tokens]]:
    from hub.store.db import reset_caches

    base = tmp_path_factory.mktemp("api")  # one sample store for every API test module (loading takes seconds)
    url = f"sqlite:///{base / 'sample.db'}"
    load_sample(url)
    yield url, make_tokens(base)
    reset_caches()


@pytest.fixture(scope="session")
def tokens(api_env: tuple[str, Tokens]) -> Tokens:
    return api_env[1]


@pytest.fixture(scope="session")
def client(api_env: tuple[str, Tokens]) -> Iterator[Any]:
    url, toks = api_env
    with build_client(url, toks) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def bearer() -> Any:
    """``bearer(token)`` → the Authorization header."""
    return auth


@pytest.fixture(scope="session")
def personal_values() -> list[str]:
    """Every natural person's name, ID number, phone and address in the sample, and the procurators' names."""
    from hub.samples import SAMPLE_CASES

    values: set[str] = set()
    for line in Path(SAMPLE_CASES).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        if case.get("procurator"):
            values.add(case["procurator"])
        for party in case["parties"]:
            if party["kind"] == "person":
                values.update(
                    v for v in (party["name"], party.get("id_number"), party.get("phone"), party.get("address")) if v
                )
    assert len(values) > 40
    return sorted(values)


@pytest.fixture(scope="session")
def api_helpers() -> Any:
    """The loaders above, for tests that build their own store (e.g. on PostgreSQL via ``store_url``)."""
    from types import SimpleNamespace

    return SimpleNamespace(load_sample=load_sample, make_tokens=make_tokens, build_client=build_client)
