"""`pilhub link` line formats, --eval output, and an end-to-end check against the targets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from hub.cli.link import register
from hub.matching.engine import LinkageEngine
from hub.matching.evaluate import evaluate
from hub.matching.model import LinkageModel
from hub.matching.synth import generate


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keep `link` a sub-command, as under `pilhub`
        pass

    return app


def test_cli_formats_and_eval(tmp_path: Path) -> None:
    paths = generate(n_cases=300, n_records=3000, seed=5).write(tmp_path)
    out, model = tmp_path / "links.jsonl", tmp_path / "model.json"
    result = CliRunner().invoke(
        _app(),
        [
            "link",
            "--cases",
            str(paths["cases"]),
            "--records",
            str(paths["records"]),
            "--out",
            str(out),
            "--eval",
            str(paths["labels"]),
            "--save-model",
            str(model),
        ],
    )
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

    # a saved model is reused without training and gives the same links
    again = tmp_path / "again.jsonl"
    result = CliRunner().invoke(
        _app(),
        [
            "link",
            "--cases",
            str(paths["cases"]),
            "--records",
            str(paths["records"]),
            "--out",
            str(again),
            "--model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    assert again.read_text(encoding="utf-8").splitlines() == out.read_text(encoding="utf-8").splitlines()


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
