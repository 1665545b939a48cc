"""The general Chinese word list: jieba's dictionary (``dict.txt`` in its wheel, ~350,000
words with their frequencies), imported and loaded on first use.

``index.fts`` segments with it (plus the domain words) through a jieba tokenizer;
``extractors.ocr_words`` scores OCR readings with :func:`word_frequencies`, the same
dictionary alone (so a reading's fate never depends on which domain words another
step added first), read straight from the file: jieba's own start-up unpickles a
500,000-entry prefix dictionary (1.0 CPU s per process), while a phrase's best
segmentation needs only the words and their counts (0.2 s).
"""

from __future__ import annotations

import importlib
import logging
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any


def import_jieba() -> ModuleType:
    """jieba, imported on first use: opening the index or reading a text file must not cost it.

    jieba finds its dictionary through ``pkg_resources`` when that imports
    (0.2 s of setuptools, deprecated) and by its own path otherwise; it is
    hidden for jieba's import only, so the file is found by path.
    """
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails fast
    try:
        return importlib.import_module("jieba")
    finally:
        if hidden:
            del sys.modules["pkg_resources"]


def new_tokenizer() -> Any:
    """A private, initialised jieba tokenizer over the plain dictionary (no words added).

    jieba keeps a cache of its dictionary in the temporary folder and, when that folder
    is full or read-only, logs the failure with a traceback on stderr while working on
    without it: its logger is silenced, as the tagger's is (a full disk has its own
    message for staff, ``disk_full``, and no traceback).
    """
    jieba = import_jieba()
    jieba.setLogLevel(logging.CRITICAL + 10)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


@dataclass(frozen=True)
class WordFrequencies:
    """jieba's dictionary as word → count, and the best segmentation jieba would choose.

    :meth:`best` is jieba's own model (``Tokenizer.get_DAG`` + ``calc``): each word
    costs ``log(count / total)``, a character that is no word ``log(1 / total)``, and a
    single character is a choice only where it is a word or no word starts there; of
    equal scores the longer first word wins. The same numbers as jieba's, without its
    prefix dictionary (checked in ``tests/test_ocr_words.py``).
    """

    counts: dict[str, int]
    total: int
    longest: int

    def best(self, phrase: str) -> tuple[float, list[tuple[int, int]]]:
        """The best segmentation's log-probability and its words as (start, end) spans."""
        n, log_total = len(phrase), math.log(self.total)
        route: list[tuple[float, int]] = [(0.0, n)] * (n + 1)
        for i in range(n - 1, -1, -1):
            ends = [j for j in range(i + 1, min(n, i + self.longest) + 1) if phrase[i:j] in self.counts]
            route[i] = max((math.log(self.counts.get(phrase[i:j]) or 1) - log_total + route[j][0], j)
                           for j in (ends or [i + 1]))
        spans, i = [], 0
        while i < n:
            spans.append((i, route[i][1]))
            i = route[i][1]
        return route[0][0], spans


def dictionary_path() -> Path:
    """jieba's ``dict.txt``, found by path beside its package (no import of jieba needed)."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


@cache
def word_frequencies() -> WordFrequencies:
    """The plain dictionary's counts, read once per process (``word count tag`` per line)."""
    fields = dictionary_path().read_text("utf-8").split()
    counts = {word: int(count) for word, count in zip(fields[0::3], fields[1::3], strict=True)
              if count != "0"}
    total = sum(map(int, fields[1::3]))  # as jieba counts it: a word listed twice, twice
    return WordFrequencies(counts, total, max(map(len, counts)))
