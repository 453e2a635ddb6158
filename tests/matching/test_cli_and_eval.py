"""`pilhub link` line formats, --eval output, and an end-to-end check against the targets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from hub.cli.link import register
from hub.matching.engine import LinkageEngine
from hub.matching.evaluate import evaluate
from hub.matching.model import LinkageModel
from hub.matching.pinned import SHIPPED_MODEL, PinnedModelError, load_pinned
from hub.matching.settings import default_settings
from hub.matching.settings_file import settings_digest
from hub.matching.synth import generate


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keep `link` a sub-command, as under `pilhub`
        pass

    return app


def test_cli_train_pins_a_model_and_link_uses_it(tmp_path: Path) -> None:
    paths = generate(n_cases=300, n_records=3000, seed=5).write(tmp_path)
    out, model = tmp_path / "links.jsonl", tmp_path / "model.json"
    train = CliRunner().invoke(
        _app(),
        ["link", "train", "--cases", str(paths["cases"]), "--records", str(paths["records"]), "--out", str(model),
         "--version", "t1"],
    )  # fmt: skip
    assert train.exit_code == 0, train.output
    pinned = json.loads(model.read_text(encoding="utf-8"))
    assert pinned["format"] == "pilhub-linkage-model/2" and pinned["version"] == "t1"
    assert pinned["settings_digest"] == settings_digest(default_settings())
    digest = hashlib.sha256(paths["records"].read_bytes()).hexdigest()
    assert pinned["training_data"]["records"]["sha256"] == digest
    assert pinned["training_data"]["record_rows"] == 3000
    log = (tmp_path / "model.json.train-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(log) == 1 and json.loads(log[0])["model_id"] == pinned["model_id"]

    args = ["link", "--cases", str(paths["cases"]), "--records", str(paths["records"]), "--model", str(model)]
    result = CliRunner().invoke(_app(), [*args, "--out", str(out), "--eval", str(paths["labels"])])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(list(x) == ["record_id", "case_id", "score", "decision"] for x in lines)
    assert {x["decision"] for x in lines} <= {"link", "review"}
    stdout = dict(
        line.split(" ", 1)
        for line in result.stdout.splitlines()
        if line.split(" ", 1)[0] in ("precision", "recall", "review_rate")
    )
    assert set(stdout) == {"precision", "recall", "review_rate"}
    assert float(stdout["precision"]) > 0.95
    # linking never trains: the model file is unchanged and a second run gives the same links
    assert json.loads(model.read_text(encoding="utf-8")) == pinned
    again = tmp_path / "again.jsonl"
    assert CliRunner().invoke(_app(), [*args, "--out", str(again)]).exit_code == 0
    assert again.read_text(encoding="utf-8").splitlines() == out.read_text(encoding="utf-8").splitlines()


def test_missing_or_mismatched_model_is_a_clear_error(tmp_path: Path) -> None:
    paths = generate(n_cases=50, n_records=200, seed=5).write(tmp_path)
    args = ["link", "--cases", str(paths["cases"]), "--records", str(paths["records"]), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(_app(), [*args, "--model", str(tmp_path / "nowhere.json")])
    assert result.exit_code == 2
    assert "文件不存在" in result.output and "does not exist" in result.output and "pilhub link train" in result.output

    doc = json.loads(SHIPPED_MODEL.read_text(encoding="utf-8"))
    doc["settings"]["comparisons"][0]["levels"][0]["when"] = [["exact", "credit"]]  # trained under other settings
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(_app(), [*args, "--model", str(edited)])
    assert result.exit_code == 2 and "altered" in result.output and "被改动" in result.output
    with pytest.raises(PinnedModelError, match="other settings"):
        other = default_settings()
        other.blocking_rules = other.blocking_rules[:-1]
        load_pinned(SHIPPED_MODEL, expected=other)


def test_shipped_model_is_pinned_to_the_shipped_settings() -> None:
    _model, header = load_pinned()
    assert header["settings_digest"] == settings_digest(default_settings())
    assert header["training_data"]["record_rows"] >= 100_000


def test_missing_fields_and_number_types_are_tolerated(tmp_path: Path) -> None:
    cases = tmp_path / "c.jsonl"
    records = tmp_path / "r.jsonl"
    cases.write_text(
        json.dumps(
            {
                "case_id": "C1",
                "region_code": 330802,
                "parties": [{"name": "浙江华龙化工有限公司"}],
                "opened_on": "2023-01-01",
                "domain": "ecology",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    records.write_text(
        json.dumps(
            {"record_id": "R1", "party_name": "华龙化工", "region_code": 330802, "source": "environment"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(_app(), ["link", "--cases", str(cases), "--records", str(records), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_end_to_end_meets_targets(trained_model_dict) -> None:
    data = generate(n_cases=2000, n_records=20000, seed=23)  # a seed the model was not trained on
    engine = LinkageEngine(LinkageModel.from_dict(trained_model_dict))
    result = engine.predict(engine.prepare(data.cases, data.records))
    ev = evaluate(result.links, pd.DataFrame(data.labels))
    assert ev.precision >= 0.99, ev.summary()
    assert ev.recall >= 0.97, ev.summary()
    assert ev.review_rate <= 0.05, ev.summary()


def test_unsupervised_run_on_its_own_input_meets_targets(synth_small) -> None:
    result = LinkageEngine().run(synth_small.cases, synth_small.records)
    ev = evaluate(result.links, pd.DataFrame(synth_small.labels))
    assert ev.precision >= 0.99 and ev.recall >= 0.97 and ev.review_rate <= 0.05, ev.summary()


def test_link_lines_round_trip(tmp_path: Path) -> None:
    from hub.matching.batch_io import write_links

    links = pd.DataFrame(
        {
            "record_id": ["R1", "甲-2", 'odd"id\\x'],
            "case_id": ["C1", "C2", "C3"],
            "score": [3.14159, -0.0004, 41.2885],
            "decision": ["link", "review", "link"],
        }
    )
    for frame in (links.iloc[:2], links):  # Arrow's path, and pandas' for identifiers JSON must escape
        path = tmp_path / "links.jsonl"
        write_links(frame, path)
        back = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [(b["record_id"], b["case_id"], b["decision"]) for b in back] == list(
            zip(frame["record_id"], frame["case_id"], frame["decision"], strict=True)
        )
        assert [b["score"] for b in back] == [round(s, 3) for s in frame["score"]]
    write_links(links.iloc[:0], tmp_path / "none.jsonl")
    assert (tmp_path / "none.jsonl").read_text(encoding="utf-8") == ""
