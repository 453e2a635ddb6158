"""One incremental pull of a connector: fetch → land → parse → verify → map → load, per stream.

This is the function Airflow calls per stream with its data interval as the window,
and ``pilhub pull`` calls from the terminal. The order of durable writes is what makes
a crash harmless:

1. the batch row (``running``) and every response body (raw landing) are committed as
   they arrive — nothing fetched is lost even if parsing fails;
2. records, quarantine items, the batch's counts *and the stream cursor* are written in
   one transaction at the end; a crash anywhere before its commit leaves the cursor where
   it was, so the re-run fetches the same window again and the loader's idempotence turns
   what was already stored into duplicates — nothing skipped, nothing doubled.

A body that does not decode or parse (truncated, wrong charset) is fetched again; an
XML body with a DTD, and a body over a parser limit (a number of thousands of digits,
nesting beyond ``MAX_DEPTH``), is refused outright — the same bytes would come back —
failing the stream with a message that names the kept raw landing. Transport and configuration errors fail the
stream (batch ``failed``, cursor unchanged) and the other streams go on. A TLS certificate
problem (server certificate not verifying against the configured CA bundle, client
certificate refused) fails at once with a message naming the settings to check.

A run killed outright (``kill -9``) cannot mark its batch: the batch carries a lease
(:mod:`hub.ingest.leases`), renewed while pages land and before long sleeps, and every
pull first marks the agency's batches whose run is gone — lease expired, or owner process
dead on this host — ``failed`` as abandoned, audited.

Records are prepared and checked against the record contract page by page as they arrive
(while a page's records are in the processor's caches); for a large stream on a machine
with an idle core, in worker processes (:mod:`connectors.sdk.parallel`) — the same code,
the same verdicts, stored the same way. The load transaction then runs the batch suite and
stores. The cyclic garbage collector is paused for the pull (:func:`_collector_paused`).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.sdk.config import ConnectorConfig, load_config
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.decoding import charset_of, decode_body
from connectors.sdk.errors import BodyFormatError, BodyLimitError, ConnectorError, RetriesExhausted, UnsafeXmlError
from connectors.sdk.formats import ParsedBody, parse_body
from connectors.sdk.http import HttpClient, RetryPolicy
from connectors.sdk.pagination import PageRequest
from connectors.sdk.parallel import StreamRecords
from connectors.sdk.rate_limit import TokenBucket
from connectors.sdk.signatures import AgencyKeys
from hub.ingest.canonical import is_plain_json
from hub.ingest.incoming import Incoming
from hub.ingest.landing import land
from hub.ingest.leases import Owner, lease_for, lease_seconds, reap_stale_batches, renew
from hub.ingest.loader import BatchOutcome, BatchSpec, RecordsChecked, load_batch, new_batch, schema_version_of
from hub.store.models import ConnectorState, IngestBatch

log = logging.getLogger("connectors.runner")


@dataclass
class StreamSummary:
    stream: str
    kind: str
    status: str = "pending"  # loaded | quarantined | failed
    fetched: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    refetched_bodies: int = 0
    worker_pages: int = 0  # pages whose records were prepared in pull workers (connectors.sdk.parallel)
    batch_id: int | None = None
    cursor_before: str | None = None
    cursor_after: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


@dataclass
class PullSummary:
    connector: str
    agency_code: str
    run_id: str
    streams: list[StreamSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.streams)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.streams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "agency_code": self.agency_code,
            "run_id": self.run_id,
            "ok": self.ok,
            "streams": [asdict(s) for s in self.streams],
        }


class PullFailed(ConnectorError):
    """At least one stream failed; ``summary`` says which and why (the others were stored)."""

    def __init__(self, summary: PullSummary) -> None:
        failed = [s for s in summary.streams if s.status == "failed"]
        names = ", ".join(s.stream for s in failed)
        super().__init__(
            f"数据流拉取失败：{names}", f"stream pull failed: {names}: " + "; ".join(s.error or "" for s in failed)
        )
        self.summary = summary


@dataclass
class PullHooks:
    """Test and progress hooks. ``after_fetch`` runs after every page of a stream is fetched and
    landed, before the load transaction; ``before_commit`` inside it, after loading, before commit —
    raising from either simulates a crash at that point."""

    after_fetch: Callable[[str, list[Incoming]], None] | None = None
    before_commit: Callable[[str, BatchOutcome], None] | None = None
    on_page: Callable[[str, int, int], None] | None = None  # stream, pages so far, records so far
    on_stream_start: Callable[[str], None] | None = None


@dataclass
class _Page:
    request: PageRequest
    document: Any
    records: list[dict[str, Any]]
    headers: dict[str, str]
    landing_pk: int
    fetched_at: datetime
    text: str = ""  # the decoded body (what a pull worker parses again)
    meta: dict[str, Any] = field(default_factory=dict)  # the page meta merged into each record
    plain: bool = False  # the records are plain JSON data (ParsedBody.plain, and a plain meta)
    utf8: bytes | None = None  # the body as received, when it decoded as UTF-8 (text == utf8.decode())


def as_text(value: date | datetime | str | None) -> str | None:
    """Window bounds as the ISO text cursors are compared with."""
    if value is None or isinstance(value, str):
        return value or None
    return value.isoformat()


def _as_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_client(
    connector: Connector,
    config: ConnectorConfig,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HttpClient:
    """An :class:`HttpClient` for the connector: base URL, auth, rate limit, mutual TLS, policy overrides."""
    config.require("base_url")
    policy = policy or connector.policy
    overrides = {
        "connect_timeout": config.connect_timeout,
        "read_timeout": config.read_timeout,
        "max_attempts": config.max_attempts,
        "backoff_base": config.backoff,
    }
    policy = replace(policy, **{k: v for k, v in overrides.items() if v is not None})
    cert: tuple[str, str] | str | None = (config.cert, config.key) if config.cert and config.key else config.cert
    bucket = TokenBucket(connector.rate_limit, sleep=sleep) if connector.rate_limit else None
    client = HttpClient(
        config.base_url or "",
        policy=policy,
        bucket=bucket,
        sleep=sleep,
        cert=cert,
        verify=config.ca or True,
        name=connector.name,
    )
    client.auth = connector.auth.build(config, client)
    return client


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
    """Pull ``connector_name`` (all streams, or ``stream``) once; return what happened per stream.

    ``since``/``until`` bound the window (Airflow passes its data interval); without
    ``since`` each stream resumes from its stored cursor. Raises :class:`PullFailed` after
    all streams ran if any failed (``raise_on_error=False`` returns the summary instead).
    """
    from connectors.registry import get_connector
    from hub.store.db import open_store

    connector = get_connector(connector_name)
    factory = factory or open_store()
    config = config or load_config(connector.name)
    hooks = hooks or PullHooks()
    run_id = run_id or f"pull:{connector.name}:{uuid.uuid4().hex[:12]}"
    summary = PullSummary(connector.name, connector.agency_code, run_id)
    streams = [connector.stream(stream)] if stream else list(connector.streams)
    keeper = _LeaseKeeper(factory, Owner.current())

    def sleeping(seconds: float) -> None:  # a long backoff or Retry-After must not let the lease lapse
        keeper.before_sleep(seconds)
        sleep(seconds)

    with _collector_paused():
        _reap_stale(factory, connector)
        client = build_client(connector, config, policy, sleeping)
        for s in streams:
            result = StreamSummary(s.name, s.kind)
            summary.streams.append(result)
            _pull_stream(
                connector, s, client, factory, as_text(since), as_text(until), run_id, hooks, result, sleeping, keeper
            )
    if raise_on_error and not summary.ok:
        raise PullFailed(summary)
    return summary


_paused_lock = threading.Lock()
_paused_depth = 0  # pulls (threads) currently inside _collector_paused
_paused_restore = False  # whether the collector was on when the first of them started


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic passes of the cyclic garbage collector while a pull builds its records.

    A pull keeps every record of a stream alive until the load (raw dict, mapped dict,
    model, dump, verdict — several containers each), and each pass of the collector walks
    all of them again: at 100,000 records the passes took ≈4 µs a record (≈10 % of the
    pull) and found nothing, because records form no reference cycles. Reference counting
    frees everything a pull drops, so memory does not grow; the little cyclic garbage a pull
    does leave (sessions, a few thousand objects for 100,000 records) is collected by the
    first pass after it. The collector is switched back on when the last pull running in
    the process ends — if it was on when the first began.
    """
    global _paused_depth, _paused_restore
    with _paused_lock:
        if _paused_depth == 0:
            _paused_restore = gc.isenabled()
            gc.disable()
        _paused_depth += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused_depth -= 1
            if _paused_depth == 0 and _paused_restore:
                gc.enable()


class _LeaseKeeper:
    """Keeps the lease of the stream batch being pulled fresh (see :mod:`hub.ingest.leases`).

    Renewed inside the landing transaction of a page once a quarter of the lease has
    passed, and in its own short transaction before any sleep (backoff, ``Retry-After``,
    rate limit) long enough to matter — so only a dead run's lease ever expires.
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


def _reap_stale(factory: sessionmaker[Session], connector: Connector) -> None:
    """Mark batches of this agency left ``running`` by dead runs as failed (abandoned) before pulling."""
    try:
        with factory() as session, session.begin():
            reap_stale_batches(session, connector.agency_code, actor=f"connector:{connector.name}")
    except Exception:  # bookkeeping of old runs must not stop this one
        log.exception("could not check for abandoned batches of %s", connector.agency_code)


def _claim_for_load(session: Session, batch_pk: int) -> None:
    """Lock the batch row for the load; refuse if another run has meanwhile declared it abandoned."""
    batch = session.execute(select(IngestBatch).where(IngestBatch.id == batch_pk).with_for_update()).scalar_one()
    if batch.status != "running":
        raise ConnectorError(
            f"批次 {batch_pk} 已被标记为 {batch.status}（租约过期后被判定为中断），本次结果未入库，请重新拉取",
            f"batch {batch_pk} was marked {batch.status} (its lease lapsed and it was declared abandoned); "
            "nothing was stored, pull again",
        )


def _pull_stream(
    connector: Connector,
    stream: Stream,
    client: HttpClient,
    factory: sessionmaker[Session],
    since: str | None,
    until: str | None,
    run_id: str,
    hooks: PullHooks,
    result: StreamSummary,
    sleep: Callable[[float], None],
    keeper: _LeaseKeeper,
) -> None:
    started = time.monotonic()
    stats_before = (client.stats.requests, client.stats.retries, client.stats.throttled)
    if hooks.on_stream_start:
        hooks.on_stream_start(stream.name)
    with factory() as session, session.begin():
        state = session.get(ConnectorState, (connector.agency_code, stream.name))
        cursor_before = state.cursor if state else None
        previous = _comparable_previous_count(session, connector.agency_code, stream.name, since, until)
        window_since = since or cursor_before
        spec = BatchSpec(
            agency_code=connector.agency_code,
            stream=stream.name,
            kind=stream.kind,
            source_system=connector.system,
            schema_version=stream.schema_version,
            window_start=_as_datetime(window_since),
            window_end=_as_datetime(until),
            cursor_before=cursor_before,
            run_id=run_id,
            actor=f"connector:{connector.name}",
            previous_row_count=previous,
        )
        batch = new_batch(session, spec)
        keeper.start(session, batch)
        batch_pk = batch.id
    result.batch_id = batch_pk
    result.cursor_before = cursor_before
    try:
        incoming, checked = _fetch_stream(
            connector, stream, client, factory, batch_pk, window_since, until, hooks, result, sleep, spec, keeper
        )
        result.fetched = len(incoming)
        if hooks.after_fetch:
            hooks.after_fetch(stream.name, incoming)
        with factory() as session, session.begin():
            _claim_for_load(session, batch_pk)
            outcome = load_batch(session, spec, incoming, batch_pk=batch_pk, checked=checked)
            if hooks.before_commit:
                hooks.before_commit(stream.name, outcome)
        result.status = outcome.status
        result.loaded, result.duplicates, result.quarantined = outcome.loaded, outcome.duplicates, outcome.quarantined
        result.cursor_after = outcome.cursor_after
        result.reasons = dict(outcome.reasons)
    except ConnectorError as exc:
        result.status = "failed"
        result.error = str(exc)
        _mark_failed(factory, batch_pk, str(exc))
        log.warning("stream %s/%s failed: %s", connector.name, stream.name, exc)
    except BaseException as exc:
        _mark_failed(factory, batch_pk, f"{type(exc).__name__}")
        raise
    finally:
        keeper.stop()
        result.requests = client.stats.requests - stats_before[0]
        result.retries = client.stats.retries - stats_before[1]
        result.throttled = client.stats.throttled - stats_before[2]
        result.seconds = round(time.monotonic() - started, 3)


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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _mark_failed(factory: sessionmaker[Session], batch_pk: int, error: str) -> None:
    try:
        with factory() as session, session.begin():
            batch = session.get(IngestBatch, batch_pk)
            if batch is not None and batch.status == "running":
                batch.status = "failed"
                batch.finished_at = datetime.now(UTC)
                batch.validation = {**(batch.validation or {}), "error": error[:500]}
    except Exception:  # the original error matters more than this bookkeeping
        log.exception("could not mark batch %s failed", batch_pk)


def _fetch_stream(
    connector: Connector,
    stream: Stream,
    client: HttpClient,
    factory: sessionmaker[Session],
    batch_pk: int,
    since: str | None,
    until: str | None,
    hooks: PullHooks,
    result: StreamSummary,
    sleep: Callable[[float], None],
    spec: BatchSpec,
    keeper: _LeaseKeeper,
) -> tuple[list[Incoming], RecordsChecked]:
    """Fetch, land and parse every page; return the items and the record contract's verdicts on them."""
    params: dict[str, Any] = dict(stream.params)
    if stream.since_param and since:
        params[stream.since_param] = since
    if stream.until_param and until:
        params[stream.until_param] = until
    start = PageRequest(stream.path, params, {}, (since, until))
    keys: AgencyKeys | None = None
    if stream.signed is not None:
        with factory() as session:
            keys = AgencyKeys.load(session, connector.agency_code)
    records = StreamRecords(stream, spec, schema_version_of(spec), keys)

    def fetch(request: PageRequest) -> _Page:
        page = _fetch_page(connector, stream, client, factory, batch_pk, request, result, sleep, keeper)
        if not request.meta.get("_listing"):
            result.pages += 1
            records.add_page(
                page.records, page.text, page.meta, page.fetched_at, page.landing_pk, plain=page.plain, utf8=page.utf8
            )
            if hooks.on_page:
                hooks.on_page(stream.name, result.pages, records.count)
        return page

    try:
        for _page in stream.paginator.pages(fetch, start):
            pass
        return records.finish()
    except BaseException:
        records.cancel()
        raise
    finally:
        result.worker_pages = records.remote_pages


def _fetch_page(
    connector: Connector,
    stream: Stream,
    client: HttpClient,
    factory: sessionmaker[Session],
    batch_pk: int,
    request: PageRequest,
    result: StreamSummary,
    sleep: Callable[[float], None],
    keeper: _LeaseKeeper,
) -> _Page:
    """Fetch, land and parse one request; fetch again (with backoff) while the body is unreadable."""
    policy = client.policy
    last: BodyFormatError | None = None
    for attempt in range(1, policy.max_attempts + 1):
        fetched = client.get(request.path, request.params)
        fetched_at = datetime.now(UTC)
        declared = charset_of(fetched.content_type)
        try:
            text, encoding = decode_body(fetched.body, declared, (stream.encoding or "gb18030",))
        except BodyFormatError as exc:
            text, encoding, decode_error = "", None, exc
        else:
            decode_error = None
        with factory() as session, session.begin():
            landing = land(
                session,
                agency_code=connector.agency_code,
                stream=stream.name,
                body=fetched.body,
                request=fetched.request,
                status_code=fetched.status_code,
                content_type=fetched.content_type,
                encoding=encoding,
                batch_pk=batch_pk,
                fetched_at=fetched_at,
            )
            landing_pk = landing.id
            keeper.renew_if_due(session)
        try:
            if decode_error is not None:
                raise decode_error
            expected = request.meta.get("_expected_size")
            if expected not in (None, "") and int(expected) != len(fetched.body):
                raise BodyFormatError(
                    f"文件 {request.meta.get('_file')} 长度 {len(fetched.body)} 与清单所列 {expected} 不符（下载被截断）",
                    f"file {request.meta.get('_file')} is {len(fetched.body)} bytes, the listing says {expected} (truncated download)",
                )
            utf8 = fetched.body if encoding == "utf-8" else None
            parsed = _parse(text, stream, request, fetched.content_type, utf8)
        except (BodyLimitError, UnsafeXmlError) as exc:
            # In the content, not the transfer: refetching returns the same bytes. Fail now, naming the landing.
            raise type(exc)(
                f"{request.path} 的内容被拒绝（原始报文已留存，落地编号 {landing_pk}）：{exc.zh}",
                f"{request.path}: body refused (kept as raw landing {landing_pk}): {exc.en}",
            ) from None
        except BodyFormatError as exc:
            last = exc
            result.refetched_bodies += 1
            log.info("unreadable body from %s (attempt %d): %s", fetched.url, attempt, exc.en)
            sleep(policy.backoff(attempt, client._rng))
            continue
        meta = {k: v for k, v in request.meta.items() if k.startswith("_") and k not in ("_expected_size", "_listing")}
        records = [{**r, **meta} for r in parsed.records] if meta else parsed.records
        plain = parsed.plain and (not meta or is_plain_json(meta))
        return _Page(
            request, parsed.document, records, fetched.headers, landing_pk, fetched_at, text, meta, plain, utf8
        )
    raise RetriesExhausted(
        f"{request.path} 的内容连续 {policy.max_attempts} 次无法解析：{last.zh if last else ''}",
        f"{request.path}: body unreadable after {policy.max_attempts} attempts: {last.en if last else ''}",
    ) from last


def _parse(
    text: str, stream: Stream, request: PageRequest, content_type: str | None, utf8: bytes | None = None
) -> ParsedBody:
    """Parse a body; ``utf8`` is the body itself when it decoded as UTF-8 (read by the JSON parser as it is)."""
    if request.meta.get("_listing"):
        if "json" in (content_type or "") or text.lstrip().startswith(("{", "[")):
            return ParsedBody(parse_body(text, "json", None).document, [])
        return ParsedBody(text, [])
    return parse_body(text, stream.format, stream.records_path, utf8=utf8)
