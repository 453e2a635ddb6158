"""Per-connector request rate limit, shared by every process that pulls from the same agency.

Agencies publish a request quota and answer 429 — or block the hub's address — when it
is exceeded. The quota is the agency's, not one process's: Airflow maps a connector's
streams to parallel tasks (often in different worker processes, sometimes on different
hosts), and two of them each keeping "10 requests a second" send twenty. So the limit is
kept where all of them see it:

* :class:`RedisRateLimiter` — when ``PILHUB_RATE_LIMIT_URL`` (``redis://…``) is set: one
  key per connector, updated atomically by a small Lua script (any number of hosts);
* :class:`FileRateLimiter` — otherwise: one file per connector under
  ``PILHUB_RATE_LIMIT_DIR`` (default: the system's temporary directory), updated under an
  exclusive ``flock`` (every process on the host — the common single-worker deployment).

Both keep the *theoretical arrival time* of the next request (the generic cell rate
algorithm, as in a token bucket with ``burst`` tokens): a request may go ``burst - 1``
intervals ahead of it, otherwise the process sleeps until its turn. :class:`TokenBucket` is
the in-process form (tests, and where no shared place is available).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("connectors.rate_limit")

URL_ENV = "PILHUB_RATE_LIMIT_URL"
DIR_ENV = "PILHUB_RATE_LIMIT_DIR"


@dataclass(frozen=True)
class RateLimit:
    """Declaration: at most ``per_second`` requests per second on average, bursts up to ``burst``."""

    per_second: float
    burst: int = 1


class Limiter(Protocol):
    waited: float

    def acquire(self) -> float: ...


def _next_slot(tat: float, now: float, interval: float, burst: int) -> tuple[float, float]:
    """GCRA: (seconds to wait, new theoretical arrival time) for a request at ``now``."""
    tat = max(tat, now)
    wait = max(0.0, tat - now - interval * (burst - 1))
    return wait, tat + interval


class TokenBucket:
    """The limit inside one process (thread-safe: parallel stream pulls of one connector share it)."""

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit.per_second <= 0:
            raise ValueError("per_second must be positive")
        self.rate = limit.per_second
        self.capacity = max(1, limit.burst)
        self._tokens = float(self.capacity)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds spent waiting (reported in pull summaries)

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; return the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
            self.waited += wait
        return wait


class FileRateLimiter:
    """The limit shared by every process on this host, through a locked file per connector."""

    def __init__(self, name: str, limit: RateLimit, directory: Path, sleep: Callable[[float], None] = time.sleep):
        if limit.per_second <= 0:
            raise ValueError("per_second must be positive")
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.rate"
        self.interval = 1.0 / limit.per_second
        self.burst = max(1, limit.burst)
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> float:
        import fcntl

        with open(self.path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                text = fh.read().decode("ascii", "replace").strip()
                try:
                    tat = float(text) if text else 0.0
                except ValueError:
                    tat = 0.0
                wait, new_tat = _next_slot(tat, time.time(), self.interval, self.burst)
                fh.seek(0)
                fh.truncate()
                fh.write(f"{new_tat:.6f}".encode("ascii"))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        if wait > 0:
            self._sleep(wait)
            self.waited += wait
        return wait


_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - interval * (burst - 1)
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], tostring(tat + interval), 'EX', math.ceil(interval * burst + 60))
return tostring(wait)
"""


class RedisRateLimiter:
    """The limit shared by every process on every host, kept in Redis (the server's clock decides)."""

    def __init__(self, name: str, limit: RateLimit, url: str, sleep: Callable[[float], None] = time.sleep):
        import redis

        if limit.per_second <= 0:
            raise ValueError("per_second must be positive")
        self.client: Any = redis.Redis.from_url(url)
        self.key = f"pilhub:rate:{name}"
        self.interval = 1.0 / limit.per_second
        self.burst = max(1, limit.burst)
        self._script = self.client.register_script(_GCRA_LUA)
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> float:
        wait = float(self._script(keys=[self.key], args=[self.interval, self.burst]))
        if wait > 0:
            self._sleep(wait)
            self.waited += wait
        return wait


def limiter_for(
    name: str, limit: RateLimit, config: Any = None, sleep: Callable[[float], None] = time.sleep
) -> Limiter:
    """The shared limiter of connector ``name``: Redis if configured, else a file on this host.

    Falls back to an in-process bucket (logged) only when neither can be used, e.g. a
    read-only temporary directory.
    """
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        try:
            return RedisRateLimiter(name, limit, url, sleep)
        except Exception as exc:  # noqa: BLE001 - redis missing or URL malformed: say so, keep the host-wide limit
            log.warning("无法使用 %s（%s），改用本机共享限速 / cannot use it, using the host-wide limit", URL_ENV, exc)
    directory = Path(os.environ.get(DIR_ENV, "").strip() or Path(tempfile.gettempdir()) / "pilhub-rate-limits")
    try:
        return FileRateLimiter(name, limit, directory, sleep)
    except OSError as exc:
        log.warning("无法创建限速文件（%s），仅限本进程 / rate-limit file unavailable, limiting this process only", exc)
        return TokenBucket(limit, sleep=sleep)
