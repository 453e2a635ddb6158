"""Operator alerts for failed Airflow tasks, raised through the hub's notification outbox.

The callback runs after the task's last retry failed. It enqueues one message per
(dag, run, task, map index, try) — the outbox's unique dedupe key makes a repeated
callback harmless — addressed to the operators' inbox (``PILHUB_OPERATOR_INBOX``).
It never raises: an alert that cannot be queued is logged (without task arguments,
which may hold personal data) and the original failure stays visible in Airflow.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("pilhub.alerts")


def operator_recipient() -> str:
    return os.environ.get("PILHUB_OPERATOR_INBOX", "operators")


def on_task_failure(context: Any) -> None:
    try:
        ti = context["ti"]
        dag_id, task_id, run_id = ti.dag_id, ti.task_id, context.get("run_id") or ti.run_id
        map_index = getattr(ti, "map_index", -1)
        try_number = getattr(ti, "try_number", 0)
        error = context.get("exception")
        enqueue_operator_alert(
            dedupe_key=f"airflow-failure:{dag_id}:{run_id}:{task_id}:{map_index}:{try_number}",
            subject=f"【pilhub 任务失败】{dag_id}.{task_id}",
            body=(
                f"任务失败 / task failed: {dag_id}.{task_id} (map {map_index}, try {try_number})\n"
                f"运行 / run: {run_id}\n错误类型 / error type: {type(error).__name__ if error else 'unknown'}"
            ),
            payload={
                "dag_id": dag_id,
                "task_id": task_id,
                "run_id": run_id,
                "map_index": map_index,
                "try_number": try_number,
                "error_type": type(error).__name__ if error else None,
            },
        )
    except Exception:  # a failing alert must not mask the task failure (logged below)
        log.exception("无法登记运维告警 / could not enqueue the operator alert")


def enqueue_operator_alert(*, dedupe_key: str, subject: str, body: str, payload: dict[str, Any]) -> bool:
    """Insert the alert into the outbox unless already there; True if newly queued."""
    from sqlalchemy.exc import IntegrityError

    from hub.store import open_store
    from hub.store.models import OutboxMessage

    factory = open_store()
    try:
        with factory() as session, session.begin():
            session.add(
                OutboxMessage(
                    dedupe_key=dedupe_key,
                    channel="inbox",
                    recipient=operator_recipient(),
                    subject=subject,
                    body=body,
                    payload=payload,
                )
            )
    except IntegrityError:
        return False
    return True
