"""The narrow interface between the SDK's runner and whatever stores what it pulls.

The runner fetches, decodes, parses, pages, checks completeness and prepares records; it
never touches a database. Everything durable goes through a :class:`Sink`, which the hub
implements over its store (``hub.ingest.sink.StoreSink``) — and a test, a dry run or
another platform can implement with a few dictionaries. The verbs:

* **lease a batch** — :meth:`Sink.open_batch` reads the stream's state (its cursor, and the
  previous whole walk's distinct ids), creates the batch and takes a lease on it;
  :meth:`Sink.keep_alive` renews the lease before a long sleep; :meth:`Sink.reap_abandoned`
  marks batches of dead runs failed;
* **land raw bytes** — :meth:`Sink.land` keeps every response body as received, before it is
  parsed (nothing fetched is lost even if parsing fails);
* **check and load a batch** — :meth:`Sink.check_page` runs the record contract over a page
  of prepared records as it arrives, :meth:`Sink.load` stores the batch, its counts, its
  completeness and the **advanced state** (cursor) in one transaction; :meth:`Sink.fail`
  marks a batch failed;
* **audit an event** — :meth:`Sink.audit`;
* and :meth:`Sink.agency_keys` for streams whose records are signed.

Order of durable writes (what makes a crash harmless): the batch row and every landing are
committed as they arrive; records, quarantine, counts and the cursor in one transaction at
the end. A crash before that commit leaves the cursor where it was; the re-run fetches the
same range again and the loader's idempotence turns what was stored into duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.sdk.records import Incoming
from connectors.sdk.signatures import AgencyKeys


@dataclass(frozen=True)
class BatchRequest:
    """What the runner asks the sink to open: one stream over one window of one pull."""

    agency_code: str
    stream: str
    kind: str
    source_system: str
    schema_version: str | None
    since: str | None  # the window's lower bound as the runner received it (``None``: resume from the cursor)
    until: str | None
    run_id: str
    actor: str


@dataclass(frozen=True)
class OpenedBatch:
    """The sink's answer: the batch's id and what the stream's state says."""

    batch_id: int
    cursor_before: str | None
    previous_distinct: int | None = None  # distinct ids of the last complete walk of the whole list


@dataclass(frozen=True)
class Completeness:
    """What the runner could prove about a walk, handed to :meth:`Sink.load`.

    ``complete`` False: the batch is stored as ``incomplete``, the cursor is not advanced and
    an operator alert is queued. ``whole_walk``: the walk had no lower bound (all records).
    ``confirmed_bad``: raw hashes of rejected records delivered identically twice in this pull
    — bad at the source, so they do not hold the cursor back.
    """

    complete: bool = True
    expected_total: int | None = None
    distinct_ids: int = 0
    rewalks: int = 0
    whole_walk: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    confirmed_bad: frozenset[str] = frozenset()


@dataclass
class LoadResult:
    status: str  # loaded | quarantined | incomplete
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    cursor_after: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


class PageChecked(Protocol):
    """The record contract's verdicts on one page (opaque to the runner but for the rejects)."""

    def rejected_items(self) -> list[Incoming]: ...


class Sink(Protocol):
    def reap_abandoned(self, agency_code: str, actor: str) -> None: ...

    def open_batch(self, request: BatchRequest) -> OpenedBatch: ...

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
    ) -> int: ...

    def keep_alive(self, batch_id: int, seconds_ahead: float) -> None: ...

    def agency_keys(self, agency_code: str) -> AgencyKeys: ...

    def check_page(self, batch_id: int, items: list[Incoming]) -> PageChecked: ...

    def load(
        self, batch_id: int, items: list[Incoming], checked: list[PageChecked], completeness: Completeness
    ) -> LoadResult: ...

    def fail(self, batch_id: int, error: str) -> None: ...

    def audit(self, actor: str, action: str, object_id: str, detail: dict[str, Any]) -> None: ...
