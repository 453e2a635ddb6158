"""Record preparation in worker processes, for the pages of a large pull.

Every page of a pull is prepared (signature check, mapping, raw payload hash) and checked
against the record contract (envelope, pydantic model, JSON dump, personal split, canonical
JSON and content hash, and the batch suite's columns gathered) as it arrives: in the pulling
process, ≈15 µs a record of pure computation. What must stay in the pulling process is the
rest: HTTP, raw landing, the first parse (which decides refetches and paging), the batch
suite and the database — ≈22–25 µs a record. Once a stream has delivered
:data:`DEFAULT_MIN_RECORDS` records (and a core is idle), each further page's body (already
landed and parsed once here; a UTF-8 body travels as the bytes received) is handed to a
small process pool, which parses it again and runs the exact code the pulling process runs
— :meth:`Stream.prepare_many` and :func:`hub.ingest.loader.check_records` — while this
process fetches the next pages. What comes back is each page's verdicts, column by column:
reasons, or content hash, payload column and personal-data JSON (encrypted here, with the
hub's keys, never in a worker), and the suite's columns (text columns as Arrow arrays) —
≈1.3 µs a record to take in. The loader then stores the batch as it would have stored it,
in the same single transaction; ``tests/connectors/test_parallel_pull.py`` compares the two
paths record by record, rejects included.

What stays in-process: small streams (most incremental pulls and every test unless it
asks), streams whose records are signed (the agency's keys are database rows), a stream
object that cannot be pickled, and any page a worker fails on — that page is simply
prepared here, so a broken pool costs time, not correctness.

Workers pay off only when a core is free: they cost more CPU in all (a second parse, the
trip back: ≈20 µs a record in the workers against ≈13 µs saved here), and on cores that are
busy anyway the pulling process just waits for them. Measured on two cores with another
session's work keeping one of them busy part of the time (100,000 records): 30,800–31,800
records/s with workers when that core was free, 21,300 when it was not, against
23,800–25,300 in-process throughout. So by default a stream goes to workers only if at
least :data:`MIN_IDLE_CORES` of CPU sat idle while its first pages were fetched; on a
machine already busy with other work the stream is prepared in-process, which is then faster.

Configuration: ``PILHUB_PULL_WORKERS`` (worker processes, default 2 on a machine with
2+ cores, used when cores are idle; set explicitly, always used; ``0`` turns this off) and
``PILHUB_PULL_PARALLEL_MIN`` (records a stream must have delivered before its pages go to
workers, default 2,000). Workers are started once per process (forked, see
:func:`start_method`) and reused by later pulls.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing as mp
import os
import pickle
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.sdk.declarations import Stream
from connectors.sdk.formats import parse_body
from hub.ingest.batch_check import SuiteChunk
from hub.ingest.canonical import is_plain_json
from hub.ingest.incoming import Incoming
from hub.ingest.loader import BatchSpec, RecordsChecked, Valid, check_records
from hub.ingest.reasons import Reason

log = logging.getLogger("connectors.parallel")

WORKERS_ENV = "PILHUB_PULL_WORKERS"
MIN_RECORDS_ENV = "PILHUB_PULL_PARALLEL_MIN"
START_METHOD_ENV = "PILHUB_PULL_START_METHOD"
DEFAULT_MIN_RECORDS = 2000
#: With the default configuration, workers are used only if at least this much CPU sat idle while the
#: stream's first pages were fetched: on a machine whose cores are busy anyway, workers only add the
#: cost of a second parse and of sending the verdicts back (measured: slower, not faster).
MIN_IDLE_CORES = 0.75

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def configured_workers() -> int:
    """``PILHUB_PULL_WORKERS``, default 2 where there are at least 2 cores (0: never use workers)."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            log.warning("%s=%r 不是整数，按 0 处理 / is not an integer, using 0", WORKERS_ENV, raw)
            return 0
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def _cpu_times() -> tuple[float, float] | None:
    """(idle, total) jiffies of all CPUs from ``/proc/stat``, or ``None`` where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [float(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user … steal


def idle_cores(since: tuple[float, float] | None) -> float | None:
    """Cores left idle since the ``_cpu_times()`` snapshot ``since`` (``None``: cannot tell)."""
    now = _cpu_times()
    if since is None or now is None or now[1] <= since[1]:
        return None
    return (now[0] - since[0]) / (now[1] - since[1]) * (os.cpu_count() or 1)


def configured_min_records() -> int:
    raw = os.environ.get(MIN_RECORDS_ENV, "").strip()
    try:
        return max(0, int(raw)) if raw else DEFAULT_MIN_RECORDS
    except ValueError:
        return DEFAULT_MIN_RECORDS


def _init_worker() -> None:
    """A worker pauses the collector per page (:func:`prepare_page`). Forked in the middle of a pull,
    it inherits the pull's pause; it starts with the collector on and no pull of its own."""
    from connectors.sdk import runner

    runner._paused_depth, runner._paused_restore = 0, False
    gc.enable()


def start_method() -> str:
    """``PILHUB_PULL_START_METHOD`` or ``fork`` where the platform has it (else ``spawn``).

    ``fork`` starts a worker in milliseconds: it inherits every module already imported
    (pydantic models, the connectors). Forking a process that runs other threads (Great
    Expectations leaves tqdm's monitor thread behind; Airflow's task runner has its own) is
    safe here because a worker never takes a lock such a thread could hold at the fork —
    it unpickles a page, computes, and pickles the verdicts: no logging, no I/O, no database
    (the loading process keeps all of that). ``forkserver`` is the cautious alternative, at
    the price of importing everything again once (≈2 s).
    """
    wanted = os.environ.get(START_METHOD_ENV, "").strip()
    methods = mp.get_all_start_methods()
    if wanted in methods:
        return wanted
    return "fork" if "fork" in methods else "spawn"


def _get_pool(workers: int) -> ProcessPoolExecutor:
    """The process-wide pool, started on first use and reused by later pulls."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = mp.get_context(start_method())
            _pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)
            atexit.register(shutdown_pool)
        return _pool


def shutdown_pool() -> None:
    """Stop the workers (at exit; tests that change the configuration)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to prepare one page: the stream, the body text and where it was landed.

    A body that decoded as UTF-8 travels as the bytes received (``utf8``, ``text`` empty): no
    encoding of the text again to pickle it here, and the worker's parser reads the bytes.
    """

    stream: Stream
    text: str
    meta: dict[str, Any]
    fetched_at: datetime
    landing_pk: int
    spec: BatchSpec
    version: str
    columns: tuple[str, ...]
    utf8: bytes | None = None


#: Per rejected record: (index in page, source id, cursor, signature, reasons).
_Rejected = tuple[int, str | None, str | None, str | None, list[Reason]]
#: The passed records, column by column: indices in page, source ids, cursors, signatures, content hashes,
#: payload columns, personal JSON — and the batch suite's columns of them (lists pickle far faster than
#: a tuple per record, and the suite's text columns travel as Arrow arrays).
_Passed = tuple[list[int], list[str | None], list[str | None], list[str | None], list[str], list[bytes], list[bytes]]
PageVerdicts = tuple[int, list[_Rejected], list[_Rejected], _Passed, list[SuiteChunk]]


def page_records(
    stream: Stream, text: str, meta: dict[str, Any], utf8: bytes | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """The records of a body as the runner hands them to :meth:`Stream.prepare_many` (page meta merged in),
    and whether they are plain JSON data (as the runner decides it). ``utf8``: the body, if it was UTF-8."""
    if utf8 is not None:
        text = utf8.decode("utf-8")
    parsed = parse_body(text, stream.format, stream.records_path, utf8=utf8)
    plain = parsed.plain and (not meta or is_plain_json(meta))
    return ([{**r, **meta} for r in parsed.records] if meta else parsed.records), plain


def prepare_page(job: PageJob) -> PageVerdicts:
    """In a worker: parse, prepare and check one page; return each record's verdict (compact tuples).

    Without passes of the cyclic collector while the page's records are alive (they form no
    cycles; see ``connectors.sdk.runner._collector_paused``), on again between pages.
    """
    from connectors.sdk.runner import _collector_paused

    with _collector_paused():
        return _prepare_page(job)


def _prepare_page(job: PageJob) -> PageVerdicts:
    records, plain = page_records(job.stream, job.text, job.meta, job.utf8)
    items = job.stream.prepare_many(records, None, job.fetched_at, job.landing_pk, plain=plain)
    position = {id(item): n for n, item in enumerate(items)}
    checked = check_records(job.spec, job.version, items, columns=job.columns)

    def rejected(pairs: list[tuple[Incoming, list[Reason]]]) -> list[_Rejected]:
        return [(position[id(i)], i.source_id, i.cursor, i.signature, reasons) for i, reasons in pairs]

    valid = checked.valid
    passed: _Passed = (
        [position[id(v.item)] for v in valid],
        [v.item.source_id for v in valid],
        [v.item.cursor for v in valid],
        [v.item.signature for v in valid],
        [v.chash for v in valid],
        [v.stored for v in valid],
        [v.personal_json for v in valid],
    )
    return len(records), rejected(checked.unprepared), rejected(checked.invalid), passed, checked.suite or []


def _resolve(
    verdicts: PageVerdicts, raws: list[dict[str, Any]], fetched_at: datetime, landing_pk: int
) -> tuple[list[Incoming], RecordsChecked]:
    """A worker's verdicts as the loader's objects, around the raw records parsed here.

    ``Incoming.mapped`` is not sent back (the mapping ran in the worker and the loader gets
    its verdict with ``checked``), so it is ``None`` on these items.
    """
    count, unprepared, invalid, passed, suite = verdicts
    if count != len(raws):  # the same text parsed twice: cannot differ, but never load a mismatch
        raise RuntimeError(f"worker parsed {count} records, the pull {len(raws)}")
    items: list[Incoming | None] = [None] * count
    out = RecordsChecked(suite=suite)
    for target, rows in ((out.unprepared, unprepared), (out.invalid, invalid)):
        for n, sid, cursor, signature, reasons in rows:
            item = Incoming(raws[n], sid, None, fetched_at, cursor, signature, landing_pk, reasons)
            items[n] = item
            target.append((item, reasons))
    valid = out.valid
    for n, sid, cursor, signature, chash, stored, personal in zip(*passed, strict=True):
        item = items[n] = Incoming(raws[n], sid, None, fetched_at, cursor, signature, landing_pk)
        valid.append(Valid(item, personal, chash, None, stored))
    if sum(chunk.length for chunk in suite) != len(valid):
        raise RuntimeError("a worker's suite columns do not match its verdicts")
    if any(i is None for i in items):
        raise RuntimeError("a worker left records without a verdict")
    return items, out  # type: ignore[return-value]


@dataclass
class _Unit:
    """One page on its way into the batch: prepared here (``items``) or in a worker (``future``)."""

    raws: list[dict[str, Any]]
    fetched_at: datetime
    landing_pk: int
    plain: bool = False
    items: list[Incoming] | None = None
    checked: RecordsChecked | None = None
    future: Future[PageVerdicts] | None = None
    job: PageJob | None = None


@dataclass
class StreamRecords:
    """Collects a stream's pages during a pull and hands the loader its items and verdicts.

    Pages are prepared here until the stream has delivered ``min_records`` records, then in
    workers — if there are any and the stream qualifies (unsigned, picklable). A page
    prepared here is checked against the record contract as it arrives, while its records
    are still in the processor's caches (≈1 µs a record less than one check of the whole
    stream at the end; the verdicts are the same, record by record).
    """

    stream: Stream
    spec: BatchSpec
    version: str
    keys: Any = None
    workers: int = field(default_factory=configured_workers)
    min_records: int = field(default_factory=configured_min_records)
    #: use workers only if a core sat idle meanwhile (the default; an explicit PILHUB_PULL_WORKERS always uses them)
    when_idle: bool = field(default_factory=lambda: not os.environ.get(WORKERS_ENV, "").strip())
    units: list[_Unit] = field(default_factory=list)
    _cpu_at_start: tuple[float, float] | None = field(default_factory=_cpu_times)
    idle_at_decision: float | None = None
    count: int = 0
    _columns: tuple[str, ...] | None = None
    _suite_columns: tuple[str, ...] | None = None
    _eligible: bool | None = None
    submitted: int = 0  # pages handed to workers
    remote_pages: int = 0  # pages whose verdicts came back from a worker

    def add_page(
        self,
        raws: list[dict[str, Any]],
        text: str,
        meta: dict[str, Any],
        fetched_at: datetime,
        landing_pk: int,
        *,
        plain: bool = False,
        utf8: bytes | None = None,
    ) -> None:
        self.count += len(raws)
        unit = _Unit(raws, fetched_at, landing_pk, plain)
        if raws and self.count >= self.min_records and self._qualifies():
            assert self._columns is not None
            job = PageJob(
                self.stream,
                "" if utf8 is not None else text,
                meta,
                fetched_at,
                landing_pk,
                self.spec,
                self.version,
                self._columns,
                utf8,
            )
            try:
                unit.future = _get_pool(self.workers).submit(prepare_page, job)
                unit.job = job
                self.submitted += 1
            except Exception as exc:  # noqa: BLE001 - no pool, no parallelism: prepare here
                log.warning("无法启动拉取工作进程，改为本进程处理 / pull workers unavailable, preparing here: %s", exc)
                self._eligible = False
        if unit.future is None:
            unit.items = self.stream.prepare_many(raws, self.keys, fetched_at, landing_pk, plain=plain)
            unit.checked = self._check(unit.items)
        self.units.append(unit)

    def _check(self, items: list[Incoming]) -> RecordsChecked:
        """The record contract over a page prepared here, the suite's columns gathered at once.

        A record that passed keeps its verdict only (``mapped`` is dropped, as for a page a
        worker prepared): the loader stores from ``checked``, never from the mapping again.
        """
        if self._suite_columns is None:
            if not items:
                return RecordsChecked()
            from hub.ingest.batch_check import suite_columns

            self._suite_columns = suite_columns(self.spec.kind)
        checked = check_records(self.spec, self.version, items, columns=self._suite_columns)
        for entry in checked.valid:
            entry.item.mapped = None
        return checked

    def _qualifies(self) -> bool:
        if self._eligible is None:
            self._eligible = False
            if self.when_idle and self.workers > 0:
                self.idle_at_decision = idle_cores(self._cpu_at_start)
                if self.idle_at_decision is not None and self.idle_at_decision < MIN_IDLE_CORES:
                    log.info(
                        "stream %s: %.2f cores idle, preparing in-process", self.stream.name, self.idle_at_decision
                    )
                    return False
            if self.workers > 0 and self.stream.signed is None:
                try:
                    pickle.dumps(self.stream)
                except Exception as exc:  # noqa: BLE001 - e.g. a mapping lambda: stays in-process
                    log.info("stream %s cannot be sent to workers (%s); preparing in-process", self.stream.name, exc)
                else:
                    from hub.ingest.batch_check import suite_columns

                    self._columns = suite_columns(self.spec.kind)
                    self._eligible = True
        return self._eligible

    def finish(self) -> tuple[list[Incoming], RecordsChecked]:
        """All items in page order, and the contract's verdicts on them (joined page by page)."""
        items: list[Incoming] = []
        checked = RecordsChecked()
        for unit in self.units:
            if unit.future is not None:
                assert unit.job is not None
                try:
                    page_items, page_checked = _resolve(
                        unit.future.result(), unit.raws, unit.fetched_at, unit.landing_pk
                    )
                except Exception as exc:  # noqa: BLE001 - a worker failed: this page is prepared here instead
                    log.warning(
                        "工作进程处理失败，改为本进程处理该页 / worker failed on a page, preparing it here: %r", exc
                    )
                    unit.items = self.stream.prepare_many(
                        unit.raws, self.keys, unit.fetched_at, unit.landing_pk, plain=unit.plain
                    )
                    unit.checked = self._check(unit.items)
                else:
                    items.extend(page_items)
                    checked.extend(page_checked)
                    self.remote_pages += 1
                    continue
            assert unit.items is not None
            items.extend(unit.items)
            checked.extend(unit.checked if unit.checked is not None else self._check(unit.items))
        return items, checked

    def cancel(self) -> None:
        """Drop pending work (the stream failed)."""
        for unit in self.units:
            if unit.future is not None:
                unit.future.cancel()
