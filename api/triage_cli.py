"""``flask triage …``: train and evaluate the triage model, roll it back, run the triage job once."""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import click
from flask.cli import AppGroup

from complaints.database import db, utcnow
from triage.jobs import run_triage
from triage.store import HEADS, ModelUnavailable
from triage.text import load_segmenter
from triage.training import (
    MAX_TEXT_CHARS,
    MIN_EXAMPLES_PER_LABEL,
    Evaluation,
    Example,
    TrainingDataError,
    current_or_seed_model,
    drop_rare_labels,
    evaluate,
    examples_from_cases,
    other_heads,
    read_csv,
    seed_examples,
    train_heads,
)

from .settings import personal_data_cipher, triage_policy, triage_store

triage_cli = AppGroup("triage", help="Train, evaluate and roll back the triage model.")
CSV_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@triage_cli.command("train")
@click.option(
    "--csv",
    "csv_files",
    multiple=True,
    type=CSV_FILE,
    help="CSV with text (or text_segmented), label, optional title; repeatable.",
)
@click.option(
    "--head",
    type=click.Choice(HEADS),
    default=None,
    help="The head to train (default: domain for --csv, both for --from-cases).",
)
@click.option("--label-column", default="label", show_default=True)
@click.option("--from-cases", is_flag=True, help="Train on the seed examples plus the labels staff gave cases.")
def train(csv_files: tuple[Path, ...], head: str | None, label_column: str, from_cases: bool) -> None:
    """Train a head and make the new model current (the previous one is kept for rollback)."""
    if bool(csv_files) == from_cases:
        raise click.UsageError("give either --csv FILE (one or more) or --from-cases")
    store, now = triage_store(), utcnow()
    if csv_files:
        wanted = {head or "domain": _csv_examples(csv_files, label_column)}
    else:
        wanted = {
            name: seed_examples(name) + examples_from_cases(db.session, name) for name in ([head] if head else HEADS)
        }
    examples = {name: _trainable(name, rows) for name, rows in wanted.items()}
    started = time.perf_counter()
    try:
        heads = train_heads(examples)
        others = other_heads(store, heads)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if others.problem:
        click.echo(
            f"警告：当前模型无法加载（{others.problem}），{'、'.join(others.heads)} 分类头已改用内置种子样本重新训练",
            err=True,
        )
    source = {"source": "csv", "files": [p.name for p in csv_files]} if csv_files else {"source": "cases"}
    trained_on = {name: {**source, "examples": len(rows)} for name, rows in examples.items()}
    model = store.save({**others.heads, **heads}, {**others.trained_on, **trained_on}, now)
    click.echo(f"trained in {time.perf_counter() - started:.1f} s; model {model.version} is current")


def _trainable(head: str, examples: list[Example]) -> list[Example]:
    """The examples of the labels with enough of them; the others are named on stderr and left out."""
    kept, rare = drop_rare_labels(examples)
    if rare:
        click.echo(
            f"警告：{head} 的类别 {'、'.join(rare)} 不足 {MIN_EXAMPLES_PER_LABEL} 条样本，已略去，其余类别照常训练",
            err=True,
        )
    labels = sorted({e.label for e in kept})
    click.echo(f"{head}: {len(kept)} examples, {len(labels)} labels ({'、'.join(labels)})")
    return kept


@triage_cli.command("evaluate")
@click.option("--csv", "csv_file", required=True, type=CSV_FILE)
@click.option("--head", type=click.Choice(HEADS), default="domain", show_default=True)
@click.option("--label-column", default="label", show_default=True)
def evaluate_command(csv_file: Path, head: str, label_column: str) -> None:
    """Score the current model on a labelled CSV; the last line is machine-readable."""
    examples = _csv_examples((csv_file,), label_column)
    try:
        model = current_or_seed_model(triage_store(), utcnow())
    except ModelUnavailable as error:
        raise click.ClickException(str(error)) from None
    if head not in model.heads:
        raise click.ClickException(f"the current model has no {head} head")
    load_segmenter()  # once per process, as the server does at start; not a per-message cost

    def progress(items: Iterable[Example]) -> Iterable[Example]:
        with click.progressbar(list(items), label="evaluating", file=sys.stderr) as bar:
            yield from bar

    _print_evaluation(model.version, evaluate(model.heads[head], examples, progress))


@triage_cli.command("rollback")
def rollback() -> None:
    """Make the previous model current again."""
    try:
        version = triage_store().rollback()
    except ModelUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"model {version} is current")


@triage_cli.command("status")
def status() -> None:
    """Show the current and previous model versions and what they were trained on."""
    store = triage_store()
    current = store.current_version()
    click.echo(f"current:  {current or '-'}\nprevious: {store.previous_version() or '-'}")
    if current:
        try:
            meta = store.metadata(current)
        except ModelUnavailable as error:
            raise click.ClickException(str(error)) from None
        for name, head in meta.get("heads", {}).items():
            click.echo(
                f"  {name}: {head.get('examples')} examples from {head.get('source')}, labels {head.get('labels')}"
            )
        click.echo(f"  made with {meta.get('libraries')}")


@triage_cli.command("run")
def run() -> None:
    """Suggest for every case waiting without a suggestion (what the job does), once."""
    count = run_triage(db.session(), personal_data_cipher(), utcnow(), triage_store(), triage_policy())
    click.echo(f"{count} cases triaged")


def _csv_examples(files: Iterable[Path], label_column: str) -> list[Example]:
    rows: list[Example] = []
    for path in files:
        try:
            found = read_csv(path, label_column)
        except TrainingDataError as error:
            raise click.ClickException(str(error)) from None
        if found.encoding == "gb18030":
            click.echo(f"{path.name}：不是 UTF-8 编码，已按 GB18030（GBK）读取", err=True)
        if found.skipped:
            click.echo(f"{path.name}: skipped {found.skipped} rows without text or label", err=True)
        if found.truncated:
            click.echo(f"{path.name}：{found.truncated} 条文本超过 {MAX_TEXT_CHARS} 字，已截断", err=True)
        rows += found.examples
    if not rows:
        raise click.ClickException("没有可用的样本：每行都须有文本和标签")
    return rows


def _print_evaluation(version: str, result: Evaluation) -> None:
    width = max(_display_width(label) for label in [*result.labels, "label"]) + 2
    click.echo(f"model {version}: {sum(r['support'] for r in result.per_class)} messages")
    click.echo(f"accuracy {result.accuracy:.4f}  macro-F1 {result.macro_f1:.4f}")
    click.echo(f"{_padded('label', width)} precision  recall  f1      support")
    for row in result.per_class:
        click.echo(
            f"{_padded(row['label'], width)} {row['precision']:.4f}     {row['recall']:.4f}  {row['f1']:.4f}  "
            f"{row['support']}"
        )
    click.echo("confusion matrix (rows: gold, columns: predicted, same order as above):")
    for label, counts in zip(result.labels, result.confusion, strict=True):
        click.echo(f"{_padded(label, width)} " + " ".join(f"{c:5d}" for c in counts))
    click.echo(f"latency per message: p50 {result.percentile_ms(50):.2f} ms, p99 {result.percentile_ms(99):.2f} ms")
    click.echo(result.summary_line())


def _display_width(text: str) -> int:
    """Columns a terminal gives the text: two for wide and full-width characters (Chinese), none for combining
    marks, one for the rest."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text
    )


def _padded(text: str, width: int) -> str:
    return text + " " * max(width - _display_width(text), 0)
