"""Fault modes of the sandbox's agency systems, switchable per server.

Each mode reproduces a failure seen from real agency systems. Transport faults follow
a fixed pattern over the server's request counter, so a run is reproducible and every
fault is transient (a retry gets through); record faults hit a record on its *first*
delivery only, the way a corrupted transfer does — the next pull gets it clean.
That is what lets a test demand that a faulty run plus one re-run store exactly what
a clean run stores.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field

FAULT_MODES: dict[str, str] = {
    "server_errors": "5xx 突发 / bursts of 500/502/503 answers",
    "rate_limit_storm": "429 风暴（带 Retry-After）/ 429 storms with Retry-After",
    "slow": "响应缓慢 / slow responses (within the client's timeout)",
    "timeouts": "响应超时 / responses slower than the client's read timeout",
    "truncated_pages": "响应体被截断（连接中断）/ bodies cut off mid-transfer",
    "duplicated_pages": "重复分页（再次返回上一页）/ the previous page served again",
    "malformed_records": "记录格式错误（首次投递）/ malformed records on first delivery",
    "wrong_encoding": "编码错误（声明 UTF-8 实为 GB18030 等）/ bodies in another charset than declared",
    "bad_signatures": "签名损坏或缺失（首次投递）/ damaged or missing signatures on first delivery",
    # The natural-resources gateway's own faults (connectors/sandbox/natural_resources.py).
    "page_size_cap": "每页条数被静默截为 200 / page size silently capped at 200",
    "moving_records": "分页期间新增、更新记录（不属于 all）/ records inserted and updated while a client pages (not in all)",
    "shifted_pages": "分页错位（某页提前几条开始）/ a page served starting a few records early",
    "body_throttle": "HTTP 200 携带限流代码 / HTTP 200 carrying a throttle code",
    "bad_records": "源数据错误记录，每次都错（不属于 all）/ records malformed at the source, every time (not in all)",
    "missing_records": "total 计入但从不返回的记录（不属于 all）/ records counted but never served (not in all)",
}
#: Modes ``all`` leaves out. ``all`` is every fault after which the agency's data are still what a clean
#: pull stores (a faulty pull plus re-runs must store exactly that); these change the data or defeat any
#: pull and are switched on by name: ``moving_records`` (the agency edits while you page: compare with its
#: truth), ``bad_records`` (bad at the source: quarantined on every pull), ``missing_records`` (a pull
#: can only report it: ``incomplete``).
NOT_IN_ALL = frozenset({"moving_records", "bad_records", "missing_records"})


def expand(modes: tuple[str, ...] | list[str] | set[str] | None) -> frozenset[str]:
    """``all`` → every mode; unknown names raise ``ValueError`` listing the known ones."""
    out: set[str] = set()
    for mode in modes or ():
        if mode == "all":
            out.update(m for m in FAULT_MODES if m not in NOT_IN_ALL)
        elif mode in FAULT_MODES:
            out.add(mode)
        else:
            raise ValueError(f"未知故障模式 {mode} / unknown fault mode {mode} (known: all, {', '.join(FAULT_MODES)})")
    return frozenset(out)


@dataclass
class FaultPlan:
    """The faults one server injects and its timing knobs (tests make them tiny)."""

    modes: frozenset[str] = frozenset()
    retry_after: str = "1"  # what 429 answers put in Retry-After
    timeout_delay: float = 2.0  # longer than the client's read timeout
    slow_delay: float = 0.05
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _deliveries: dict[str, int] = field(default_factory=dict, repr=False)
    _stale_served: set[str] = field(default_factory=set, repr=False)

    def set_modes(self, modes: frozenset[str]) -> None:
        """Switch modes; delivery history restarts, so record faults hit the next delivery of each record."""
        with self._lock:
            self.modes = modes
            self._count = 0
            self._deliveries.clear()
            self._stale_served.clear()

    def next_request(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def on(self, mode: str) -> bool:
        return mode in self.modes

    # Transport faults by request number n (1-based): bursts and storms of a few requests.
    def status_fault(self, n: int) -> int | None:
        if self.on("server_errors") and n % 10 in (1, 2):
            return (503, 500, 502)[n % 3]
        if self.on("rate_limit_storm") and n % 12 in (3, 4, 5):
            return 429
        return None

    def delay(self, n: int) -> float:
        if self.on("timeouts") and n % 19 == 6:
            return self.timeout_delay
        if self.on("slow") and n % 5 == 0:
            return self.slow_delay
        return 0.0

    def truncate(self, n: int) -> bool:
        return self.on("truncated_pages") and n % 13 == 8

    def wrong_encoding(self, n: int) -> bool:
        return self.on("wrong_encoding") and n % 6 == 5

    def stale_page(self, key: str) -> bool:
        """Serve the previous page instead of ``key`` — once per page position."""
        if not self.on("duplicated_pages"):
            return False
        with self._lock:
            if key in self._stale_served:
                return False
            self._stale_served.add(key)
            return True

    def first_delivery(self, record_key: str) -> bool:
        """Count a delivery of ``record_key``; True the first time."""
        with self._lock:
            seen = self._deliveries.get(record_key, 0)
            self._deliveries[record_key] = seen + 1
            return seen == 0

    def corrupt(self, mode: str, record_key: str, every: int = 9, offset: int = 0) -> bool:
        """Whether a record is hit by record fault ``mode`` on this delivery (first deliveries only)."""
        return self.on(mode) and zlib.crc32(f"{mode}:{record_key}".encode()) % every == offset
