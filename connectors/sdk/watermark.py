"""Incremental watermarks: the maximum update time seen, used inclusively, in the agency's own format.

An agency's list endpoint filters by update time with a request parameter whose format is
its own (``updated_from=20261205083000``, ``?since=1733387400``, ``?from=2026-12-05T08:30:00``)
and whose times are, unless it says otherwise, local times without an offset — Beijing time
for a Chinese agency. A stream declares all three (:class:`Watermark`); the runner then

* reads every record's update time in the declared format and zone and stores it as ISO text
  **with its offset** (``2026-12-05T08:30:00+08:00``), one fixed width per stream, so the
  stored cursor is unambiguous and text order is time order;
* resumes from the maximum update time seen and asks for it **inclusively** (``>=``): several
  records share one second, and "max + 1 s" or "now" would skip the ones that arrived in the
  same second as the last one read — the records seen twice are counted as duplicates.

Records whose update time cannot be read keep no cursor of their own (they neither move nor
hold the cursor); the stream's mapping decides whether they are valid records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

#: Naive agency times are Beijing time unless the stream declares another zone.
DEFAULT_SOURCE_TIMEZONE = "Asia/Shanghai"
EPOCH_SECONDS = "epoch_s"
EPOCH_MILLISECONDS = "epoch_ms"
ISO = "iso"


@dataclass(frozen=True)
class Watermark:
    """Declaration of a stream's incremental cursor.

    ``field``: the record's update time (dotted path). ``param``: the request parameter that
    carries the lower bound (inclusive); ``until_param`` the upper bound of a window (exclusive).
    ``format``: ``"iso"``, ``"epoch_s"``, ``"epoch_ms"`` or a ``strftime`` pattern such as
    ``"%Y%m%d%H%M%S"`` — how the agency writes times in requests and, unless ``field_format``
    says otherwise, in records. ``timezone``: the IANA zone of times without an offset.
    """

    field: str
    param: str | None = None
    format: str = ISO
    timezone: str = DEFAULT_SOURCE_TIMEZONE
    until_param: str | None = None
    field_format: str | None = None

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def parse(self, value: Any, fmt: str | None = None) -> datetime | None:
        """A time as the agency writes it (record field or stored cursor) → aware datetime, ``None`` if unreadable."""
        if value is None or value == "":
            return None
        fmt = fmt or self.field_format or self.format
        try:
            if fmt in (EPOCH_SECONDS, EPOCH_MILLISECONDS):
                number = float(value)
                return datetime.fromtimestamp(number / 1000 if fmt == EPOCH_MILLISECONDS else number, UTC).astimezone(
                    self.zone
                )
            text = str(value).strip()
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00")) if fmt == ISO else datetime.strptime(text, fmt)
        except (TypeError, ValueError, OverflowError, OSError):
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)

    def cursor_of(self, value: Any) -> str | None:
        """A record's update time as the stored cursor text (ISO with offset, in the source zone)."""
        parsed = self.parse(value)
        return None if parsed is None else self.stored(parsed)

    def stored(self, when: datetime) -> str:
        spec = "milliseconds" if EPOCH_MILLISECONDS in (self.format, self.field_format) else "seconds"
        if spec == "seconds" and when.microsecond:
            spec = "microseconds"
        return when.astimezone(self.zone).isoformat(timespec=spec)

    def request_value(self, cursor: str) -> str:
        """The stored cursor (or a window bound, ISO) as the request parameter's value, in the agency's format."""
        when = self.parse(cursor, ISO)
        if when is None:
            return cursor
        local = when.astimezone(self.zone)
        if self.format == EPOCH_SECONDS:
            return str(int(local.timestamp()))  # whole seconds, rounded down: still inclusive
        if self.format == EPOCH_MILLISECONDS:
            return str(int(local.timestamp() * 1000))
        if self.format == ISO:
            return local.isoformat()
        if "%f" not in self.format and local.microsecond:
            local -= timedelta(microseconds=local.microsecond)  # round down: inclusive
        return local.strftime(self.format)
