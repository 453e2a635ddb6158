"""``pilhub deadline``: compute a statutory deadline (期限计算) from a receipt date and a period.

Plain ``typer.echo`` rather than rich: scripts read stdout (only the ISO date without ``--explain``), and
rich would wrap the long explanation lines.

Exit status: 0 computed; 2 bad ``--start`` / ``--period``; 3 the calendar does not cover a year the
computation needs (the earliest date the deadline can fall on is printed — never a statutory holiday — and the
latest plausible one goes to stderr and into ``--explain``); 1 a broken calendar override file.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import typer


class PolicyChoice(StrEnum):
    """The values of ``sla.calendar.Policy``, mirrored here.

    Importing this module (``pilhub --help``) then loads neither the calendar data nor pydantic; a test
    keeps the two in step.
    """

    OFFICIAL = "official"
    ALL_WEEKENDS = "all-weekends"


EXIT_BAD_INPUT = 2
EXIT_CALENDAR_MISSING = 3
EXIT_CALENDAR_CONFIG = 1


def deadline_cmd(
    start: str = typer.Option(..., "--start", help="送达（收到）之日，YYYY-MM-DD / day of receipt"),
    period: str = typer.Option(..., "--period", help="期间：Nd（日）或 Nm（月），如 15d、2m / period"),
    explain: bool = typer.Option(False, "--explain", help="输出计算过程 / print the explanation"),
    policy: PolicyChoice = typer.Option(
        PolicyChoice.OFFICIAL,
        "--policy",
        case_sensitive=False,
        help="调休上班日口径 / reading of make-up working days: official | all-weekends",
    ),
) -> None:
    """计算法定期限届满日 / compute the last day of a statutory period (民法典 Arts. 200–204)."""
    from sla.calendar import CalendarConfigError, Policy
    from sla.periods import Period, PeriodError, compute_both

    try:
        start_date = dt.date.fromisoformat(start.strip())
    except ValueError:
        typer.echo(
            f"起算日无效：{start!r}，应为有效日期 YYYY-MM-DD，如 2024-08-01 / invalid --start {start!r}: "
            "expected a valid date YYYY-MM-DD, e.g. 2024-08-01",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        parsed = Period.parse(period)
    except PeriodError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        both = compute_both(start_date, parsed, _calendar())
    except CalendarConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CALENDAR_CONFIG) from None
    except OverflowError:
        typer.echo(f"期限超出可计算范围 / deadline out of range: {start_date} + {parsed}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    official = Policy(policy.value) is Policy.OFFICIAL
    chosen = both.official if official else both.all_weekends
    other = both.all_weekends if official else both.official
    if explain:
        typer.echo(chosen.explain())
        if both.differs:
            # DOMAIN "Statutory periods": where the two readings differ, show both.
            typer.echo(
                f"另一口径（{other.policy.value}）届满日为 {other.date}；"
                f"认定超期以较晚的 {both.breach_after} 为准 / under the other reading "
                f"({other.policy.value}) the deadline is {other.date}; a breach is declared only after "
                f"the later date, {both.breach_after}"
            )
    else:
        typer.echo(chosen.date.isoformat())

    if chosen.calendar_missing:
        years = "、".join(str(y) for y in both.missing_years)
        typer.echo(
            f"警告：{years}年国务院节假日安排尚未录入日历；{chosen.date} 是届满日最早可能落在的日期（法定节假日已按"
            f"休息日计），最晚可能为 {both.breach_after}；提醒自最早日起算，超期只在最晚日之后认定。通知公布后请用 "
            f"`pilhub calendar import 通知.txt` 录入 / warning: no State Council holiday schedule for {years} is "
            f"loaded; {chosen.date} is the earliest date the deadline can fall on (statutory holidays already count "
            f"as rest days), the latest plausible is {both.breach_after}; reminders count from the earliest, a "
            "breach is declared only after the latest. Once the notice is published, load it with "
            "`pilhub calendar import NOTICE.txt`",
            err=True,
        )
        raise typer.Exit(EXIT_CALENDAR_MISSING)


def _calendar():  # type: ignore[no-untyped-def]
    """The calendar in force: with the store's imported notices when a store is configured or exists (so a
    year imported with ``pilhub calendar import`` counts here too), else the package and override files."""
    import os

    from hub.config import var_dir
    from sla.calendar import default_calendar

    if not os.environ.get("PILHUB_DATABASE_URL") and not (var_dir() / "pilhub.db").exists():
        return default_calendar()
    from hub.calendar_store import store_calendar
    from hub.store.db import open_store

    with open_store()() as session:
        return store_calendar(session)


def register(app: typer.Typer) -> None:
    """Add ``pilhub deadline`` to the root app."""
    app.command("deadline")(deadline_cmd)
