"""Per-connector request rate limit (token bucket).

Agencies publish a request quota and answer 429 — or block the hub's address — when it
is exceeded. Spending tokens before each request keeps the hub under the quota by
construction instead of discovering it from 429s. Thread-safe, so parallel stream pulls
of one connector share one bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """Declaration: at most ``per_second`` requests per second on average, bursts up to ``burst``."""

    per_second: float
    burst: int = 1


class TokenBucket:
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
