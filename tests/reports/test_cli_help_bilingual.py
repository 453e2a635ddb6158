"""Every ``pilhub`` command and every option or argument has help in Chinese and English.

Walks the whole command tree as typer builds it (typer carries its own copy of click, so groups are found by
their ``list_commands``), so a command added anywhere is checked without being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import click
import typer

from hub.cli.main import app

_ZH = re.compile(r"[\u4e00-\u9fff]")
_EN = re.compile(r"[A-Za-z]{3,}")


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _walk(sub, (*path, name))


def _bilingual(text: str | None) -> bool:
    text = text or ""
    return bool(_ZH.search(text)) and bool(_EN.search(text))


def test_every_command_and_option_has_chinese_and_english_help() -> None:
    root = typer.main.get_command(app)
    commands = list(_walk(root))
    assert len(commands) > 60  # the whole tree, not a stub
    missing: list[str] = []
    for path, command in commands:
        name = "pilhub " + " ".join(path) if path else "pilhub"
        if not _bilingual(command.help or command.short_help):
            missing.append(f"{name}: {(command.help or '')[:60]!r}")
        for param in command.params:
            if param.name == "help":
                continue
            text = getattr(param, "help", None)
            if not _bilingual(text):
                label = "/".join(param.opts) if param.param_type_name == "option" else param.name
                missing.append(f"{name} {label}: {text!r}")
    assert not missing, f"{len(missing)} without help in both languages:\n" + "\n".join(missing)
