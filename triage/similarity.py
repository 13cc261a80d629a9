"""Text similarity for repeats, clusters and similar past cases.

Repeats and clusters compare a new case with the few recent cases from the same complainant or against the same
respondent, so a bag of character bigrams is enough. Similar past cases search every closed case: a TF-IDF index
over character 2-3-grams, built once per process and rebuilt when the set of closed cases changes.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
    """Nearest texts by cosine over TF-IDF character 2-3-grams; keys are whatever the caller indexes (case ids)."""

    def __init__(self, keys: Sequence[int], texts: Sequence[str]) -> None:
        self.keys = np.asarray(keys)
        self.vectorizer: TfidfVectorizer | None = None
        self.matrix: Any = None
        if len(texts):
            self.vectorizer = TfidfVectorizer(
                analyzer="char", preprocessor=characters, ngram_range=(2, 3), sublinear_tf=True, dtype=np.float32
            )
            self.matrix = self.vectorizer.fit_transform(texts).T.tocsr()

    def __len__(self) -> int:
        return len(self.keys)

    def nearest(self, text: str, k: int, exclude: int | None = None) -> list[Neighbour]:
        if self.vectorizer is None:
            return []
        scores = (self.vectorizer.transform([text]) @ self.matrix).toarray()[0]
        if exclude is not None:
            scores[self.keys == exclude] = -1.0
        count = min(k, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top])]
        return [Neighbour(int(self.keys[i]), float(scores[i])) for i in top if scores[i] > 0]


class IndexCache:
    """One index per process, rebuilt only when the stamp of what it covers changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: object = None
        self._index: SimilarityIndex | None = None

    def get(self, stamp: object, build: Any) -> SimilarityIndex:
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._index, self._stamp = build(), stamp
            return self._index
