"""``pilhub link``: batch linkage of agency records to open cases (issue 6, point 4).

    pilhub link --cases CASES.jsonl --records RECORDS.jsonl --out LINKS.jsonl [--eval LABELS.jsonl]

Independent of the store: reads the two JSONL files, trains the model on them (u by random
sampling, m by EM) unless ``--model`` gives a trained one, writes one line per proposed link
(decision ``link`` or ``review``) and, with ``--eval``, prints precision, recall and review rate.
Progress goes to stderr so stdout stays parseable. Heavy imports live inside the command, so
``pilhub --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("link")(link)


def link(
    cases: Path = typer.Option(..., "--cases", exists=True, dir_okay=False, help="cases, one JSON object a line"),
    records: Path = typer.Option(..., "--records", exists=True, dir_okay=False, help="agency records, JSONL"),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="proposed links, JSONL"),
    eval_labels: Path | None = typer.Option(
        None, "--eval", exists=True, dir_okay=False, help="true pairs (record_id, case_id) to score against"
    ),
    model_path: Path | None = typer.Option(
        None, "--model", exists=True, dir_okay=False, help="trained model JSON; skips training on the input"
    ),
    save_model: Path | None = typer.Option(None, "--save-model", dir_okay=False, help="write the trained model"),
    link_threshold: float | None = typer.Option(None, "--link-threshold", help="match probability for `link`"),
    review_threshold: float | None = typer.Option(None, "--review-threshold", help="match probability for `review`"),
    explain_out: Path | None = typer.Option(
        None, "--explain", dir_okay=False, help="also write each link's explanation (JSONL)"
    ),
) -> None:
    """Link agency records to open cases; write proposed links (link / review) as JSONL."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hub.matching.batch_io import read_cases, read_labels, read_records, write_links
    from hub.matching.engine import LinkageEngine
    from hub.matching.evaluate import evaluate
    from hub.matching.model import LinkageModel

    err = Console(stderr=True)
    stages = ["read", "normalise", "train u", "block", "compare", "train m (EM)", "score", "write"]
    if model_path is not None:
        stages = [s for s in stages if not s.startswith("train")]
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("read", total=len(stages))

        def on_stage(stage: str) -> None:
            if stage in stages:
                progress.update(task, description=stage, completed=stages.index(stage))

        model = LinkageModel.load(model_path) if model_path else None
        engine = LinkageEngine(model, on_stage=on_stage)
        t = engine.model.settings.thresholds
        if link_threshold is not None:
            t.link = link_threshold
        if review_threshold is not None:
            t.review = review_threshold
        if t.review > t.link:
            raise typer.BadParameter("--review-threshold must not exceed --link-threshold")
        cases_t = read_cases(cases)
        records_t = read_records(records)
        batch = engine.prepare(cases_t, records_t)
        if model_path is None:
            engine.train(batch)
        result = engine.predict(batch)
        on_stage("write")
        write_links(result.links, out)
        if explain_out is not None:
            with explain_out.open("w", encoding="utf-8") as fh:
                for item in result.explanations():
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        if save_model is not None:
            engine.model.save(save_model)
        progress.update(task, completed=len(stages), description="done")

    n_link = int((result.links["decision"] == "link").sum())
    n_review = int((result.links["decision"] == "review").sum())
    err.print(
        f"{records_t.num_rows} records × {cases_t.num_rows} cases: {n_link} link, {n_review} review "
        f"({result.stats.candidate_pairs if result.stats else 0} candidate pairs) in "
        f"{time.perf_counter() - started:.1f} s → {out}"
    )
    if eval_labels is not None:
        ev = evaluate(result.links, read_labels(eval_labels))
        sys.stdout.write(
            f"precision {ev.precision:.4f}\nrecall {ev.recall:.4f}\nreview_rate {ev.review_rate:.4f}\n"
            f"true_pairs {ev.true_pairs}\nlinks {ev.links}\nreviews {ev.reviews}\n"
        )
