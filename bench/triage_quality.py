"""Triage on real text: the product's own pipeline trained on the public TipDM 2020 C messages.

    .venv/bin/python -m bench.triage_quality [--data ../shared/data/tipdm2020c] [--folds 5]

Prints, from one run:
- macro-F1 of the domain head by 5-fold cross-validation over the raw file (title + text) and the pre-segmented
  file together, with near-duplicate messages (TF-IDF cosine over character trigrams >= 0.7, joined
  transitively) and each raw message with its own segmented form kept in one fold, so a message is never scored
  by a model that saw its twin; also the score on the raw test messages alone, since real input is raw;
- training time and the size of the model trained on all ~8.8k messages (pickled, and the resident memory a
  fresh process grows by when it loads it);
- latency of one suggestion on one core (one message at a time, as filing does), over unlabeled raw messages;
- similar past cases over messages_with_replies.csv: index build time, query latency, and on the labelled
  corpus the share of the 5 nearest other messages (near-duplicates excluded) that carry the same label.

The data are read from where they lie and never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from triage.classifier import train_head
from triage.similarity import SimilarityIndex
from triage.text import characters, join_title, load_segmenter, words

ROOT = Path(__file__).resolve().parent.parent

DUPLICATE_COSINE = 0.7
TWIN_COSINE = 0.5
LOAD_AND_MEASURE = """
import pickle, sys
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
import numpy, scipy.sparse, sklearn.svm, sklearn.calibration, sklearn.pipeline, sklearn.feature_extraction.text, rjieba
rjieba.cut("加载词典", False)
before = rss()
head = pickle.load(open(sys.argv[1], "rb"))
head.predict("测试")
print(f"{rss() - before:.0f}")
"""


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def duplicate_groups(texts: list[str], segmented: int) -> tuple[np.ndarray, int]:
    """Groups no fold may split: near-duplicates (character-trigram cosine >= 0.7, transitively), and each raw
    message with its own segmented form (the raw file's messages are mostly in the segmented file too: a raw
    message is joined to its most similar segmented one when their word cosine is >= 0.5). Returns the groups
    and how many raw messages found their segmented twin."""
    matrix = TfidfVectorizer(analyzer="char", preprocessor=characters, ngram_range=(3, 3)).fit_transform(texts)
    similar = (matrix @ matrix.T).tocsr()
    similar.data[similar.data < DUPLICATE_COSINE] = 0
    similar.eliminate_zeros()
    by_words = TfidfVectorizer(analyzer=words).fit(texts)
    cross = (by_words.transform(texts[segmented:]) @ by_words.transform(texts[:segmented]).T).toarray()
    twins = cross.max(axis=1) >= TWIN_COSINE
    rows, columns = np.arange(segmented, len(texts))[twins], cross.argmax(axis=1)[twins]
    links = coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(texts), len(texts))).tocsr()
    groups: np.ndarray = connected_components(similar + links + links.T, directed=False)[1]
    return groups, int(twins.sum())


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tipdm2020c")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):  # one core, one thread: the latency target is per core
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    threadpool_limits(1)
    load_segmenter()

    raw = read(args.data / "messages_raw_labeled.csv")
    segmented = read(args.data / "messages_segmented_labeled.csv")
    texts = [r["text_segmented"] for r in segmented] + [join_title(r["title"], r["text"]) for r in raw]
    labels = np.array([r["label"] for r in segmented] + [r["label"] for r in raw])
    is_raw = np.array([False] * len(segmented) + [True] * len(raw))
    groups, twins = duplicate_groups(texts, len(segmented))
    print(
        f"{len(texts)} labelled messages ({len(raw)} raw, {len(segmented)} segmented), "
        f"{len(texts) - len(set(groups))} folded into groups of near-duplicates; {twins} raw messages joined to their "
        "segmented twin"
    )

    scores, raw_scores = [], []
    folds = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0)
    for number, (train, test) in enumerate(folds.split(texts, labels, groups), start=1):
        head = train_head([texts[i] for i in train], list(labels[train]))
        predicted = np.array(head.predict_labels([texts[i] for i in test]))
        scores.append(f1_score(labels[test], predicted, average="macro"))
        mask = is_raw[test]
        raw_scores.append(f1_score(labels[test][mask], predicted[mask], average="macro"))
        print(f"  fold {number}: macro-F1 {scores[-1]:.4f} (raw messages {raw_scores[-1]:.4f})", flush=True)
    print(
        f"domain head, {args.folds}-fold grouped CV: macro-F1 {statistics.mean(scores):.4f} "
        f"± {statistics.stdev(scores):.4f}; raw messages alone {statistics.mean(raw_scores):.4f}"
    )

    before = rss_mb()
    started = time.perf_counter()
    head = train_head(texts, list(labels))
    training_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "head.pickle"
        with path.open("wb") as handle:
            pickle.dump(head, handle, protocol=pickle.HIGHEST_PROTOCOL)
        print(
            f"training on all {len(texts)} messages: {training_s:.1f} s; pickled head "
            f"{path.stat().st_size / 2**20:.1f} MB; peak RSS grew by {rss_mb() - before:.0f} MB while training"
        )
        measure = [sys.executable, "-c", LOAD_AND_MEASURE, str(path)]
        grown = subprocess.run(measure, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    print(f"loaded model in a fresh process: resident memory grew by {grown} MB")

    unlabeled = read(args.data / "messages_unlabeled.csv")
    probe = [join_title(r["title"], r["text"]) for r in random.Random(1).sample(unlabeled, 1000)]
    for text in probe[:20]:
        head.predict(text)
    latencies = []
    for text in probe:
        started = time.perf_counter()
        head.predict(text)
        latencies.append((time.perf_counter() - started) * 1000)
    print(
        f"one suggestion (domain head, with probabilities and evidence) on one core over {len(probe)} raw "
        f"messages: p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms"
    )

    replies = read(args.data / "messages_with_replies.csv")
    reply_texts = [join_title(r["title"], r["text"]) for r in replies]
    started = time.perf_counter()
    index = SimilarityIndex(list(range(len(reply_texts))), reply_texts)
    build_s = time.perf_counter() - started
    queries = []
    for key in random.Random(2).sample(range(len(reply_texts)), 300):
        started = time.perf_counter()
        index.nearest(reply_texts[key], 5, exclude=key)
        queries.append((time.perf_counter() - started) * 1000)
    print(
        f"similar past cases over {len(replies)} replied messages: index built in {build_s:.2f} s; top-5 query "
        f"p50 {percentile(queries, 50):.2f} ms, p99 {percentile(queries, 99):.2f} ms"
    )

    labelled = SimilarityIndex(list(range(len(texts))), texts)
    agreeing, total = 0, 0
    for key in random.Random(3).sample(range(len(texts)), 500):
        neighbours = [n for n in labelled.nearest(texts[key], 15, exclude=key) if groups[n.key] != groups[key]][:5]
        agreeing += sum(labels[n.key] == labels[key] for n in neighbours)
        total += len(neighbours)
    print(
        f"similar cases on the labelled corpus: {agreeing / total:.1%} of the 5 nearest other messages "
        f"(near-duplicates excluded) share the query's label"
    )


if __name__ == "__main__":
    main()
