"""``pilhub calendar parse / import / show`` and the sweep re-deriving the clocks of an imported year.

Runs on SQLite and, with PILHUB_TEST_POSTGRES_URL set, on PostgreSQL. No official 2027 notice is known to this
project: the 2027 text below is an ILLUSTRATION written in the notices' wording, used only inside a test store.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.cli.main import app
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import AuditEntry, CalendarYear, Clock, OutboxMessage

runner = CliRunner()
NOTICES = Path(__file__).with_name("notices")

# An illustration in the published wording — NOT the 2027 schedule (which is unknown here).
ILLUSTRATION_2027 = """国务院办公厅关于2027年部分节假日安排的通知（示例 / illustration）

一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月14日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def test_parse_json_is_exactly_the_days() -> None:
    result = runner.invoke(app, ["calendar", "parse", str(NOTICES / "2024.txt"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["year", "holidays", "workdays"] and out["year"] == 2024
    assert out["workdays"] == [
        "2024-02-04",
        "2024-02-18",
        "2024-04-07",
        "2024-04-28",
        "2024-05-11",
        "2024-09-14",
        "2024-09-29",
        "2024-10-12",
    ]
    # “1月1日放假，与周末连休”: the weekend before it (2023-12-30/31) rests with it
    assert len(out["holidays"]) == 32 and out["holidays"][:3] == ["2023-12-30", "2023-12-31", "2024-01-01"]


def test_parse_bad_file_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "notice.txt"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00")
    for path in (bad, tmp_path / "missing.txt"):
        result = runner.invoke(app, ["calendar", "parse", str(path)])
        assert result.exit_code == 2
        assert "Traceback" not in result.output and "/" in result.stderr and str(path) in result.stderr


@pytest.fixture
def store(use_store: str, tmp_path: Path) -> str:
    factory = open_store(use_store)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026-057' in line]
    # received today, 2026-12-05: two months end on 2027-02-05, 除夕
    lines = [line.replace('"received_on": "2026-11-12"', '"received_on": "2026-12-05"') for line in lines]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_cases(read_lines(tmp_path / "cases.jsonl"), factory)
    return use_store


def test_import_refuses_a_bad_notice_listing_every_problem(store: str, tmp_path: Path) -> None:
    text = ILLUSTRATION_2027.replace("共9天", "共8天").replace("2月20日（周六）", "2月22日（周六）")
    text = text.replace("四、劳动节：5月1日（周六）", "四、劳动节：5月3日（周一）")
    f = tmp_path / "2027.txt"
    f.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["calendar", "import", str(f)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("错误 / error")]
    assert len(errors) >= 4, result.stderr
    assert f"{f}:4:" in result.stderr and f"{f}:6:" in result.stderr  # file and line of each item
    with open_store(store)() as s:
        assert s.scalars(select(CalendarYear)).all() == []


def test_no_2027_calendar_then_importing_the_notice_moves_the_clock(store: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["sla", "sweep", "--as-of", "2026-12-05"]).exit_code == 0
    status = json.loads(runner.invoke(app, ["sla", "status", "KC-2026-057", "--as-of", "2026-12-05", "--json"]).stdout)
    (row,) = status
    assert row["state"] == "calendar_missing"
    assert (row["deadline_official"], row["deadline_latest"]) == ("2027-02-09", "2027-02-15")  # never 2-05 (除夕)
    shown = json.loads(runner.invoke(app, ["calendar", "show", "2027", "--json"]).stdout)
    assert shown["status"] == "calendar_missing" and "2027-02-05" in shown["statutory"]
    # past the earliest date with the year still unknown: the operator is alerted, the clock is not breached
    late = runner.invoke(app, ["sla", "sweep", "--as-of", "2027-02-10", "--json"])
    report = json.loads(late.stdout)
    assert any("ALERT" in w for w in report["warnings"]) and report["states"] == {"calendar_missing": 1}
    with open_store(store)() as s:  # one alert per day and operator contact, in the outbox
        alerts = s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("calendar-missing:%"))).all()
        assert len(alerts) == 1 and "KC-2026-057" in alerts[0].body and "2027-02-09 … 2027-02-15" in alerts[0].body
    runner.invoke(app, ["sla", "sweep", "--as-of", "2027-02-10"])
    with open_store(store)() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.dedupe_key.like("calendar-missing:%"))
            )
            == 1
        )

    f = tmp_path / "2027.txt"
    f.write_text(ILLUSTRATION_2027, encoding="utf-8")
    result = runner.invoke(app, ["calendar", "import", str(f), "--actor", "operator-test"])
    assert result.exit_code == 0, result.output
    # the reply clock, and the decision-to-sue clock that would start once its latest date has passed
    assert "KC-2026-057 reply:" in result.stdout and "KC-2026-057 lawsuit:" in result.stdout
    assert "2 open clocks move" in result.stdout
    shown = json.loads(runner.invoke(app, ["calendar", "show", "2027", "--json"]).stdout)
    assert shown["status"] == "covered" and "imported" in shown["source"] and "2027-02-14" in shown["workdays"]

    # the next daily sweep re-derives the clock on the imported year: 2-05 … 2-13 off, 2-14 (Sunday) worked
    assert runner.invoke(app, ["sla", "sweep", "--as-of", "2027-02-11"]).exit_code == 0
    with open_store(store)() as s:
        clock = s.scalars(select(Clock).where(Clock.kind == "reply")).one()
        assert not clock.calendar_missing
        assert (clock.deadline_official, clock.deadline_all_weekends) == (dt.date(2027, 2, 14), dt.date(2027, 2, 15))
        actions = [a for (a,) in s.execute(select(AuditEntry.action))]
        assert "calendar.import" in actions and "clock.recompute" in actions


def test_a_corrected_year_re_derives_its_clocks_at_the_next_daily_sweep(
    use_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calendar's content is an input of every deadline: correcting a covered year moves its clocks."""
    factory = open_store(use_store)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026-059' in line]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_cases(read_lines(tmp_path / "cases.jsonl"), factory)
    assert runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-23"]).exit_code == 0
    with factory() as s:
        assert s.scalars(select(Clock.deadline_official).where(Clock.kind == "reply")).one() == dt.date(2026, 11, 30)
        assert s.scalars(select(Clock.start_on).where(Clock.kind == "lawsuit")).one() == dt.date(2026, 11, 30)
    # an operator correction of 2026 (a made-up rest day, for the test only) in the operator's override file
    override = tmp_path / "calendar.toml"
    override.write_text(
        'version = 1\n[years.2026]\nholidays = [{ date = 2026-11-30, name = "更正示例", name_en = "test" }]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PILHUB_CALENDAR_FILE", str(override))
    result = runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-24", "--json"])
    assert result.exit_code == 0, result.output
    # Two clocks depend on the corrected day, so two change: the reply clock (its last day 11-30 is now a rest day
    # and moves to 12-01, 民法典 Art. 203) and the decision-to-sue clock, which starts on the day the agency counts
    # as not performing — the reply clock's last day — so its start moves from 11-30 to 12-01 with it.
    assert json.loads(result.stdout)["recompute"]["changed"] == 2
    with factory() as s:
        assert s.scalars(select(Clock.deadline_official).where(Clock.kind == "reply")).one() == dt.date(2026, 12, 1)
        assert s.scalars(select(Clock.start_on).where(Clock.kind == "lawsuit")).one() == dt.date(2026, 12, 1)
    # unchanged calendar: nothing more to re-derive
    again = json.loads(runner.invoke(app, ["sla", "sweep", "--as-of", "2026-11-25", "--json"]).stdout)
    assert again["recompute"]["changed"] == 0
