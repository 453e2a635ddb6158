"""The hub store: SQLAlchemy 2 models, Alembic migrations and session handling."""

from hub.store.db import get_engine, open_store, session_scope, upgrade

__all__ = ["get_engine", "open_store", "session_scope", "upgrade"]
