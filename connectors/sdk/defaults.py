"""Settings a connector's streams share, declared once: :class:`ResourceDefaults`.

An agency system pages, signs, reports totals and stamps update times the same way on
every endpoint, so those declarations belong in one place — not copied into each stream,
and not splatted in from a dict (``**_paging``) where a misspelt key surfaces as a
``TypeError`` far from its cause. ``ResourceDefaults(paginator=…, records_path=…)`` checks
its keys against :class:`~connectors.sdk.declarations.Stream` at once, and
``defaults.stream(name, kind, path, …)`` builds a stream from them; a stream overrides any
key by giving it, and ``params`` are merged key by key. Connector files of declarations
(:mod:`connectors.sdk.spec_file`) have the same section, ``resource_defaults``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from connectors.sdk.declarations import Stream

__all__ = ["ResourceDefaults"]

#: What identifies a stream is never a default.
_PER_STREAM = frozenset({"name", "kind", "path"})


def _stream_fields() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(Stream) if f.init) - _PER_STREAM


class ResourceDefaults:
    """Stream settings shared by all streams of a connector; build streams with :meth:`stream`."""

    __slots__ = ("values",)

    def __init__(self, **values: Any) -> None:
        allowed = _stream_fields()
        for key in values:
            if key not in allowed:
                near = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                raise TypeError(f"ResourceDefaults: unknown stream setting '{key}'{hint}")
        self.values: Mapping[str, Any] = MappingProxyType(dict(values))

    def merged(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The defaults with ``overrides`` on top (``params`` merged key by key)."""
        out = {**self.values, **overrides}
        if isinstance(self.values.get("params"), Mapping) and isinstance(overrides.get("params"), Mapping):
            out["params"] = {**self.values["params"], **overrides["params"]}
        return out

    def stream(self, name: str, kind: str, path: str, **overrides: Any) -> Stream:
        """A :class:`Stream` with these defaults and ``overrides``."""
        return Stream(name, kind, path, **self.merged(overrides))

    def __repr__(self) -> str:
        return f"ResourceDefaults({', '.join(f'{k}={v!r}' for k, v in self.values.items())})"
