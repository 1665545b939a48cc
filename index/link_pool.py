"""The clauses of a set of policies prepared once for linking many tracks: BM25
statistics (``ClausePool``), the pool cache (``clause_pool``), a track's query
(``track_query``) and the track-independent parts per clause (``_PoolMemo``).

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from saidao.corpus.zones import Zone, registry
from saidao.index.link_bm25 import Bm25Scores, _Bm25Table, tokens
from saidao.index.link_features import (
    ClassKeys,
    _industry,
    _meets,
    _scope_reason,
    _text_of,
    _track_block,
    policy_scope,
)
from saidao.index.link_parts import _NO_PARTS, _Part, direction_part, track_part, zone_parts
from saidao.index.link_weights import LinkWeights


@dataclass
class ClausePool:
    """The clauses of a set of policies, tokenised once for BM25.

    It also keeps what does not depend on the track (BM25 weights per (k1, b),
    candidates per zone, zone/direction/new-track parts per clause), so a run
    that links many tracks against the same clauses works those out once. The
    policies must not change while the pool is in use (``clause_pool`` keys its
    cache on their clauses and tags).
    """

    entries: list[tuple[dict[str, Any], dict[str, Any]]]
    term_freqs: list[Counter[str]]
    lengths: list[int]
    idf: dict[str, float]
    avg_length: float
    postings: dict[str, list[int]]
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, policies: Sequence[dict[str, Any]]) -> ClausePool:
        entries = [(p, c) for p in policies for c in p.get("clauses") or []]
        freqs = [Counter(tokens(f"{c.get('heading') or ''} {c.get('text') or ''}")) for _, c in entries]
        lengths = [sum(f.values()) for f in freqs]
        df: Counter[str] = Counter(t for f in freqs for t in f)
        n = max(len(entries), 1)
        idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        postings: dict[str, list[int]] = {}
        for i, f in enumerate(freqs):
            for term in f:
                postings.setdefault(term, []).append(i)
        avg = sum(lengths) / n if lengths else 1.0
        return cls(entries, freqs, lengths, idf, avg or 1.0, postings)

    def _table(self, k1: float, b: float) -> _Bm25Table:
        key = ("bm25", k1, b)
        if key not in self._memo:
            self._memo[key] = self._build_table(k1, b)
        return self._memo[key]

    def _build_table(self, k1: float, b: float) -> _Bm25Table:
        """The weights, computed with the same float operations, in the same order,
        as the per-clause formula, so scores are bit-for-bit those of a plain loop."""
        spans: dict[str, tuple[int, int]] = {}
        clause: list[int] = []
        tf: list[int] = []
        idf: list[float] = []
        for term, where in self.postings.items():
            spans[term] = (len(clause), len(clause) + len(where))
            clause.extend(where)
            tf.extend(self.term_freqs[i][term] for i in where)
            idf.extend([self.idf[term]] * len(where))
        at = np.asarray(clause, dtype=np.intp)
        freq = np.asarray(tf, dtype=np.float64)
        length = np.asarray(self.lengths, dtype=np.float64)[at] if len(at) else np.zeros(0)
        norm = freq * (k1 + 1) / (freq + k1 * (1 - b + b * length / self.avg_length))
        return _Bm25Table(spans, at, np.asarray(idf, dtype=np.float64) * norm)

    def scores(self, query: Counter[str], weights: LinkWeights) -> Bm25Scores:
        """BM25 of ``query`` against every clause (0 where no word meets).

        Per clause the parts are added in query order, as a loop over the query
        would: ``np.bincount`` sums its input in order.
        """
        table = self._table(weights.bm25_k1, weights.bm25_b)
        terms, spans, qweights = [], [], []
        for term, qtf in query.items():
            span = table.spans.get(term)
            if span is not None:
                terms.append(term)
                spans.append(slice(*span))
                qweights.append(1.0 + math.log(qtf))
        if not terms:
            empty = np.zeros(0, dtype=np.intp)
            return Bm25Scores(np.zeros(len(self.entries)), empty, np.zeros(0), empty, [])
        sizes = [s.stop - s.start for s in spans]
        at = np.concatenate([table.clause[s] for s in spans])
        parts = np.concatenate([table.weight[s] for s in spans]) * np.repeat(qweights, sizes)
        total = np.bincount(at, weights=parts, minlength=len(self.entries))
        return Bm25Scores(total, at, parts, np.repeat(np.arange(len(terms)), sizes), terms)

    def bm25(self, query: Counter[str], weights: LinkWeights) -> dict[int, tuple[float, list[str]]]:
        """Raw BM25 per clause index that shares a word with the query, with the
        query words that contributed most."""
        result = self.scores(query, weights)
        hit = np.flatnonzero(result.scores > 0).tolist()
        return {i: (float(result.scores[i]), result.words(i)) for i in hit}

    def memo(self, weights: LinkWeights) -> _PoolMemo:
        """The track-independent parts for ``weights`` (and the current zone registry)."""
        zones = registry()
        key = ("parts", id(zones), _weights_key(weights))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _PoolMemo(self, weights, zones)
        return found


def _weights_key(weights: LinkWeights) -> tuple[Any, ...]:
    """A hashable stand-in for ``weights`` (its ``scope_levels`` is a dict)."""
    return tuple(
        tuple(sorted(value.items())) if isinstance(value, dict) else value
        for value in (getattr(weights, f.name) for f in fields(weights))
    )


_POOLS: dict[tuple[Any, ...], ClausePool] = {}


def _clause_key(policy: dict[str, Any], clause: dict[str, Any]) -> tuple[Any, ...]:
    """What a pool's cached parts depend on: the clause's identity, text and tags, its policy's area."""
    tags = tuple(tuple(clause.get(k) or ()) for k in ("zones", "industries", "beneficiaries"))
    meta = tuple(policy.get(k) or "" for k in ("title", "level", "jurisdiction"))
    return clause.get("id"), clause.get("heading") or "", len(clause.get("text") or ""), tags, meta


def clause_pool(policies: Sequence[dict[str, Any]] | ClausePool) -> ClausePool:
    """A pool for ``policies``, cached by their clauses so repeated calls are cheap."""
    if isinstance(policies, ClausePool):
        return policies
    key = tuple(_clause_key(p, c) for p in policies for c in p.get("clauses") or [])
    pool = _POOLS.get(key)
    if pool is None:
        if len(_POOLS) > 16:
            _POOLS.clear()
        pool = _POOLS[key] = ClausePool.build(policies)
    return pool


def track_query(track: dict[str, Any]) -> Counter[str]:
    """The track's words as a BM25 query; label and class names count thrice."""
    block = _track_block(track)
    head = " ".join([block.get("label") or "", *(block.get("class_names") or [])])
    query = Counter(tokens(head))
    for term in query:
        query[term] *= 3
    query.update(tokens(_text_of(track, "measures") + "\n" + _text_of(track, "plan")))
    return query


class _PoolMemo:
    """The parts of a link that depend on the clause and at most the track's zone
    or direction, worked out once per pool (and weights) and then looked up.

    Industry parts depend on the track's class: only the clauses tagged with a
    term that meets it are scored (``industry_clauses``); every other clause's
    industry part is empty, so they need no look at all.
    """

    def __init__(self, pool: ClausePool, weights: LinkWeights, zones: Any) -> None:
        self.pool = pool
        self.weights = weights
        self.zones = zones  # the registry the cached parts were made with, kept alive
        self._candidates: dict[str | None, list[tuple[int, str, _Part]]] = {}
        self._zone: dict[tuple[int, str | None], tuple[_Part, _Part]] = {}
        self._direction: dict[str, dict[int, tuple[_Part, _Part]]] = {}
        self._by_industry: dict[str, list[int]] = {}
        for i, (_, clause) in enumerate(pool.entries):
            for name in dict.fromkeys(clause.get("industries") or []):
                self._by_industry.setdefault(name, []).append(i)

    def candidates(self, zone: Zone | None) -> list[tuple[int, str, _Part]]:
        """(clause index, scope level, scope part) for every clause that may apply to ``zone``."""
        key = zone.id if zone is not None else None
        if key not in self._candidates:
            self._candidates[key] = self._find_candidates(zone)
        return self._candidates[key]

    def _find_candidates(self, zone: Zone | None) -> list[tuple[int, str, _Part]]:
        out = []
        scopes: dict[int, str | None] = {}
        for i, (policy, clause) in enumerate(self.pool.entries):
            key = id(policy)
            if key not in scopes:
                scopes[key] = policy_scope(policy, zone)
            scope = scopes[key]
            if scope is None and zone is not None and zone.id in (clause.get("zones") or []):
                scope = "named"
            if scope is not None:
                part = _Part(self.weights.scope_levels.get(scope, 0.5), [_scope_reason(policy, scope)])
                out.append((i, scope, part))
        return out

    def zone(self, i: int, zone: Zone | None) -> tuple[_Part, _Part]:
        """``zone_parts`` of clause ``i`` for ``zone``."""
        key = (i, zone.id if zone is not None else None)
        found = self._zone.get(key)
        if found is None:
            policy, clause = self.pool.entries[i]
            found = zone_parts(clause, policy, zone, self.weights)
            found = self._zone[key] = _NO_PARTS if found == _NO_PARTS else found  # one shared empty pair
        return found

    def direction(self, i: int, direction: str) -> tuple[_Part, _Part]:
        """(``direction_part``, ``track_part``) of clause ``i`` for a track of ``direction``."""
        parts = self._direction.setdefault(direction, {})
        found = parts.get(i)
        if found is None:
            clause = self.pool.entries[i][1]
            found = parts[i] = (direction_part(clause, direction, self.weights),
                                track_part(clause, self.weights, direction))
        return found

    def industry_clauses(self, keys: ClassKeys) -> set[int]:
        """Clauses tagged with at least one industry term that meets ``keys``."""
        out: set[int] = set()
        for name, where in self._by_industry.items():
            term = _industry(name)
            if term is not None and _meets(keys, term) is not None:
                out.update(where)
        return out
