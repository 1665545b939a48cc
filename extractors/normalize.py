"""Chinese text normalisation: the one entry point extractors use.

The pieces live in three modules and are re-exported here:

* :mod:`.text_width` — width folding, Chinese punctuation, CJK spacing;
* :mod:`.linewrap` — paragraphs rebuilt from hard-wrapped lines;
* :mod:`.numerals` — Chinese numerals and dates as values.

:func:`normalize` is the standard pipeline for extractor input; it is
idempotent, so text may be normalised more than once without drifting.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

from saidao.extractors.linewrap import (
    RepairedParagraph,
    display_width,
    ends_sentence,
    is_heading_start,
    is_page_artefact,
    is_standalone,
    repair_lines,
)
from saidao.extractors.numerals import (
    CnNumeral,
    cn_numerals_in,
    cn_to_int,
    parse_cn_date,
    parse_cn_month,
)
from saidao.extractors.text_width import (
    CANONICAL_PUNCT,
    canonical_doc_number_brackets,
    collapse_cjk_spaces,
    fold_width,
    is_cjk,
    is_cjk_punct,
    pair_quotes,
)

__all__ = [
    "CANONICAL_PUNCT",
    "CnNumeral",
    "RepairedParagraph",
    "canonical_doc_number_brackets",
    "cn_numerals_in",
    "cn_to_int",
    "collapse_cjk_spaces",
    "display_width",
    "ends_sentence",
    "fold_width",
    "is_cjk",
    "is_cjk_punct",
    "is_heading_start",
    "is_page_artefact",
    "is_standalone",
    "normalize",
    "pair_quotes",
    "parse_cn_date",
    "parse_cn_month",
    "repair_lines",
    "to_simplified",
]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """The OpenCC converter, built on first use (loading its dictionaries takes time)."""
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (OpenCC ``t2s``).

    >>> to_simplified("內蒙古科技廳")
    '内蒙古科技厅'
    """
    return _t2s().convert(text) if text else text


def normalize(text: str, *, simplified: bool = True) -> str:
    """Width fold → collapse CJK spaces → optionally traditional to simplified.

    >>> normalize("內蒙古 科技廳 ,聯 系 人:張三 (一) 到 ２０２５年")
    '内蒙古科技厅，联系人：张三（一）到2025年'
    """
    result = collapse_cjk_spaces(fold_width(text))
    if simplified:
        result = to_simplified(result)
    return result
