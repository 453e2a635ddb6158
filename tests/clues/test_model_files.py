"""Model files: validated against the published JSON Schema; a misspelt key fails naming file, key and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from hub.cli.main import app
from hub.clues.spec import BUILTIN_DIR, ModelError, load_model, load_models, model_schema

REPEAT = (BUILTIN_DIR / "repeat-offender.yaml").read_text(encoding="utf-8")


def test_builtin_models_have_the_pinned_names_and_validate() -> None:
    import yaml

    models = load_models([BUILTIN_DIR])
    assert {"restoration-missing", "repeat-offender", "rebound"} <= set(models)
    assert len(models) >= 5
    validator = Draft202012Validator(model_schema())
    for path in BUILTIN_DIR.glob("*.yaml"):
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))), path
    for spec in models.values():
        assert spec.legal_basis and spec.title_zh and spec.text_en


def test_misspelt_key_names_file_key_and_line_with_a_suggestion(tmp_path: Path) -> None:
    broken = REPEAT.replace("  at_least: 3", "  at_lest: 3")
    path = tmp_path / "repeat.yaml"
    path.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("  at_lest: 3") + 1
    with pytest.raises(ModelError) as caught:
        load_model(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (str(path), line, "anchor.at_lest")
    assert "at_least" in error.zh and "at_least" in error.en
    assert "未知的键" in error.zh and "unknown key" in error.en

    result = CliRunner().invoke(app, ["clues", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}" in result.output.replace("\n", "")


def test_misspelt_top_level_key_and_wrong_value(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(REPEAT.replace("key_type: credit_code", "key_typ: credit_code"), encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.key == "key_typ" and "key_type" in caught.value.en
    path.write_text(REPEAT.replace("key_type: credit_code", "key_type: company"), encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.key == "key_type" and caught.value.line is not None


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    text = REPEAT.replace("  at_least: 3", "  at_least: 3\n  at_least: 2")
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.line == text.splitlines().index("  at_least: 2") + 1
    assert "at_least" in caught.value.en


def test_a_run_with_a_broken_model_directory_exits_1_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.yaml").write_text(REPEAT.replace("name: repeat-offender", "nmae: x"), encoding="utf-8")
    monkeypatch.setenv("PILHUB_CLUE_MODELS", str(tmp_path))
    result = CliRunner().invoke(app, ["clues", "run", "--as-of", "2026-11-30"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "bad.yaml" in result.output


def test_toml_model_is_the_same_model(tmp_path: Path) -> None:
    toml = tmp_path / "repeat-offender.toml"
    toml.write_text(
        """
name = "repeat-offender"
version = 1
title = { zh = "屡罚屡犯", en = "repeat offender" }
domain = "ecology"
legal_basis = ["《中华人民共和国行政诉讼法》第二十五条第四款（负有监督管理职责的行政机关违法行使职权或者不作为）",
  "《中华人民共和国行政处罚法》（2021年修订）第二十八条（实施行政处罚，应当责令当事人改正或者限期改正违法行为）"]
key_type = "credit_code"

[clue_text]
zh = "统一社会信用代码为 {subject} 的单位在查询基准日前365日内受到 {count} 次行政处罚，违法行为可能未被实际制止。"
en = "the organisation with credit code {subject} received {count} administrative penalties in the 365 days ending on the as-of date; the violation may not have been stopped."

[anchor]
kinds = ["*.penalty"]
key = "credit_code"
at_least = 3
distinct = ["doc_number"]
window = { field = "decision_date", after = -365, on_or_before = 0 }
""",
        encoding="utf-8",
    )
    from_toml = load_model(toml)
    from_yaml = load_models([BUILTIN_DIR])["repeat-offender"]
    fields = ("name", "key_type", "anchor_kinds", "anchor_key", "window", "at_least", "distinct", "text_zh")
    assert [getattr(from_toml, f) for f in fields] == [getattr(from_yaml, f) for f in fields]
    text = toml.read_text(encoding="utf-8").replace("at_least = 3", "atleast = 3")
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(toml)
    assert caught.value.key == "anchor.atleast"
    assert caught.value.line == text.splitlines().index("atleast = 3") + 1


def test_schema_command_prints_the_published_schema() -> None:
    result = CliRunner().invoke(app, ["clues", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == model_schema()
