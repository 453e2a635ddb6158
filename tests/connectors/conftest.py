"""Fixtures for connector tests: a fresh sandbox, tiny retry delays, and a fast batch check.

The Great Expectations suite costs about a second per batch; connector tests exercise
transport, state and idempotence over dozens of batches, so they run the loader with a
stand-in batch check (ids unique, as the real suite demands) unless a test asks for
``real_batch_check``. The suite itself is exercised with the loader in ``tests/ingest``
and in one connector test here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.sandbox import Sandbox, sandbox_env, start_sandbox
from connectors.sdk.http import RetryPolicy
from hub.ingest.batch_check import BatchVerdict
from tests.ingest.store_copies import copy_of, migrated_template

FAST = RetryPolicy(
    connect_timeout=1.0, read_timeout=0.12, max_attempts=8, backoff_base=0.002, backoff_max=0.01, retry_after_max=5
)


def _fast_batch_check(kind: str, rows: list[dict], previous_row_count: int | None = None) -> BatchVerdict:
    ids = [r["source_record_id"] for r in rows]
    ok = len(ids) == len(set(ids))
    failures = (
        []
        if ok
        else [{"expectation": "ids_unique", "field": "source_record_id", "zh": "编号重复", "en": "duplicate ids"}]
    )
    return BatchVerdict(not ok, {"suite": "test-stand-in", "row_count": len(rows)}, failures)


@pytest.fixture(autouse=True)
def _batch_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "real_batch_check" not in request.fixturenames:
        monkeypatch.setattr("hub.ingest.loader.check_batch", _fast_batch_check)


@pytest.fixture
def real_batch_check() -> None:
    """Ask for the real Great Expectations suite in this test."""


@pytest.fixture
def fast_policy() -> RetryPolicy:
    return FAST


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(retry_after="0.01", timeout_delay=0.3, slow_delay=0.01) as sb, sandbox_env(sb):
        yield sb


def make_factory(url: str, sandbox: Sandbox | None = None) -> sessionmaker[Session]:
    from hub.store.db import open_store

    factory = open_store(url)
    if sandbox is not None:
        with factory() as session, session.begin():
            sandbox.register_keys(session)
    return factory


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite store, copied for each test (migrating costs ~0.5 s a store)."""
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def reference_url(tmp_path: Path, _template_db: Path) -> str:
    """A second SQLite store for the clean reference run."""
    return copy_of(_template_db, tmp_path / "reference.db")


@pytest.fixture
def sqlite_url(tmp_path: Path, _template_db: Path) -> Iterator[str]:
    """A fresh SQLite store for tests about transport rather than the store (not run on PostgreSQL too)."""
    from hub.store.db import reset_caches

    yield copy_of(_template_db, tmp_path / "store.db")
    reset_caches()


def record_set(factory: sessionmaker[Session]) -> set[tuple[str, str, str, str]]:
    from hub.store.models import AgencyRecord

    with factory() as session:
        return set(
            session.execute(
                select(AgencyRecord.agency_code, AgencyRecord.stream, AgencyRecord.source_id, AgencyRecord.content_hash)
            ).tuples()
        )
