"""Run exactly ``pilhub link …`` (hub.cli.link) in this process, without the other command groups.

The benchmark starts this in a subprocess so that the engine's wall time and peak memory are
measured on their own, the same way as the Splink baseline's.
"""

from __future__ import annotations

import sys

import typer

from hub.cli.link import register


def main() -> None:
    app = typer.Typer(add_completion=False)
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    app(["link", *sys.argv[1:]])


if __name__ == "__main__":
    main()
