"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.store.db import MIGRATIONS_DIR, current_revisions, get_engine, head_revisions, open_store, upgrade
from hub.store.models import Base


def test_empty_store_is_brought_to_head(store_url: str) -> None:
    assert current_revisions(store_url) == ()
    open_store(store_url)  # every entry point upgrades an empty store by itself
    assert current_revisions(store_url) == head_revisions(store_url) != ()


def test_models_match_migrations(store_url: str) -> None:
    upgrade(store_url)
    with get_engine(store_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_idempotent(store_url: str) -> None:
    upgrade(store_url)
    upgrade(store_url)
    assert current_revisions(store_url) == head_revisions(store_url)
    assert MIGRATIONS_DIR.joinpath("env.py").exists()
