"""Fixtures of the report tests: the sample registry loaded once per module, and the raw sample lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def load_sample(url: str) -> None:
    """Import the sample agency registry and case registry into the store at ``url``."""
    from hub.agencies import import_agencies, load_registry_file
    from hub.registry.importer import import_cases, read_lines
    from hub.samples import SAMPLE_AGENCIES, SAMPLE_CASES
    from hub.store.db import open_store, session_scope

    factory = open_store(url)
    with session_scope(url) as session:
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="test")
    report = import_cases(read_lines(SAMPLE_CASES), factory, actor="test")
    assert report.rejected == 0, report.errors


@pytest.fixture(scope="session")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite store holding the sample registry, shared by the report tests (they only add audit entries)."""
    from hub.store.db import reset_caches

    url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'sample.db'}"
    load_sample(url)
    yield url
    reset_caches()


@pytest.fixture
def loaded_store(store_url: str) -> str:
    """The root ``store_url`` (SQLite and PostgreSQL) with the sample registry loaded."""
    load_sample(store_url)
    return store_url


@pytest.fixture(scope="session")
def raw_cases() -> list[dict[str, Any]]:
    """The sample case registry exactly as the file has it (the independent source of truth)."""
    from hub.samples import SAMPLE_CASES

    return [json.loads(line) for line in Path(SAMPLE_CASES).read_text(encoding="utf-8").splitlines() if line.strip()]
