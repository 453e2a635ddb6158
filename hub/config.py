"""Runtime settings shared by the CLI, the API and the Airflow DAGs.

Everything comes from the environment so that the same code runs on the embedded
default (SQLite under ``var/``) and on the cluster (PostgreSQL), and so that no
secret ever lives in the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The project root when running from a checkout (``var/`` lives beside the packages).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """Working folder for the embedded default: SQLite store, keys, Airflow home, outputs."""
    path = Path(os.environ.get("PILHUB_VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The hub store's SQLAlchemy URL: ``PILHUB_DATABASE_URL`` or SQLite in ``var/``."""
    url = os.environ.get("PILHUB_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'pilhub.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path


def settings() -> Settings:
    return Settings(database_url=database_url(), var_dir=var_dir())
