"""Text similarity for repeats, clusters and similar past cases.

Repeats and clusters compare a new case with a bounded number of recent cases, so a bag of character bigrams is
enough. Similar past cases search every closed case: a TF-IDF index over character 2-3-grams, fitted once per
process, extended as cases close and refitted in the background as it grows (LiveIndex).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .text import characters


def bigrams(text: str) -> Counter[str]:
    chars = characters(text)
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    shared = sum(count * b[gram] for gram, count in a.items() if gram in b)
    return shared / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


@dataclass(frozen=True)
class Neighbour:
    key: int
    similarity: float


class SimilarityIndex:
    """Nearest texts by cosine over TF-IDF character 2-3-grams; keys are whatever the caller indexes (case ids).

    ``with_added`` scores further texts against the fitted vocabulary and weights instead of fitting again, so
    keeping the index current costs milliseconds; n-grams the fit never saw are ignored until a refit. The added
    texts are kept in a block of their own (``tail``): joining a column to the fitted n-gram × text matrix would copy
    all of it each time, and the transposed layout, cheap to extend, is a hundred times slower to query."""

    def __init__(self, keys: Sequence[int], texts: Sequence[str]) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.fitted_size = len(texts)
        self.vectorizer: TfidfVectorizer | None = None
        self.matrix: Any = None
        self.tail: Any = None
        if len(texts):
            vectorizer = TfidfVectorizer(
                analyzer="char", preprocessor=characters, ngram_range=(2, 3), sublinear_tf=True, dtype=np.float32
            )
            try:
                self.matrix = vectorizer.fit_transform(texts).T.tocsr()
            except ValueError:  # "empty vocabulary": no text has two characters in a row, nothing can be near them
                return
            self.vectorizer = vectorizer

    def __len__(self) -> int:
        return len(self.keys)

    def with_added(self, keys: Sequence[int], texts: Sequence[str]) -> SimilarityIndex:
        """This index and the given texts, without refitting (an empty index is fitted on them)."""
        if self.vectorizer is None:
            return SimilarityIndex(keys, texts)
        added = self.vectorizer.transform(texts).T.tocsr()
        grown = SimilarityIndex([], [])
        grown.vectorizer, grown.fitted_size, grown.matrix = self.vectorizer, self.fitted_size, self.matrix
        grown.keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.int64)])
        grown.tail = added if self.tail is None else sparse.hstack([self.tail, added], format="csr")
        return grown

    def nearest(
        self, text: str, k: int, exclude: int | None = None, among: Collection[int] | None = None
    ) -> list[Neighbour]:
        """The k nearest texts, leaving out ``exclude`` and, when ``among`` is given, every key not in it."""
        if self.vectorizer is None:
            return []
        query = self.vectorizer.transform([text])
        scores = (query @ self.matrix).toarray()[0]
        if self.tail is not None:
            scores = np.concatenate([scores, (query @ self.tail).toarray()[0]])
        if exclude is not None:
            scores[self.keys == exclude] = -1.0
        if among is not None:
            scores[~np.isin(self.keys, np.fromiter(among, dtype=np.int64, count=len(among)))] = -1.0
        count = min(k, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top])]
        return [Neighbour(int(self.keys[i]), float(scores[i])) for i in top if scores[i] > 0]


TextSource = Callable[[Collection[int] | None], list[tuple[int, str]]]
"""The (key, text) pairs of the given keys, or of every key when given None."""


def in_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="similarity-refit", daemon=True).start()


class LiveIndex:
    """One index per process over a growing set of keys (closed cases), kept current without a full fit in the
    request that asks for it: the first request fits it; later ones add the keys it is missing; once it has grown
    by REFIT_GROWTH since its fit, a refit runs through ``start`` (a background thread) and is swapped in when done,
    while requests go on using the grown index. A small index is refitted often, and cheaply, so that its vocabulary
    is not that of its first few texts."""

    REFIT_GROWTH = 0.25

    def __init__(self, start: Callable[[Callable[[], None]], None] = in_thread) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._source: object = None
        self._generation = 0
        self._index = SimilarityIndex([], [])
        self._refitting = False

    def current(self, source: object, keys: Collection[int], texts: TextSource) -> SimilarityIndex:
        """The index covering at least ``keys`` (keys it holds beyond them are for the caller to leave out)."""
        with self._lock:
            if source != self._source:
                self._source, self._generation, self._refitting = source, self._generation + 1, False
                self._index = SimilarityIndex(*_unzip(texts(None)))
            missing = set(keys).difference(self._index.keys.tolist())
            if missing:
                self._index = self._index.with_added(*_unzip(texts(missing)))
            grown = len(self._index) - self._index.fitted_size
            if not self._refitting and grown > 0 and grown >= self._index.fitted_size * self.REFIT_GROWTH:
                self._refitting = True
                pairs, generation = texts(None), self._generation
                self._start(lambda: self._refit(generation, pairs))
            return self._index

    def _refit(self, generation: int, pairs: list[tuple[int, str]]) -> None:
        """Fit afresh and swap the result in, unless the index was rebuilt for another source meanwhile; keys added
        to the old index during the fit are added to the new one by the next request."""
        fitted: SimilarityIndex | None = None
        try:
            fitted = SimilarityIndex(*_unzip(pairs))
        finally:
            with self._lock:
                if generation == self._generation:
                    self._refitting = False
                    if fitted is not None:
                        self._index = fitted


def _unzip(pairs: list[tuple[int, str]]) -> tuple[list[int], list[str]]:
    return [key for key, _ in pairs], [text for _, text in pairs]
