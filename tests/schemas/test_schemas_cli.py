"""``pilhub ids check`` and ``pilhub schemas export`` through their own Typer apps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hub.cli import ids, schemas_cmd


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    ids.register(app)
    schemas_cmd.register(app)
    return app


INPUT = (
    "credit_code\t91350100m000100y43\n"
    "credit_code\t91350100M000100Y44\n"
    "id_number\t110105491231002\n"
    "id_number\t11010519491231002x\n"
    "region_code\t330824\n"
    "region_code\t330899\n"
    "case_number\t(2018)浙0824民初123号\n"
    "date\t2018年3月21日\n"
    "date\t2018-02-29\n"
    "phone\t13800000000\n"
    "no tab here\n"
    "\n"
    "CREDIT_CODE\t9144030071526726XG\n"
)


def _run(app: typer.Typer, args: list[str], stdin: bytes | None = None) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, args, input=stdin)
    return result.exit_code, result.stdout.split("\n")[:-1], result.stderr


def test_ids_check_prints_one_line_per_input_line(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "extract.tsv"
    path.write_text(INPUT, encoding="utf-8")
    code, lines, stderr = _run(app, ["ids", "check", str(path)])
    assert code == 0
    assert lines[0] == "valid\t91350100M000100Y43"
    assert lines[1].startswith("invalid\t第18位校验码不正确") and " / check character" in lines[1]
    assert lines[2] == "valid\t11010519491231002X"
    assert lines[3] == "valid\t11010519491231002X"
    assert lines[4] == "valid\t330824"
    assert lines[5] == "invalid\t行政区划代码不在 GB/T 2260 代码表中 / region code is not in the GB/T 2260 table"
    assert lines[6] == "valid\t（2018）浙0824民初123号"
    assert lines[7] == "valid\t2018-03-21"
    assert lines[8].startswith("invalid\t不存在的日期")
    assert lines[9].startswith("invalid\t第10行类型“phone”未知") and "line 10: unknown type 'phone'" in lines[9]
    assert lines[10].startswith("invalid\t第11行缺少制表符") and "line 11 has no tab" in lines[10]
    assert lines[11].startswith("invalid\t第12行缺少制表符")
    assert lines[12] == "valid\t9144030071526726XG"
    assert len(lines) == 13
    assert all(line.count("\t") == 1 and "\n" not in line for line in lines)
    assert "line 3: legacy 15-digit ID number converted" in stderr


def test_ids_check_reads_stdin_with_bom_and_crlf(app: typer.Typer) -> None:
    data = "\ufeffcredit_code\t91350100M000100Y43\r\ndate\t20180321\r\n".encode()
    code, lines, _ = _run(app, ["ids", "check", "-"], stdin=data)
    assert code == 0
    assert lines == ["valid\t91350100M000100Y43", "valid\t2018-03-21"]


def test_ids_check_unreadable_input_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    assert _run(app, ["ids", "check", str(tmp_path / "missing.tsv")])[0] == 2
    path = tmp_path / "gbk.tsv"
    path.write_bytes("date\t2018年3月21日\n".encode("gbk"))
    code, _, stderr = _run(app, ["ids", "check", str(path)])
    assert code == 2 and "UTF-8" in stderr


def test_schemas_export(app: typer.Typer, tmp_path: Path) -> None:
    code, lines, _ = _run(app, ["schemas", "export", str(tmp_path / "out")])
    assert code == 0
    assert any(line.endswith("index.json") for line in lines)
    index = json.loads((tmp_path / "out" / "index.json").read_text(encoding="utf-8"))
    assert "env.penalty" in index["kinds"]


def test_commands_are_registered_in_pilhub() -> None:
    """Read, not imported: importing main registers every other team's command module too."""
    main = (Path(__file__).parents[2] / "hub" / "cli" / "main.py").read_text(encoding="utf-8")
    assert '"hub.cli.ids",' in main and '"hub.cli.schemas_cmd",' in main
