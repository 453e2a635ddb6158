"""``pilhub ids check FILE``: check identifiers line by line, as an integration engineer would.

Input lines are ``TYPE<TAB>VALUE``; output is exactly one line per input line,
``valid<TAB>NORMALISED`` or ``invalid<TAB>中文 / English``, so the output can be
pasted next to the agency's extract. The exit status is 0 even when values are
invalid (invalid values are the expected output, not a failure); it is 2 only when
the file cannot be read or is not UTF-8. Notes about conversions (a 15-digit ID
number upgraded) go to standard error, keeping standard output exact.
"""

from __future__ import annotations

import click
import typer

__all__ = ["check", "register"]


def _lines(data: bytes) -> list[str]:
    """Split on LF only (CRLF tolerated); a final newline does not start another line."""
    text = data.decode("utf-8-sig")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _result(number: int, line: str, notes: list[str]) -> str:
    from schemas.checks import CHECKS, check_value
    from schemas.errors import InvalidValue

    if "\t" not in line:
        return (
            f"invalid\t第{number}行缺少制表符（格式：类型<TAB>值） / line {number} has no tab (expected TYPE<TAB>VALUE)"
        )
    type_name, value = line.split("\t", 1)
    type_name = type_name.strip().lower()
    if type_name not in CHECKS:
        known = ", ".join(CHECKS)
        return (
            f"invalid\t第{number}行类型“{_one_line(type_name)}”未知（可用 {known}） / "
            f"line {number}: unknown type '{_one_line(type_name)}' (expected one of {known})"
        )
    try:
        normalised, note = check_value(type_name, value)
    except InvalidValue as exc:
        return f"invalid\t{_one_line(str(exc))}"
    if note is not None:
        notes.append(f"第{number}行：{note[0]} / line {number}: {note[1]}")
    return f"valid\t{normalised}"


def check(
    file: str = typer.Argument(
        ...,
        help="每行“类型<TAB>值”（UTF-8，可带 BOM）；'-' 读标准输入 / TYPE<TAB>VALUE lines; '-' reads standard input",
    ),
) -> None:
    """逐行核验标识符 / check identifiers line by line: credit_code, id_number, region_code, case_number, date."""
    try:
        if file == "-":
            data = click.get_binary_stream("stdin").read()
        else:
            with open(file, "rb") as handle:
                data = handle.read()
        lines = _lines(data)
    except OSError as exc:
        typer.echo(f"无法读取文件 / cannot read file: {exc}", err=True)
        raise typer.Exit(2) from None
    except UnicodeDecodeError:
        typer.echo("文件不是 UTF-8 编码 / the file is not UTF-8 encoded", err=True)
        raise typer.Exit(2) from None
    notes: list[str] = []
    out = click.get_binary_stream("stdout")
    for number, line in enumerate(lines, start=1):
        out.write(_result(number, line, notes).encode("utf-8") + b"\n")
    out.flush()
    for note in notes:
        typer.echo(note, err=True)


def register(app: typer.Typer) -> None:
    """Add the ``ids`` command group to the ``pilhub`` app."""
    ids_app = typer.Typer(
        help="标识符核验 (check identifiers in an agency extract)", no_args_is_help=True, add_completion=False
    )
    ids_app.command("check")(check)
    app.add_typer(ids_app, name="ids")
