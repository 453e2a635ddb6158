"""The matching settings file: validated against the published schema; ladders generated from templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.matching.settings import default_settings
from hub.matching.settings_file import (
    SCHEMA_PATH,
    SETTINGS_PATH,
    SettingsFileError,
    build_json_schema,
    load_settings,
    settings_digest,
)

BEFORE = Path(__file__).parent / "data" / "settings_before_templates.json"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SETTINGS_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "settings.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_published_schema_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == build_json_schema()


def test_templates_reproduce_the_hand_written_ladders() -> None:
    """The ladders as they were written by hand in Python (frozen as JSON before the move to templates)
    equal the ones the templates generate, level for level: conditions, starting m/u, tf, descriptions."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(default_settings().to_dict()))
    # comparisons present before keep their levels; levels added since sit in their own names
    added = {("credit_code", "typo"), ("id_number", "typo")}
    for comp_before in before["comparisons"]:
        comp_now = next(c for c in now["comparisons"] if c["name"] == comp_before["name"])
        kept = [lv for lv in comp_now["levels"] if (comp_now["name"], lv["name"]) not in added]
        assert kept == comp_before["levels"], comp_before["name"]
        assert {k: v for k, v in comp_now.items() if k != "levels"} == {
            k: v for k, v in comp_before.items() if k != "levels"
        }
    assert [c["name"] for c in now["comparisons"]] == [c["name"] for c in before["comparisons"]]
    rules = [{k: v for k, v in b.items() if k != "typo"} for b in now["blocking_rules"] if not b["typo"]]
    assert rules == before["blocking_rules"]
    for key in ("training_sessions", "thresholds", "u_sample_pairs", "u_seed"):
        assert now[key] == before[key], key


def test_misspelt_predicate_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = _variant(tmp_path, "[[exact, village], [not_differ, town]]", "[[exact, village], [not_differs, town]]")
    with pytest.raises(SettingsFileError) as err:
        load_settings(path)
    msg = str(err.value)
    assert err.value.line == _line_of(path, "not_differs")
    assert str(path) in msg and "not_differs" in msg and "not_differ" in msg
    assert "未知的取值" in msg and "unknown value" in msg


def test_misspelt_key_and_field_are_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "deletions: sound", "deletion: sound")
    with pytest.raises(SettingsFileError) as err:
        load_settings(path)
    assert err.value.line == _line_of(path, "deletion: sound")
    assert "deletions" in str(err.value) and "未知的键" in str(err.value)

    path = _variant(tmp_path, '"on": [credit]}', '"on": [credt]}')
    with pytest.raises(SettingsFileError) as err:
        load_settings(path)
    assert err.value.line == _line_of(path, "[credt]") and "credit" in str(err.value)


def test_unknown_template_level_and_session_rule_are_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "      sound: {m: 0.1, u: 1.0e-5,", "      sund: {m: 0.1, u: 1.0e-5,")
    with pytest.raises(SettingsFileError) as err:
        load_settings(path)
    assert err.value.line == _line_of(path, "sund:") and "sound" in str(err.value)

    path = _variant(tmp_path, "{blocking_rule: credit_code,", "{blocking_rule: credit_cod,")
    with pytest.raises(SettingsFileError) as err:
        load_settings(path)
    assert err.value.line == _line_of(path, "credit_cod,") and "credit_code" in str(err.value)


def test_digest_tracks_structure_not_parameters() -> None:
    a, b = default_settings(), default_settings()
    b.comparisons[0].levels[1].m = 0.5
    assert settings_digest(a) == settings_digest(b)
    b.comparisons[0].levels[1].when = [["exact", "id_hash"]]
    assert settings_digest(a) != settings_digest(b)


def test_same_links_before_and_after_templates() -> None:
    """Trained and scored on one generated set, the hand-written ladders and the file give the same links."""
    from hub.matching.engine import LinkageEngine
    from hub.matching.model import LinkageModel
    from hub.matching.settings import ModelSettings
    from hub.matching.synth import generate

    data = generate(n_cases=300, n_records=3000, seed=5)
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    results = []
    for settings in (ModelSettings.from_dict(before), default_settings()):
        for comp in settings.comparisons:  # the typo levels and rules added since are left out here
            comp.levels = [lv for lv in comp.levels if lv.name != "typo"]
        settings.blocking_rules = [b for b in settings.blocking_rules if not getattr(b, "typo", None)]
        engine = LinkageEngine(LinkageModel(settings), id_key=b"k")
        results.append(engine.run(data.cases, data.records).links)
    assert len(results[0]) > 100
    assert results[0][["record_id", "case_id", "decision"]].equals(results[1][["record_id", "case_id", "decision"]])
    assert (results[0]["score"] - results[1]["score"]).abs().max() < 1e-9
