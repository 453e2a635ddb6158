"""``pull``: one pull of a named connector into the hub's store — the SDK's runner with the hub as its sink.

What ``pilhub pull``, the Airflow tasks and the benchmark call. The connector is looked up
by name (:mod:`connectors.registry`), the store opened (no migration work when it is at
head), and :func:`connectors.sdk.runner.run_pull` does the pull through
:class:`hub.ingest.sink.StoreSink`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from connectors.sdk.config import ConnectorConfig
from connectors.sdk.http import RetryPolicy
from connectors.sdk.runner import PullFailed, PullHooks, PullSummary, StreamSummary, run_pull
from hub.ingest.sink import LeaseKeeper, StoreSink

__all__ = ["LeaseKeeper", "PullFailed", "PullHooks", "PullSummary", "StreamSummary", "pull"]


def pull(
    connector_name: str,
    stream: str | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    factory: sessionmaker[Session] | None = None,
    *,
    config: ConnectorConfig | None = None,
    policy: RetryPolicy | None = None,
    hooks: PullHooks | None = None,
    run_id: str | None = None,
    raise_on_error: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> PullSummary:
    """Pull ``connector_name`` (all streams, or ``stream``) once into the store; return what happened per stream.

    ``since``/``until`` bound the window (Airflow passes its data interval); without
    ``since`` each stream resumes from its stored cursor. Raises :class:`PullFailed` after
    all streams ran if any failed (``raise_on_error=False`` returns the summary instead).
    """
    from connectors.registry import get_connector
    from hub.store.db import open_store

    connector = get_connector(connector_name)
    factory = factory or open_store()
    hooks = hooks or PullHooks()
    sink = StoreSink(factory, before_commit=hooks.before_commit)
    return run_pull(
        connector,
        sink,
        stream,
        since,
        until,
        config=config,
        policy=policy,
        hooks=hooks,
        run_id=run_id,
        raise_on_error=raise_on_error,
        sleep=sleep,
    )
