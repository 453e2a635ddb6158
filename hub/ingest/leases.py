"""Batch leases: a pull that died (``kill -9``, OOM, a lost machine) leaves no batch ``running`` for ever.

A batch row is created ``running`` before the first page is fetched and set ``loaded`` /
``quarantined`` / ``failed`` by the same run — unless the run is killed, when nothing
else would ever touch it again (the re-run resumes from the stored cursor in a batch of
its own). So every running batch carries a *lease*: who runs it and until when it
counts as alive. The running pull renews the lease as it lands pages and before it
sleeps (backoff, ``Retry-After``); the loader takes the row under lock when it loads.

The next pull of the agency (any worker, any host) calls :func:`reap_stale_batches`
first and marks a running batch ``failed`` — with an ``abandoned`` reason in its
``validation`` and an ``ingest.batch_abandoned`` audit entry — when

* its lease has expired (works across hosts and databases: a clock comparison), or
* it was started on *this* host (same host name, boot and PID namespace) by a process
  that no longer exists — the fast path after a ``kill -9`` on one machine, without
  waiting for the lease (a re-used PID is told apart by the process start time).

Rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a batch whose row is
locked is being loaded by its live owner right now and is left alone. The lease lives in
the batch's ``validation`` JSON (``{"lease": {...}}``), which the load replaces with the
batch suite's summary; it needs no schema change.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.store.models import IngestBatch

log = logging.getLogger("hub.ingest.leases")

LEASE_ENV = "PILHUB_BATCH_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 600.0


def lease_seconds() -> float:
    """``PILHUB_BATCH_LEASE_SECONDS`` (default 600): how long a silent run still counts as alive."""
    raw = os.environ.get(LEASE_ENV, "").strip()
    try:
        return max(1.0, float(raw)) if raw else DEFAULT_LEASE_SECONDS
    except ValueError:
        return DEFAULT_LEASE_SECONDS


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read()
    except OSError:
        return None


@cache
def host_key() -> str | None:
    """This host's identity for the PID check: host name, boot id and PID namespace (Linux), else ``None``.

    Containers may share a host name or a kernel; only a process in the same PID namespace
    of the same boot can be looked up by its PID.
    """
    boot = (_read("/proc/sys/kernel/random/boot_id") or "").strip()
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{socket.gethostname()}|{boot}|{namespace}" if boot else None


def _process_start(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), ``None`` if gone.

    A zombie (killed, not yet reaped by its parent) counts as gone.
    """
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


@dataclass(frozen=True)
class Owner:
    """Who runs a batch: a run token, and where the process can be found."""

    token: str
    host: str | None
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(uuid.uuid4().hex[:16], host_key(), pid, _process_start(pid) if host_key() else None)

    def as_dict(self) -> dict[str, Any]:
        return {"token": self.token, "host": self.host, "pid": self.pid, "process_start": self.started}


def lease_for(owner: Owner, now: datetime | None = None, extra: float = 0.0) -> dict[str, Any]:
    """The ``validation["lease"]`` value: the owner and the expiry ``lease_seconds()`` (+ ``extra``) from now."""
    now = now or datetime.now(UTC)
    return {
        **owner.as_dict(),
        "renewed_at": now.isoformat(),
        "expires_at": (now + timedelta(seconds=lease_seconds() + extra)).isoformat(),
    }


def renew(session: Session, batch_pk: int, owner: Owner, extra: float = 0.0) -> bool:
    """Extend the lease of a running batch inside the caller's transaction; False if it is no longer running."""
    batch = session.get(IngestBatch, batch_pk)
    if batch is None or batch.status != "running":
        return False
    batch.validation = {**(batch.validation or {}), "lease": lease_for(owner, extra=extra)}
    return True


@dataclass(frozen=True)
class Abandoned:
    batch_pk: int
    stream: str
    run_id: str | None
    reason: str


def _verdict(lease: dict[str, Any] | None, started_at: datetime | None, now: datetime) -> tuple[str, str] | None:
    """Why a running batch is dead, as (zh, en), or ``None`` if its run may still be alive."""
    if not isinstance(lease, dict):  # a batch from before leases: only its age tells
        started = _aware(started_at)
        if started is not None and now - started > timedelta(seconds=lease_seconds()):
            return "批次无租约且已超过租约时长", f"no lease and older than {lease_seconds():.0f}s"
        return None
    pid, host = lease.get("pid"), lease.get("host")
    if host and host == host_key() and isinstance(pid, int) and pid != os.getpid():
        start = _process_start(pid)
        if start is None or (lease.get("process_start") and start != lease.get("process_start")):
            return f"所属进程 {pid} 已不存在", f"owning process {pid} on this host is gone"
    try:
        expires = datetime.fromisoformat(str(lease.get("expires_at")))
    except ValueError:
        return "租约格式无效", "malformed lease"
    if _aware(expires) < now:  # type: ignore[operator]
        return f"租约已于 {lease.get('expires_at')} 过期", f"lease expired at {lease.get('expires_at')}"
    return None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def reap_stale_batches(
    session: Session, agency_code: str | None = None, *, actor: str = "pilhub.ingest", now: datetime | None = None
) -> list[Abandoned]:
    """Mark running batches of dead runs ``failed`` (abandoned), audited, inside the caller's transaction."""
    now = now or datetime.now(UTC)
    query = select(IngestBatch).where(IngestBatch.status == "running").order_by(IngestBatch.id)
    if agency_code is not None:
        query = query.where(IngestBatch.agency_code == agency_code)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # locked: its owner is loading it right now
    reaped: list[Abandoned] = []
    for batch in session.execute(query).scalars():
        validation = dict(batch.validation or {})
        verdict = _verdict(validation.get("lease"), batch.started_at, now)
        if verdict is None:
            continue
        zh, en = verdict
        message = f"批次已中断（运行该批次的拉取进程已终止）：{zh} / batch abandoned (the pull running it died): {en}"
        batch.status = "failed"
        batch.finished_at = now
        batch.validation = {
            **validation,
            "error": message[:500],
            "abandoned": {"zh": zh, "en": en, "at": now.isoformat()},
        }
        audit.append(
            session,
            actor=actor,
            action="ingest.batch_abandoned",
            object_type="ingest_batch",
            object_id=str(batch.id),
            before={"status": "running"},
            after={"status": "failed"},
            detail={
                "agency_code": batch.agency_code,
                "stream": batch.stream,
                "run_id": batch.run_id,
                "reason_zh": zh,
                "reason_en": en,
                "lease": validation.get("lease"),
            },
        )
        reaped.append(Abandoned(batch.id, batch.stream, batch.run_id, en))
        log.warning(
            "batch %s (%s/%s, run %s) abandoned: %s", batch.id, batch.agency_code, batch.stream, batch.run_id, en
        )
    return reaped
