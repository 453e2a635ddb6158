"""Shared set-up of the fault tests: twin PostgreSQL stores loaded with the sample registry.

A fault test runs the faulty scenario on one store and the same scenario without the fault on a
twin, then compares the two: the twin is the reference of "nothing lost, nothing doubled".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.samples import load_sample_registry
from hub.store import open_store
from tests.conftest import pg_schema_urls


@pytest.fixture
def pg_stores() -> Iterator[tuple[str, str]]:
    """Two private schemas on the test server: the store under test and its fault-free twin."""
    with pg_schema_urls(2) as (url, twin):
        yield url, twin


def open_sample_store(url: str) -> sessionmaker[Session]:
    """The store at ``url``, migrated, with the sample agency and case registries as the demo loads them."""
    factory = open_store(url)
    assert load_sample_registry(factory, actor="test")["cases"].rejected == 0
    return factory
