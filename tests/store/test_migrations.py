"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.store.db import MIGRATIONS_DIR, current_revisions, get_engine, head_revisions, open_store, upgrade
from hub.store.models import Base


def test_empty_store_is_brought_to_head(store_url: str) -> None:
    assert current_revisions(store_url) == ()
    open_store(store_url)  # every entry point upgrades an empty store by itself
    assert current_revisions(store_url) == head_revisions(store_url) != ()


def _sqlite_length_only(item: object) -> bool:
    """A VARCHAR length difference on SQLite, which ignores declared lengths (widening one there would rebuild
    the table, which foreign keys forbid once rows reference it): not a difference in what is stored."""
    changes = item if isinstance(item, list) else [item]
    return all(
        isinstance(c, tuple)
        and c[0] == "modify_type"
        and isinstance(c[-2], sa.String)
        and isinstance(c[-1], sa.String)
        and type(c[-2]).__name__ in ("VARCHAR", "String")
        and type(c[-1]).__name__ in ("VARCHAR", "String")
        for c in changes
    )


def test_models_match_migrations(store_url: str) -> None:
    upgrade(store_url)
    with get_engine(store_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        if conn.dialect.name == "sqlite":
            diff = [d for d in diff if not _sqlite_length_only(d)]
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_idempotent(store_url: str) -> None:
    upgrade(store_url)
    upgrade(store_url)
    assert current_revisions(store_url) == head_revisions(store_url)
    assert MIGRATIONS_DIR.joinpath("env.py").exists()
