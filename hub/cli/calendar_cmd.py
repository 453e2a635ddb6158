"""``pilhub calendar parse / import / show``: next year's holiday schedule, entered as the State Council publishes it.

* ``parse NOTICE.txt [--json]`` — the days off and make-up working days of a notice (国务院办公厅关于YYYY年部分
  节假日安排的通知, plain text; a file may add the notices adjusting it). ``--json`` prints exactly
  ``{"year": …, "holidays": […], "workdays": […]}``, ISO dates, sorted.
* ``import NOTICE.txt [--dry-run]`` — checks the notice against 全国年节及纪念日放假办法 Art. 2 and the calendar,
  reports every problem with file and line, shows the open clocks that will move, and installs the year in the
  store (audited; the newest import of a year is in force). The next sweep re-derives the moved clocks.
* ``show YEAR [--json]`` — what is in force for a year and where it comes from; for a year without a notice, the
  statutory holidays already known.

Exit status: 0 done; 2 a file that cannot be read as a notice, or an import refused (every problem listed);
1 a broken calendar override file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

calendar_app = typer.Typer(
    help="官方节假日日历：录入、核对、查看 / the official holiday calendar: enter, check, show",
    no_args_is_help=True,
)

EXIT_BAD_NOTICE = 2
EXIT_CALENDAR_CONFIG = 1


def _read(path: Path):  # type: ignore[no-untyped-def]
    """Parse the file or end with a bilingual message and exit status 2 (never a traceback)."""
    from sla.notice import NoticeError, parse_notice, read_notice

    try:
        text = read_notice(path)
        return text, parse_notice(text)
    except NoticeError as exc:
        typer.echo(
            f"{path}: 无法识别为国务院节假日安排通知 / not readable as a State Council holiday notice:", err=True
        )
        for line in str(exc).splitlines():
            typer.echo(f"  {path}: {line}", err=True)
        raise typer.Exit(EXIT_BAD_NOTICE) from None


@calendar_app.command("parse")
def parse_cmd(
    notice_file: Path = typer.Argument(..., help="通知文本文件（UTF-8 或 GB18030）/ the notice as plain text"),
    as_json: bool = typer.Option(
        False, "--json", help='输出 {"year","holidays","workdays"} / print {"year","holidays","workdays"}'
    ),
) -> None:
    """解析国务院节假日安排通知 / read the days off and make-up working days of a State Council notice."""
    from sla.notice import check_notice
    from sla.statutory import FESTIVALS

    _text, notice = _read(notice_file)
    if as_json:
        typer.echo(json.dumps(notice.as_json(), ensure_ascii=False))
    else:
        typer.echo(f"{notice.year}年 / year {notice.year}: {notice.title or '—'} {' '.join(notice.doc_numbers)}")
        for item in notice.items:
            names = "、".join(FESTIVALS[f][0] for f in item.festivals)
            extra = f"，补休 / in lieu {', '.join(map(str, item.in_lieu))}" if item.in_lieu else ""
            work = f"；上班 / make-up {', '.join(map(str, item.workdays))}" if item.workdays else ""
            typer.echo(f"  第{item.line}行 / line {item.line} {names}: {item.start} … {item.end}{extra}{work}")
        if notice.extension_days:
            typer.echo(f"  延长 / extended: {', '.join(map(str, notice.extension_days))}")
        typer.echo(f"放假 / days off: {len(notice.holidays)}；调休上班 / make-up working days: {len(notice.workdays)}")
    for problem in check_notice(notice):
        typer.echo(
            f"{'注意 / note' if problem.severity == 'warning' else '问题 / problem'}: "
            f"{problem.render(str(notice_file))}",
            err=True,
        )


@calendar_app.command("import")
def import_cmd(
    notice_file: Path = typer.Argument(..., help="通知文本文件 / the notice as plain text"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只核对、不录入 / check and show, install nothing"),
    actor: str = typer.Option("cli", "--actor", help="操作人（记入审计）/ who imports (audited)"),
) -> None:
    """核对并录入一年的节假日安排 / check a notice and install its year (the next sweep moves the clocks)."""
    from hub.calendar_store import clocks_that_move, import_notice, schedule_of, store_calendar
    from hub.store.db import open_store
    from sla.calendar import CalendarConfigError
    from sla.notice import check_notice

    text, notice = _read(notice_file)
    problems = check_notice(notice)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        label = "注意 / note" if p.severity == "warning" else "错误 / error"
        typer.echo(f"{label}: {p.render(str(notice_file))}", err=True)
    if errors:
        typer.echo(
            f"{notice_file}: 共 {len(errors)} 处错误，未录入 / {len(errors)} error(s): nothing installed", err=True
        )
        raise typer.Exit(EXIT_BAD_NOTICE)
    factory = open_store()
    try:
        with factory() as session:
            source = "；".join(filter(None, [notice.title, *notice.doc_numbers]))
            new = store_calendar(session, extra=[schedule_of(notice, source)])
            moves = clocks_that_move(session, new, notice.year)
            typer.echo(
                f"{notice.year}年：放假 {len(notice.holidays)} 天、调休上班 {len(notice.workdays)} 天；"
                f"{len(moves)} 个未结时钟将于下次巡检时重新计算 / {notice.year}: {len(notice.holidays)} days off, "
                f"{len(notice.workdays)} make-up working days; {len(moves)} open clocks move at the next sweep"
            )
            for m in moves:
                typer.echo(f"  {m.case_id} {m.clock_key}: {_range(m.before)} → {_range(m.after)}")
            if dry_run:
                typer.echo("--dry-run：未录入 / nothing installed")
                return
            row = import_notice(session, notice, text, notice_file, actor=actor)
            session.commit()
            typer.echo(f"已录入（#{row.id}，sha256 {row.notice_sha256[:16]}…）/ installed")
    except CalendarConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CALENDAR_CONFIG) from None


def _range(dates: tuple[object, object, bool]) -> str:
    earliest, latest, missing = dates
    if missing and earliest != latest:
        return f"{earliest} … {latest}（待定 / range）"
    return f"{earliest}" + (f"（最晚 / latest {latest}）" if latest != earliest else "")


@calendar_app.command("show")
def show_cmd(
    year: int = typer.Argument(..., help="年份 / year, e.g. 2027"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print as JSON"),
) -> None:
    """查看某年生效的节假日安排及其来源 / show the schedule in force for a year and where it comes from."""
    from hub.calendar_store import store_calendar
    from hub.store.db import open_store
    from sla.calendar import CalendarConfigError, DayKind
    from sla.statutory import FIRST_STATUTORY_YEAR, LAST_STATUTORY_YEAR, statutory_days

    try:
        with open_store()() as session:
            cal = store_calendar(session)
    except CalendarConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CALENDAR_CONFIG) from None
    covered = cal.covers(year)
    entries = cal.entries(year)
    statutory = (
        [(sd.day, sd.name_zh, sd.basis) for sd in statutory_days(year).values()]
        if FIRST_STATUTORY_YEAR <= year <= LAST_STATUTORY_YEAR
        else []
    )
    out = {
        "year": year,
        "status": "covered" if covered else "calendar_missing",
        "source": cal.source(year),
        "holidays": [d.day.isoformat() for d in entries if d.kind is DayKind.HOLIDAY],
        "workdays": [d.day.isoformat() for d in entries if d.kind is DayKind.MAKEUP_WORKDAY],
        "statutory": [d.isoformat() for d, _n, _b in statutory],
        "digest": cal.year_digest(year),
    }
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    if covered:
        typer.echo(f"{year}年：已录入 / covered — 来源 / source: {out['source']}")
        for d in entries:
            kind = "放假 / off" if d.kind is DayKind.HOLIDAY else "调休上班 / make-up working day"
            typer.echo(f"  {d.day} {_weekday(d.day)} {d.name_zh or ''} {kind}")
    else:
        typer.echo(
            f"{year}年：国务院节假日安排尚未录入（calendar_missing）；届满日以区间表示，提醒自最早可能日起算，超期只在"
            f"最晚可能日之后认定。通知公布后：pilhub calendar import 通知.txt / {year}: no State Council schedule "
            "loaded (calendar_missing); deadlines are ranges. Once published: pilhub calendar import NOTICE.txt"
        )
        if entries:
            typer.echo(f"  部分日期已由覆盖文件给出 / some days come from an override file: {out['source']}")
    if statutory:
        typer.echo("法定节假日（全国年节及纪念日放假办法第二条，无论通知如何安排均放假）/ statutory holidays:")
        for d, name, _basis in statutory:
            typer.echo(f"  {d} {_weekday(d)} {name}")


def _weekday(d: dt.date) -> str:
    return f"周{'一二三四五六日'[d.weekday()]}"


def register(app: typer.Typer) -> None:
    """Add ``pilhub calendar`` to the root app."""
    app.add_typer(calendar_app, name="calendar")
