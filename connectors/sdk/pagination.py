"""Pagination strategies: page number, offset/limit, cursor / next-link, and a directory of files.

A paginator drives one stream's requests: it gets a ``fetch`` function (which fetches,
lands and parses one request — see :mod:`connectors.sdk.runner`) and yields pages until
the source says there are no more. Agencies' paging breaks in known ways, handled here
once:

* an offset or page-number endpoint that serves the *previous* page again (a stale
  cache, a shifted result set) would silently skip a page if the client just moved on;
  a page whose records equal the previous page's is re-requested (up to 3 times);
* a cursor that does not move would loop for ever; it is refused after 3 repeats;
* a gateway that silently caps the page size (asked for 1,000, serves 500) makes a client
  that stops on the first short page read half the list and call it complete. A short page
  ends the walk only if the reported total (``total_path``/``total_pages_path``) says it is
  the last, or — with no total — if the next page is empty; a short page that is not the
  last sets the **effective page size** (noted on the start request as
  ``notes["effective_page_size"]``, with ``notes["short_pages"]``) and paging goes on.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.sdk.errors import BodyFormatError, ConnectorError
from connectors.sdk.formats import dig


@dataclass
class PageRequest:
    """What to fetch next: a path (or absolute URL) and its query parameters.

    ``meta`` is attached to every record of the page (e.g. the file name and its
    modification time for file-based streams) under keys starting with ``_``.
    """

    path: str
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    window: tuple[str | None, str | None] = (None, None)  # the pull's (since, until), for file selection
    notes: dict[str, Any] = field(default_factory=dict)  # what the paginator learnt (effective page size …)


class Page(Protocol):
    request: PageRequest
    document: Any
    records: list[dict[str, Any]]
    headers: dict[str, str]


Fetch = Callable[[PageRequest], Page]

_MAX_REPEATS = 3


class Paginator(Protocol):
    def pages(self, fetch: Fetch, start: PageRequest) -> Iterator[Page]: ...


def _stale_guard(
    fetch: Fetch, request: PageRequest, previous: list[dict[str, Any]] | None
) -> tuple[Page, list[dict[str, Any]]]:
    """Fetch ``request``; if it returns exactly the previous page's records, ask again.

    Plain list equality: it stops at the first differing record, so a normal page costs nothing.
    """
    for _ in range(_MAX_REPEATS + 1):
        page = fetch(request)
        if previous is None or not page.records or page.records != previous:
            return page, page.records
    raise ConnectorError(
        f"{request.path} 连续返回与上一页相同的记录，分页异常",
        f"{request.path} keeps returning the previous page; paging is broken",
    )


@dataclass(frozen=True)
class PageNumber:
    """``?page=1&page_size=N``; stops when ``total_pages_path``/``total_path`` say so, else on an empty page
    after a short one (a short page may be a silent cap on the page size, see the module docstring)."""

    size: int = 100
    page_param: str = "page"
    size_param: str = "page_size"
    first_page: int = 1
    total_pages_path: str | None = None
    total_path: str | None = None  # the number of records matching the query

    def pages(self, fetch: Fetch, start: PageRequest) -> Iterator[Page]:
        number = self.first_page
        previous: list[dict[str, Any]] | None = None
        effective = self.size
        short_before: int | None = None  # a short page not yet known to be the last (no total reported)
        while True:
            request = PageRequest(
                start.path, {**start.params, self.page_param: number, self.size_param: self.size}, start.meta
            )
            page, previous = _stale_guard(fetch, request, previous)
            yield page
            count = len(page.records)
            read = number - self.first_page + 1  # pages read so far
            pages_total = _int_at(page.document, self.total_pages_path)
            records_total = _int_at(page.document, self.total_path)
            if 0 < count < effective and (
                (pages_total is not None and number < pages_total + self.first_page - 1)
                or (records_total is not None and (read - 1) * effective + count < records_total)
            ):
                effective = _capped(start, count)
            if pages_total is not None:
                if number >= pages_total + self.first_page - 1:
                    return
            elif records_total is not None:
                if count == 0 or read * effective >= records_total:
                    return
            elif count == 0:
                return
            else:
                if short_before is not None:  # the page after a short one was not empty: that one was capped
                    effective = _capped(start, short_before)
                    short_before = None
                if count < effective:
                    short_before = count
            number += 1


@dataclass(frozen=True)
class OffsetLimit:
    """``?offset=K&limit=N``; stops when the offset reaches ``total_path``, else on an empty page after a
    short one (a short page may be a silent cap on the page size, see the module docstring)."""

    limit: int = 100
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: str | None = None

    def pages(self, fetch: Fetch, start: PageRequest) -> Iterator[Page]:
        offset = 0
        previous: list[dict[str, Any]] | None = None
        effective = self.limit
        short_before: int | None = None
        while True:
            request = PageRequest(
                start.path, {**start.params, self.offset_param: offset, self.limit_param: self.limit}, start.meta
            )
            page, previous = _stale_guard(fetch, request, previous)
            yield page
            count = len(page.records)
            offset += count
            total = _int_at(page.document, self.total_path)
            if not page.records:
                return
            if total is not None:
                if count < effective and offset < total:
                    effective = _capped(start, count)
                if offset >= total:
                    return
                continue
            if short_before is not None:
                effective = _capped(start, short_before)
                short_before = None
            if count < effective:
                short_before = count


def _capped(start: PageRequest, size: int) -> int:
    """Note a silent page-size cap on the walk's start request (the runner reports it); return the size."""
    notes = start.notes
    notes["short_pages"] = notes.get("short_pages", 0) + 1
    notes["effective_page_size"] = size
    return size


@dataclass(frozen=True)
class NextCursor:
    """Opaque cursor (``next_path`` in the body → ``?cursor=``) or a next link (``next_link_path``/``Link``)."""

    cursor_param: str = "cursor"
    next_path: str | None = "next_cursor"
    next_link_path: str | None = None
    use_link_header: bool = False
    size: int | None = None
    size_param: str = "limit"

    def pages(self, fetch: Fetch, start: PageRequest) -> Iterator[Page]:
        params = dict(start.params)
        if self.size:
            params[self.size_param] = self.size
        request = PageRequest(start.path, params, start.meta)
        seen: dict[str, int] = {}
        while True:
            page = fetch(request)
            yield page
            link = dig(page.document, self.next_link_path) if self.next_link_path else None
            if not link and self.use_link_header:
                link = _next_link(page.headers.get("Link", ""))
            if link:
                key = str(link)
                request = PageRequest(key, {}, start.meta)
            else:
                token = dig(page.document, self.next_path) if self.next_path else None
                if token in (None, ""):
                    return
                key = str(token)
                request = PageRequest(start.path, {**params, self.cursor_param: key}, start.meta)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > _MAX_REPEATS:
                raise ConnectorError(f"分页游标 {key[:16]}… 不再前进", "the paging cursor stopped advancing")


@dataclass(frozen=True)
class DirectoryListing:
    """Files published in a directory listing, one fetch per file, oldest first.

    The listing is JSON — nginx's ``autoindex_format json`` (a list of ``{"name", "type",
    "mtime", "size"}`` with ``mtime`` as an HTTP date) or any list of such objects under
    ``entries_path`` — or an HTML index whose links match ``pattern`` (no times or sizes:
    every file is read on every pull). Files modified before the stream's cursor are
    skipped; a re-published file has a newer modification time and so is read again (its
    corrected rows become new versions, the rest duplicates). Each record carries
    ``_file`` and ``_file_modified`` (ISO, UTC); a body shorter than the listed size is a
    truncated download and is fetched again.
    """

    listing_path: str = "/"
    pattern: str = r".+\.csv$"
    entries_path: str | None = None
    name_field: str = "name"
    modified_field: str = "mtime"
    size_field: str = "size"

    def pages(self, fetch: Fetch, start: PageRequest) -> Iterator[Page]:
        listing = fetch(PageRequest(self.listing_path, {}, {"_listing": True}))
        entries = _listing_entries(listing, self)
        since, until = start.window
        for entry in sorted(entries, key=lambda e: (e["modified"], e["name"])):
            modified = entry["modified"]
            if since and modified and modified < since:
                continue
            if until and modified and modified >= until:
                continue
            meta = {"_file": entry["name"], "_file_modified": modified, "_expected_size": entry.get("size")}
            href = entry.get("href") or f"{self.listing_path.rstrip('/')}/{entry['name']}"
            yield fetch(PageRequest(href, {}, meta))


_HREF = re.compile(r"""href=["']([^"']+)["']""")


def _iso_utc(value: Any) -> str:
    """A listing's modification time as ISO text in UTC (HTTP dates and ISO both accepted)."""
    if not value:
        return ""
    text = str(value)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def _listing_entries(page: Page, listing: DirectoryListing) -> list[dict[str, Any]]:
    regex = re.compile(listing.pattern)
    document = page.document
    if isinstance(document, dict | list):
        entries = dig(document, listing.entries_path) if isinstance(document, dict) else document
        if not isinstance(entries, list):
            raise BodyFormatError("目录清单格式错误", "directory listing is not a list of files")
        out = []
        for e in entries:
            if not isinstance(e, dict) or e.get("type", "file") != "file":
                continue
            name = str(e.get(listing.name_field, ""))
            if regex.search(name):
                out.append(
                    {
                        "name": name,
                        "modified": _iso_utc(e.get(listing.modified_field)),
                        "size": e.get(listing.size_field),
                    }
                )
        return out
    text = document if isinstance(document, str) else ""
    return [{"name": h.rsplit("/", 1)[-1], "href": h, "modified": ""} for h in _HREF.findall(text) if regex.search(h)]


def _int_at(document: Any, path: str | None) -> int | None:
    if not path:
        return None
    value = dig(document, path)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            match = re.search(r"<([^>]+)>", part)
            if match:
                return match.group(1)
    return None
