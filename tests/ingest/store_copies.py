"""Fresh SQLite stores without paying for migrations each time: copy one migrated template.

Running the Alembic migrations costs about half a second per store; tests that need a
store but not a particular database engine copy a migrated template instead.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def migrated_template(directory: Path) -> Path:
    from hub.store.db import open_store

    path = directory / "store.db"
    open_store(f"sqlite:///{path}")
    return path


def copy_of(template: Path, target: Path) -> str:
    """A URL of a copy of ``template`` at ``target``, known to the store as already migrated."""
    from hub.store import db

    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    url = f"sqlite:///{target}"
    db._upgraded.add(url)  # the copy is at head already: skip the upgrade check
    return url
