"""Text as the classifier sees it: raw input (titles, full sentences, punctuation, full-width characters) and the
pre-segmented training text of public corpora (jieba tokens joined by spaces, stopwords and punctuation removed)
come out in the same shape, so a model trained on one serves the other.

The classifier reads content words (stopwords dropped, as the segmented corpora had them dropped) and the
characters of those words run together. Word tokens come from the given segmentation when the text already has one,
and from jieba otherwise: rjieba, the binding of jieba-rs, which cuts exactly as Python jieba does without its HMM (same
dictionary) about 17 times faster, so a suggestion stays within its latency target. ``load_segmenter`` loads the
dictionary once per process (the serving command and the workers call it at start).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from typing import Any

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
SEGMENTED_SPACE_RATIO = 0.15
OPENING_WORDS = 20


def clean(text: str) -> str:
    """NFKC (full-width → half-width), lower case, spaces and punctuation kept as single spaces."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def characters(text: str) -> str:
    """The text without spaces or punctuation: what the character n-grams run over."""
    return clean(text).replace(" ", "")


def is_segmented(text: str) -> bool:
    """Pre-segmented corpora put a space between most words; people typing Chinese almost never do."""
    cjk = len(_CJK.findall(text))
    return cjk > 0 and text.count(" ") / cjk >= SEGMENTED_SPACE_RATIO


def words(text: str) -> list[str]:
    """Word tokens: the given segmentation when there is one, jieba's (dictionary only, no HMM) otherwise."""
    cleaned = clean(text)
    if is_segmented(text):
        return cleaned.split()
    return [token for token in load_segmenter().cut(cleaned, False) if token.strip()]


@functools.cache
def load_segmenter() -> Any:
    import rjieba

    rjieba.cut("加载词典", False)
    return rjieba


@functools.cache
def stopwords() -> frozenset[str]:
    """The stopwords-iso Chinese list (794 function words: 的, 了, 我们 …), the kind of list segmented corpora
    were made with."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("zh"))


@functools.lru_cache(maxsize=8)
def content_words(text: str) -> tuple[str, ...]:
    """Words without stopwords: raw input brought to the shape of a segmented corpus (for which this changes
    nothing). Cached for the few most recent texts, since both feature blocks of a head ask for the same text."""
    ignored = stopwords()
    return tuple(word for word in words(text) if word not in ignored)


def content_characters(text: str) -> str:
    """The content words run together: what the character n-grams of the classifier see."""
    return "".join(content_words(text))


def opening_words(text: str) -> tuple[str, ...]:
    """The first content words: the title and the opening sentence, where a message says what it is about (a long
    message drifts into history, greetings and side issues). Both formats start with the title."""
    return content_words(text)[:OPENING_WORDS]


def opening_terms(text: str) -> tuple[str, ...]:
    """The opening words and their adjacent pairs ("拖欠 工资"): in a title the pair says more than its words do."""
    opening = opening_words(text)
    return opening + tuple(f"{first} {second}" for first, second in itertools.pairwise(opening))


def opening_characters(text: str) -> str:
    """The opening words run together, for the character n-grams of the opening."""
    return "".join(opening_words(text))


def join_title(title: str | None, text: str) -> str:
    """The title carries the gist of a message; the corpora's segmented text starts with it too."""
    return f"{title.strip()}\n{text}" if title and title.strip() else text
