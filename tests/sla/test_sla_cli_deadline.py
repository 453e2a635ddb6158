"""``pilhub deadline``: stdout exactness, --explain, exit 3 on a missing calendar, exit 2 on bad input."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from hub.cli.deadline import PolicyChoice, register
from sla.calendar import ENV_CALENDAR_FILE, Policy, default_calendar


@pytest.fixture(autouse=True)
def _shipped_calendar_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_CALENDAR_FILE, raising=False)
    default_calendar.cache_clear()
    yield
    default_calendar.cache_clear()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """A root app with only this command, so the test does not depend on other command modules."""
    root = typer.Typer()

    @root.callback()
    def _root() -> None:  # keeps ``deadline`` a sub-command, as under ``pilhub``
        pass

    register(root)
    return root


def run(app: typer.Typer, *args: str) -> Result:
    return CliRunner().invoke(app, ["deadline", *args])


def test_prints_only_the_iso_date(app: typer.Typer) -> None:
    # 2024-08-01 + 2 months = 2024-10-01, National Day hol 10-01..10-07 → 2024-10-08 (checked by hand)
    res = run(app, "--start", "2024-08-01", "--period", "2m")
    assert res.exit_code == 0
    assert res.stdout == "2024-10-08\n"
    assert res.stderr == ""


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("official", "2024-10-12\n"), ("all-weekends", "2024-10-14\n"), ("ALL-WEEKENDS", "2024-10-14\n")],
)
def test_policy_option(app: typer.Typer, policy: str, expected: str) -> None:
    # 9-27 + 15d = 10-12 Sat, a 调休上班日 in 2024
    res = run(app, "--start", "2024-09-27", "--period", "15d", "--policy", policy)
    assert res.exit_code == 0 and res.stdout == expected


def test_explain(app: typer.Typer) -> None:
    res = run(app, "--start", "2024-08-01", "--period", "2m", "--explain")
    assert res.exit_code == 0
    assert "Raw end: 2024-10-01" in res.stdout
    assert "国庆节假日 / National Day holiday" in res.stdout
    assert "Deadline: 2024-10-08" in res.stdout


def test_explain_shows_the_other_reading_when_it_differs(app: typer.Typer) -> None:
    res = run(app, "--start", "2024-09-27", "--period", "15d", "--explain")
    assert res.exit_code == 0
    assert "Deadline: 2024-10-12" in res.stdout
    assert "all-weekends" in res.stdout and "2024-10-14" in res.stdout


def test_missing_calendar_prints_provisional_date_warns_and_exits_3(app: typer.Typer) -> None:
    res = run(app, "--start", "2026-12-03", "--period", "1m")
    assert res.exit_code == 3
    assert res.stdout == "2027-01-04\n"
    assert "警告" in res.stderr and "warning" in res.stderr and "2027" in res.stderr


def test_missing_calendar_with_explain_exits_3(app: typer.Typer) -> None:
    res = run(app, "--start", "2026-12-03", "--period", "1m", "--explain")
    assert res.exit_code == 3
    assert "earliest possible date" in res.stdout and "Latest plausible: 2027-01-04" in res.stdout
    assert "warning" in res.stderr


def test_next_years_spring_festival_is_never_the_deadline(app: typer.Typer) -> None:
    """2026-12-05 + 2 months = 2027-02-05, 除夕 — a statutory holiday whatever the 2027 notice will say."""
    res = run(app, "--start", "2026-12-05", "--period", "2m")
    assert res.exit_code == 3
    assert res.stdout == "2027-02-09\n"
    assert "2027-02-15" in res.stderr  # the latest plausible date
    res = run(app, "--start", "2026-12-05", "--period", "2m", "--explain")
    assert res.exit_code == 3
    assert "Deadline: 2027-02-09" in res.stdout and "Latest plausible: 2027-02-15" in res.stdout
    assert "2027-02-05 春节法定节假日" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--start", "2024-08-01", "--period", "2x"), "invalid period"),
        (("--start", "2024-08-01", "--period", "0d"), "invalid period"),
        (("--start", "2024-02-30", "--period", "2m"), "invalid --start"),
        (("--start", "yesterday", "--period", "2m"), "invalid --start"),
        (("--start", "9999-12-01", "--period", "2m"), "out of range"),
        (("--start", "2024-08-01", "--period", "2m", "--policy", "lenient"), "--policy"),
        (("--period", "2m"), "--start"),
    ],
)
def test_bad_input_exits_2(app: typer.Typer, args: tuple[str, ...], needle: str) -> None:
    res = run(app, *args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert needle in res.stderr


def test_policy_choices_match_the_policy_enum() -> None:
    assert {c.value for c in PolicyChoice} == {p.value for p in Policy}


def test_registered_in_pilhub() -> None:
    main = importlib.import_module("hub.cli.main")
    assert "hub.cli.deadline" in main.COMMAND_MODULES


def test_through_the_real_pilhub_app() -> None:
    try:
        main = importlib.import_module("hub.cli.main")
    except ModuleNotFoundError as exc:  # another team's command module is not there yet
        pytest.skip(f"pilhub app not importable yet: {exc}")
    res = CliRunner().invoke(main.app, ["deadline", "--start", "2024-08-01", "--period", "2m"])
    assert res.exit_code == 0 and res.stdout == "2024-10-08\n"
