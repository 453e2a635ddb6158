"""SQL is built only with bound parameters: injection strings through every CLI filter match nothing and change nothing.

Covers the CLI filters that exist today (cases list/show, agencies list, keys agency list);
the API's filters join this test when the API exists.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hub.cli.main import app
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store

runner = CliRunner()
INJECTIONS = [
    "' OR '1'='1",
    "x'; DROP TABLE cases; --",
    '" OR ""="',
    "330824' UNION SELECT name_enc, id_number_enc, 1, 1, 1, 1, 1 FROM parties --",
    "%",
    "_",
    "开化县' OR 1=1 --",
    "\\'; DELETE FROM audit_log; --",
    "1; UPDATE audit_log SET actor='x'",
]
FILTERS = [
    ["cases", "list", "--status"],
    ["cases", "list", "--district"],
    ["agencies", "list", "--region"],
    ["keys", "agency", "list", "--agency"],
    ["cases", "show"],
]


def _counts(url: str) -> tuple[int, ...]:
    with open_store(url)() as s:
        return tuple(
            s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("cases", "parties", "audit_log", "agencies")
        )


@pytest.fixture
def loaded(use_store: str) -> str:
    import_cases(read_lines(SAMPLE_CASES), open_store(use_store))
    return use_store


def test_injection_strings_match_nothing_and_change_nothing(loaded: str) -> None:
    before = _counts(loaded)
    for command in FILTERS:
        for payload in INJECTIONS:
            result = runner.invoke(app, [*command, payload])
            assert result.exception is None or isinstance(result.exception, SystemExit), (command, payload)
            assert "KC-20" not in result.stdout, f"{command} {payload!r} matched rows"
    assert _counts(loaded) == before
    assert runner.invoke(app, ["audit", "verify", "--no-anchor"]).exit_code == 0
