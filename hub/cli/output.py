"""Console helpers shared by the command modules: one rich console per stream, identifier columns, limits."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def add_id_column(table: Table, header: str, values: Iterable[str | None], **kw: object) -> None:
    """A column of identifiers (case numbers, recommendation numbers) that is never cut or wrapped.

    Rich shrinks columns to the terminal width and would end ``KC-2017-001`` as ``KC-2017-0…``; an
    identifier cut short is useless (it cannot be copied into the next command), so this column keeps
    its full width and the free-text columns (titles, agency names) wrap instead.
    """
    widest = max((cell_len(v) for v in values if v), default=0)
    table.add_column(header, no_wrap=True, min_width=max(widest, 4), overflow="fold", **kw)  # type: ignore[arg-type]


def shown_of(shown: int, total: int, *, hint: str = "--limit") -> str | None:
    """``显示 50 条，共 60 条 / showing 50 of 60 (--limit N for more)`` when a listing was cut, else None."""
    if shown >= total:
        return None
    return f"显示 {shown} 条，共 {total} 条（用 {hint} 查看更多）/ showing {shown} of {total} ({hint} N for more)"
