"""One incremental pull of a connector: fetch → land → parse → verify → map → check → load, per stream.

:func:`run_pull` is what Airflow calls per stream with its data interval as the window, and
``pilhub pull`` from the terminal (both through ``hub.ingest.pull``, which hands it the
hub's store as its :class:`~connectors.sdk.sink.Sink`). The order of durable writes is what
makes a crash harmless (see :mod:`connectors.sdk.sink`): the batch row and every response
body are committed as they arrive; records, quarantine, counts and the cursor in one
transaction at the end.

A body that does not decode or parse (truncated, wrong charset) is fetched again; an XML
body with a DTD, and a body over a parser limit, is refused outright — the same bytes would
come back — failing the stream with a message that names the kept raw landing. A body whose
declared status field (:class:`~connectors.sdk.body_status.BodyStatus`) says "throttled" is
fetched again after a back-off; one that says "error" fails the stream with the agency's
own message. Transport and configuration errors fail the stream (batch ``failed``, cursor
unchanged) and the other streams go on.

Completeness (:mod:`connectors.sdk.completeness`): each page's source ids are compared
with the ids already seen in the same walk. A page that shares ids with earlier pages
(served again, or shifted by records moving while the list is walked) is asked for again
once; so is a page with records rejected on first delivery (a record garbled in transit
comes back clean; one delivered twice identically is bad at the source and no longer holds
the cursor). After the walk the distinct ids are reconciled with the total the agency
reports; a shortfall re-walks the stream, and a walk still short ends ``incomplete``.

Records are prepared and checked against the record contract page by page as they arrive,
in this process; the load then runs the batch suite and stores. The cyclic garbage
collector is paused for the pull (:func:`_collector_paused`).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from connectors.sdk.body_status import AgencyBodyError, AgencyThrottled, BodyStatus
from connectors.sdk.canonical import is_plain_json, raw_payload_hash
from connectors.sdk.completeness import Total, WalkLedger
from connectors.sdk.config import ConnectorConfig, load_config
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.decoding import charset_of, decode_body
from connectors.sdk.errors import BodyFormatError, BodyLimitError, ConnectorError, RetriesExhausted, UnsafeXmlError
from connectors.sdk.formats import ParsedBody, parse_body
from connectors.sdk.formats import _decode_json as decode_json
from connectors.sdk.http import HttpClient, RetryPolicy
from connectors.sdk.pagination import NextCursor, OffsetLimit, PageNumber, PageRequest, Paginator
from connectors.sdk.rate_limit import RateLimit, limiter_for
from connectors.sdk.records import Incoming
from connectors.sdk.signatures import AgencyKeys
from connectors.sdk.sink import BatchRequest, Completeness, OpenedBatch, PageChecked, Sink

log = logging.getLogger("connectors.runner")

#: Re-walks of a stream without a declared :class:`Total` (checked against the previous whole walk).
DEFAULT_REWALKS = 2
#: Times a page is asked for again while it has records rejected that were not (yet) delivered twice
#: identically; a page that repeats ids of earlier pages is asked for again once (a list that moves while it
#: is walked keeps overlapping: the reconciliation with the total decides then).
PAGE_REASKS = 2


@dataclass
class StreamSummary:
    stream: str
    kind: str
    status: str = "pending"  # loaded | quarantined | incomplete | failed
    fetched: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    expected_total: int | None = None  # what the agency reports (None: it reports no total)
    distinct_ids: int = 0  # distinct source ids received, over all walks of this pull
    rewalks: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    refetched_bodies: int = 0
    refetched_pages: int = 0  # pages asked for again (repeated or shifted, or records rejected on first delivery)
    overlapping_pages: int = 0
    short_pages: int = 0  # pages shorter than asked that were not the last (a silent page-size cap)
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

    @property
    def complete(self) -> bool:
        return all(s.status not in ("failed", "incomplete") for s in self.streams)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) or 0 for s in self.streams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "agency_code": self.agency_code,
            "run_id": self.run_id,
            "ok": self.ok,
            "complete": self.complete,
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
    landed, before the load; ``before_commit`` (passed to the sink) inside the load transaction,
    after loading, before commit — raising from either simulates a crash at that point."""

    after_fetch: Callable[[str, list[Incoming]], None] | None = None
    before_commit: Callable[[str, Any], None] | None = None
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
    plain: bool = False  # the records are plain JSON data (ParsedBody.plain, and a plain meta)


def as_text(value: date | datetime | str | None) -> str | None:
    """Window bounds as the ISO text cursors are compared with."""
    if value is None or isinstance(value, str):
        return value or None
    return value.isoformat()


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
    limit = connector.rate_limit
    if config.rate_limit is not None:
        limit = replace(limit, per_second=config.rate_limit) if limit else RateLimit(config.rate_limit)
    bucket = limiter_for(connector.name, limit, config, sleep) if limit else None
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


def run_pull(
    connector: Connector,
    sink: Sink,
    stream: str | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    *,
    config: ConnectorConfig | None = None,
    policy: RetryPolicy | None = None,
    hooks: PullHooks | None = None,
    run_id: str | None = None,
    raise_on_error: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> PullSummary:
    """Pull ``connector`` (all streams, or ``stream``) once into ``sink``; return what happened per stream.

    ``since``/``until`` bound the window (Airflow passes its data interval); without
    ``since`` each stream resumes from its stored cursor. Raises :class:`PullFailed` after
    all streams ran if any failed (``raise_on_error=False`` returns the summary instead).
    An ``incomplete`` stream is not a failure of the run: it is reported, stored and alerted.
    """
    config = config or load_config(connector.name)
    hooks = hooks or PullHooks()
    run_id = run_id or f"pull:{connector.name}:{uuid.uuid4().hex[:12]}"
    summary = PullSummary(connector.name, connector.agency_code, run_id)
    streams = [connector.stream(stream)] if stream else list(connector.streams)
    current: dict[str, int | None] = {"batch": None}

    def sleeping(seconds: float) -> None:  # a long backoff or Retry-After must not let the lease lapse
        batch = current["batch"]
        if batch is not None and seconds > 0:
            sink.keep_alive(batch, seconds)
        sleep(seconds)

    with _collector_paused():
        sink.reap_abandoned(connector.agency_code, f"connector:{connector.name}")
        client = build_client(connector, config, policy, sleeping)
        for s in streams:
            result = StreamSummary(s.name, s.kind)
            summary.streams.append(result)
            _pull_stream(
                connector, s, client, sink, config, as_text(since), as_text(until), run_id, hooks, result, sleeping,
                current,
            )  # fmt: skip
    if raise_on_error and not summary.ok:
        raise PullFailed(summary)
    return summary


_paused_lock = threading.Lock()
_paused_depth = 0  # pulls (threads) currently inside _collector_paused
_paused_restore = False  # whether the collector was on when the first of them started


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic passes of the cyclic garbage collector while a pull builds its records.

    A pull keeps every record of a stream alive until the load, and each pass of the
    collector walks all of them again: at 100,000 records the passes took ≈4 µs a record
    (≈10 % of the pull) and found nothing, because records form no reference cycles.
    Reference counting frees everything a pull drops; the collector is switched back on
    when the last pull running in the process ends — if it was on when the first began.
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


def _pull_stream(
    connector: Connector,
    stream: Stream,
    client: HttpClient,
    sink: Sink,
    config: ConnectorConfig,
    since: str | None,
    until: str | None,
    run_id: str,
    hooks: PullHooks,
    result: StreamSummary,
    sleep: Callable[[float], None],
    current: dict[str, int | None],
) -> None:
    started = time.monotonic()
    stats_before = (client.stats.requests, client.stats.retries, client.stats.throttled)
    if hooks.on_stream_start:
        hooks.on_stream_start(stream.name)
    opened = sink.open_batch(
        BatchRequest(
            agency_code=connector.agency_code,
            stream=stream.name,
            kind=stream.kind,
            source_system=connector.system,
            schema_version=stream.schema_version,
            since=since,
            until=until,
            run_id=run_id,
            actor=f"connector:{connector.name}",
        )
    )
    current["batch"] = opened.batch_id
    result.batch_id = opened.batch_id
    result.cursor_before = opened.cursor_before
    try:
        walk = _StreamWalk(connector, stream, client, sink, config, opened, since, until, hooks, result, sleep)
        items, checked, completeness = walk.run()
        result.fetched = len(items)
        result.expected_total = completeness.expected_total
        result.distinct_ids = completeness.distinct_ids
        result.rewalks = completeness.rewalks
        if hooks.after_fetch:
            hooks.after_fetch(stream.name, items)
        outcome = sink.load(opened.batch_id, items, checked, completeness)
        result.status = outcome.status
        result.loaded, result.duplicates, result.quarantined = outcome.loaded, outcome.duplicates, outcome.quarantined
        result.cursor_after = outcome.cursor_after
        result.reasons = dict(outcome.reasons)
        if outcome.status == "incomplete":
            log.warning(
                "stream %s/%s incomplete: %s distinct ids of %s reported after %s re-walks",
                connector.name, stream.name, completeness.distinct_ids, completeness.expected_total,
                completeness.rewalks,
            )  # fmt: skip
    except ConnectorError as exc:
        result.status = "failed"
        result.error = str(exc)
        sink.fail(opened.batch_id, str(exc))
        log.warning("stream %s/%s failed: %s", connector.name, stream.name, exc)
    except BaseException as exc:
        sink.fail(opened.batch_id, f"{type(exc).__name__}")
        raise
    finally:
        current["batch"] = None
        result.requests = client.stats.requests - stats_before[0]
        result.retries = client.stats.retries - stats_before[1]
        result.throttled += client.stats.throttled - stats_before[2]
        result.seconds = round(time.monotonic() - started, 3)


class _StreamWalk:
    """One stream's walks in one pull: pages, their checks, re-asks, re-walks and the reconciliation."""

    def __init__(
        self,
        connector: Connector,
        stream: Stream,
        client: HttpClient,
        sink: Sink,
        config: ConnectorConfig,
        opened: OpenedBatch,
        since: str | None,
        until: str | None,
        hooks: PullHooks,
        result: StreamSummary,
        sleep: Callable[[float], None],
    ) -> None:
        self.connector, self.stream, self.client, self.sink = connector, stream, client, sink
        self.config, self.opened, self.hooks, self.result, self.sleep = config, opened, hooks, result, sleep
        self.since = since or opened.cursor_before
        self.until = until
        self.whole_walk = not self.since and not until
        self.items: list[Incoming] = []
        self.checked: list[PageChecked] = []
        self.ledger = WalkLedger()
        self.confirmed_bad: set[str] = set()
        self.status: BodyStatus | None = stream.body_status or connector.body_status
        self.total: Total | None = stream.total
        self.paginator = _sized(stream.paginator, config.page_size)
        self.by_position = isinstance(self.paginator, PageNumber | OffsetLimit)
        self.keys: AgencyKeys | None = sink.agency_keys(connector.agency_code) if stream.signed is not None else None

    def start_request(self) -> PageRequest:
        stream, params = self.stream, dict(self.stream.params)
        since_param, until_param = stream.since_param, stream.until_param
        if stream.watermark is not None:
            since_param = stream.watermark.param or since_param
            until_param = stream.watermark.until_param or until_param
        if since_param and self.since:
            params[since_param] = stream.watermark.request_value(self.since) if stream.watermark else self.since
        if until_param and self.until:
            params[until_param] = stream.watermark.request_value(self.until) if stream.watermark else self.until
        return PageRequest(stream.path, params, {}, (self.since, self.until))

    def run(self) -> tuple[list[Incoming], list[PageChecked], Completeness]:
        start = self.start_request()
        rewalks = self.total.rewalks if self.total is not None else DEFAULT_REWALKS
        pause = self.config.rewalk_pause if self.config.rewalk_pause is not None else (
            self.total.pause if self.total is not None else 1.0
        )  # fmt: skip
        previous = self.opened.previous_distinct if self.whole_walk and self.total is None else None
        complete = True
        while True:
            self.ledger.start_walk()
            for _page in self.paginator.pages(self.fetch, start):
                pass
            if self.total is not None and self.total.endpoint:
                self.ledger.expected_total = self._count(start)
            shortfall = self.ledger.shortfall(previous)
            if not shortfall:
                break
            if self.ledger.rewalks >= rewalks:
                complete = False
                break
            wait = pause * 2**self.ledger.rewalks
            log.info(
                "stream %s: %d records short of the reported total; walking it again in %.1fs",
                self.stream.name, shortfall, wait,
            )  # fmt: skip
            self.sleep(wait)
            self.ledger.rewalks += 1
        ledger = self.ledger
        self.result.overlapping_pages = ledger.overlapping_pages
        self.result.refetched_pages = ledger.refetched_pages
        self.result.short_pages = start.notes.get("short_pages", 0)
        completeness = Completeness(
            complete=complete,
            expected_total=ledger.expected_total if ledger.expected_total is not None else previous,
            distinct_ids=len(ledger.ids),
            rewalks=ledger.rewalks,
            whole_walk=self.whole_walk,
            detail={**ledger.as_dict(), "effective_page_size": start.notes.get("effective_page_size")},
            confirmed_bad=frozenset(self.confirmed_bad),
        )
        return self.items, self.checked, completeness

    def fetch(self, request: PageRequest) -> _Page:
        """The paginator's fetch: one page, asked for again if it repeats ids or rejects records."""
        page = self._fetch_page(request)
        if request.meta.get("_listing"):
            return page
        items, rejected = self._take(page)
        ids = [i.source_id for i in items if i.source_id]
        overlap = self.ledger.overlap(ids) if self.by_position else 0
        if overlap:
            self.ledger.overlapping_pages += 1
        asked = 0
        while (overlap and asked == 0) or (rejected and asked < PAGE_REASKS):
            asked += 1
            self.ledger.refetched_pages += 1
            if overlap:
                log.info("stream %s: page shares %d ids with earlier pages; asking again", self.stream.name, overlap)
            page = self._fetch_page(request)
            again, rejected_again = self._take(page)
            earlier = {raw_payload_hash(i.raw) for i in rejected}
            hashes = [(i, raw_payload_hash(i.raw)) for i in rejected_again]
            self.confirmed_bad.update(h for _, h in hashes if h in earlier)  # the same bytes twice: bad at the source
            rejected = [i for i, h in hashes if h not in self.confirmed_bad]
            ids = [i.source_id for i in again if i.source_id]
            overlap = self.ledger.overlap(ids) if self.by_position else 0
        self.ledger.add(ids)
        if self.total is not None and not self.total.endpoint:
            reported = self.total.read(page.document, page.headers)
            if reported is not None:
                self.ledger.expected_total = reported
        if self.hooks.on_page:
            self.hooks.on_page(self.stream.name, self.result.pages, len(self.items))
        return page

    def _take(self, page: _Page) -> tuple[list[Incoming], list[Incoming]]:
        """Prepare and check a page's records; keep them for the batch; return them and the rejected ones."""
        self.result.pages += 1
        items = self.stream.prepare_many(page.records, self.keys, page.fetched_at, page.landing_pk, plain=page.plain)
        checked = self.sink.check_page(self.opened.batch_id, items)
        self.items.extend(items)
        self.checked.append(checked)
        return items, checked.rejected_items()

    def _count(self, start: PageRequest) -> int | None:
        """The count endpoint's answer for the stream's query (landed like any body)."""
        assert self.total is not None and self.total.endpoint
        page = self._fetch_page(
            PageRequest(self.total.endpoint, dict(start.params), {"_listing": True, "_count": True})
        )
        return self.total.read(page.document, page.headers)

    def _fetch_page(self, request: PageRequest) -> _Page:
        """Fetch, land and parse one request; fetch again (with backoff) while the body is unreadable or throttled."""
        client, stream, policy = self.client, self.stream, self.client.policy
        last: ConnectorError | None = None
        attempt = throttles = 0
        while attempt < policy.max_attempts:
            attempt += 1
            fetched = client.get(request.path, request.params)
            fetched_at = datetime.now(UTC)
            declared = charset_of(fetched.content_type)
            try:
                text, encoding = decode_body(fetched.body, declared, (stream.encoding or "gb18030",))
            except BodyFormatError as exc:
                text, encoding, decode_error = "", None, exc
            else:
                decode_error = None
            landing_pk = self.sink.land(
                self.opened.batch_id,
                body=fetched.body,
                request=fetched.request,
                status_code=fetched.status_code,
                content_type=fetched.content_type,
                encoding=encoding,
                fetched_at=fetched_at,
            )
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
                self.result.refetched_bodies += 1
                log.info("unreadable body from %s (attempt %d): %s", fetched.url, attempt, exc.en)
                self.sleep(policy.backoff(attempt, client._rng))
                continue
            if self.status is not None and (request.meta.get("_count") or not request.meta.get("_listing")):
                verdict, code, message = self.status.verdict(parsed.document)
                if verdict == "throttle":  # on its own budget, like HTTP 429: the agency's throttle working
                    self.result.throttled += 1
                    throttles += 1
                    if throttles > policy.max_throttled:
                        raise AgencyThrottled(
                            f"{request.path}：单位系统连续 {throttles} 次要求降低频率（代码 {code}：{message}）",
                            f"{request.path}: the agency asked to slow down {throttles} times in a row (code {code}: {message})",
                        )
                    attempt -= 1
                    self.sleep(policy.backoff(min(throttles + 1, 8), client._rng))
                    continue
                if verdict == "error":
                    raise AgencyBodyError(
                        code, message, f"{request.path}（落地编号 {landing_pk} / landing {landing_pk}）"
                    )
            meta = {
                k: v for k, v in request.meta.items() if k.startswith("_") and k not in ("_expected_size", "_listing")
            }
            records = [{**r, **meta} for r in parsed.records] if meta else parsed.records
            plain = parsed.plain and (not meta or is_plain_json(meta))
            return _Page(request, parsed.document, records, fetched.headers, landing_pk, fetched_at, plain)
        raise RetriesExhausted(
            f"{request.path} 连续 {policy.max_attempts} 次无法读取：{last.zh if last else ''}",
            f"{request.path}: no usable body after {policy.max_attempts} attempts: {last.en if last else ''}",
        ) from last


def _sized(paginator: Paginator, size: int | None) -> Paginator:
    """The stream's paginator with the deployment's page size (``PILHUB_CONN_<NAME>_PAGE_SIZE``), if set."""
    if not size:
        return paginator
    if isinstance(paginator, PageNumber | NextCursor):
        return replace(paginator, size=size)
    if isinstance(paginator, OffsetLimit):
        return replace(paginator, limit=size)
    return paginator


def _parse(
    text: str, stream: Stream, request: PageRequest, content_type: str | None, utf8: bytes | None = None
) -> ParsedBody:
    """Parse a body; ``utf8`` is the body itself when it decoded as UTF-8 (read by the JSON parser as it is)."""
    if request.meta.get("_listing"):  # a directory listing or a count endpoint: a document, not records
        if "json" in (content_type or "") or text.lstrip().startswith(("{", "[")):
            try:
                return ParsedBody(decode_json(text)[0], [])  # the parser's limits apply
            except json.JSONDecodeError as exc:
                raise BodyFormatError(
                    f"{request.path} 不是合法 JSON", f"{request.path} is not valid JSON: {exc}"
                ) from None
        return ParsedBody(text, [])
    return parse_body(text, stream.format, stream.records_path, utf8=utf8)


__all__ = [
    "PullFailed",
    "PullHooks",
    "PullSummary",
    "StreamSummary",
    "as_text",
    "build_client",
    "run_pull",
]
