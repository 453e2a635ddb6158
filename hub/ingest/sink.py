"""The hub's store as the connector SDK's sink (:class:`connectors.sdk.sink.Sink`).

The SDK's runner fetches, pages, checks completeness and prepares records; this class
does everything durable, each in its own short transaction except the load:

* ``open_batch`` — reads the stream's cursor and the previous whole walk's distinct ids,
  creates the batch (``running``) with a lease (:mod:`hub.ingest.leases`);
* ``land`` — encrypted raw landing of every response body, committed at once, renewing the
  lease once a quarter of it has passed;
* ``check_page`` — the record contract over a page as it arrives
  (:func:`hub.ingest.loader.check_records`, with the batch suite's columns gathered);
* ``load`` — :func:`hub.ingest.loader.load_batch` in one transaction with the batch row
  locked (refused if another run declared it abandoned meanwhile); an ``incomplete`` batch
  queues an operator alert in the same transaction (outbox, deduplicated per batch);
* ``fail``, ``keep_alive``, ``reap_abandoned``, ``audit``, ``agency_keys``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.sdk.errors import ConnectorError
from connectors.sdk.records import Incoming
from connectors.sdk.sink import BatchRequest, Completeness, LoadResult, OpenedBatch, PageChecked
from hub import audit
from hub.ingest.agency_keys import AgencyKeys
from hub.ingest.landing import land
from hub.ingest.leases import Owner, lease_for, lease_seconds, reap_stale_batches, renew
from hub.ingest.loader import BatchOutcome, BatchSpec, RecordsChecked, check_records, load_batch, new_batch
from hub.store.models import ConnectorState, IngestBatch, OutboxMessage

log = logging.getLogger("hub.ingest.sink")


def _as_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class LeaseKeeper:
    """Keeps the lease of the stream batch being pulled fresh (see :mod:`hub.ingest.leases`).

    Renewed inside the landing transaction of a page once a quarter of the lease has
    passed, and in its own short transaction before any sleep (backoff, ``Retry-After``,
    rate limit, re-walk pause) long enough to matter — so only a dead run's lease ever expires.
    """

    def __init__(self, factory: sessionmaker[Session], owner: Owner) -> None:
        self.factory = factory
        self.owner = owner
        self.batch_pk: int | None = None
        self.renewed = 0.0

    def start(self, session: Session, batch: IngestBatch) -> None:
        batch.validation = {**(batch.validation or {}), "lease": lease_for(self.owner)}
        self.batch_pk, self.renewed = batch.id, time.monotonic()

    def stop(self) -> None:
        self.batch_pk = None

    def _due(self, ahead: float = 0.0) -> bool:
        return time.monotonic() + ahead - self.renewed > lease_seconds() / 4

    def renew_if_due(self, session: Session) -> None:
        if self.batch_pk is not None and self._due():
            renew(session, self.batch_pk, self.owner)
            self.renewed = time.monotonic()

    def before_sleep(self, seconds: float) -> None:
        if self.batch_pk is None or not self._due(seconds):
            return
        try:
            with self.factory() as session, session.begin():
                renew(session, self.batch_pk, self.owner, extra=seconds)
            self.renewed = time.monotonic()
        except Exception:  # the sleep and the pull go on; at worst the lease lapses and the load says so
            log.exception("could not renew the lease of batch %s", self.batch_pk)


class StoreSink:
    """:class:`connectors.sdk.sink.Sink` over the hub's store (one per pull)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        before_commit: Callable[[str, BatchOutcome], None] | None = None,
        owner: Owner | None = None,
    ) -> None:
        self.factory = factory
        self.before_commit = before_commit
        self.keeper = LeaseKeeper(factory, owner or Owner.current())
        self.specs: dict[int, BatchSpec] = {}
        self.suite_columns: dict[str, tuple[str, ...]] = {}

    # -- lease a batch, read state ------------------------------------------------------------
    def reap_abandoned(self, agency_code: str, actor: str) -> None:
        """Mark batches of this agency left ``running`` by dead runs as failed (abandoned) before pulling."""
        try:
            with self.factory() as session, session.begin():
                reap_stale_batches(session, agency_code, actor=actor)
        except Exception:  # bookkeeping of old runs must not stop this one
            log.exception("could not check for abandoned batches of %s", agency_code)

    def open_batch(self, request: BatchRequest) -> OpenedBatch:
        with self.factory() as session, session.begin():
            state = session.get(ConnectorState, (request.agency_code, request.stream))
            cursor_before = state.cursor if state else None
            window_since = request.since or cursor_before
            spec = BatchSpec(
                agency_code=request.agency_code,
                stream=request.stream,
                kind=request.kind,
                source_system=request.source_system,
                schema_version=request.schema_version,
                window_start=_as_datetime(window_since),
                window_end=_as_datetime(request.until),
                cursor_before=cursor_before,
                run_id=request.run_id,
                actor=request.actor,
                previous_row_count=_comparable_previous_count(
                    session, request.agency_code, request.stream, request.since, request.until
                ),
            )
            previous_distinct = (
                _previous_whole_walk(session, request.agency_code, request.stream)
                if not window_since and not request.until
                else None
            )
            batch = new_batch(session, spec)
            self.keeper.start(session, batch)
            batch_pk = batch.id
        self.specs[batch_pk] = spec
        return OpenedBatch(batch_pk, cursor_before, previous_distinct)

    def keep_alive(self, batch_id: int, seconds_ahead: float) -> None:
        if self.keeper.batch_pk == batch_id:
            self.keeper.before_sleep(seconds_ahead)

    # -- land raw bytes ----------------------------------------------------------------------------
    def land(
        self,
        batch_id: int,
        *,
        body: bytes,
        request: dict[str, Any],
        status_code: int | None,
        content_type: str | None,
        encoding: str | None,
        fetched_at: datetime,
    ) -> int:
        spec = self.specs[batch_id]
        with self.factory() as session, session.begin():
            landing = land(
                session,
                agency_code=spec.agency_code,
                stream=spec.stream,
                body=body,
                request=request,
                status_code=status_code,
                content_type=content_type,
                encoding=encoding,
                batch_pk=batch_id,
                fetched_at=fetched_at,
            )
            self.keeper.renew_if_due(session)
            return int(landing.id)

    def agency_keys(self, agency_code: str) -> AgencyKeys:
        with self.factory() as session:
            return AgencyKeys.load(session, agency_code)

    # -- check and load a batch --------------------------------------------------------------------
    def check_page(self, batch_id: int, items: list[Incoming]) -> PageChecked:
        """The record contract over one page, the batch suite's columns gathered while the page is warm.

        A record that passed keeps its verdict only (``mapped`` is dropped): the loader stores
        from the verdict, never from the mapping again.
        """
        spec = self.specs[batch_id]
        if not items:
            return RecordsChecked()
        columns = self.suite_columns.get(spec.kind)
        if columns is None:
            from hub.ingest.batch_check import suite_columns

            columns = self.suite_columns[spec.kind] = suite_columns(spec.kind)
        checked = check_records(spec, _version(spec), items, columns=columns)
        for entry in checked.valid:
            entry.item.mapped = None
        return checked

    def load(
        self, batch_id: int, items: list[Incoming], checked: list[PageChecked], completeness: Completeness
    ) -> LoadResult:
        spec = self.specs[batch_id]
        joined = RecordsChecked()
        for part in checked:
            assert isinstance(part, RecordsChecked)
            joined.extend(part)
        try:
            with self.factory() as session, session.begin():
                _claim_for_load(session, batch_id)
                outcome = load_batch(session, spec, items, batch_pk=batch_id, checked=joined, completeness=completeness)
                if outcome.status == "incomplete":
                    _queue_incomplete_alert(session, spec, batch_id, completeness)
                if self.before_commit:
                    self.before_commit(spec.stream, outcome)
        finally:
            self.keeper.stop()
        return LoadResult(
            status=outcome.status,
            received=outcome.received,
            loaded=outcome.loaded,
            duplicates=outcome.duplicates,
            quarantined=outcome.quarantined,
            cursor_after=outcome.cursor_after,
            reasons=dict(outcome.reasons),
        )

    def fail(self, batch_id: int, error: str) -> None:
        self.keeper.stop()
        try:
            with self.factory() as session, session.begin():
                batch = session.get(IngestBatch, batch_id)
                if batch is not None and batch.status == "running":
                    batch.status = "failed"
                    batch.finished_at = datetime.now(UTC)
                    batch.validation = {**(batch.validation or {}), "error": error[:500]}
        except Exception:  # the original error matters more than this bookkeeping
            log.exception("could not mark batch %s failed", batch_id)

    # -- audit an event ----------------------------------------------------------------------------
    def audit(self, actor: str, action: str, object_id: str, detail: dict[str, Any]) -> None:
        with self.factory() as session, session.begin():
            audit.append(
                session, actor=actor, action=action, object_type="ingest_batch", object_id=object_id, detail=detail
            )


def _version(spec: BatchSpec) -> str:
    from hub.ingest.loader import schema_version_of

    return schema_version_of(spec)


def _claim_for_load(session: Session, batch_pk: int) -> None:
    """Lock the batch row for the load; refuse if another run has meanwhile declared it abandoned."""
    batch = session.execute(select(IngestBatch).where(IngestBatch.id == batch_pk).with_for_update()).scalar_one()
    if batch.status != "running":
        raise ConnectorError(
            f"批次 {batch_pk} 已被标记为 {batch.status}（租约过期后被判定为中断），本次结果未入库，请重新拉取",
            f"batch {batch_pk} was marked {batch.status} (its lease lapsed and it was declared abandoned); "
            "nothing was stored, pull again",
        )


def _queue_incomplete_alert(session: Session, spec: BatchSpec, batch_pk: int, completeness: Completeness) -> None:
    """One operator alert per incomplete batch, in the load's transaction (the outbox's dedupe key keeps it single)."""
    from hub.orchestration.alerts import operator_recipient

    expected = completeness.expected_total
    got = completeness.distinct_ids
    message = OutboxMessage(
        dedupe_key=f"pull-incomplete:{spec.agency_code}:{spec.stream}:{batch_pk}",
        channel="inbox",
        recipient=operator_recipient(),
        subject=f"【pilhub 拉取不完整】{spec.agency_code}/{spec.stream}",
        body=(
            f"数据流拉取无法证明完整 / stream pull could not be proven complete: {spec.agency_code}/{spec.stream}\n"
            f"批次 / batch: {batch_pk}; 单位报告总数 / reported total: {expected if expected is not None else '—'}; "
            f"收到不同编号 / distinct ids received: {got}; 重新遍历 / re-walks: {completeness.rewalks}\n"
            "游标未前移，下次拉取将重新覆盖该范围 / the cursor was not advanced; the next pull covers the range again."
        ),
        payload={
            "agency_code": spec.agency_code,
            "stream": spec.stream,
            "batch": batch_pk,
            "expected_total": expected,
            "distinct_ids": got,
            "rewalks": completeness.rewalks,
            "run_id": spec.run_id,
        },
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        log.info("alert for batch %s already queued", batch_pk)


def _previous_whole_walk(session: Session, agency_code: str, stream: str) -> int | None:
    """Distinct ids of the latest complete walk of the whole list (no lower bound), if any was recorded."""
    rows = session.execute(
        select(IngestBatch.validation)
        .where(
            IngestBatch.agency_code == agency_code,
            IngestBatch.stream == stream,
            IngestBatch.status.in_(("loaded", "quarantined")),
            IngestBatch.window_start.is_(None),
            IngestBatch.window_end.is_(None),
        )
        .order_by(IngestBatch.id.desc())
        .limit(5)
    ).scalars()
    for validation in rows:
        info = (validation or {}).get("completeness") if isinstance(validation, dict) else None
        if isinstance(info, dict) and info.get("whole_walk") and info.get("complete"):
            value = info.get("distinct_ids")
            return int(value) if isinstance(value, int) else None
    return None


def _comparable_previous_count(
    session: Session, agency_code: str, stream: str, since: str | None, until: str | None
) -> int | None:
    """Rows of the previous batch over a window of the same length, for the row-count-collapse check.

    Only windowed pulls (Airflow's data intervals) are comparable; an incremental pull
    from a cursor naturally receives fewer rows than the backfill before it, so comparing
    it would hold every second batch for nothing.
    """
    start, end = _as_datetime(since), _as_datetime(until)
    if start is None or end is None:
        return None
    row = session.execute(
        select(IngestBatch.received, IngestBatch.window_start, IngestBatch.window_end)
        .where(
            IngestBatch.agency_code == agency_code,
            IngestBatch.stream == stream,
            IngestBatch.status == "loaded",
            IngestBatch.window_end.is_not(None),
            IngestBatch.window_start.is_not(None),
        )
        .order_by(IngestBatch.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    received, prev_start, prev_end = row
    prev_start, prev_end = _aware(prev_start), _aware(prev_end)
    return int(received) if (prev_end - prev_start) == (end - start) and prev_end <= start + (end - start) else None
