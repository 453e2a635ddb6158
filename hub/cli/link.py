"""``pilhub link``: batch linkage of agency records to open cases; ``pilhub link train``: pin a model.

    pilhub link --cases CASES.jsonl --records RECORDS.jsonl --out LINKS.jsonl [--model M.json] [--eval LABELS.jsonl]
    pilhub link train --cases CASES.jsonl --records RECORDS.jsonl --out M.json [--version LABEL]

Independent of the store. ``pilhub link`` reads the two JSONL files and links them with a pinned model
(``--model``, default the shipped ``hub/matching/linkage-model.json``) — it never trains; writes
one line per proposed link (decision ``link`` or ``review``) and, with ``--eval``, prints precision,
recall and review rate. ``pilhub link train`` is the explicit training step (u by random sampling, m by
EM): it writes a pinned, versioned model file with the settings digest and the digests of its training
data (``hub.matching.pinned``) and appends a line to the training log next to it.
Progress goes to stderr so stdout stays parseable. Heavy imports live inside the command, so
``pilhub --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

link_app = typer.Typer(
    help="关联单位记录与案件；link train 训练并固定模型 / link agency records to cases; `link train` pins a model",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")


def _need(value: Path | None, option: str) -> Path:
    if value is None:
        raise typer.BadParameter(f"缺少选项 {option} / missing option {option}", param_hint=option)
    return value


@link_app.callback()
def link(
    ctx: typer.Context,
    cases: Path | None = typer.Option(
        None,
        "--cases",
        exists=True,
        dir_okay=False,
        help="案件文件，每行一个 JSON 对象 / cases, one JSON object a line",
    ),
    records: Path | None = typer.Option(
        None, "--records", exists=True, dir_okay=False, help="单位记录文件（JSONL）/ agency records, JSONL"
    ),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="输出的关联建议（JSONL）/ proposed links, JSONL"
    ),
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
        dir_okay=False,
        help="固定版本的模型（pilhub link train 的输出；默认随附模型）/ pinned model (from `pilhub link train`; "
        "default: the shipped one)",
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
    """把单位记录关联到办理中的案件，输出关联建议（用固定模型，不训练）/ link agency records to open cases with the
    pinned model (never trains); write proposed links (link / review) as JSONL."""
    if ctx.invoked_subcommand is not None:
        return
    cases, records, out = _need(cases, "--cases"), _need(records, "--records"), _need(out, "--out")
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hub.matching.batch_io import BatchInputError, read_cases, read_labels, read_records, write_links
    from hub.matching.engine import LinkageEngine
    from hub.matching.evaluate import evaluate
    from hub.matching.pinned import PinnedModelError, load_pinned
    from schemas.textfile import LineProblem

    err = Console(stderr=True)
    try:
        model, header = load_pinned(model_path)
    except PinnedModelError as exc:
        err.print(f"[red]{exc.zh}\n{exc.en}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(f"模型 model {header['version']} ({header['model_id'][:12]})")
    stages = ["read", "normalise", "block", "compare", "score", "write"]
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
        result = engine.predict(batch)
        on_stage("write")
        write_links(result.links, out)
        if explain_out is not None:
            with explain_out.open("w", encoding="utf-8") as fh:
                for item in result.explanations():
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
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


@link_app.command("train")
def train(
    cases: Path = typer.Option(
        ..., "--cases", exists=True, dir_okay=False, help="训练用案件文件（JSONL）/ training cases, JSONL"
    ),
    records: Path = typer.Option(
        ..., "--records", exists=True, dir_okay=False, help="训练用单位记录文件（JSONL）/ training records, JSONL"
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="写出的固定模型（JSON）/ pinned model file to write"),
    version: str | None = typer.Option(
        None, "--version", help="模型版本标签（默认为训练时间）/ version label (default: the training time)"
    ),
    settings_path: Path | None = typer.Option(
        None,
        "--settings",
        exists=True,
        dir_okay=False,
        help="关联设置文件（默认随附 settings.yaml）/ settings file (default: the shipped settings.yaml)",
    ),
) -> None:
    """训练关联模型并固定版本（记录设置摘要与训练数据摘要）/ train the linkage model and pin it (with the settings
    digest and the training data digests); appends a line to the training log next to the model."""
    import datetime as dt
    import getpass

    from rich.console import Console

    from hub.matching.batch_io import BatchInputError, read_cases, read_records
    from hub.matching.engine import LinkageEngine
    from hub.matching.model import LinkageModel
    from hub.matching.pinned import file_digest, pinned_document, write_pinned
    from hub.matching.settings_file import SettingsFileError, load_settings

    err = Console(stderr=True)
    started = time.perf_counter()
    try:
        settings = load_settings(settings_path)
    except SettingsFileError as exc:
        err.print(f"[red]{exc.zh}\n{exc.en}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    engine = LinkageEngine(LinkageModel(settings), on_stage=lambda stage: err.print(f"… {stage}"))
    skipped: list[int] = []
    try:
        cases_t = read_cases(cases, lambda p, n, problem: skipped.append(n))
        records_t = read_records(records, lambda p, n, problem: skipped.append(n))
    except BatchInputError as exc:
        err.print(f"[red]无法读取输入文件 / cannot read an input file: {exc}[/red]")
        raise typer.Exit(2) from None
    batch = engine.prepare(cases_t, records_t)
    report = engine.train(batch)
    now = dt.datetime.now(dt.UTC)
    doc = pinned_document(
        engine.model,
        version=version or now.strftime("%Y%m%dT%H%M%SZ"),
        training_data={
            "cases": file_digest(cases),
            "records": file_digest(records),
            "case_rows": cases_t.num_rows,
            "record_rows": records_t.num_rows,
            "lines_skipped": len(skipped),
        },
        report={k: (float(v) if isinstance(v, float) else v) for k, v in vars(report).items()},
        options={"settings": str(settings_path) if settings_path else "hub/matching/settings.yaml"},
    )
    write_pinned(out, doc)
    log_line = {k: doc[k] for k in ("version", "model_id", "trained_at", "trained_by", "settings_digest")}
    log_line.update(training_data=doc["training_data"], out=str(out), user=getpass.getuser())
    with out.with_name(out.name + ".train-log.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(log_line, ensure_ascii=False) + "\n")
    err.print(
        f"已训练并固定模型 {doc['version']}（{doc['model_id'][:12]}），案件 {cases_t.num_rows} 件、记录 "
        f"{records_t.num_rows} 条，用时 {time.perf_counter() - started:.1f} 秒 → {out} / trained and pinned model "
        f"{doc['version']} ({doc['model_id'][:12]}) on {cases_t.num_rows} cases, {records_t.num_rows} records in "
        f"{time.perf_counter() - started:.1f} s"
    )
