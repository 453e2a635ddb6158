"""Proving a pull complete: the agency's reported total against the distinct source ids received.

Paging over a list that changes while it is walked loses records without any error: a
record updated during the walk moves to the first page of a newest-first list (already
read) and every later record shifts up by one, so one record at each page boundary is
never served; a stale cache serves the previous page again in place of the next one.
Nothing in the bodies says so. What does is arithmetic: most agencies report how many
records match the query (``data.total``, an ``X-Total-Count`` header, a count endpoint).

A stream declares where that total is (:class:`Total`). The runner collects the distinct
source ids of every record it received (valid or not — a quarantined record was received),
and after the walk compares them with the total of the **last** page read (records created
during the walk raise it; the walk's own newest records are then caught by the inclusive
watermark of the next pull and by the re-walk now). On a shortfall it walks the stream
again (up to ``rewalks`` times, with a growing pause so a list in motion can settle) and
takes the union; if the ids still fall short the stream ends **incomplete**: what was
received is stored, the cursor stays where it was (a later pull covers the same range
again), the batch is marked ``incomplete`` and an operator alert is queued.

Without a reported total the only evidence is the previous pull: a walk of the whole list
(no lower bound) that returns fewer distinct ids than the previous whole walk is re-walked
and, still short, ends incomplete too (an agency that really deletes records is then
confirmed by an operator, not assumed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sdk.formats import dig


@dataclass(frozen=True)
class Total:
    """Where the agency reports how many records match a stream's query.

    ``path``: dotted path in each page's body (``data.total``); ``header``: a response header
    (``X-Total-Count``); ``endpoint``: a count endpoint fetched with the stream's query after
    the walk, ``path`` then being the count's place in its body. ``rewalks``: walks after the
    first before the stream is declared incomplete; ``pause``: seconds before the first re-walk
    (doubled for each further one).
    """

    path: str | None = None
    header: str | None = None
    endpoint: str | None = None
    rewalks: int = 2
    pause: float = 1.0

    def read(self, document: Any, headers: dict[str, str] | None) -> int | None:
        """The total a page (or the count endpoint's body) reports, ``None`` if absent or not a number."""
        value: Any = None
        if self.header and headers:
            lowered = {k.lower(): v for k, v in headers.items()}
            value = lowered.get(self.header.lower())
        if value is None and self.path and isinstance(document, dict):
            value = dig(document, self.path)
        try:
            number = int(str(value).strip()) if value is not None and str(value).strip() != "" else None
        except ValueError:
            return None
        return number if number is not None and number >= 0 else None


@dataclass
class WalkLedger:
    """What one pull of a stream has seen across its walks: distinct ids, reported totals, page anomalies."""

    ids: set[str] = field(default_factory=set)
    walk_ids: set[str] = field(default_factory=set)  # ids of the walk in progress
    expected_total: int | None = None  # the last total reported (last page of the last walk)
    rewalks: int = 0
    overlapping_pages: int = 0  # pages sharing ids with earlier pages of the same walk (repeated or shifted)
    refetched_pages: int = 0  # pages asked for again (overlap, or records rejected on first delivery)
    short_pages: int = 0  # pages shorter than asked that were not the last (a silent page-size cap)
    effective_page_size: int | None = None

    def start_walk(self) -> None:
        self.walk_ids = set()

    def overlap(self, page_ids: list[str]) -> int:
        """How many of a page's ids this walk has already seen (before adding them)."""
        walk = self.walk_ids
        return sum(1 for i in page_ids if i in walk)

    def add(self, page_ids: list[str]) -> None:
        self.walk_ids.update(page_ids)
        self.ids.update(page_ids)

    def shortfall(self, previous_distinct: int | None) -> int | None:
        """Records missing against the reported total (or the previous whole walk); ``None``: cannot tell."""
        reference = self.expected_total if self.expected_total is not None else previous_distinct
        if reference is None:
            return None
        return max(0, reference - len(self.ids))

    def as_dict(self) -> dict[str, Any]:
        return {
            "expected_total": self.expected_total,
            "distinct_ids": len(self.ids),
            "rewalks": self.rewalks,
            "overlapping_pages": self.overlapping_pages,
            "refetched_pages": self.refetched_pages,
            "short_pages": self.short_pages,
            "effective_page_size": self.effective_page_size,
        }
