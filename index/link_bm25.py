"""BM25 over clauses: the tokens a track and a clause are cut into, the per-(k1, b)
weight table and a query's scores with the words that made them.

Part of ``index.links``; ``link_pool.ClausePool`` builds and holds the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from saidao.index.fts import tokenizer
from saidao.index.link_features import _fold

# ---------------------------------------------------------------- BM25 over clauses


_TOKEN_OK = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_STOP = frozenset(
    ["支持", "加强", "推动", "开展", "建设", "发展", "推进", "加快", "重点", "提升", "培育", "企业", "关键", "突破", "依托", "实现", "形成", "围绕", "积极", "完善", "提高", "强化", "技术", "产业", "领域", "创新", "项目", "工作", "相关", "以上", "一批", "进一步", "持续", "全面", "力争", "达到"]
)
"""Words every clause and every track uses; they would only add noise to BM25."""


def tokens(text: str) -> list[str]:
    """jieba words of at least two characters, carrying a letter or a CJK character.

    The index's tokenizer (corpus user dictionary loaded) segments, so a track's
    text and the clauses are cut the same way as search queries are.
    """
    out = []
    for word in tokenizer().lcut(_fold(text)):
        if len(word) > 1 and _TOKEN_OK.search(word) and word not in _STOP:
            out.append(word)
    return out


@dataclass(frozen=True)
class _Bm25Table:
    """Every (term, clause) BM25 weight ``idf * norm`` for one (k1, b), laid out
    term by term: the weights of ``term`` are ``weight[start:end]`` for the
    clauses ``clause[start:end]``. A query then costs a few array slices."""

    spans: dict[str, tuple[int, int]]
    clause: np.ndarray
    weight: np.ndarray


@dataclass
class Bm25Scores:
    """A query's BM25 score per clause, and the words that contributed most (on demand)."""

    scores: np.ndarray
    _clause: np.ndarray
    _part: np.ndarray
    _rank: np.ndarray
    _terms: list[str]
    _words: dict[int, list[str]] | None = None

    def words(self, i: int) -> list[str]:
        """Up to three query words with the largest parts for clause ``i`` (ties in query order)."""
        if self._words is None:
            self._words = self._top_words()
        return self._words.get(i, [])

    def _top_words(self) -> dict[int, list[str]]:
        order = np.lexsort((self._rank, -self._part, self._clause))
        clause = self._clause[order]
        first = np.r_[True, clause[1:] != clause[:-1]]
        starts = np.flatnonzero(first)
        within = np.arange(len(clause)) - np.repeat(starts, np.diff(np.r_[starts, len(clause)]))
        out: dict[int, list[str]] = {}
        for pos in order[within < 3].tolist():
            out.setdefault(int(self._clause[pos]), []).append(self._terms[int(self._rank[pos])])
        return out
