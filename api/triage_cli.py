"""``flask triage …``: train and evaluate the triage model, roll it back, run the triage job once."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

import click
from flask.cli import AppGroup

from complaints.database import db, utcnow
from triage.jobs import run_triage
from triage.store import HEADS, ModelUnavailable
from triage.text import load_segmenter
from triage.training import (
    Evaluation,
    Example,
    TrainingDataError,
    current_or_seed_model,
    evaluate,
    examples_from_cases,
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
        examples = {head or "domain": _csv_examples(csv_files, label_column)}
    else:
        examples = {
            name: seed_examples(name) + examples_from_cases(db.session, name) for name in ([head] if head else HEADS)
        }
    for name, rows in examples.items():
        labels = sorted({e.label for e in rows})
        click.echo(f"{name}: {len(rows)} examples, {len(labels)} labels ({'、'.join(labels)})")
    started = time.perf_counter()
    try:
        heads = train_heads(examples)
        base = current_or_seed_model(store, now)
    except (ValueError, ModelUnavailable) as error:
        raise click.ClickException(str(error)) from None
    source = {"source": "csv", "files": [p.name for p in csv_files]} if csv_files else {"source": "cases"}
    trained_on = {name: {**source, "examples": len(rows)} for name, rows in examples.items()}
    kept = {name: h for name, h in base.heads.items() if name not in heads}
    kept_meta = {name: base.meta.get("heads", {}).get(name, {}) for name in kept}
    model = store.save({**kept, **heads}, {**kept_meta, **trained_on}, now)
    click.echo(f"trained in {time.perf_counter() - started:.1f} s; model {model.version} is current")


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
        meta = store.metadata(current)
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
            examples, skipped = read_csv(path, label_column)
        except TrainingDataError as error:
            raise click.ClickException(str(error)) from None
        if skipped:
            click.echo(f"{path.name}: skipped {skipped} rows without text or label", err=True)
        rows += examples
    if not rows:
        raise click.ClickException("no labelled rows")
    return rows


def _print_evaluation(version: str, result: Evaluation) -> None:
    width = max(len(label) for label in result.labels) + 2
    click.echo(f"model {version}: {sum(r['support'] for r in result.per_class)} messages")
    click.echo(f"accuracy {result.accuracy:.4f}  macro-F1 {result.macro_f1:.4f}")
    click.echo(f"{'label':{width}} precision  recall  f1      support")
    for row in result.per_class:
        click.echo(
            f"{row['label']:{width}} {row['precision']:.4f}     {row['recall']:.4f}  {row['f1']:.4f}  {row['support']}"
        )
    click.echo("confusion matrix (rows: gold, columns: predicted, same order as above):")
    for label, counts in zip(result.labels, result.confusion, strict=True):
        click.echo(f"{label:{width}} " + " ".join(f"{c:5d}" for c in counts))
    click.echo(f"latency per message: p50 {result.percentile_ms(50):.2f} ms, p99 {result.percentile_ms(99):.2f} ms")
    click.echo(result.summary_line())
