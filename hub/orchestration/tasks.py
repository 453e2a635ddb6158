"""The functions Airflow tasks call — the same ones the ``pilhub`` command line calls.

Tasks are idempotent and read a fixed window (the run's data interval, or an explicit
``since``/``until`` in the run's conf), never ``now()``: a re-run or a back-fill of a past
interval pulls and loads the same records, and the loader counts re-deliveries as
duplicates. Heavy modules are imported inside each function, never at DAG parse time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

#: Statutory dates are Beijing dates; Airflow's intervals are UTC instants.
CHINA = ZoneInfo("Asia/Shanghai")


def _task_setup() -> None:
    """Every task: redact personal data and secrets from its logs (and Airflow's masker)."""
    from hub.trust.log_redaction import install_for_airflow

    install_for_airflow()


def _iso(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def window(context: dict[str, Any]) -> tuple[str | None, str | None]:
    """The run's window: explicit ``params.since/until`` win over the data interval.

    A manual run without either (no data interval in Airflow 3) resumes from each stream's
    stored cursor, like ``pilhub pull``.
    """
    params = context.get("params") or {}
    since = params.get("since") or _iso(context.get("data_interval_start"))
    until = params.get("until") or _iso(context.get("data_interval_end"))
    if since is not None and since == until:
        # A manual run has a zero-length interval (start == end): treat it as "no window".
        since = until = None
    return since, until


def as_of_date(context: dict[str, Any]) -> dt.date:
    """The Beijing date a sweep or digest evaluates: ``params.as_of`` or the interval's end."""
    params = context.get("params") or {}
    if params.get("as_of"):
        return dt.date.fromisoformat(str(params["as_of"]))
    end = context.get("data_interval_end") or context.get("logical_date")
    if end is None:
        end = dt.datetime.now(dt.UTC)  # a manual run without an interval: today's date, by definition
    return end.astimezone(CHINA).date()


def plan_streams(connector_name: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """One work item per stream of the connector (the input of dynamic task mapping)."""
    _task_setup()
    from connectors.registry import get_connector

    since, until = window(context)
    return [
        {"connector": connector_name, "stream": s.name, "kind": s.kind, "since": since, "until": until}
        for s in get_connector(connector_name).streams
    ]


def pull_stream(item: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Fetch → land → validate (pydantic + GX) → load one stream over the item's window."""
    _task_setup()
    from hub.ingest.pull import pull

    summary = pull(
        item["connector"], stream=item["stream"], since=item["since"], until=item["until"], run_id=f"airflow:{run_id}"
    )
    stream = summary.streams[0]
    return {
        "connector": item["connector"],
        "stream": stream.stream,
        "kind": stream.kind,
        "batch_id": stream.batch_id,
        "status": stream.status,
        "fetched": stream.fetched,
        "loaded": stream.loaded,
        "duplicates": stream.duplicates,
        "quarantined": stream.quarantined,
        "expected_total": stream.expected_total,
        "distinct_ids": stream.distinct_ids,
        "rewalks": stream.rewalks,
    }


def asset_extras(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per record kind: what this run loaded (the extra carried by each Asset event)."""
    extras: dict[str, dict[str, int]] = {}
    for r in results:
        e = extras.setdefault(r["kind"], {"loaded": 0, "duplicates": 0, "quarantined": 0, "fetched": 0})
        for key in e:
            e[key] += int(r.get(key) or 0)
    return extras


def match_pending(run_id: str) -> dict[str, Any]:
    """Link newly loaded records to open cases (and apply the links' effects)."""
    _task_setup()
    from hub.linking import link_pending

    return link_pending(actor=f"airflow:{run_id}").as_dict()


def sweep(as_of: dt.date, run_id: str) -> dict[str, Any]:
    _task_setup()
    from sla.sweep import sweep as run_sweep

    return run_sweep(as_of=as_of, actor=f"airflow:{run_id}").as_dict()


def clue_models(as_of: dt.date, run_id: str) -> dict[str, Any]:
    """Register agencies' clue transfers, check the clue clocks, then run every supervision model at ``as_of``."""
    _task_setup()
    from hub.clues.exchange import check_clocks
    from hub.clues.run import run_models
    from hub.store import session_scope

    actor = f"airflow:{run_id}"
    with session_scope() as session:
        clocks = check_clocks(session, as_of, actor=actor)
        report = run_models(session, as_of, actor=actor, run_id=run_id)
    return {
        "as_of": as_of.isoformat(),
        "clues": report.hits,
        "new": report.new,
        "refreshed": report.refreshed,
        "lapsed": report.lapsed,
        "follow_ups_reopened": report.followed_up,
        "models": report.models,
        "clocks": clocks.__dict__,
    }


def deliver_outbox() -> dict[str, Any]:
    _task_setup()
    from hub.notify.outbox import send_pending

    return send_pending().as_dict()


def daily_digest(as_of: dt.date, run_id: str) -> dict[str, Any]:
    _task_setup()
    from hub.digest import enqueue_digests

    return enqueue_digests(as_of=as_of, actor=f"airflow:{run_id}")


def report_period(kind: str, context: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The period a report run covers: ``params.year`` / ``params.month`` (YYYY-MM) when given,
    else the data interval that just ended (scheduled runs), in Beijing dates, inclusive."""
    params = context.get("params") or {}
    if kind == "annual" and params.get("year"):
        year = int(params["year"])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if kind == "monthly" and params.get("month"):
        first = dt.date.fromisoformat(f"{params['month']}-01")
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None or start >= end:
        raise ValueError("手动运行须指定 year 或 month 参数 / a manual run needs params.year or params.month")
    return start.astimezone(CHINA).date(), end.astimezone(CHINA).date() - dt.timedelta(days=1)


def compliance_report(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    """The monthly or annual compliance summary: files written, signed and announced."""
    _task_setup()
    from hub.reports.delivery import deliver_period_report

    start, end = report_period(kind, context)
    return deliver_period_report(kind=kind, start=start, end=end, run_id=context["run_id"])
