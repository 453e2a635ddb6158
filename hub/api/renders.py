"""Heavy report renders (PDF, XLSX, HTML) for the API: limited per token, run in a worker process.

Why: a PDF takes seconds of CPU (WeasyPrint lays out the HTML report and subsets the CJK font). Rendered in
the server's threads, twenty parallel downloads by one congress token would hold the interpreter lock and
make a supervisor wait half a minute for a case list. So heavy renders

* run in a separate process pool (``PILHUB_API_RENDER_WORKERS``, default cores − 1, at least 1; ``0``
  renders in the request thread, for tests) at a lower CPU priority — the server's own threads and cores stay
  free for the light requests;
* are limited per token (``PILHUB_API_RENDERS_PER_TOKEN``, default 2 in flight): a token over its share gets
  ``429`` with ``Retry-After``, a polite client waits and retries, the others are not slowed down;
* never run inside a database transaction: the figures are computed first, the session is closed, then the
  file is rendered (see ``routes_figures.get_report``).

The limits are per server process (``pilhub serve --workers N`` multiplies them).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from hub.api.errors import ApiError

HEAVY_FORMATS = frozenset({"pdf", "xlsx", "html"})
#: Render workers run at a lower CPU priority than the server (``nice``): downloads wait, lists do not.
RENDER_NICENESS = 10
RETRY_AFTER_SECONDS = 5


def _render(figures: dict[str, Any], fmt: str) -> bytes:
    from hub.reports.output import render

    return render(figures, fmt)


def _warm() -> None:
    """Worker start: lower its CPU priority (a PDF must not take the core a supervisor's request needs),
    then import the renderers once rather than per request."""
    with contextlib.suppress(OSError):
        os.nice(RENDER_NICENESS)
    import hub.reports.output  # noqa: F401


class RenderPool:
    """Renders report files; heavy formats in worker processes, at most ``per_token`` in flight per token."""

    def __init__(self, workers: int | None = None, per_token: int | None = None) -> None:
        default_workers = max(1, (os.cpu_count() or 2) - 1)
        self.workers = int(os.environ.get("PILHUB_API_RENDER_WORKERS", default_workers)) if workers is None else workers
        self.per_token = int(os.environ.get("PILHUB_API_RENDERS_PER_TOKEN", "2")) if per_token is None else per_token
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        with self._lock:
            if self._executor is None:
                # spawn, not fork: the server process has threads (and open database connections).
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
                )
            return self._executor

    def render(self, who: str, figures: dict[str, Any], fmt: str) -> bytes:
        """The report file in ``fmt`` for the caller ``who`` (a token name); 429 when over their share."""
        if fmt not in HEAVY_FORMATS:
            return _render(figures, fmt)
        with self._lock:
            if self._in_flight[who] >= self.per_token:
                raise ApiError(
                    429,
                    "too_many_renders",
                    f"该令牌已有 {self.per_token} 个报告文件正在生成，请稍后重试",
                    f"this token already has {self.per_token} report files being rendered; retry later",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            self._in_flight[who] += 1
        try:
            if self.workers <= 0:
                return _render(figures, fmt)
            return self._pool().submit(_render, figures, fmt).result()
        finally:
            with self._lock:
                self._in_flight[who] -= 1
                if self._in_flight[who] <= 0:
                    del self._in_flight[who]

    def in_flight(self, who: str) -> int:
        with self._lock:
            return self._in_flight[who]

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
