"""Helpers for loader tests: receipts built by hand (agency.receipt is small and has a personal field)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.ingest.incoming import Incoming
from hub.ingest.loader import BatchSpec
from tests.ingest.store_copies import copy_of, migrated_template

FETCHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def receipt(n: int, receiver: str = "王建国", day: str = "2018-03-10", **extra: Any) -> Incoming:
    raw = {
        "id": f"SD-{n:03d}",
        "rec": f"柯检行公建〔2018〕{n}号",
        "agency": "衢州市柯城区水利局",
        "received": day,
        "receiver": receiver,
        **extra,
    }
    mapped = {
        "recommendation_number": raw["rec"],
        "receiving_agency": raw["agency"],
        "received_date": raw["received"],
        "receiver": raw["receiver"],
    }
    return Incoming(raw, raw["id"], mapped, FETCHED, cursor=f"2018-03-{10 + n % 18:02d}T09:00:00+08:00")


def spec(**overrides: Any) -> BatchSpec:
    values: dict[str, Any] = {
        "agency_code": "330800-sl",
        "stream": "receipts",
        "kind": "agency.receipt",
        "source_system": "test",
    }
    values.update(overrides)
    return BatchSpec(**values)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def sqlite_url(tmp_path: Path, _template_db: Path) -> Iterator[str]:
    """A fresh SQLite store for tests that do not depend on the database engine."""
    from hub.store.db import reset_caches

    yield copy_of(_template_db, tmp_path / "store.db")
    reset_caches()
