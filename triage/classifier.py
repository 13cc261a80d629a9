"""One classification head (domain or category): TF-IDF over character 1-3-grams and over words, into a linear SVM
with probabilities calibrated (sigmoid) on internal folds while the SVM itself is fitted on all the data.

Both read the content words of the text (triage/text.py: stopwords dropped, so raw input and segmented corpora look
alike). Character n-grams carry most of the signal; words add the longer terms. On the public corpus the pair beats
plain word TF-IDF by about a point of macro-F1 (see bench/triage_quality.py and the README). Probabilities come
from sigmoid calibration, so a per-category auto-routing threshold means what it says; calibrating
without an ensemble keeps the full-data SVM (averaging SVMs fitted on folds cost half a point).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .text import content_characters, content_words

SVM_C = 1.0
SMALL_CORPUS = 400
EVIDENCE_TERMS = 6


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    candidates: list[tuple[str, float]]
    evidence: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "probability": round(self.probability, 4),
            "candidates": [{"label": label, "probability": round(p, 4)} for label, p in self.candidates],
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class _Block:
    """One TF-IDF vectorizer of the union, unrolled for one text at a time."""

    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: Any
    offset: int

    def features(self, text: str) -> tuple[Any, Any]:
        """The block's columns (offset into the union) and their L2-normalized sublinear TF-IDF weights."""
        columns, counts = [], []
        lookup = self.vocabulary.get
        for term, count in Counter(self.analyzer(text)).items():
            column = lookup(term)
            if column is not None:
                columns.append(column)
                counts.append(count)
        found = np.array(columns, dtype=np.intp)
        weights = (1.0 + np.log(np.array(counts, dtype=np.float64))) * self.idf[found]
        norm = np.sqrt(np.dot(weights, weights))
        return found + self.offset, weights / norm if norm > 0 else weights


class Head:
    """A trained head. Picklable.

    ``predict`` scores one message without going through the pipeline: the same analyzers, vocabularies, idf
    weights, SVM weights and sigmoid calibrators, computed directly (sklearn's per-call input validation costs
    more than the arithmetic for a single message). A test holds it equal to the pipeline's own probabilities.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = [str(label) for label in pipeline.classes_]
        model = pipeline.named_steps["model"]
        (calibrated,) = model.calibrated_classifiers_
        self.weights = np.ascontiguousarray(calibrated.estimator.coef_.T, dtype=np.float32)  # features × scores
        self.intercept = calibrated.estimator.intercept_.astype(np.float64)
        self.calibration = np.array([[c.a_, c.b_] for c in calibrated.calibrators], dtype=np.float64)
        self.blocks: list[_Block] = []
        self.feature_names = np.empty(self.weights.shape[0], dtype=object)
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            for term, column in vectorizer.vocabulary_.items():
                self.feature_names[offset + column] = term  # the vocabulary's own strings, not copies
            self.blocks.append(_Block(vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)

    def predict(self, text: str, candidates: int = 3) -> Prediction:
        found = [block.features(text) for block in self.blocks]
        columns = np.concatenate([block_columns for block_columns, _ in found])
        values = np.concatenate([block_values for _, block_values in found])
        rows = self.weights[columns]
        scores = values @ rows + self.intercept
        probabilities = self._calibrate(scores)
        order = np.argsort(probabilities)[::-1]
        best = int(order[0])
        return Prediction(
            label=self.labels[best],
            probability=float(probabilities[best]),
            candidates=[(self.labels[i], float(probabilities[i])) for i in order[:candidates]],
            evidence=self._evidence(columns, values, rows, best),
        )

    def predict_labels(self, texts: list[str]) -> list[str]:
        return [str(label) for label in self.pipeline.predict(texts)]

    def _calibrate(self, scores: Any) -> Any:
        """sklearn's sigmoid calibration, one-vs-rest, normalized (uniform if every class gets zero)."""
        calibrated = expit(-(self.calibration[:, 0] * scores + self.calibration[:, 1]))
        if len(self.labels) == 2:
            return np.array([1.0 - calibrated[0], calibrated[0]])
        total = calibrated.sum()
        return calibrated / total if total > 0 else np.full(len(self.labels), 1 / len(self.labels))

    def _evidence(self, columns: Any, values: Any, rows: Any, label_index: int) -> list[str]:
        """The terms that pushed hardest towards the label, longest first among overlapping character n-grams."""
        # with two labels there is one score, positive towards the second
        weights = rows[:, label_index] if rows.shape[1] > 1 else rows[:, 0] * (1 if label_index == 1 else -1)
        contributions = values * weights
        chosen: list[str] = []
        for position in np.argsort(contributions)[::-1]:
            if contributions[position] <= 0 or len(chosen) >= EVIDENCE_TERMS:
                break
            term = str(self.feature_names[columns[position]])
            if len(term) < 2 or any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
        return chosen


def train_head(texts: list[str], labels: list[str]) -> Head:
    """Fit a head; raises ValueError when there are fewer than two labels or too few examples per label."""
    if len(set(labels)) < 2:
        raise ValueError("训练数据至少需要两个类别")
    smallest = min(labels.count(label) for label in set(labels))
    folds = min(3, smallest)
    if folds < 2:
        raise ValueError("每个类别至少需要两条训练样本")
    min_df = 1 if len(texts) < SMALL_CORPUS else 2
    pipeline = Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            _vectorizer(
                                analyzer="char", preprocessor=content_characters, ngram_range=(1, 3), min_df=min_df
                            ),
                        ),
                        ("words", _vectorizer(analyzer=content_words, min_df=min_df)),
                    ]
                ),
            ),
            ("model", CalibratedClassifierCV(LinearSVC(C=SVM_C), cv=folds, ensemble=False)),
        ]
    )
    pipeline.fit(texts, labels)
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        vectorizer.stop_words_ = None  # the terms min_df dropped: large, and only needed for inspection
    return Head(pipeline)


def _vectorizer(**options: Any) -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
