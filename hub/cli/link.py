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
    cases: Path = typer.Option(
        ..., "--cases", exists=True, dir_okay=False, help="案件文件，每行一个 JSON 对象 / cases, one JSON object a line"
    ),
    records: Path = typer.Option(
        ..., "--records", exists=True, dir_okay=False, help="单位记录文件（JSONL）/ agency records, JSONL"
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="输出的关联建议（JSONL）/ proposed links, JSONL"),
    eval_labels: Path | None = typer.Option(
        None,
        "--eval",
        exists=True,
        dir_okay=False,
        help="用于评估的真实配对（record_id, case_id）/ true pairs to score against",
    ),
    model_path: Path | None = typer.Option(
        None,
        "--model",
        exists=True,
        dir_okay=False,
        help="已训练模型（JSON），不再用输入训练 / trained model JSON; skips training on the input",
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", dir_okay=False, help="保存训练得到的模型 / write the trained model"
    ),
    link_threshold: float | None = typer.Option(
        None, "--link-threshold", help="自动关联的匹配概率阈值 / match probability for `link`"
    ),
    review_threshold: float | None = typer.Option(
        None, "--review-threshold", help="送人工复核的匹配概率阈值 / match probability for `review`"
    ),
    explain_out: Path | None = typer.Option(
        None,
        "--explain",
        dir_okay=False,
        help="同时写出每条关联的依据（JSONL）/ also write each link's explanation (JSONL)",
    ),
) -> None:
    """把单位记录关联到办理中的案件，输出关联建议 / link agency records to open cases; write proposed links (link / review) as JSONL."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hub.matching.batch_io import BatchInputError, read_cases, read_labels, read_records, write_links
    from hub.matching.engine import LinkageEngine
    from hub.matching.evaluate import evaluate
    from hub.matching.model import LinkageModel
    from schemas.textfile import LineProblem

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
        skipped: list[int] = []

        def on_skip(path: Path, number: int, problem: LineProblem) -> None:
            skipped.append(number)
            if len(skipped) <= 20:
                err.print(f"[yellow]跳过 skipped[/yellow] {path} 第{number}行 line {number}: {problem}")

        try:
            cases_t = read_cases(cases, on_skip)
            records_t = read_records(records, on_skip)
        except BatchInputError as exc:
            progress.stop()
            err.print(f"[red]无法读取输入文件 / cannot read an input file: {exc}[/red]")
            raise typer.Exit(2) from None
        if len(skipped) > 20:
            err.print(f"……共跳过 {len(skipped)} 行 / {len(skipped)} lines skipped in all")
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
    pairs = result.stats.candidate_pairs if result.stats else 0
    err.print(
        f"单位记录 {records_t.num_rows} 条 × 案件 {cases_t.num_rows} 件：自动关联 {n_link}，送复核 {n_review}"
        f"（候选配对 {pairs}），用时 {time.perf_counter() - started:.1f} 秒 → {out} / "
        f"{records_t.num_rows} records × {cases_t.num_rows} cases: {n_link} link, {n_review} review "
        f"({pairs} candidate pairs) in {time.perf_counter() - started:.1f} s"
    )
    if eval_labels is not None:
        ev = evaluate(result.links, read_labels(eval_labels))
        sys.stdout.write(
            f"precision {ev.precision:.4f}\nrecall {ev.recall:.4f}\nreview_rate {ev.review_rate:.4f}\n"
            f"true_pairs {ev.true_pairs}\nlinks {ev.links}\nreviews {ev.reviews}\n"
        )
