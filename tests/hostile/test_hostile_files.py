"""Hostile and careless files through every file entry point: line errors or a clear exit 2, never a traceback.

Each file here is one an agency, a careless operator or an attacker could hand the hub: one bad byte, the
wrong encoding, a 5 MB line, duplicate keys, ids that are paths or templates, a district that is not the
region code's, figures that do not fit the columns, JSON nested ten thousand deep (also inside a CSV cell),
5,000-digit integers, dates that do not exist. Good lines in the same file are always kept.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli.main import app
from hub.ingest.file_check import FileFormatError, check_file
from hub.registry.importer import import_cases, parse_line, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import Case
from schemas.textfile import UnreadableFile, loads_strict, open_text

runner = CliRunner()
SAMPLE = [json.loads(line) for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines()]
RECEIPT = {
    "recommendation_number": "柯检行公建〔2018〕3号",
    "receiving_agency": "衢州市柯城区水利局",
    "received_date": "2018年3月10日",
    "receiver": "王建国",
}


def _line(case: dict[str, Any]) -> str:
    return json.dumps(case, ensure_ascii=False)


def _case(i: int, **changes: Any) -> dict[str, Any]:
    return {**SAMPLE[i], **changes}


def _cases_in(url: str) -> set[str]:
    with open_store(url)() as s:
        return set(s.execute(select(Case.case_id)).scalars())


def _import(url: str, path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["cases", "import", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _errors(output: str) -> list[dict[str, Any]]:
    return json.loads(output[output.index("{") :])["errors"]


# --- cases import ----------------------------------------------------------------------------------------


def test_one_invalid_utf8_byte_costs_only_its_line(use_store: str, tmp_path: Path) -> None:
    path = tmp_path / "one-bad-byte.jsonl"
    lines = [_line(_case(i)).encode() for i in range(3)]
    lines[1] = lines[1].replace("督促".encode(), b"\xff" + "促".encode(), 1)
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out = _import(use_store, path)
    assert code == 1
    errors = _errors(out)
    assert [(e["line"], e["field"]) for e in errors] == [(2, "(line)")]
    assert "utf-8" in errors[0]["reason_en"] and "编码" in errors[0]["reason_zh"]
    assert _cases_in(use_store) == {SAMPLE[0]["case_id"], SAMPLE[2]["case_id"]}


@pytest.mark.parametrize("codec", ["utf-8-sig", "gb18030", "utf-16", "utf-16-be"])
def test_every_supported_encoding_loads_every_line(use_store: str, tmp_path: Path, codec: str) -> None:
    path = tmp_path / f"{codec}.jsonl"
    text = "\n".join(_line(_case(i)) for i in range(5)) + "\r\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # Python's utf-16-be writes no BOM; Windows tools do
    path.write_bytes(data)
    code, out = _import(use_store, path)
    assert code == 0, out
    assert _cases_in(use_store) == {c["case_id"] for c in SAMPLE[:5]}


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x00\x01\x02binary\x00" * 100, "NUL"),
        ("{}\n".encode("utf-32"), "UTF-32"),
        (bytes(range(128, 256)) * 50, "encoding"),
    ],
)
def test_unreadable_file_is_exit_2_with_a_bilingual_message(
    use_store: str, tmp_path: Path, data: bytes, said: str
) -> None:
    path = tmp_path / "unreadable.jsonl"
    path.write_bytes(data)
    for command in (["cases", "import", str(path)], ["validate", "agency.receipt", str(path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert isinstance(result.exception, SystemExit)
        assert said in result.output and any("\u4e00" <= ch <= "\u9fff" for ch in result.output)
    assert _cases_in(use_store) == set()


def test_missing_file_and_directory_are_exit_2_in_both_languages(use_store: str, tmp_path: Path) -> None:
    for target in (tmp_path / "nope.jsonl", tmp_path):
        for command in (["cases", "import", str(target)], ["validate", "agency.receipt", str(target)]):
            result = runner.invoke(app, command)
            assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
            assert ("不存在" in result.output and "no such file" in result.output) or (
                "目录" in result.output and "directory" in result.output
            )


def test_overlong_line_is_refused_without_being_read_whole(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("wb") as fh:
        fh.write(_line(_case(0)).encode() + b"\n")
        fh.write(b'{"case_id": "' + b"A" * 8_000_000 + b'"}\n')  # 8 MB, limit 1 MB
        fh.write(_line(_case(1)).encode() + b"\n")
    tracemalloc.start()
    lines = list(read_lines(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3_000_000, f"peak {peak} bytes: the 8 MB line was held"
    report = import_cases(lines, open_store(store_url))
    assert (report.received, report.inserted, report.rejected) == (3, 2, 1)
    assert report.errors[0].line == 2 and "1000000 bytes" in report.errors[0].reason_en


def test_duplicate_key_is_refused_naming_the_key_and_line(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    good = _line(_case(0))
    moved = _line(_case(1))[:-1] + ', "region_code": "330881"}'  # a second region_code would move the case
    path.write_text(good + "\n" + moved + "\n", encoding="utf-8")
    report = import_cases(read_lines(path), open_store(store_url))
    assert (report.inserted, report.rejected) == (1, 1)
    error = report.errors[0]
    assert error.line == 2 and error.field == "region_code" and "region_code" in error.reason_zh
    assert "duplicate JSON key 'region_code'" in error.reason_en


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_id": "../../x"}, "case_id"),
        ({"case_id": "{{7*7}}"}, "case_id"),
        ({"case_id": "KC 1; rm -rf"}, "case_id"),
        ({"recommendations": [{**SAMPLE[0]["recommendations"][0], "rec_id": "../etc/passwd"}]}, "rec_id"),
        ({"recommendations": [{**SAMPLE[0]["recommendations"][0], "rec_id": "${jndi:x}"}]}, "rec_id"),
        ({"district": "柯城区"}, "district"),  # SAMPLE[0] is 开化县 330824
        ({"region_code": "339999"}, "region_code"),
        ({"outcomes": {"money_recovered_yuan": 1e308}}, "outcomes.money_recovered_yuan"),
        ({"outcomes": {"land_restored_mu": int("9" * 38)}}, "outcomes.land_restored_mu"),
        ({"outcomes": {"waste_removed_t": 1e12}}, "outcomes.waste_removed_t"),
        ({"opened_on": "2017-02-30"}, "opened_on"),
        ({"title": "督促" * 300}, "title"),  # 600 characters: VARCHAR(500) on PostgreSQL
        ({"status": "open" * 10}, "status"),
        ({"parties": [{**SAMPLE[0]["parties"][0], "kind": "company", "name": "某" * 301}]}, "parties[0].name"),
        ({"recommendations": [{**SAMPLE[0]["recommendations"][0], "agency": "局" * 201}]}, "recommendations[0].agency"),
    ],
)
def test_line_refused_with_the_field_named_on_both_engines(
    store_url: str, tmp_path: Path, changes: dict[str, Any], field: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(_line(_case(2)) + "\n" + _line(_case(0, **changes)) + "\n", encoding="utf-8")
    report = import_cases(read_lines(path), open_store(store_url))
    assert (report.received, report.inserted, report.rejected) == (2, 1, 1), report.errors
    assert report.errors[0].line == 2 and field in report.errors[0].field, report.errors
    assert report.errors[0].field != "(store)"
    if field == "opened_on":
        assert "日期不存在" in report.errors[0].reason_zh and "does not exist" in report.errors[0].reason_en
    assert _cases_in(store_url) == {SAMPLE[2]["case_id"]}


@pytest.mark.parametrize("district", ["开化县", "开化", "衢州市开化县", "浙江省衢州市开化县"])
def test_district_spellings_of_the_same_division_are_accepted(store_url: str, tmp_path: Path, district: str) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(_line(_case(0, district=district)) + "\n", encoding="utf-8")
    assert import_cases(read_lines(path), open_store(store_url)).inserted == 1


def test_largest_storable_figures_round_trip(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "max.jsonl"
    outcomes = {
        "land_restored_mu": "999999999999.99",
        "waste_removed_t": 0,
        "money_recovered_yuan": "99999999999999.99",
    }
    path.write_text(_line(_case(0, outcomes=outcomes)) + "\n", encoding="utf-8")
    assert import_cases(read_lines(path), open_store(store_url)).inserted == 1
    with open_store(store_url)() as s:
        assert str(s.execute(select(func.max(Case.money_recovered_yuan))).scalar_one()).startswith("99999999999999")


def test_json_error_names_the_right_column(tmp_path: Path) -> None:
    path = tmp_path / "col.jsonl"
    path.write_bytes("\ufeff".encode() + b'{"case_id": "KC-1",, "x": 1}\n')  # BOM must not shift the column
    [(number, text)] = list(read_lines(path))
    [error] = parse_line(number, text)  # type: ignore[misc]
    assert error.line == 1 and "column 20" in error.reason_en and "第 20 列" in error.reason_zh


# --- validate --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "bad_line", "code"),
    [
        ("deep.jsonl", "[" * 100_000 + "]" * 100_000, "json.too_deep"),
        ("deep-object.jsonl", '{"a":' * 5_000 + "1" + "}" * 5_000, "json.too_deep"),
        ("huge-int.jsonl", '{"receiver": ' + "9" * 5_000 + "}", "json.number_too_long"),
        ("dup.jsonl", json.dumps({**RECEIPT})[:-1] + ', "receiver": "李四"}', "json.duplicate_key"),
        ("nan.jsonl", json.dumps({**RECEIPT})[:-1] + ', "x": NaN}', "json.constant"),
    ],
)
def test_validate_hostile_jsonl_lines_are_rejects(tmp_path: Path, name: str, bad_line: str, code: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(RECEIPT, ensure_ascii=False) + "\n" + bad_line + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "agency.receipt", str(path), "--json"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    summary = json.loads(result.stdout)
    assert (summary["received"], summary["valid"], summary["invalid"]) == (2, 1, 1)
    assert summary["reasons"] == {code: 1}


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ('"' + "[" * 50_000 + "]" * 50_000 + '"', "json.too_deep"),
        ('"{""a"": ' + "9" * 5_000 + '}"', "json.number_too_long"),
        ('"{""a"": 1, ""a"": 2}"', "json.duplicate_key"),
    ],
)
def test_validate_hostile_json_inside_a_csv_cell(tmp_path: Path, cell: str, code: str) -> None:
    path = tmp_path / "cells.csv"
    header = ",".join([*RECEIPT, "extra"])
    good = ",".join([*RECEIPT.values(), ""])
    bad = ",".join([*RECEIPT.values(), cell])
    path.write_text("\n".join([header, good, bad, good]) + "\n", encoding="utf-8")
    result = check_file("agency.receipt", path)
    assert (result.received, result.valid, result.invalid) == (3, 2, 1)
    assert dict(result.reasons) == {code: 1} and result.examples[0][0] == 3


def test_validate_a_5000_digit_integer_in_a_csv_cell(tmp_path: Path) -> None:
    path = tmp_path / "digits.csv"
    row = {**RECEIPT, "received_date": "9" * 5_000}
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    result = check_file("agency.receipt", path)
    assert (result.received, result.invalid) == (1, 1) and result.examples[0][1].field == "received_date"


def test_validate_nonexistent_date_says_so(tmp_path: Path) -> None:
    path = tmp_path / "date.jsonl"
    path.write_text(json.dumps({**RECEIPT, "received_date": "2018-02-30"}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = check_file("agency.receipt", path)
    reason = result.examples[0][1]
    assert reason.field == "received_date" and ("不存在" in reason.zh or "does not exist" in reason.en), reason


def test_validate_keeps_good_lines_around_an_undecodable_and_an_overlong_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps(RECEIPT, ensure_ascii=False).encode()
    path.write_bytes(
        b"\n".join([good, good.replace("王".encode(), b"\xff"), b'{"x": "' + b"y" * 2_000_000 + b'"}', good])
    )
    result = check_file("agency.receipt", path)
    assert (result.received, result.valid, result.invalid) == (4, 2, 2)
    assert {r for r in result.reasons} == {"line.decode", "line.too_long"}
    assert [line for line, _ in result.examples] == [2, 3]


def test_validate_unclosed_quote_in_csv_is_a_record_error(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    # A quote opened and never closed: the field runs on over 20,000 lines until the cell limit stops it.
    lines = [",".join(RECEIPT), ",".join(RECEIPT.values()), '"x', *["y" * 100] * 20_000, ",".join(RECEIPT.values())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = check_file("agency.receipt", path)
    assert result.valid == 2 and result.reasons["csv.malformed"] == 1, result.reasons
    assert result.received == result.valid + result.invalid
    with pytest.raises(FileFormatError):
        check_file("agency.receipt", tmp_path / "absent.csv")


# --- the reader itself -----------------------------------------------------------------------------------


def test_utf16_lines_split_on_code_units_not_bytes(tmp_path: Path) -> None:
    # U+0A0D (Gurmukhi) is 0D 0A in UTF-16-LE: a byte-level split would break the line inside it.
    path = tmp_path / "u16.txt"
    path.write_bytes("\ufeffa\u0a0db\n\u4e0a\n".encode("utf-16-le"))
    assert [(line.number, line.text) for line in open_text(path)] == [(1, "a\u0a0db"), (2, "\u4e0a")]


def test_loads_strict_never_raises() -> None:
    for text in ["[" * 10**6, "1" * 10_000, '{"a": 1, "a": 1}', "{", "\ud800", "-Infinity", '"\\ud800"']:
        value, problem = loads_strict(text)
        assert (value is None) == (problem is not None) or text == '"\\ud800"'


def test_gb18030_detected_and_bad_byte_in_gb_file_is_a_line_error(tmp_path: Path) -> None:
    path = tmp_path / "gb.jsonl"
    good = "\n".join(_line(_case(i)) for i in range(3)).encode("gb18030").split(b"\n")
    good.insert(1, b'{"title": "\x81\x20"}')  # 0x81 must be followed by 0x30-0x39 or 0x40-0xFE
    path.write_bytes(b"\n".join(good))
    source = open_text(path)
    assert source.encoding == "gb18030"
    lines = list(source)
    assert [line.problem.code if line.problem else "ok" for line in lines] == ["ok", "line.decode", "ok", "ok"]


def test_unreadable_is_raised_before_any_line(tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(UnreadableFile) as info:
        open_text(path)
    assert info.value.zh and info.value.en


# --- records load ----------------------------------------------------------------------------------------

AGENCY = "330800-sl"
RECORD = {**RECEIPT, "delivery_method": "邮寄送达"}


@pytest.fixture
def agencies(use_store: str) -> str:
    from hub.agencies import import_agencies, load_registry_file
    from hub.samples import SAMPLE_AGENCIES

    with open_store()() as session, session.begin():
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="test")
    return use_store


def _records_load(path: Path) -> tuple[int, dict[str, Any], str]:
    result = runner.invoke(app, ["records", "load", "agency.receipt", str(path), "--agency", AGENCY, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.stdout), result.output


def test_records_load_keeps_good_lines_around_hostile_ones(agencies: str, tmp_path: Path) -> None:
    def good(n: int) -> bytes:
        return json.dumps({**RECORD, "source_record_id": f"SD-{n}"}, ensure_ascii=False).encode()

    path = tmp_path / "hostile.jsonl"
    lines = [
        good(1),
        good(2).replace("王".encode(), b"\xff"),  # undecodable byte
        b'{"x": "' + b"y" * 1_500_000 + b'"}',  # overlong line
        b"[" * 100_000 + b"]" * 100_000,  # nested too deeply
        b'{"source_record_id": "SD-5", "receiver": ' + b"9" * 5_000 + b"}",  # 5,000-digit integer
        good(6)[:-1] + b', "receiver": "\xe6\x9d\x8e\xe5\x9b\x9b"}',  # duplicate key
        good(7),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, report, _ = _records_load(path)
    assert code == 1
    assert (report["received"], report["loaded"], report["quarantined"]) == (7, 2, 5)
    assert sorted({p["line"] for p in report["errors"]}) == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("data", [b"\x00\x01binary\x00" * 50, "{}\n".encode("utf-32")])
def test_records_load_unreadable_file_is_exit_2(agencies: str, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "unreadable.jsonl"
    path.write_bytes(data)
    result = runner.invoke(app, ["records", "load", "agency.receipt", str(path), "--agency", AGENCY])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output)


def test_records_load_utf16_csv_with_deep_json_in_a_cell(agencies: str, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    header = ",".join([*RECORD, "source_record_id", "extra"])
    rows = [
        ",".join([*RECORD.values(), f"SD-{n}", cell]) for n, cell in ((1, ""), (2, '"' + "[" * 10_000 + '"'), (3, ""))
    ]
    rows[1] = rows[1].replace('"' + "[" * 10_000 + '"', '"' + "[" * 10_000 + "]" * 10_000 + '"')
    path.write_bytes("\n".join([header, *rows]).encode("utf-16"))
    code, report, _ = _records_load(path)
    assert code == 1 and report["encoding"].startswith("utf-16")
    assert (report["received"], report["loaded"], report["quarantined"]) == (3, 2, 1)


# --- calendar parse / import -----------------------------------------------------------------------------

NOTICE_2024 = Path(__file__).resolve().parents[1] / "sla" / "notices" / "2024.txt"


@pytest.mark.parametrize("codec", ["utf-8-sig", "gb18030", "utf-16"])
def test_calendar_notice_in_every_supported_encoding_parses_the_same(tmp_path: Path, codec: str) -> None:
    text = NOTICE_2024.read_text(encoding="utf-8")
    path = tmp_path / f"notice-{codec}.txt"
    path.write_bytes(text.encode(codec))
    result = runner.invoke(app, ["calendar", "parse", str(path), "--json"])
    expected = runner.invoke(app, ["calendar", "parse", str(NOTICE_2024), "--json"])
    assert result.exit_code == 0 and expected.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(expected.stdout)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x00\x01binary\x00" * 50, "NUL"),
        ("2024年元旦放假".encode("utf-32"), "UTF-32"),
        (b"x" * 1_100_000, "larger than"),
        ("国务院办公厅关于2024年部分节假日安排的通知\n".encode() + b"\xff\xfe\xfd\n", "line 2"),
    ],
)
def test_calendar_unreadable_notice_is_exit_2(use_store: str, tmp_path: Path, data: bytes, said: str) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(data)
    for command in (["calendar", "parse", str(path)], ["calendar", "import", str(path), "--dry-run"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (command, result.output)
        assert said in result.output and any("\u4e00" <= ch <= "\u9fff" for ch in result.output)


# --- agencies import (YAML) ------------------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (BILLION_LAUGHS, "alias"),
        ("agencies:\n  - code: 330800-sl\n    code: 330800-zf\n    name: 衢州市水利局\n", "duplicate key"),
        ("agencies: [\n  {code: x\n", "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
        ("agencies:\n" + "  " * 1 + "- " + "[" * 200 + "]" * 200 + "\n", "nested"),
    ],
)
def test_agency_registry_traps_are_exit_2_naming_the_line(use_store: str, tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_text(text, encoding="utf-8")
    started = tracemalloc.start() or None
    result = runner.invoke(app, ["agencies", "import", str(path)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert started is None and peak < 50_000_000
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    said_text = " ".join(result.output.split())  # the console wraps long lines
    assert said in said_text and any("\u4e00" <= ch <= "\u9fff" for ch in result.output)


def test_agency_registry_bad_entries_are_listed_with_their_index(use_store: str, tmp_path: Path) -> None:
    from hub.samples import SAMPLE_AGENCIES

    text = SAMPLE_AGENCIES.read_text(encoding="utf-8") + "- {code: 330800-xx}\n"
    path = tmp_path / "agencies.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agencies", "import", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "agencies[" in result.output and ".name" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("data", [b"\x00binary\x00" * 20, "agencies: []\n".encode("utf-32"), b"\xff\xfe\x00"])
def test_agency_registry_unreadable_bytes_are_exit_2(use_store: str, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_bytes(data)
    result = runner.invoke(app, ["agencies", "import", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output


# --- link (matching batch files) -------------------------------------------------------------------------


def test_link_binary_input_is_exit_2(tmp_path: Path) -> None:
    binary = tmp_path / "cases.jsonl"
    binary.write_bytes(b"\x00\xff\xfe binary\x00" * 10)
    result = runner.invoke(
        app, ["link", "--cases", str(binary), "--records", str(binary), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "NUL" in " ".join(result.output.split())


def test_link_skips_hostile_lines_naming_them_and_keeps_the_good_ones(tmp_path: Path) -> None:
    from hub.matching.batch_io import read_cases, read_records

    cases = tmp_path / "cases.jsonl"
    good_case = {
        "case_id": "C2",
        "region_code": "330802",
        "parties": [{"name": "衢州某建材有限公司", "kind": "company"}],
    }
    cases.write_bytes(
        b"\n".join(
            [
                b'{"case_id": "C1", "parties": "not a list"}',
                b"[" * 50_000 + b"]" * 50_000,
                json.dumps(good_case, ensure_ascii=False).encode(),
                b'{"case_id": "C3", "case_id": "C4"}',
                b"\xff\xfe",
            ]
        )
    )
    records = tmp_path / "records.jsonl"
    records.write_text('{"record_id": "R1", "party_name": "衢州某建材有限公司"}\n{"record_id": ' + "9" * 5000 + "}\n")
    skipped: list[tuple[str, int, str]] = []
    table = read_cases(cases, lambda path, number, problem: skipped.append((path.name, number, problem.code)))
    assert table.column("case_id").to_pylist() == ["C2"]
    assert skipped == [
        ("cases.jsonl", 1, "line.shape"),
        ("cases.jsonl", 2, "json.too_deep"),
        ("cases.jsonl", 4, "json.duplicate_key"),
        ("cases.jsonl", 5, "line.decode"),
    ]
    assert read_records(records, lambda *a: skipped.append(a)).num_rows == 1 and len(skipped) == 5
    result = runner.invoke(
        app, ["link", "--cases", str(cases), "--records", str(records), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0 and isinstance(result.exception, SystemExit | type(None)), result.output
    assert "第5行 line 5" in " ".join(result.output.split())


def test_agency_registry_with_a_4400_digit_number_is_exit_2(use_store: str, tmp_path: Path) -> None:
    # Found by test_agencies_import_never_tracebacks: PyYAML's int() of a 4,400-digit scalar raised ValueError.
    path = tmp_path / "agencies.yaml"
    path.write_text("agencies:\n- code: 330800-sl\n  region_code: " + "9" * 4_400 + "\n", encoding="utf-8")
    result = runner.invoke(app, ["agencies", "import", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
