"""Link a declared track to the policy clauses that apply to it, with reasons.

A clause is a *candidate* only where its policy's area covers the track's zone
(national and region documents every zone, a city document its zones, a county
document its county's zones: ``jurisdiction_covers``) or the clause names the
zone. Candidates are scored as a weighted sum of visible parts (weights in
``link_weights.py``), each part with a Chinese reason, so that staff see *why*
a clause was linked, not only that it was.

The core works on the extractors' dicts (``link_track``); ``compute_links`` and
``links_for`` store and read links in the SQLite index.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

import numpy as np

from saidao.corpus import lexicon
from saidao.corpus import policies as policies_corpus
from saidao.corpus.classifications import ClassificationTable, Scheme, load, scheme_of
from saidao.corpus.zones import Zone, jurisdiction_covers, registry
from saidao.index.fts import tokenizer
from saidao.index.link_weights import DEFAULT_WEIGHTS, LinkWeights

PARTS = ("zone", "other_zone", "scope", "industry", "direction", "track", "beneficiary", "text")
REASON_ORDER = ("scope", "zone", "other_zone", "industry", "direction", "track", "beneficiary", "text")

DIRECTION_TERMS: dict[str, tuple[str, ...]] = {
    "未来产业验证熟化": ("未来产业", "概念验证", "中试", "验证熟化", "前沿技术", "颠覆性技术"),
    "传统产业转型升级": (
        "转型升级", "技术改造", "智能化改造", "数字化转型", "改造提升", "改造升级",
        "传统产业", "传统优势产业", "设备更新", "工艺升级", "先进适用技术",
    ),
    "新兴产业延伸": ("战略性新兴产业", "新兴产业", "延链补链", "补链延链", "延链", "产业链延伸"),
}
"""Words that show a clause speaks of a direction (the three boxes of the form)."""

DIRECTION_CORE: dict[str, tuple[str, ...]] = {
    "未来产业验证熟化": ("未来产业", "概念验证", "中试", "验证熟化"),
    "传统产业转型升级": ("转型升级", "传统产业", "传统优势产业", "数字化转型"),
    "新兴产业延伸": ("战略性新兴产业", "新兴产业", "产业链延伸"),
}
"""The words of ``DIRECTION_TERMS`` that name the direction itself (or, for
验证熟化, what it is: 中试, 概念验证); the others (技术改造, 延链, 前沿技术)
name means that clauses about anything use. Full direction credit needs a core
word in the clause's heading or a lead sentence."""

TRACK_TERMS = ("新赛道",)
"""Words of new-track cultivation itself (seed 000): they concern every direction."""

TRACK_BINDING_HEADINGS = ("方向", "条件", "支持方式", "支持形式", "支持内容", "支持标准", "申报要求")
"""Headings of a new-track clause that every track is judged or funded by."""

_SCOPE_TEXT = {
    "national": "全国",
    "region": "{j}全区",
    "city": "{j}",
    "county": "{j}",
    "zone": "{j}",
}

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


# ---------------------------------------------------------------- text helpers


def _fold(text: str) -> str:
    """NFKC and no whitespace: PDF text splits words with spaces and wraps."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@lru_cache(maxsize=4096)
def _folded_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """A term's names folded, one-character names dropped (too ambiguous to match)."""
    return tuple(f for f in (_fold(n) for n in names) if len(f) > 1)


def _track_block(track: dict[str, Any]) -> dict[str, Any]:
    return track.get("track") or {}


def _text_of(track: dict[str, Any], key: str) -> str:
    value = track.get(key)
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


def track_text(track: dict[str, Any]) -> str:
    """The track's own words: label, class names, 举措及成效 and 实施方案."""
    block = _track_block(track)
    head = " ".join([block.get("label") or "", *(block.get("class_names") or [])])
    return "\n".join([head, _text_of(track, "measures"), _text_of(track, "plan")])


def _zone_short(zone: Zone) -> str:
    """The name staff use (包头稀土高新区), falling back to the official name."""
    short = [a for a in zone.aliases if a.endswith("高新区")]
    return short[0] if short else zone.name


# ---------------------------------------------------------------- zones and scope


def track_zone(track: dict[str, Any]) -> Zone | None:
    """The registry zone of a track (by id, else by the printed name)."""
    info = track.get("zone") or {}
    if isinstance(info, str):
        info = {"id": info}
    zones = registry()
    if info.get("id"):
        found = zones.get(info["id"])
        if found is not None:
            return found
    for key in ("name", "printed"):
        if info.get(key):
            found = zones.resolve(info[key])
            if found is not None:
                return found
    return None


def policy_scope(policy: dict[str, Any], zone: Zone | None) -> str | None:
    """The scope level through which ``policy`` covers ``zone``, or None.

    National documents cover everything; others follow ``jurisdiction_covers``
    on the policy's jurisdiction, so a county plan never reaches a zone outside
    that county. A track without a known zone is covered only region-wide.
    """
    level = policy.get("level") or ""
    if level == "national":
        return "national"
    jurisdiction = policy.get("jurisdiction") or ""
    if zone is None:
        return level if level == "region" and jurisdiction_covers(jurisdiction, _ANY_ZONE) else None
    if jurisdiction_covers(jurisdiction, zone):
        return level or "region"
    return None


class _AnyZone:
    """A stand-in zone that only region-wide jurisdictions cover."""

    id = "__none__"
    city = "__none__"
    counties: tuple[str, ...] = ()


_ANY_ZONE: Any = _AnyZone()


def _scope_reason(policy: dict[str, Any], scope: str) -> str:
    if scope == "named":
        return "适用范围：条款点名本区"
    jurisdiction = policy.get("jurisdiction") or "内蒙古自治区"
    return "适用范围：" + _SCOPE_TEXT.get(scope, "{j}").format(j=jurisdiction)


@lru_cache(maxsize=256)
def _title_zones(title: str) -> frozenset[str]:
    """Zones a policy's title is about (鄂府发〔2025〕36号 is about 鄂尔多斯高新区)."""
    return frozenset(m.zone.id for m in registry().find_all(title or ""))


# ---------------------------------------------------------------- industry tie


@lru_cache(maxsize=4096)
def _industry(name: str) -> lexicon.IndustryTerm | None:
    """``lexicon.industry`` cached: the lexicon scans every name on each call."""
    return lexicon.industry(name)


@lru_cache(maxsize=4096)
def _beneficiary(name: str) -> lexicon.BeneficiaryTerm | None:
    return lexicon.beneficiary(name)


@dataclass(frozen=True)
class ClassKeys:
    """Where a track sits in the classifications: codes on its path, and its leaves."""

    on_path: frozenset[tuple[Scheme, str]]
    leaves: tuple[tuple[Scheme, str], ...]
    words: str
    names: tuple[str, ...] = ()
    """The folded label and class names one by one (``words`` joins them)."""

    def meets(self, term: lexicon.IndustryTerm) -> str | None:
        """``"path"`` when a term code lies on the track's path (or on the path of
        a GB/T class its SEI/ISEI class covers), ``"narrower"`` when a term code
        lies below the track's class, ``"word"`` when only the names meet."""
        if any(code in self.on_path for code in term.codes):
            return "path"
        if any(_is_below(scheme, code, leaf) for scheme, code in term.codes for leaf in self.leaves):
            return "narrower"
        if any(name in self.words for name in _folded_names(term.names)):
            return "word"
        return None

    def coverage(self, term: lexicon.IndustryTerm) -> float:
        """How much of the track's own name a word match covers: 煤基新材料 is met
        in full by 现代煤化工's alias 煤基新材料, only in part by 新材料, whose
        three characters name a far wider field."""
        best = 0.0
        for folded in _folded_names(term.names):
            for word in self.names:
                if folded in word:
                    best = max(best, len(folded) / len(word))
        return best


@lru_cache(maxsize=65536)
def _meets(keys: ClassKeys, term: lexicon.IndustryTerm) -> str | None:
    return keys.meets(term)


@lru_cache(maxsize=65536)
def _coverage(keys: ClassKeys, term: lexicon.IndustryTerm) -> float:
    return keys.coverage(term)


def _is_below(scheme: Scheme, code: str, leaf: tuple[Scheme, str]) -> bool:
    if scheme is not leaf[0]:
        return False
    return any(entry.code == leaf[1] for entry in load(scheme).ancestors(code))


def _path_keys(table: ClassificationTable, code: str) -> set[tuple[Scheme, str]]:
    return {(table.scheme, c) for c, _ in table.path(code)}


def _future_codes(block: dict[str, Any]) -> list[str]:
    """Future-industry keys: the category, ``category/domain`` and flagship names."""
    table = load(Scheme.FUTURE_2024)
    label = block.get("label") or ""
    codes: list[str] = []
    for name in [*(block.get("codes") or []), *(block.get("class_names") or [])]:
        entry = table.by_code(name)
        if entry is None:
            continue
        codes.append(entry.code)
        if label and table.by_code(f"{entry.code}/{label}") is not None:
            codes.append(table.by_code(f"{entry.code}/{label}").code)  # type: ignore[union-attr]
    if label and table.by_code(label) is not None:
        codes.append(table.by_code(label).code)  # type: ignore[union-attr]
    return list(dict.fromkeys(codes))


@lru_cache(maxsize=1024)
def _head_term_codes(label: str) -> tuple[tuple[Scheme, str], ...]:
    """Industry-table codes of the lexicon terms that head a future track's label.

    A future track has no SEI/GB/T code of its own; its label does place it: a
    Chinese compound names its kind last, so 人形机器人 is a 机器人 and lies
    where 机器人 lies (SEI 2.1.1 under 2 高端装备). Future-table codes are
    left out (the track's own category already gives them).
    """
    folded = _fold(label)
    codes: list[tuple[Scheme, str]] = []
    for term in lexicon.industries():
        if any(len(n) > 1 and folded.endswith(_fold(n)) for n in term.names):
            codes.extend(c for c in term.codes if c[0] is not Scheme.FUTURE_2024 and load(c[0]).by_code(c[1]))
    return tuple(dict.fromkeys(codes))


def class_keys(track: dict[str, Any]) -> ClassKeys:
    """The classification keys of a track, built from its scheme and codes.

    GB/T 4754 and SEI/ISEI: every code on the path of the track's deepest code;
    an SEI/ISEI track also brings the GB/T classes it covers (``gbt_codes``,
    the classes themselves, not their divisions: 3.2.7 covers 3232 稀土金属冶炼
    but is not the whole of 26 化学原料), which is how a 稀土新材料制造 track
    meets a clause tagged with 稀土's GB/T code 3232. Future tracks: category, domain and flagship keys.
    """
    block = _track_block(track)
    names = tuple(n for n in (_fold(x) for x in [block.get("label") or "", *(block.get("class_names") or [])]) if n)
    words = "".join(names)
    scheme = scheme_of(block.get("scheme") or "")
    if scheme is None and block.get("direction") == "未来产业验证熟化":
        scheme = Scheme.FUTURE_2024
    if scheme is None:
        return ClassKeys(frozenset(), (), words, names)
    if scheme is Scheme.FUTURE_2024:
        codes = _future_codes(block)
        table = load(scheme)
        keys = {k for code in codes for k in _path_keys(table, code)}
        headed = _head_term_codes(block.get("label") or "")
        keys |= {k for code in headed for k in _path_keys(load(code[0]), code[1])}
        leaves = tuple((scheme, c) for c in codes) + headed
        return ClassKeys(frozenset(keys), leaves, words, names)
    table = load(scheme)
    known = [c for c in block.get("codes") or [] if table.by_code(c) is not None]
    if not known:
        return ClassKeys(frozenset(), (), words, names)
    leaf = table.by_code(known[-1]).code  # type: ignore[union-attr]
    keys = _path_keys(table, leaf)
    if scheme is not Scheme.GBT_4754_2017:
        keys |= {(Scheme.GBT_4754_2017, code) for code in table.gbt_codes(leaf)}
    return ClassKeys(frozenset(keys), ((scheme, leaf),), words, names)


def track_industries(track: dict[str, Any]) -> list[str]:
    """Lexicon terms that meet the track's class on its path (for display and tests)."""
    keys = class_keys(track)
    return [t.term for t in lexicon.industries() if keys.meets(t) == "path"]


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


# ---------------------------------------------------------------- parts


@dataclass
class _Part:
    value: float = 0.0
    reasons: list[str] = field(default_factory=list)


AREA_VALUE = 0.5
"""Zone value of a clause naming only the zone's city or county, where that
area holds no other zone (赤峰, 通辽): it speaks of the zone's ground. A planned
zone has no name of its own yet, so its area's name counts in full."""


def _short_area(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "市盟县旗区" else name


@lru_cache(maxsize=64)
def _area_names(zone_id: str) -> tuple[str, ...]:
    """The city/county names that identify ``zone_id``: areas holding no other zone."""
    zones = [z for z in registry().all() if z.status != "not_htz"]
    zone = next(z for z in zones if z.id == zone_id)
    out = []
    if zone.city and sum(1 for z in zones if z.city == zone.city) == 1:
        out.append(zone.city)
    for county in zone.counties:
        if sum(1 for z in zones if county in z.counties) == 1:
            out.append(county)
    return tuple(out)


@lru_cache(maxsize=1)
def _not_zone_names() -> tuple[str, ...]:
    names = {_fold(n) for z in registry().lookalikes() for n in z.names}
    return tuple(sorted(names, key=len, reverse=True))


def _area_named(text: str, zone: Zone) -> str | None:
    """The area of ``zone`` the text names (after taking out entities that are not
    zones: 和林格尔新区 is not 和林格尔县's zone), or None."""
    areas = _area_names(zone.id)
    return _area_in_text(text, areas) if areas else None


@lru_cache(maxsize=65536)
def _area_in_text(text: str, areas: tuple[str, ...]) -> str | None:
    if not any(_short_area(a) in text for a in areas):
        return None
    for name in _not_zone_names():
        text = text.replace(name, "")
    return next((a for a in areas if _short_area(a) in text), None)


def zone_parts(
    clause: dict[str, Any], policy: dict[str, Any], zone: Zone | None, weights: LinkWeights = DEFAULT_WEIGHTS
) -> tuple[_Part, _Part]:
    """(zone, other_zone): the clause names this zone; or it (or its policy's
    title) names only other zones. In a policy written for the zone (its title
    names it) every clause is about the zone, so naming it tells little
    (``zone_own_policy``)."""
    named = set(clause.get("zones") or [])
    if zone is not None and zone.id in named:
        if zone.id in _title_zones(policy.get("title") or ""):
            return _Part(weights.zone_own_policy, [f"提及本区：{_zone_short(zone)}（本区专项政策）"]), _Part()
        return _Part(1.0, [f"提及本区：{_zone_short(zone)}"]), _Part()
    area = _area_named(_clause_text(clause), zone) if zone is not None else None
    if area is not None:
        value = 1.0 if zone.is_planned else AREA_VALUE  # type: ignore[union-attr]
        return _Part(value, [f"提及本区所在地：{area}"]), _Part()
    others = named or set(_title_zones(policy.get("title") or ""))
    if zone is not None and zone.id in others:
        return _Part(), _Part()
    if others:
        names = [_zone_short(z) for z in registry().all() if z.id in others]
        more = "等" if len(names) > 2 else ""
        return _Part(), _Part(1.0, [f"仅提及他区：{'、'.join(names[:2])}{more}"])
    return _Part(), _Part()


_SENTENCE_END = re.compile(r"[。；;！？\n]")


@lru_cache(maxsize=16384)
def _sentence_zones(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The clause's sentences, each with the zones it names."""
    out = []
    for sentence in _SENTENCE_END.split(text):
        if sentence:
            out.append((sentence, frozenset(m.zone.id for m in registry().find_all(sentence))))
    return tuple(out)


def industry_about_zone(clause: dict[str, Any], term: lexicon.IndustryTerm, zone: Zone | None) -> bool:
    """Whether a sentence that names ``term`` is about ``zone`` or names no zone.

    001（十三） gives each zone its clusters in one clause ("包头…稀土、装备制造；
    鄂尔多斯…"): 装备制造 there is 包头稀土高新区's business, not that of a
    装备 park elsewhere. A term the text does not spell out (tagged through an
    alias the sentence split cannot see) keeps counting.
    """
    return _about_zone(_clause_text(clause), term, zone.id if zone is not None else None)


@lru_cache(maxsize=65536)
def _about_zone(text: str, term: lexicon.IndustryTerm, zone_id: str | None) -> bool:
    names = _folded_names(term.names)
    seen = False
    for sentence, zones in _sentence_zones(text):
        if not any(n in sentence for n in names):
            continue
        seen = True
        if not zones or zone_id in zones:
            return True
    return not seen


def industry_part(
    clause: dict[str, Any], keys: ClassKeys, weights: LinkWeights, zone: Zone | None = None
) -> _Part:
    """The best meeting of the clause's industry terms with the track's class,
    counted only where the sentence naming the term concerns the track's zone."""
    value_of = {"path": 1.0, "narrower": weights.industry_narrower, "word": weights.industry_word}
    part = _Part()
    for name in clause.get("industries") or []:
        term = _industry(name)
        how = _meets(keys, term) if term is not None else None
        if how is None or not industry_about_zone(clause, term, zone):  # type: ignore[arg-type]
            continue
        value = value_of[how]
        if how == "word":
            value *= _coverage(keys, term)  # type: ignore[arg-type]
        subject = _industry_prominence(clause, term, zone, weights)  # type: ignore[arg-type]
        part.value = max(part.value, round(value * subject, 4))
        suffix = "（下位产业）" if how == "narrower" else ""
        passing = "（顺带提及）" if subject < 1.0 else ""
        part.reasons.append(f"产业：{name}{suffix}{passing}")
    return part


def _industry_prominence(
    clause: dict[str, Any], term: lexicon.IndustryTerm, zone: Zone | None, weights: LinkWeights
) -> float:
    """``prominence`` of an industry, and full where a sentence naming the track's
    zone lists it: "包头国家级稀土高新区重点打造稀土、有色金属新材料…等产业集群"
    assigns the zone its industries, so the list is the point there."""
    if zone is not None and _named_with_zone(_clause_text(clause), term, zone.id):
        return 1.0
    return prominence(term.names, clause, weights)


@lru_cache(maxsize=65536)
def _named_with_zone(text: str, term: lexicon.IndustryTerm, zone_id: str) -> bool:
    names = _folded_names(term.names)
    return any(zone_id in zones and any(n in sentence for n in names) for sentence, zones in _sentence_zones(text))


@lru_cache(maxsize=8192)
def _folded(heading: str, text: str) -> str:
    return _fold(heading + text)


_LEAD_END = re.compile(r"[。；;！？!?]")


@lru_cache(maxsize=8192)
def _subject_text(heading: str, text: str) -> str:
    """The part of a clause that says what it is about: its heading and the lead
    sentence of each paragraph.

    Policy clauses open with a topic sentence ("大力发展新型研发机构。") and
    001-style clauses repeat their heading as a run-in title first, so the
    sentence after a run-in title leads too. A word found only further on is
    mentioned in passing (a list of kinds, a means to another end).
    """
    head = _fold(heading)
    out = [head]
    for paragraph in (text or "").splitlines():
        sentences = [s for s in (_fold(x) for x in _LEAD_END.split(paragraph)) if s]
        if not sentences:
            continue
        leads = sentences[:1]
        run_in = head and (sentences[0] in head or head in sentences[0])
        if (run_in or len(sentences[0]) <= _RUN_IN_CHARS) and len(sentences) > 1:
            leads.append(sentences[1])
        out.extend(_without_long_lists(lead) for lead in leads)
    return "\n".join(out)


_SEGMENT = re.compile(r"[，,：:]")


def _without_long_lists(sentence: str) -> str:
    """The sentence without its long enumerations ("在能源、乳业、草业、中药…等领域"):
    a field named among four or more is an example, not the subject."""
    return "，".join(s for s in _SEGMENT.split(sentence) if not _is_long_list(s))


def _is_long_list(segment: str) -> bool:
    """An enumeration closed by 等 with at least ``_LIST_ITEMS`` items."""
    return segment.count("、") >= _LIST_ITEMS - 1 and "等" in segment


_LIST_ITEMS = 4


_RUN_IN_CHARS = 16
"""A paragraph's first sentence this short is a run-in title ("强化重点实验室体系
建设。"): the sentence after it is a lead sentence too."""


def clause_subject(clause: dict[str, Any]) -> str:
    """Folded heading and lead sentences of ``clause`` (see ``_subject_text``)."""
    return _subject_text(clause.get("heading") or "", clause.get("text") or "")


def prominence(names: Iterable[str], clause: dict[str, Any], weights: LinkWeights) -> float:
    """1 when one of ``names`` is the clause's subject (heading or a lead sentence),
    ``weights.passing`` when it is only mentioned further on."""
    subject = clause_subject(clause)
    if any(n in subject for n in _folded_names(tuple(names))):
        return 1.0
    return weights.passing


def _clause_text(clause: dict[str, Any]) -> str:
    return _folded(clause.get("heading") or "", clause.get("text") or "")


_HEADING_DIRECTION = {"传统产业": "传统产业转型升级", "新兴产业": "新兴产业延伸", "未来产业": "未来产业验证熟化"}
"""A heading naming one of these is written for that direction alone."""


def _heading_direction(clause: dict[str, Any]) -> str | None:
    heading = _fold(clause.get("heading") or "")
    found = [d for word, d in _HEADING_DIRECTION.items() if word in heading]
    return found[0] if len(found) == 1 else None


def direction_part(clause: dict[str, Any], direction: str, weights: LinkWeights = DEFAULT_WEIGHTS) -> _Part:
    """The clause speaks of the track's direction (its words, longest kept).

    A clause whose heading is written for another direction (``新兴产业延伸的
    新赛道`` for a future track) counts against the link instead.
    """
    aimed = _heading_direction(clause)
    if aimed is not None and direction and aimed != direction:
        return _Part(-1.0, [f"方向：条款针对{aimed}"])
    text = _clause_text(clause)
    hits = [w for w in DIRECTION_TERMS.get(direction, ()) if w in text]
    hits = [w for w in hits if not any(w != o and w in o for o in hits)]
    if not hits:
        return _Part()
    core = [w for w in hits if any(c in w for c in DIRECTION_CORE.get(direction, ()))]
    if core and prominence(core, clause, weights) == 1.0:
        return _Part(1.0, [f"方向：{direction}（{'、'.join(hits[:3])}）"])
    return _Part(weights.passing, [f"方向：{direction}（{'、'.join(hits[:3])}，顺带提及）"])


def track_part(clause: dict[str, Any], weights: LinkWeights = DEFAULT_WEIGHTS, direction: str = "") -> _Part:
    """The clause is about cultivating new tracks: it governs every declared track.

    Its directions, conditions and form of support (headed 培育方向, 申报条件,
    支持方式 …, or the track's own direction) bind each track, which is judged
    and funded by them; its goals,
    the zones' tasks and the organisation are background (``track_background``).
    A clause that names 新赛道 only in passing (开辟科技服务业新赛道) gets half
    of that (``passing``): it is not about the programme.
    """
    if not any(w in _clause_text(clause) for w in TRACK_TERMS):
        return _Part()
    if prominence(TRACK_TERMS, clause, weights) < 1.0:
        return _Part(weights.track_background * weights.passing, ["新赛道：顺带提及新赛道"])
    heading = _fold(clause.get("heading") or "")
    if any(w in heading for w in TRACK_BINDING_HEADINGS) or (direction and _heading_direction(clause) == direction):
        return _Part(1.0, ["新赛道：新赛道培育的方向、条件或支持方式"])
    return _Part(weights.track_background, ["新赛道：新赛道培育政策"])


def _platform_match(term: lexicon.BeneficiaryTerm, platforms: Iterable[dict[str, Any]]) -> str | None:
    for platform in platforms:
        name = _fold(platform.get("name") or "")
        if any(n in name for n in _folded_names(term.names)):
            level = platform.get("level") or ""
            return f"{platform.get('name')}（{level}）" if level else str(platform.get("name"))
    return None


PLATFORM_HEADING_CUES = ("平台", "载体", "孵化", "实验室", "研发机构", "工作站")
"""Heading words of a clause about innovation platforms as such (强化创新平台建设):
every platform kind it names is its subject, not only those in a lead sentence."""


def platform_is_subject(term: lexicon.BeneficiaryTerm, clause: dict[str, Any]) -> bool:
    """The platform kind is what the clause is about: in its heading or a lead
    sentence, or named anywhere in a clause headed as being about platforms."""
    heading = _fold(clause.get("heading") or "")
    if any(cue in heading for cue in PLATFORM_HEADING_CUES):
        return True
    subject = clause_subject(clause)
    return any(n in subject for n in _folded_names(term.names))


def _register_types(track: dict[str, Any]) -> Counter[str]:
    """Register types attached to the track's firms (``firm["types"]``) once imported."""
    return Counter(t for firm in track.get("firms") or [] for t in firm.get("types") or [])


def beneficiary_part(
    clause: dict[str, Any], track: dict[str, Any], text: str, weights: LinkWeights
) -> _Part:
    """The clause's beneficiaries against the track's firms, platforms and text."""
    part = _Part()
    firms = len(track.get("firms") or [])
    registered = _register_types(track)
    for name in clause.get("beneficiaries") or []:
        term = _beneficiary(name)
        if term is None:
            continue
        value, reason = _beneficiary_value(term, clause, track, text, firms, registered, weights)
        if value > 0:
            part.value = max(part.value, value)
            part.reasons.append(reason)
    part.reasons = list(dict.fromkeys(part.reasons))[:3]
    return part


def _beneficiary_value(
    term: lexicon.BeneficiaryTerm,
    clause: dict[str, Any],
    track: dict[str, Any],
    text: str,
    firms: int,
    registered: Counter[str],
    weights: LinkWeights,
) -> tuple[float, str]:
    named_in_text = any(n in text for n in _folded_names(term.names))
    if term.kind == "platform":
        found = _platform_match(term, track.get("platforms") or [])
        if found:
            return _platform_value(term, found, clause, weights)
        return (weights.talent_text, f"平台：{term.term}（申报材料提及）") if named_in_text else (0.0, "")
    if term.kind == "firm":
        if registered.get(term.term):
            return weights.firm_named, f"对象：{term.term}（{registered[term.term]}家）"
        if firms and named_in_text:
            return weights.firm_named, f"对象：{term.term}（申报材料提及）"
        if firms:
            return weights.firm_generic, f"对象：企业（本赛道{firms}家）"
        return 0.0, ""
    if named_in_text:
        return weights.talent_text, f"对象：{term.term}"
    return 0.0, ""


def _platform_value(
    term: lexicon.BeneficiaryTerm, found: str, clause: dict[str, Any], weights: LinkWeights
) -> tuple[float, str]:
    """A platform kind the track has (``found``): full value where the clause is about that kind."""
    if platform_is_subject(term, clause):
        return 1.0, f"平台：{found}"
    return weights.platform_passing, f"平台：{found}（条款顺带提及）"


# ---------------------------------------------------------------- linking


@lru_cache(maxsize=8192)
def _flat(text: str) -> str:
    return " ".join((text or "").split())


def _snippet(text: str, words: Iterable[str]) -> str:
    flat = _flat(text)
    starts = [flat.find(w) for w in words if w and flat.find(w) >= 0]
    start = max(min(starts) - 20, 0) if starts else 0
    piece = flat[start : start + _SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + _SNIPPET_CHARS < len(flat) else "")


def fill_from_bundled(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with metadata its text lacks taken from the bundled corpus.

    Seed 003's text has no title line, seed 004's no 文号; ``policies.csv``
    records them. Matched by sha256; returns a new dict, the input is untouched.
    """
    sha = str((policy.get("source") or {}).get("sha256") or "")
    meta = next((b for b in policies_corpus.bundled() if sha and b.sha256 == sha), None)
    if meta is None:
        return policy
    filled = dict(policy)
    for key in ("title", "doc_number", "issuer", "level", "jurisdiction"):
        if not filled.get(key) and getattr(meta, key):
            filled[key] = getattr(meta, key)
    return filled


def policy_id(policy: dict[str, Any], clause: dict[str, Any] | None = None) -> str:
    """The policy's id: its own, else the prefix of its clause ids, else its sha256."""
    if policy.get("policy_id"):
        return str(policy["policy_id"])
    cid = str((clause or {}).get("id") or "")
    if ":" in cid:
        return cid.split(":", 1)[0]
    return str((policy.get("source") or {}).get("sha256") or "")[:16]


_NO_PART = _Part()
_NO_PARTS = (_NO_PART, _NO_PART)


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


# ---------------------------------------------------------------- the index


_TAG_FIELDS = {"zone": "zones", "industry": "industries", "beneficiary": "beneficiaries"}


def index_policies(index: Any) -> list[dict[str, Any]]:
    """Current policies of the index as policy dicts (clauses with their tags)."""
    policies = list(index.db.query(
        "SELECT p.* FROM policies p JOIN files f ON f.sha256 = p.file_sha256 "
        "WHERE f.status = 'imported' ORDER BY p.policy_id"
    ))
    by_id = {p["policy_id"]: dict(p, clauses=[]) for p in policies}
    rows = index.db.query(
        "SELECT c.clause_id, c.policy_id, c.number, c.path, c.heading, c.text FROM clauses c "
        "ORDER BY c.policy_id, c.position"
    )
    clauses: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["policy_id"] in by_id:
            clause = dict(row, id=row["clause_id"], path=json.loads(row["path"] or "[]"),
                          zones=[], industries=[], beneficiaries=[])
            clauses[row["clause_id"]] = clause
            by_id[row["policy_id"]]["clauses"].append(clause)
    for tag in index.db.query(
        "SELECT clause_id, tag_type, value FROM clause_tags WHERE tag_type IN ('zone', 'industry', 'beneficiary')"
    ):
        if tag["clause_id"] in clauses:
            clauses[tag["clause_id"]][_TAG_FIELDS[tag["tag_type"]]].append(tag["value"])
    return list(by_id.values())


def index_tracks(index: Any, track_id: int | None = None) -> list[dict[str, Any]]:
    """Current tracks of the index as declaration dicts (``track_id`` added)."""
    sql = (
        "SELECT t.track_id, t.zone_id, d.raw FROM tracks t "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 WHERE f.status = 'imported'"
    )
    params: list[Any] = []
    if track_id is not None:
        sql += " AND t.track_id = ?"
        params.append(track_id)
    out = []
    for row in index.db.query(sql, params):
        track = json.loads(row["raw"])
        track["track_id"] = row["track_id"]
        if row["zone_id"]:
            track["zone"] = dict(track.get("zone") or {}, id=row["zone_id"])
        out.append(track)
    return out


def index_pool(index: Any) -> ClausePool:
    """The pool of the index's current clauses, kept while none of the tables it is read
    from (``overview.CLAUSES``) is written; a rebuilt pool over the same clauses is the
    cached one too (``clause_pool``), so a new declaration costs a read, not jieba."""
    from saidao.index.cache import CLAUSES, cached

    return cached(index, "links.pool", lambda _db: clause_pool(index_policies(index)), CLAUSES)


def compute_links(
    index: Any,
    track_id: int | None = None,
    weights: LinkWeights = DEFAULT_WEIGHTS,
    pool: ClausePool | None = None,
) -> int:
    """Link every current track (or one) to the index's current clauses; store in ``track_links``.

    ``pool`` is the index's clauses when the caller already holds them (an import
    links each new track against the pool it read once); by default ``index_pool``.
    Each track's earlier links are replaced in one transaction (``Index.replace_links``).
    Returns the number of links stored.
    """
    pool = pool if pool is not None else index_pool(index)
    stored = 0
    for track in index_tracks(index, track_id):
        stored += index.replace_links(track["track_id"], link_track(track, pool, weights))
    return stored


def links_for(index: Any, track_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """The contract's link dicts of one track, best first (computed on first use)."""
    sql = (
        "SELECT l.clause_id, c.policy_id, p.title, p.doc_number, c.number, c.path, c.heading, "
        "l.snippet, l.score, l.parts, l.reasons, p.level FROM track_links l "
        "JOIN clauses c ON c.clause_id = l.clause_id JOIN policies p ON p.policy_id = c.policy_id "
        "WHERE l.track_id = ? ORDER BY l.rank"
    )
    params: list[Any] = [track_id]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rows = list(index.db.query(sql, params))
    if not rows and not getattr(index, "read_only", False) and not _has_links(index, track_id):
        compute_links(index, track_id)  # (a read-only index shows what it holds)
        rows = list(index.db.query(sql, params))
    return [_link_row(row) for row in rows]


def links_for_track(index: Any, track_id: int) -> list[dict[str, Any]]:
    """Every link of a track (the ``track ID`` view)."""
    return links_for(index, track_id)


def _has_links(index: Any, track_id: int) -> bool:
    return index.db.execute("SELECT 1 FROM track_links WHERE track_id = ? LIMIT 1", [track_id]).fetchone() is not None


def _link_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["path"] = json.loads(out["path"] or "[]")
    out["parts"] = json.loads(out["parts"])
    out["reasons"] = json.loads(out["reasons"])
    return out
