"""The general Chinese word list: jieba's dictionary (``dict.txt`` in its wheel, ~350,000
words with their frequencies), imported and loaded on first use.

``index.fts`` segments with it (plus the domain words), ``extractors.ocr_words``
scores OCR readings with it (the dictionary alone, so a reading's fate never
depends on which domain words another step added first).
"""

from __future__ import annotations

import importlib
import logging
import sys
from functools import cache
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


@cache
def plain_tokenizer() -> Any:
    """The process's one plain-dictionary tokenizer (for scoring readings, never modified)."""
    return new_tokenizer()
