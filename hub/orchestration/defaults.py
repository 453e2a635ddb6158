"""What every pilhub DAG and task shares: owner, retries, timeouts, failure alerts.

Imported by the DAG files at parse time, so it imports nothing heavy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

OWNER = "pilhub"
#: Users are in Beijing: every DAG is scheduled in this zone (a DAG's schedule runs in its start date's zone),
#: so "0 8 * * *" is 08:00 Beijing time, and daily intervals are Beijing days.
TIMEZONE = "Asia/Shanghai"
#: Start of the recommendation regime this hub supervises (procuratorial PIL in force nationwide).
START = datetime(2017, 7, 1, tzinfo=ZoneInfo(TIMEZONE))


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
