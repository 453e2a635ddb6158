"""Connector declaration files (YAML, TOML): the same SDK objects as a Python module, and errors that say where.

``declaration_files/market.yaml`` and ``market.toml`` restate the market bureau's Python
connector (``connectors/agencies/market.py``) as declarations; loading them must give the
same streams. Misspelt keys are the mistakes integration engineers really make (a
letter dropped, a British spelling, a unit written ``平米``): each must fail on load with
the file, the line and the key, in Chinese and English.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.registry import CONNECTORS, discover_connectors
from connectors.sdk.mapping_sources import Split
from connectors.sdk.spec_file import SpecFileError, build_json_schema, load_connector_file, published_schema
from connectors.sdk.units import Quantity
from hub.cli.main import app

FILES = Path(__file__).parent / "declaration_files"


@pytest.mark.parametrize("name", ["market.yaml", "market.toml"])
def test_a_declaration_file_builds_the_same_streams_as_the_python_module(name: str) -> None:
    loaded = load_connector_file(FILES / name)
    python = CONNECTORS["market"]
    assert (loaded.agency_code, loaded.system, loaded.check_path) == (
        python.agency_code,
        python.system,
        python.check_path,
    )
    assert loaded.rate_limit == python.rate_limit and type(loaded.auth) is type(python.auth)
    for stream in loaded.streams:
        twin = python.stream(stream.name)
        for f in dataclasses.fields(stream):
            if f.name != "mapping":
                assert getattr(stream, f.name) == getattr(twin, f.name), (stream.name, f.name)
        for target, source in (stream.mapping or {}).items():
            theirs = (twin.mapping or {})[target]
            if isinstance(source, str):
                assert source == theirs
            else:  # a declared split does what the module's function does
                for items in ("镉(以Cd计);铅", "", "菌落总数;"):
                    assert source({"items": items}) == theirs({"items": items})


def test_the_published_schema_is_generated_from_the_sdk() -> None:
    assert published_schema() == build_json_schema(), "regenerate: python -m connectors.sdk.spec_file"
    stream_keys = set(published_schema()["$defs"]["stream"]["properties"])
    assert {"name", "kind", "path", "primary_key", "paginator", "mapping", "cursor_field"} <= stream_keys


GOOD = (FILES / "market.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "hint"),
    [
        ("agency_code: 330800-scjg", "agency_cod: 330800-scjg", 3, "agency_cod", "agency_code"),
        ("    primary_key: caseId", "    primay_key: caseId", 18, "streams[0].primay_key", "primary_key"),
        ("limit: 50, total_path", "limt: 50, total_path", 10, "resource_defaults.paginator.limt", "limit"),
        (
            "  cursor_field: modifyTime",
            "  cursor_feild: modifyTime",
            13,
            "resource_defaults.cursor_feild",
            "cursor_field",
        ),
        (
            "      fine_amount_yuan: fine",
            "      fine_amount: fine",
            29,
            "streams[0].mapping.fine_amount",
            "fine_amount_yuan",
        ),
        ("    kind: market.penalty", "    kind: market.penalties", 16, "streams[0].kind", None),
        ("      sector: sector", "      sector: {field: sector, unit: 平米}", 31, "streams[0].mapping.sector", None),
        ("auth: {type: hmac_signed}", "auth: {type: hmac}", 6, "auth.type", "hmac_signed"),
    ],
)
def test_a_misspelt_key_fails_on_load_naming_file_line_and_key(
    tmp_path: Path, old: str, new: str, line: int, key: str, hint: str | None
) -> None:
    assert old in GOOD
    path = tmp_path / "market.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(SpecFileError) as info:
        load_connector_file(path)
    error = info.value
    assert (error.file, error.line, error.key) == (path, line, key), str(error)
    assert f"{path}:{line}" in error.zh and f"{path}:{line}" in error.en and key in error.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.zh.replace(str(path), ""))
    if hint:
        assert f"did you mean '{hint}'" in error.en and f"“{hint}”" in error.zh


def test_toml_errors_name_the_line_too(tmp_path: Path) -> None:
    path = tmp_path / "market.toml"
    path.write_text(
        (FILES / "market.toml").read_text(encoding="utf-8").replace("since_param", "since_parm"), encoding="utf-8"
    )
    with pytest.raises(SpecFileError) as info:
        load_connector_file(path)
    assert (info.value.line, info.value.key) == (13, "resource_defaults.since_parm")
    assert "since_param" in info.value.en


def test_yaml_syntax_errors_and_missing_stream_keys(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD.replace("  records_path: rows", "  records_path: [rows"), encoding="utf-8")
    with pytest.raises(SpecFileError) as info:
        load_connector_file(path)
    assert "not valid YAML" in info.value.en and info.value.line is not None
    path.write_text(GOOD.replace("    primary_key: caseId\n", ""), encoding="utf-8")
    with pytest.raises(SpecFileError) as info:
        load_connector_file(path)
    assert info.value.key == "streams[0]" and "primary_key" in info.value.en and info.value.line == 15


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("  records_path: rows", "  records_path: rows\n  records_path: list"), 12, "duplicate key"),
        (
            GOOD.replace("resource_defaults:", "x: &a [1, 2]\ny: [*a, *a]\nresource_defaults:"),
            10,
            "alias",
        ),
    ],
)
def test_keys_given_twice_and_aliases_are_refused_with_their_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "market.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecFileError) as info:
        load_connector_file(path)
    assert info.value.line == line and message in info.value.en, str(info.value)


def test_units_are_declared_not_guessed() -> None:
    area = Quantity("占地面积（平方米）", "平方米")
    assert area({"占地面积（平方米）": 8000}) == "8000平方米"
    assert area({"占地面积（平方米）": "8,000.5"}) == "8000.5平方米"
    assert area({"占地面积（平方米）": 12.5}) == "12.5平方米"
    assert area({"占地面积（平方米）": ""}) is None
    assert Quantity("其中耕地面积（亩）")({"其中耕地面积（亩）": 3}) == "3亩"  # the unit in the column's brackets
    from schemas.errors import InvalidValue

    with pytest.raises(InvalidValue) as info:
        area({"占地面积（平方米）": "12亩"})  # the column says m², the cell says 亩: ask the agency
    assert info.value.code == "unit.conflict"
    money = Quantity("罚没款（万元）", "万元")
    from schemas.money import parse_money_yuan

    assert parse_money_yuan(money({"罚没款（万元）": "16.5"})) == 165000
    assert Split("x", "、")({"x": "镉、铅、"}) == ["镉", "铅"]


def test_declaration_files_are_discovered_from_a_deployment_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "market_yaml.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "oops.yaml").write_text(
        GOOD.replace("name: market_yaml", "name: oops").replace("title: 衢州", "titel: 衢州"), encoding="utf-8"
    )
    monkeypatch.setenv("PILHUB_CONNECTORS_PATH", str(tmp_path))
    found, sources, broken = discover_connectors()
    assert "market_yaml" in found and sources["market_yaml"] == str(tmp_path / "market_yaml.yaml")
    assert set(found) >= set(CONNECTORS)
    assert list(broken) == ["oops"] and "titel" in broken["oops"].en and "did you mean 'title'" in broken["oops"].en


def test_connectors_validate_command(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["connectors", "validate", str(FILES / "market.yaml"), "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["name"] == "market_yaml" and [s["name"] for s in report["streams"]] == [
        "penalties",
        "sampling_failures",
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("system:", "sytem:"), encoding="utf-8")
    failed = runner.invoke(app, ["connectors", "validate", str(bad)])
    assert failed.exit_code == 2 and "sytem" in failed.stderr and f"{bad}:5" in failed.stderr
    assert "Traceback" not in failed.output


def test_connectors_list_shows_a_file_that_did_not_load_and_exits_1(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import connectors.registry as registry

    bad = tmp_path / "oops.yaml"
    bad.write_text(GOOD.replace("name: market_yaml", "name: oops").replace("path:", "pth:", 1), encoding="utf-8")
    monkeypatch.setenv("PILHUB_CONNECTORS_PATH", str(tmp_path))
    _found, _sources, broken = discover_connectors()
    monkeypatch.setattr(registry, "BROKEN", broken)
    result = CliRunner().invoke(app, ["connectors", "list"])
    assert result.exit_code == 1 and "oops" in result.stderr and "pth" in result.stderr
    with pytest.raises(SpecFileError):
        registry.get_connector("oops")  # asked for by name, it says why it is not there
