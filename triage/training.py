"""Training data in, trained heads and their figures out: CSV files, the shipped seed examples, the labels staff
gave cases; and the evaluation the ``triage evaluate`` command prints."""

from __future__ import annotations

import codecs
import csv
import io
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
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
from .store import HEADS, ModelStore, ModelUnavailable, TriageModel
from .text import join_title

SEED_EXAMPLES = Path(__file__).parent / "seed" / "examples.csv"
TEXT_COLUMNS = ("text", "text_segmented")
MAX_TEXT_CHARS = 20000  # a complaint's content in the API (api/case_schemas.py); longer texts are cut
MAX_TITLE_CHARS = 200
CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default (131072 characters) refuses long messages
MIN_EXAMPLES_PER_LABEL = 2  # the classifier calibrates on internal folds, at least two per label


class TrainingDataError(ValueError):
    """The training data cannot be used; the message says why, in Chinese, for the command line."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class CsvExamples:
    """The labelled rows of one CSV file, with what reading them found."""

    examples: list[Example]
    skipped: int  # rows without a text or a label
    truncated: int  # texts cut to MAX_TEXT_CHARS
    encoding: str


def read_csv(path: Path, label_column: str = "label") -> CsvExamples:
    """Labelled examples from a CSV with a ``text`` and/or pre-segmented ``text_segmented`` column (per row the
    first that is not empty), an optional ``title`` and the label column. Column names are matched without case
    or surrounding spaces; the file is UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK as Excel
    saves it on Chinese Windows."""
    content, encoding = _decode(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next((row for row in reader if any(name.strip() for name in row)), None)
        if header is None:
            raise TrainingDataError(f"{path} 是空文件，没有表头和数据")
        columns = _column_positions(header)
        text_positions = [columns[name] for name in TEXT_COLUMNS if name in columns]
        label_position = columns.get(label_column.strip().lower())
        if not text_positions or label_position is None:
            raise TrainingDataError(
                f"{path} 须包含 text（或 text_segmented）列和 {label_column} 列，实际表头为：{'、'.join(header)}"
            )
        title_position = columns.get("title")
        examples, skipped, truncated, rows = [], 0, 0, 0
        for row in reader:
            if not row:
                continue
            rows += 1
            text = next((value for p in text_positions if (value := _field(row, p))), "")
            label = _field(row, label_position)
            if not text or not label:
                skipped += 1
                continue
            if len(text) > MAX_TEXT_CHARS:
                text, truncated = text[:MAX_TEXT_CHARS], truncated + 1
            title = _field(row, title_position)[:MAX_TITLE_CHARS] if title_position is not None else None
            examples.append(Example(join_title(title, text), label))
    except csv.Error as error:
        raise TrainingDataError(f"{path} 不是有效的 CSV 文件（第 {reader.line_num} 行）：{error}") from None
    if rows == 0:
        raise TrainingDataError(f"{path} 只有表头，没有数据行")
    return CsvExamples(examples, skipped, truncated, encoding)


def _decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-16 when it starts with that BOM, else UTF-8 (a BOM
    is dropped), else GB18030 (a superset of GBK and GB2312)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TrainingDataError(f"无法读取 {path}：{error.strerror}") from None
    encodings = ["utf-16"] if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            content = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in content:
            break
        return content, encoding
    raise TrainingDataError(f"{path} 不是 UTF-8 或 GB18030（GBK）编码的文本文件，请另存为“CSV UTF-8”格式后重试")


def _column_positions(header: list[str]) -> dict[str, int]:
    """Column name (without case or surrounding spaces) → position; the first of duplicate names wins."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(name.strip().lower(), position)
    return positions


def _field(row: list[str], position: int) -> str:
    return row[position].strip() if position < len(row) else ""


def drop_rare_labels(examples: list[Example]) -> tuple[list[Example], list[str]]:
    """The examples of the labels that have enough of them to train on, and the labels left out."""
    counts = Counter(example.label for example in examples)
    rare = {label for label, count in counts.items() if count < MIN_EXAMPLES_PER_LABEL}
    return [example for example in examples if example.label not in rare], sorted(rare)


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
        store.save(train_heads(examples), _seed_trained_on(examples), now)
    return store.load()


@dataclass(frozen=True)
class OtherHeads:
    """The heads a training run does not train, to save beside the new ones."""

    heads: dict[str, Head]
    trained_on: dict[str, dict[str, Any]]
    problem: str | None = None  # why the current model's heads could not be kept


def other_heads(store: ModelStore, trained: Collection[str]) -> OtherHeads:
    """The current model's heads that ``trained`` leaves out. When there is no current model (first use), or it
    cannot be loaded (made by other library versions, missing, altered: ``problem`` says which), or it lacks one
    of them, that head is trained from the seed examples, so training never depends on the old model."""
    wanted = [head for head in HEADS if head not in trained]
    current, problem = TriageModel(), None
    if wanted and store.current_version() is not None:
        try:
            current = store.load()
        except ModelUnavailable as error:
            problem = str(error)
    kept = {head: current.heads[head] for head in wanted if head in current.heads}
    trained_on = {head: current.meta.get("heads", {}).get(head, {}) for head in kept}
    seeded = {head: seed_examples(head) for head in wanted if head not in kept}
    if seeded:
        kept.update(train_heads(seeded))
        trained_on.update(_seed_trained_on(seeded))
    return OtherHeads(kept, trained_on, problem)


def _seed_trained_on(examples: dict[str, list[Example]]) -> dict[str, dict[str, Any]]:
    return {head: {"source": "seed", "examples": len(rows)} for head, rows in examples.items()}
