"""Engine, sessions and schema upgrades for the hub store.

Every entry point (CLI command, API, DAG task) calls :func:`open_store`, which brings
an empty or older database up to the latest Alembic revision before use, so no
command ever runs on a half-built schema.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from hub.config import database_url
from hub.store import integrity

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_upgraded: set[str] = set()
_engines: dict[str, Engine] = {}
_lock = threading.RLock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin) instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is zeroed, not left readable in free pages: a value re-sealed or masked
    # (personal data, titles naming persons) must not survive in the file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # Take the write lock at BEGIN: two writers can then never both read the same
    # audit-chain head or outbox row and fail later on lock upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_reader_pragmas(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    _sqlite_pragmas(dbapi_connection, record)
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA query_only=ON")  # a reader that tried to write would fail loudly, not take the lock
    cur.close()


def _sqlite_begin_deferred(conn) -> None:  # type: ignore[no-untyped-def]
    # A deferred transaction reads a WAL snapshot: it neither takes nor waits for the write lock.
    conn.exec_driver_sql("BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """One pooled engine per URL per process."""
    url = url or database_url()
    engine = _engines.get(url)
    if engine is None:
        with _lock:
            engine = _engines.get(url) or _create_engine(url)
            _engines[url] = engine
    return engine


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (``pilhub db upgrade``); "heads" also covers parallel branches."""
    from alembic import command

    url = url or database_url()
    engine = get_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    _upgraded.add(url)


def current_revisions(url: str | None = None) -> tuple[str, ...]:
    """The revisions the store is at (one per branch head)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def head_revisions(url: str | None = None) -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config(url or database_url())).get_heads()))


_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


@cache
def _file_heads() -> frozenset[str]:
    """The head revisions, read from the migration files' ``revision``/``down_revision`` lines.

    Loading Alembic's script directory imports every migration (≈0.5 s); a process that
    finds the store at head needs only these two lines of each file. An unexpected layout
    gives an empty set, and Alembic decides as before.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            return frozenset()
        revisions.add(found[1])
        down = _DOWN_REVISION.search(text)
        if down is not None:
            parents.update(re.findall(r"[\"']([^\"']+)[\"']", down[1]))
    return frozenset(revisions - parents)


def at_head(url: str) -> bool:
    """Whether the store's ``alembic_version`` holds exactly the head revisions (one cheap query)."""
    heads = _file_heads()
    if not heads:
        return False
    try:
        with get_engine(url).connect() as conn:
            current = frozenset(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except Exception:  # noqa: BLE001 - no table yet, or any doubt: let Alembic upgrade
        return False
    return current == heads


def open_store(url: str | None = None) -> sessionmaker[Session]:
    """A session factory on an up-to-date store (upgrading it once per process if needed).

    A store already at head costs one query, not a migration run: a ``pilhub pull`` process
    must reach its first request quickly.
    """
    url = url or database_url()
    integrity.install()  # every ORM write of a registry, clock or escalation row carries its keyed tags
    if url not in _upgraded:
        with _lock:
            if url not in _upgraded:
                if at_head(url):
                    _upgraded.add(url)
                else:
                    upgrade(url)
    return sessionmaker(get_engine(url), expire_on_commit=False)


def open_reader(url: str | None = None) -> sessionmaker[Session]:
    """A factory of read-only sessions, for the API's many concurrent readers.

    On SQLite every transaction of :func:`open_store` starts with ``BEGIN IMMEDIATE`` (the write lock), which
    would queue every dashboard and report request behind each other and behind imports. Reader sessions use a
    second engine whose transactions are deferred and whose connections are ``query_only``: in WAL mode they
    read a snapshot while one writer writes. On PostgreSQL reads never lock; the reader engine only has a pool
    sized for concurrent requests. Write (audit entries) through :func:`open_store` in a short transaction.
    """
    url = url or database_url()
    open_store(url)  # bring the schema up to date first
    key = f"{url}#reader"
    engine = _engines.get(key)
    if engine is None:
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                if url.startswith("sqlite"):
                    engine = create_engine(url, connect_args={"timeout": 30}, pool_size=10, max_overflow=40)
                    event.listen(engine, "connect", _sqlite_reader_pragmas)
                    event.listen(engine, "begin", _sqlite_begin_deferred)
                else:
                    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=20, pool_timeout=60)
                _engines[key] = engine
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    factory = open_store(url)
    with factory() as session, session.begin():
        yield session


def reset_caches() -> None:
    """Dispose engines and forget upgrades (tests that switch databases; after fork)."""
    with _lock:
        _upgraded.clear()
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
