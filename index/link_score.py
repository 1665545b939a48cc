"""Link one track to the clauses of a pool: candidates by scope, the parts summed
with their weights, the ``Link`` records with reasons and a snippet, best first.
Pure: nothing is read or written.

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from saidao.corpus import lexicon
from saidao.index.link_bm25 import Bm25Scores
from saidao.index.link_features import (
    _beneficiary,
    _fold,
    _track_block,
    class_keys,
    track_text,
    track_zone,
)
from saidao.index.link_parts import (
    _NO_PART,
    _beneficiary_value,
    _Part,
    _platform_match,
    _platform_value,
    _register_types,
    industry_part,
)
from saidao.index.link_pool import ClausePool, _PoolMemo, clause_pool, track_query
from saidao.index.link_weights import DEFAULT_WEIGHTS, LinkWeights
from saidao.index.policy_meta import policy_id

PARTS = ("zone", "other_zone", "scope", "industry", "direction", "track", "beneficiary", "text")
REASON_ORDER = ("scope", "zone", "other_zone", "industry", "direction", "track", "beneficiary", "text")


_SNIPPET_CHARS = 120


@dataclass
class Link:
    """One clause linked to one track: the contract's clause keys plus the score's parts."""

    clause_id: str
    policy_id: str
    title: str
    doc_number: str
    number: str
    path: list[str]
    heading: str
    snippet: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    level: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=8192)
def _flat(text: str) -> str:
    return " ".join((text or "").split())


def _snippet(text: str, words: Iterable[str]) -> str:
    flat = _flat(text)
    starts = [flat.find(w) for w in words if w and flat.find(w) >= 0]
    start = max(min(starts) - 20, 0) if starts else 0
    piece = flat[start : start + _SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + _SNIPPET_CHARS < len(flat) else "")


class _TrackSide:
    """What linking needs of one track, worked out once: zone, class keys,
    direction, folded text, and each beneficiary term's standing."""

    def __init__(self, track: dict[str, Any], weights: LinkWeights) -> None:
        self.track = track
        self.weights = weights
        self.zone = track_zone(track)
        self.keys = class_keys(track)
        self.direction = _track_block(track).get("direction") or ""
        self.text = _fold(track_text(track))
        self.firms = len(track.get("firms") or [])
        self.registered = _register_types(track)
        self._platform: dict[lexicon.BeneficiaryTerm, str | None] = {}
        self._value: dict[lexicon.BeneficiaryTerm, tuple[float, str]] = {}

    def beneficiary(self, clause: dict[str, Any]) -> _Part:
        """``beneficiary_part`` with the track's side of each term computed once."""
        part = _Part()
        for name in clause.get("beneficiaries") or []:
            term = _beneficiary(name)
            if term is None:
                continue
            value, reason = self._term_value(term, clause)
            if value > 0:
                part.value = max(part.value, value)
                part.reasons.append(reason)
        part.reasons = list(dict.fromkeys(part.reasons))[:3]
        return part

    def _term_value(self, term: lexicon.BeneficiaryTerm, clause: dict[str, Any]) -> tuple[float, str]:
        if term.kind == "platform":
            if term not in self._platform:
                self._platform[term] = _platform_match(term, self.track.get("platforms") or [])
            found = self._platform[term]
            if found:  # only then does the clause matter (subject or passing)
                return _platform_value(term, found, clause, self.weights)
        found = self._value.get(term)
        if found is None:
            found = self._value[term] = _beneficiary_value(
                term, clause, self.track, self.text, self.firms, self.registered, self.weights)
        return found


def _score(parts: dict[str, _Part], weights: LinkWeights) -> float:
    return round(sum(getattr(weights, name) * part.value for name, part in parts.items()), 4)


def link_track(
    track: dict[str, Any],
    policies: Sequence[dict[str, Any]] | ClausePool,
    weights: LinkWeights = DEFAULT_WEIGHTS,
    limit: int | None = None,
    query: Counter[str] | None = None,
) -> list[Link]:
    """The clauses of ``policies`` that apply to ``track``, best first.

    ``track`` is a declaration extract (``track``, ``zone``, ``measures``,
    ``plan``, ``firms``, ``platforms``); ``policies`` are policy extracts (or a
    prepared ``ClausePool``, which keeps the track-independent work between
    calls). ``query`` is ``track_query(track)`` when the caller has it already
    (jieba on the track's text is half the cost of a link). Pure: nothing is
    read or written.
    """
    pool = clause_pool(policies)
    memo = pool.memo(weights)
    side = _TrackSide(track, weights)
    candidates = memo.candidates(side.zone)
    if not candidates:  # no clause can link (no policy indexed yet): no query to cut with jieba
        return []
    bm25 = pool.scores(query if query is not None else track_query(track), weights)
    best = float(bm25.scores[[i for i, _, _ in candidates]].max()) if candidates else 0.0
    industrial = memo.industry_clauses(side.keys)
    links = []
    for i, _, scope_p in candidates:
        link = _link(i, scope_p, memo, side, bm25, best, i in industrial)
        if link is not None:
            links.append((i, link))
    links.sort(key=lambda pair: (-pair[1].score, pair[0]))
    out = [link for _, link in links]
    return out[:limit] if limit else out


def _link(
    i: int, scope_p: _Part, memo: _PoolMemo, side: _TrackSide, bm25: Bm25Scores, best: float, industrial: bool
) -> Link | None:
    """Clause ``i``'s link to the track, or None when nothing but its scope ties them
    (or the score stays under ``min_score``)."""
    weights = memo.weights
    policy, clause = memo.pool.entries[i]
    zone_p, other_p = memo.zone(i, side.zone)
    direction_p, track_p = memo.direction(i, side.direction)
    industry_p = industry_part(clause, side.keys, weights, side.zone) if industrial else _NO_PART
    beneficiary_p = side.beneficiary(clause) if clause.get("beneficiaries") else _NO_PART
    raw = float(bm25.scores[i])
    text_p = _NO_PART
    if raw > 0 and best > 0:
        text_p = _Part(round(raw / best, 4), [f"文本相似：{raw / best:.2f}（{'、'.join(bm25.words(i))}）"])
    parts = {
        "zone": zone_p,
        "other_zone": other_p,
        "scope": scope_p,
        "industry": industry_p,
        "direction": direction_p,
        "track": track_p,
        "beneficiary": beneficiary_p,
        "text": text_p,
    }
    substantive = any(parts[p].value > 0 for p in _SUBSTANTIVE)
    if not substantive:
        return None
    score = _score(parts, weights)
    if score < weights.min_score:
        return None
    return _make_link(policy, clause, parts, score, bm25.words(i) if raw > 0 else [])


_SUBSTANTIVE = tuple(p for p in PARTS if p not in ("scope", "other_zone"))
"""Parts that tie a clause to the track by content; scope alone never makes a link."""


def _make_link(
    policy: dict[str, Any], clause: dict[str, Any], parts: dict[str, _Part], score: float, text_words: list[str]
) -> Link:
    reasons = [r for name in REASON_ORDER for r in parts[name].reasons]
    words = [r.split("：", 1)[1].split("（")[0] for r in parts["industry"].reasons] + text_words
    return Link(
        clause_id=str(clause.get("id") or ""),
        policy_id=policy_id(policy, clause),
        title=policy.get("title") or "",
        doc_number=policy.get("doc_number") or "",
        number=clause.get("number") or "",
        path=list(clause.get("path") or []),
        heading=clause.get("heading") or "",
        snippet=_snippet(clause.get("text") or "", words),
        score=score,
        parts={name: round(part.value, 4) for name, part in parts.items()},
        reasons=reasons,
        level=policy.get("level") or "",
    )
