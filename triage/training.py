"""Training data in, trained heads and their figures out: CSV files, the shipped seed examples, the labels staff
gave cases; and the evaluation the ``triage evaluate`` command prints."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sqlalchemy import select

from complaints.cases import Complaint
from complaints.database import DbSession

from .classifier import Head, train_head
from .records import TrainingExample
from .store import HEADS, ModelStore, TriageModel
from .text import join_title

SEED_EXAMPLES = Path(__file__).parent / "seed" / "examples.csv"
TEXT_COLUMNS = ("text", "text_segmented")


class TrainingDataError(ValueError):
    """The training data cannot be used; the message says why, in Chinese, for the command line."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def read_csv(path: Path, label_column: str = "label") -> tuple[list[Example], int]:
    """Labelled examples from a CSV with a ``text`` (or pre-segmented ``text_segmented``) column, an optional
    ``title`` and the label column; returns them with the number of rows skipped for an empty text or label."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise TrainingDataError(f"无法读取 {path}：{error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        text_column = next((c for c in TEXT_COLUMNS if c in columns), None)
        if text_column is None or label_column not in columns:
            raise TrainingDataError(f"{path} 须包含 text（或 text_segmented）列和 {label_column} 列")
        examples, skipped = [], 0
        try:
            for row in reader:
                text = join_title(row.get("title"), (row.get(text_column) or "").strip())
                label = (row.get(label_column) or "").strip()
                if text.strip() and label:
                    examples.append(Example(text, label))
                else:
                    skipped += 1
        except (csv.Error, UnicodeDecodeError) as error:
            raise TrainingDataError(f"{path} 不是有效的 UTF-8 CSV 文件：{error}") from None
    return examples, skipped


def seed_examples(head: str) -> list[Example]:
    """The product's own examples for its taxonomy (written for it, shipped with it)."""
    with SEED_EXAMPLES.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], row[head]) for row in csv.DictReader(handle)]


def examples_from_cases(session: DbSession, head: str) -> list[Example]:
    """The labels staff gave cases (the latest per case)."""
    rows = session.execute(
        select(Complaint.title, Complaint.content, TrainingExample.label)
        .join(Complaint, Complaint.id == TrainingExample.complaint_id)
        .where(TrainingExample.head == head)
        .order_by(TrainingExample.id)
    )
    return [Example(join_title(title, content), label) for title, content, label in rows]


@dataclass(frozen=True)
class Evaluation:
    labels: list[str]
    accuracy: float
    macro_f1: float
    per_class: list[dict[str, Any]]
    confusion: list[list[int]]
    latencies_ms: list[float]

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else 0.0

    def summary_line(self) -> str:
        return f"macro_f1={self.macro_f1:.4f} accuracy={self.accuracy:.4f} p50_ms={self.percentile_ms(50):.2f}"


def evaluate(
    head: Head, examples: list[Example], progress: Callable[[Iterable[Example]], Iterable[Example]]
) -> Evaluation:
    """Predict one message at a time, as filing does, timing each."""
    predicted, latencies = [], []
    for example in progress(examples):
        started = time.perf_counter()
        predicted.append(head.predict(example.text).label)
        latencies.append((time.perf_counter() - started) * 1000)
    gold = [example.label for example in examples]
    labels = sorted(set(gold) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    return Evaluation(
        labels=labels,
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)),
        per_class=[
            {"label": label, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        ],
        confusion=confusion_matrix(gold, predicted, labels=labels).tolist(),
        latencies_ms=latencies,
    )


def train_heads(examples_by_head: dict[str, list[Example]]) -> dict[str, Head]:
    return {head: train_head([e.text for e in ex], [e.label for e in ex]) for head, ex in examples_by_head.items()}


def current_or_seed_model(store: ModelStore, now: datetime) -> TriageModel:
    """The current model; on a fresh install, first the seed model trained from the shipped examples (about a
    second), so triage works before any history exists."""
    if store.current_version() is None:
        examples = {head: seed_examples(head) for head in HEADS}
        store.save(
            train_heads(examples), {head: {"source": "seed", "examples": len(examples[head])} for head in HEADS}, now
        )
    return store.load()
