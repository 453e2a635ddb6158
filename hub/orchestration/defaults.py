"""What every pilhub DAG and task shares: owner, retries, timeouts, failure alerts.

Imported by the DAG files at parse time, so it imports nothing heavy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

OWNER = "pilhub"
#: Start of the recommendation regime this hub supervises (procuratorial PIL in force nationwide).
START = datetime(2017, 7, 1, tzinfo=UTC)


def default_args(timeout_minutes: int = 30, retries: int = 3) -> dict[str, Any]:
    from hub.orchestration.alerts import on_task_failure

    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=timeout_minutes),
        "on_failure_callback": on_task_failure,
    }


def record_asset_uri(kind: str) -> str:
    """The Asset every ingestion DAG updates when it loads records of ``kind``."""
    return f"pilhub://records/{kind}"
