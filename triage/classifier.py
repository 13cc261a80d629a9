"""One classification head (domain or category): TF-IDF over character 1-3-grams and over words, into two linear
models whose probabilities are averaged: a linear SVM and an NB-SVM (the SVM over features scaled by their
naive-Bayes log-count ratios), each calibrated (sigmoid) on internal folds while fitted itself on all the data.

Both read the content words of the text (triage/text.py: stopwords dropped, so raw input and segmented corpora look
alike), and the same two blocks again over its opening (title and first sentence: the first 20 content words, there
also in adjacent pairs), so what a message is about outweighs where a long one drifts. Character n-grams carry most
of the signal; words add the longer terms. On the public corpus the character and word blocks beat plain word TF-IDF by about a point of
macro-F1, the opening blocks add a little (most on raw messages), and the NB-SVM beside the SVM adds about half
a point in every fold (see bench/triage_quality.py and the README). Probabilities come from sigmoid calibration, so a
per-category auto-routing threshold means what it says; calibrating without an ensemble of fold models keeps the
full-data fits (averaging SVMs fitted on folds cost half a point).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .text import content_characters, content_words, opening_characters, opening_terms

SVM_C = 1.0
SVM_TOL = 1e-3  # liblinear stops a quarter to a third sooner than at its 1e-4; the same predictions in every fold
NB_ALPHA = 0.1
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


@dataclass(frozen=True)
class _Linear:
    """One calibrated linear member of the head: its weights (features × scores), intercepts and sigmoids."""

    weights: Any
    intercept: Any
    calibration: Any

    @classmethod
    def of(cls, model: CalibratedClassifierCV) -> _Linear:
        """The member's weights in one float32 copy, shared with the fitted estimator (whose ``coef_`` becomes a
        view of it): the member reads them a feature row at a time, sklearn multiplies by their transpose."""
        (calibrated,) = model.calibrated_classifiers_
        estimator = calibrated.estimator
        weights = np.ascontiguousarray(estimator.coef_.T, dtype=np.float32)
        estimator.coef_ = weights.T
        return cls(
            weights=weights,
            intercept=np.asarray(estimator.intercept_, dtype=np.float64),
            calibration=np.array([[c.a_, c.b_] for c in calibrated.calibrators], dtype=np.float64),
        )

    def probabilities(self, columns: Any, values: Any) -> Any:
        """sklearn's sigmoid calibration, one-vs-rest, normalized (uniform if every class gets zero)."""
        scores = values @ self.weights[columns] + self.intercept
        calibrated = expit(-(self.calibration[:, 0] * scores + self.calibration[:, 1]))
        if len(calibrated) == 1:
            return np.array([1.0 - calibrated[0], calibrated[0]])
        total = calibrated.sum()
        return calibrated / total if total > 0 else np.full(len(calibrated), 1 / len(calibrated))


class NaiveBayesSVM(ClassifierMixin, BaseEstimator):
    """NB-SVM (Wang and Manning, 2012): per class, a linear SVM over the features scaled by their naive-Bayes
    log-count ratio, which leans on the terms that tell this class from the rest. The scaling folds into the
    weights, so the fitted model is a plain linear one (``coef_``, ``intercept_``) and predicts like LinearSVC."""

    def __init__(self, alpha: float = NB_ALPHA, C: float = SVM_C) -> None:
        self.alpha = alpha
        self.C = C

    def fit(self, features: Any, labels: Any) -> NaiveBayesSVM:
        labels = np.asarray(labels)
        self.classes_ = np.unique(labels)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        features = csr_matrix(features, copy=True)
        features.sort_indices()  # once, not again in each class's fit
        coefficients, intercepts = [], []
        for target in targets:
            positive = labels == target
            ratio = self._log_count_ratio(features, positive)
            svm = LinearSVC(C=self.C, tol=SVM_TOL).fit(_scaled_columns(features, ratio), positive)
            coefficients.append(ratio * svm.coef_[0])
            intercepts.append(svm.intercept_[0])
        self.coef_ = np.vstack(coefficients)
        self.intercept_ = np.array(intercepts)
        return self

    def _log_count_ratio(self, features: Any, positive: Any) -> Any:
        inside = self.alpha + np.asarray(features[positive].sum(axis=0)).ravel()
        outside = self.alpha + np.asarray(features[~positive].sum(axis=0)).ravel()
        return np.log(inside / inside.sum()) - np.log(outside / outside.sum())

    def decision_function(self, features: Any) -> Any:
        scores = np.asarray(features @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, features: Any) -> Any:
        scores = self.decision_function(features)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)]


def _scaled_columns(features: Any, factors: Any) -> Any:
    """The CSR matrix with each column scaled, in O(non-zeros): ``multiply`` goes through COO and re-sorts every row."""
    scaled = csr_matrix(features, copy=True)
    scaled.data *= factors[scaled.indices].astype(scaled.data.dtype, copy=False)
    return scaled


class Head:
    """A trained head. Picklable.

    ``predict`` scores one message without going through the pipeline: the same analyzers, vocabularies, idf
    weights, SVM weights and sigmoid calibrators, computed directly (sklearn's per-call input validation costs
    more than the arithmetic for a single message). A test holds it equal to the pipeline's own probabilities.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = [str(label) for label in pipeline.classes_]
        self.members = self._members()
        self.blocks: list[_Block] = []
        self.feature_names = np.empty(self.members[0].weights.shape[0], dtype=object)
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            for term, column in vectorizer.vocabulary_.items():
                self.feature_names[offset + column] = term  # the vocabulary's own strings, not copies
            self.blocks.append(_Block(vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)

    def _members(self) -> list[_Linear]:
        """The averaged members; a model saved before the NB-SVM joined has the calibrated SVM alone."""
        model = self.pipeline.named_steps["model"]
        members = model.estimators_ if isinstance(model, VotingClassifier) else [model]
        return [_Linear.of(member) for member in members]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the members: pickle would copy the weights they share with the pipeline."""
        return {key: value for key, value in self.__dict__.items() if key != "members"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.members = self._members()

    def predict(self, text: str, candidates: int = 3) -> Prediction:
        found = [block.features(text) for block in self.blocks]
        columns = np.concatenate([block_columns for block_columns, _ in found])
        values = np.concatenate([block_values for _, block_values in found])
        probabilities = np.mean([member.probabilities(columns, values) for member in self.members], axis=0)
        order = np.argsort(probabilities)[::-1]
        best = int(order[0])
        return Prediction(
            label=self.labels[best],
            probability=float(probabilities[best]),
            candidates=[(self.labels[i], float(probabilities[i])) for i in order[:candidates]],
            evidence=self._evidence(columns, values, self.members[0].weights[columns], best),
        )

    def predict_labels(self, texts: list[str]) -> list[str]:
        return [str(label) for label in self.pipeline.predict(texts)]

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
    pipeline = Pipeline([("features", _features(min_df)), ("model", _model(folds))])
    pipeline.fit(texts, labels)
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        vectorizer.stop_words_ = None  # the terms min_df dropped: large, and only needed for inspection
    return Head(pipeline)


def _features(min_df: int) -> FeatureUnion:
    """Character 1-3-grams and words of the whole message, and again of its opening alone (with word pairs there)."""
    return FeatureUnion(
        [
            ("chars", _vectorizer(analyzer="char", preprocessor=content_characters, ngram_range=(1, 3), min_df=min_df)),
            ("words", _vectorizer(analyzer=content_words, min_df=min_df)),
            (
                "opening_chars",
                _vectorizer(analyzer="char", preprocessor=opening_characters, ngram_range=(1, 3), min_df=min_df),
            ),
            ("opening_words", _vectorizer(analyzer=opening_terms, min_df=min_df)),
        ]
    )


def _model(folds: int) -> VotingClassifier:
    """The two members, each calibrated on internal folds, their probabilities averaged."""
    svm = CalibratedClassifierCV(LinearSVC(C=SVM_C, tol=SVM_TOL), cv=folds, ensemble=False)
    nbsvm = CalibratedClassifierCV(NaiveBayesSVM(), cv=folds, ensemble=False)
    return VotingClassifier([("svm", svm), ("nbsvm", nbsvm)], voting="soft")


def _vectorizer(**options: Any) -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
