"""Ranked search over policy clauses, and the clauses that apply to a zone.

Ranking: BM25 over the jieba-segmented heading and text (heading weighted
higher), plus a coverage term for main query words found verbatim in the raw
text, so a word jieba keeps inside a longer token (算力 in 算力券) still counts.
Only clauses of current files (not superseded, not failed) are searched.

Speed on a big index: FTS5 scores every row a MATCH finds, so a query made
of common words (高新区, 支持, 企业) would score most of the index. Instead a
few cheap look-ups pick candidates — rows holding all main words (AND, which
only walks the rarest word's postings), the best rows by the rarer words
whose matches fit a ranking budget, and rows holding a rarely-indexed word
verbatim (trigram table; for two characters, the trigrams they begin) — and
each candidate is then scored in Python with FTS5's own bm25 formula over
every query word, document frequencies read from ``clause_terms``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from saidao.corpus.zones import Zone, jurisdiction_covers, registry
from saidao.index import fts
from saidao.index.cache import CLAUSES, cached
from saidao.index.store import Index

#: bm25() column weights: a word in the heading counts this much more than in the body.
HEADING_WEIGHT = 4.0
TEXT_WEIGHT = 1.0
#: Score added per query word found verbatim (scaled by the share of words found).
COVERAGE_WEIGHT = 6.0
#: Characters of context kept either side of the first match in a snippet.
SNIPPET_CONTEXT = 40
MARK_OPEN, MARK_CLOSE = "[", "]"


class UnknownZone(LookupError):
    """No zone in the registry has this name (or, for one-zone questions, several have).

    ``suggestions``: names of the zones closest to what was typed, for the message.
    """

    def __init__(self, alias: str, suggestions: list[str] | None = None,
                 ambiguous: bool = False) -> None:
        self.alias = alias
        self.suggestions = list(suggestions or [])
        self.ambiguous = ambiguous
        if ambiguous:
            text = f"“{alias}”对应多个高新区，请选一个：{'、'.join(self.suggestions)}"
        else:
            text = f"未找到高新区：{alias}"
            text += (f"。您要找的是不是：{'、'.join(self.suggestions)}" if self.suggestions
                     else "（请在高新区名录中查看全部名称）")
        super().__init__(text)


def resolve_zones(alias: str) -> list[Zone]:
    """Every zone a name people use means (an id, a zone's name or alias, a 盟市 or 旗县区,
    a short name: ``鄂尔多斯``, ``金山``, ``包头``, ``和林格尔``); ``UnknownZone`` (with
    suggestions) when none. The one rule every command and page filters zones by."""
    reg = registry()
    found = reg.lookup(alias)
    if not found:
        raise UnknownZone(alias, [z.name for z in reg.suggest(alias)])
    return found


def resolve_zone(alias: str) -> Zone:
    """The one zone a name means; ``UnknownZone`` when none, or when the name is a city's
    with several zones (its ``suggestions`` then list them)."""
    reg = registry()
    zone = reg.get(alias) or reg.exact(alias)
    if zone is not None:
        return zone
    found = resolve_zones(alias)
    if len(found) > 1:
        raise UnknownZone(alias, [z.name for z in found], ambiguous=True)
    return found[0]


def zone_ids(alias: str | None) -> set[str] | None:
    """The ids of :func:`resolve_zones` (None without a name: no filter)."""
    return {z.id for z in resolve_zones(alias)} if alias and alias.strip() else None


def zone_dict(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id, "name": zone.name, "aliases": list(zone.aliases), "level": zone.level,
        "city": zone.city, "counties": list(zone.counties), "status": zone.status,
    }


# -- which clauses apply to a zone ------------------------------------------------
def _current_policies(index: Index) -> list[dict[str, Any]]:
    """The current policies (``schema.CURRENT_POLICIES``: a policy in several forms once)."""
    return list(index.db.query("SELECT * FROM current_policies"))


def policy_covers(policy: dict[str, Any], zone: Zone) -> bool:
    """A policy binds its issuer's area: national and region-wide ones cover every zone."""
    area = policy.get("jurisdiction") or policy.get("issuer") or ""
    return _covers(policy.get("level") or "", area, zone)


@lru_cache(maxsize=4096)
def _covers(level: str, area: str, zone: Zone) -> bool:
    """Cached: a big index has hundreds of policies but few distinct issuing areas."""
    return level == "national" or jurisdiction_covers(area, zone)


def _naming_clauses(index: Index, zone: Zone) -> set[str]:
    rows = index.db.execute(
        "SELECT clause_id FROM clause_tags WHERE tag_type = 'zone' AND value = ?", [zone.id]
    ).fetchall()
    return {r[0] for r in rows}


def applicable_rowids(index: Index, zone: Zone) -> set[int]:
    """Rowids of every current clause that applies to ``zone`` (by jurisdiction or by name)."""
    sql, params = _scope_sql(index, zone)
    return {r[0] for r in index.db.execute(sql, params).fetchall()}


def _scope_sql(index: Index, zone: Zone | None) -> tuple[str, list[Any]]:
    """A SELECT of the rowids of current clauses (applying to ``zone`` when given).

    The covering policies and naming clauses travel as two JSON arrays, so the
    statement has the same few parameters however many there are.
    """
    sql = "SELECT c.id FROM clauses c JOIN current_policies p ON p.policy_id = c.policy_id WHERE 1"
    if zone is None:
        return sql, []
    sql += (" AND (c.policy_id IN (SELECT value FROM json_each(?))"
            " OR c.clause_id IN (SELECT value FROM json_each(?)))")
    scope = search_scope(index, zone)
    return sql, [json.dumps(sorted(scope.covering or ())), json.dumps(sorted(scope.named))]


class Scope(NamedTuple):
    """Which clauses a search may return: those of current policies (binding a zone or naming
    it, when there is a zone), optionally only those in ``allowed`` (a page's filters)."""

    current: frozenset[str]
    stale: bool  # some policy belongs to a superseded or failed file
    covering: frozenset[str] | None = None  # None: no zone
    named: frozenset[str] = frozenset()
    allowed: set[int] | None = None


def search_scope(index: Index, zone: Zone | None, allowed: set[int] | None = None) -> Scope:
    """The scope of a search, its policy sets kept until the index's data state moves on."""
    current, stale = cached(index, "search.current", lambda _: _current_set(index), CLAUSES)
    if zone is None:
        return Scope(current, stale, allowed=allowed)
    covering, named = cached(index, f"search.zone:{zone.id}", lambda _: (
        frozenset(p["policy_id"] for p in _current_policies(index) if policy_covers(p, zone)),
        frozenset(_naming_clauses(index, zone))), CLAUSES)
    return Scope(current, stale, covering, named, allowed)


def _current_set(index: Index) -> tuple[frozenset[str], bool]:
    current = frozenset(p["policy_id"] for p in _current_policies(index))
    total = index.db.execute("SELECT count(*) FROM policies").fetchone()[0]
    return current, total > len(current)


def _in_scope(index: Index, rowids: list[int], scope: Scope, enough: int | None = None) -> list[int]:
    """``rowids`` (in order) that are in scope, checked in chunks until ``enough`` are kept.

    Filtering here, inside each look-up, lets a look-up reach past rows out of
    scope to its best rows in scope (the page's filters, a zone).
    """
    if scope.allowed is not None:
        rowids = [r for r in rowids if r in scope.allowed]
    if scope.covering is None and not scope.stale:  # every clause is current: nothing to drop
        return rowids[:enough] if enough is not None else list(rowids)
    kept: list[int] = []
    step = max(enough or len(rowids), 1)
    for start in range(0, len(rowids), step):
        chunk = rowids[start:start + step]
        inside = {rowid for rowid, policy_id, clause_id in index.db.execute(
            "SELECT id, policy_id, clause_id FROM clauses WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(chunk)]) if _applies(scope, policy_id, clause_id)}
        kept += [r for r in chunk if r in inside]
        if enough is not None and len(kept) >= enough:
            return kept[:enough]
    return kept


def _applies(scope: Scope, policy_id: str, clause_id: str) -> bool:
    if policy_id not in scope.current:
        return False
    return scope.covering is None or policy_id in scope.covering or clause_id in scope.named


# -- ranking -------------------------------------------------------------------------
#: Candidates scored in full per query (the best by the selective words' BM25).
CANDIDATES = 150
#: The most matching rows FTS5 is asked to rank for one look-up (ranking costs per row).
RANK_BUDGET = 1500
#: Up to this many rows holding all main words are scored without FTS5 ranking them first
#: (FTS5's bm25() walks every query word's postings, costly for common words).
AND_UNRANKED = 2 * CANDIDATES
#: How many AND look-ups (all main words, then without the commonest …) a query may try.
AND_TRIES = 4
#: BM25 parameters, as FTS5's bm25() uses them.
K1, B = 1.2, 0.75


@dataclass(frozen=True)
class TermStats:
    """What BM25 needs beyond a row: clause count, mean length, each word's document frequency."""

    rows: int
    mean_length: float
    docs: dict[str, int]

    def idf(self, word: str) -> float:
        """FTS5's idf: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6."""
        n = self.docs.get(word, 0)
        if n >= self.rows:  # also an index written inside a still-open transaction
            return 1e-6
        value = math.log((self.rows - n + 0.5) / (n + 0.5))
        return value if value > 0 else 1e-6


def _varints(blob: bytes) -> list[int]:
    """SQLite varints (7 bits a byte, the 9th byte whole), as FTS5 writes its averages record."""
    out, value, count = [], 0, 0
    for byte in blob:
        count += 1
        if count == 9:
            out.append((value << 8) | byte)
            value, count = 0, 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            out.append((value << 7) | byte)
            value, count = 0, 0
    return out


def term_stats(index: Index, words: list[str]) -> TermStats:
    """Clause count and token totals from FTS5's own averages record; frequencies from clause_terms."""
    row = index.db.execute("SELECT block FROM clauses_fts_data WHERE id = 1").fetchone()
    numbers = _varints(row[0]) if row and row[0] else []
    rows, tokens = (numbers[0], sum(numbers[1:])) if numbers else (0, 0)
    parts = {w: sorted(fts.tokens(w)) for w in words}
    wanted = sorted({t for p in parts.values() for t in p})
    found = dict(index.db.execute(
        "SELECT term, docs FROM clause_terms WHERE term IN (SELECT value FROM json_each(?))",
        [json.dumps(wanted, ensure_ascii=False)]).fetchall())
    docs = {w: min((found.get(t, 0) for t in p), default=0) for w, p in parts.items()}
    return TermStats(rows, tokens / rows if rows else 1.0, docs)


def _ranked_rows(index: Index, expr: str, table: str = "clauses_fts") -> list[int]:
    """Rowids matching ``expr`` best first (BM25, heading weighted), at most RANK_BUDGET."""
    weights = f"bm25({HEADING_WEIGHT}, {TEXT_WEIGHT})"
    return [r[0] for r in index.db.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rank MATCH '{weights}' "
        "ORDER BY rank LIMIT ?", [expr, RANK_BUDGET])]


def _matching_rows(index: Index, expr: str, limit: int, table: str = "clauses_fts") -> list[int]:
    """Rowids matching ``expr`` in index order, unranked (cheap: no score per row)."""
    return [r[0] for r in index.db.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", [expr, limit])]


def selective_words(words: list[str], stats: TermStats) -> tuple[list[str], int]:
    """The rarest words whose matches together stay within RANK_BUDGET (at least one), and that sum.

    Common words add little to BM25 (low idf) but cost a score per matching
    row; the best clauses hold the rare words, so only those pick candidates.
    """
    chosen, total = [], 0
    for word in sorted((w for w in words if stats.docs.get(w)), key=lambda w: stats.docs[w]):
        if chosen and total + stats.docs[word] > RANK_BUDGET:
            break
        chosen.append(word)
        total += stats.docs[word]
    return chosen, total


def _bm25_candidates(index: Index, words: list[str], stats: TermStats,
                     scope: Scope, room: int = CANDIDATES) -> list[int]:
    """The best in-scope rows by the selective words; when even the rarest is common, by headings.

    In that last case rows holding the word in the body fill what is left of
    ``room``, and when the headings alone hold it more than RANK_BUDGET times
    they are taken in index order too: ranking them all is what the budget forbids.
    """
    chosen, total = selective_words(words, stats)
    if not chosen:
        return []
    expr = fts.match_any(chosen)
    if total <= room:  # every match is scored anyway: no need for FTS5 to rank them
        return _in_scope(index, _matching_rows(index, expr, room), scope)
    if total <= RANK_BUDGET:
        return _in_scope(index, _ranked_rows(index, expr), scope, room)
    in_headings = f"{{heading}} : ({expr})"
    if _count(index, in_headings, RANK_BUDGET + 1) <= RANK_BUDGET:
        found = _in_scope(index, _ranked_rows(index, in_headings), scope, room)
    else:  # common even in headings: any of them is as good a start, Python scores them
        found = _in_scope(index, _matching_rows(index, in_headings, RANK_BUDGET), scope, room)
    if room > len(found):
        found += _in_scope(index, _matching_rows(index, expr, RANK_BUDGET), scope, room - len(found))
    return list(dict.fromkeys(found))


def _count(index: Index, expr: str, cap: int) -> int:
    """How many rows match ``expr``, counting no further than ``cap`` (cheap: no scores)."""
    return int(index.db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM clauses_fts WHERE clauses_fts MATCH ? LIMIT ?)",
        [expr, cap]).fetchone()[0])


def _all_words_candidates(index: Index, words: list[str], stats: TermStats,
                          scope: Scope) -> list[int]:
    """The best rows holding all the main words, dropping the commonest until some do.

    Rows that hold most of what was asked score high even when each word is
    common (自治区 科技厅 每年 支持 项目), and an AND look-up only walks the
    rarest word's postings, so this finds them without ranking every match.
    """
    present = sorted((w for w in main_words(words) if stats.docs.get(w)), key=lambda w: stats.docs[w])
    if set(present) <= set(selective_words(words, stats)[0]):
        return []  # the ranked look-up of the selective words already weighed rows holding them all
    for size in range(len(present), 1, -1)[:AND_TRIES]:
        expr = " AND ".join(fts.quote(w) for w in present[:size])
        rows = _matching_rows(index, expr, AND_UNRANKED + 1)
        if not rows:
            continue
        if len(rows) <= AND_UNRANKED:  # cheaper to score them all than to have FTS5 rank them
            return _in_scope(index, rows, scope)
        if _count(index, expr, RANK_BUDGET + 1) > RANK_BUDGET:
            return []  # even together the words are common: the selective look-up decides
        return _in_scope(index, _ranked_rows(index, expr), scope, CANDIDATES)
    return []


def _trigram_expr(index: Index, word: str) -> str | None:
    """A trigram-table MATCH for ``word``: itself from 3 characters, else any trigram starting with it.

    FTS5 trigram cannot match two characters; every occurrence followed by a
    character is the start of a trigram, and the table's vocabulary lists those
    by prefix (only a word ending a heading or text, nothing after it, is missed).
    """
    if len(word) >= 3:
        return fts.quote(word)
    if len(word) < 2:
        return None
    index.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.clauses_trigram_vocab "
                     "USING fts5vocab(main, clauses_trigram, row)")
    terms = [r[0] for r in index.db.execute(
        "SELECT term FROM temp.clauses_trigram_vocab WHERE term >= ? AND term < ?",
        [word, word + "\U0010ffff"]) if r[0].startswith(word)]
    return fts.match_any(terms) if terms else None


def _verbatim_candidates(index: Index, word: str, stats: TermStats,
                         scope: Scope) -> list[int]:
    """Rows holding ``word`` verbatim where jieba does not index it as a word (算力 in 算力券).

    Skipped for a word jieba already finds in CANDIDATES clauses or more: the
    BM25 look-up brings enough of its holders.
    """
    if stats.docs.get(word, 0) >= CANDIDATES:
        return []
    expr = _trigram_expr(index, word)
    if expr is None:
        return []
    found = _matching_rows(index, expr, RANK_BUDGET + 1, table="clauses_trigram")
    if CANDIDATES < len(found) <= RANK_BUDGET:
        found = _ranked_rows(index, expr, table="clauses_trigram")
    return _in_scope(index, found, scope, CANDIDATES)


def _rows_of(index: Index, rowids: list[int]) -> dict[int, tuple[str, str, str, str, int]]:
    """Segmented heading and text, raw (folded) heading and text, and token count of each row.

    Read from the FTS5 tables' own shadow tables (``*_content``: id, c0, c1;
    ``*_docsize``: id, varint sizes per column), plain b-tree look-ups that
    are cheaper than the virtual tables and give FTS5's exact row length.
    """
    return {r[0]: (r[1] or "", r[2] or "", r[3] or "", r[4] or "", sum(_varints(r[5] or b"")))
            for r in index.db.execute(
                "SELECT s.id, s.c0, s.c1, t.c0, t.c1, d.sz FROM clauses_fts_content s "
                "JOIN clauses_trigram_content t ON t.id = s.id "
                "LEFT JOIN clauses_fts_docsize d ON d.id = s.id "
                "WHERE s.id IN (SELECT value FROM json_each(?))", [json.dumps(rowids)])}


def _padded(segmented: str) -> str:
    """`` w1  w2 `` (each word in its own spaces, so str.count finds every one)."""
    return " " + segmented.replace(" ", "  ") + " " if segmented else ""


def score(index: Index, rowids: list[int], words: list[str], stats: TermStats,
          coverage: bool = True) -> dict[int, float]:
    """FTS5's bm25() over every query word, plus the coverage bonus for main words held verbatim.

    BM25 per word: idf × f(k1+1) / (f + k1(1 − b + b·len/mean)), f the word's
    heading hits × HEADING_WEIGHT + body hits × TEXT_WEIGHT, len the row's tokens.
    """
    wanted = main_words(words)
    weights = [(f" {w} ", stats.idf(w)) for w in words if stats.docs.get(w)]
    rows = _rows_of(index, rowids)
    scores = {}
    for rowid in rowids:
        seg_heading, seg_text, raw_heading, raw_text, length = rows.get(rowid, ("", "", "", "", 0))
        heading, text = _padded(seg_heading), _padded(seg_text)
        norm = K1 * (1 - B + B * length / stats.mean_length)
        value = 0.0
        for key, idf in weights:
            freq = HEADING_WEIGHT * heading.count(key) + TEXT_WEIGHT * text.count(key)
            if freq:
                value += idf * freq * (K1 + 1) / (freq + norm)
        if coverage:
            held = sum(1 for w in wanted if w in raw_heading or w in raw_text)
            value += COVERAGE_WEIGHT * held / len(wanted)
        scores[rowid] = value
    return scores


def main_words(words: list[str]) -> list[str]:
    """Query words not contained in a longer query word (人才公寓, not 人才 and 公寓 again)."""
    return [w for w in words if not any(w != o and w in o for o in words)]


def rank(index: Index, query: str, allowed: set[int] | None = None,
         zone: Zone | None = None) -> list[tuple[int, float]]:
    """(clause rowid, score) best first, among current clauses (of ``zone``; within ``allowed``).

    Candidates are the rows holding all main words (or all but the commonest),
    the best rows by BM25 over the query's rarer words, and, per main word
    jieba rarely indexes, rows holding it verbatim (so 算力 inside the jieba
    token 算力券 is found); each candidate is then scored in full: BM25 over
    every query word (FTS5's formula, frequencies from ``clause_terms``) and a
    coverage bonus per main word it holds verbatim.
    """
    words = matching_words(query)
    if not words:
        return []
    scope = search_scope(index, zone, allowed)
    stats = term_stats(index, words)
    candidates = _all_words_candidates(index, words, stats, scope)
    room = max(CANDIDATES // 2, CANDIDATES - len(candidates))
    candidates += _bm25_candidates(index, words, stats, scope, room)
    for word in main_words(words):
        candidates += _verbatim_candidates(index, word, stats, scope)
    candidates = list(dict.fromkeys(candidates))
    return sorted(score(index, candidates, words, stats).items(), key=lambda kv: (-kv[1], kv[0]))


def matching_words(query: str) -> list[str]:
    """The query words a clause may match on: never a single character on its own (不, 的,
    税 alone would match most of the index: ``xyz不存在的词`` must not find every 不)."""
    return [w for w in fts.query_words(query) if len(w) >= 2]


_NOT_TEXT = re.compile(r"[\W_]+")


def phrase_of(query: str) -> str:
    """The query as one phrase to find verbatim: widths folded, spaces and punctuation out."""
    return _NOT_TEXT.sub("", fts.normalise(query))


#: Near words offered when nothing matches the whole phrase.
SUGGESTIONS = 5
#: rapidfuzz ratio (0-100) a vocabulary word needs to be offered as a near word.
SUGGEST_CUTOFF = 60.0


@dataclass(frozen=True)
class Found:
    """A search's answer, honest about what matched.

    ``ranked``: (rowid, score), every clause holding the whole phrase first (``exact``),
    then the partial matches, each part best first; ``held``: the query words each clause
    holds verbatim; ``suggestions``: near words from the index's vocabulary when no clause
    holds the whole phrase.
    """

    query: str
    ranked: list[tuple[int, float]]
    exact: frozenset[int]
    held: dict[int, list[str]]
    words: list[str]
    suggestions: list[str]

    @property
    def notice(self) -> str | None:
        """没有找到完全匹配… when the phrase is nowhere (partial matches, if any, follow)."""
        if not self.query.strip() or self.exact:
            return None
        if self.ranked:
            return f"没有找到完全匹配“{self.query.strip()}”的条款，以下为部分匹配。"
        return f"没有找到完全匹配“{self.query.strip()}”的条款。"

    def match_of(self, rowid: int) -> str:
        """``exact`` or ``partial``."""
        return "exact" if rowid in self.exact else "partial"


def find(index: Index, query: str, allowed: set[int] | None = None, zone: Zone | None = None,
         limit: int | None = None) -> Found:
    """:func:`rank`, then the clauses holding the whole phrase put first and marked, the
    rest marked partial, and near words suggested when the phrase is nowhere."""
    ranked = rank(index, query, allowed, zone)
    phrase = phrase_of(query)
    words = matching_words(query)
    rows = _rows_of(index, [r for r, _ in ranked])
    exact, held = set(), {}
    for rowid, _ in ranked:
        _, _, heading, text, _ = rows.get(rowid, ("", "", "", "", 0))
        raw = _NOT_TEXT.sub("", heading + text)
        if phrase and phrase in raw:
            exact.add(rowid)
        held[rowid] = main_words([w for w in words if w in raw])  # 人才公寓, or just 人才
    ranked = ([rv for rv in ranked if rv[0] in exact] + [rv for rv in ranked if rv[0] not in exact])
    if limit is not None:
        ranked = ranked[: max(0, limit)]
    suggestions = [] if exact else suggest_words(index, query)
    return Found(query, ranked, frozenset(exact), {r: held[r] for r, _ in ranked},
                 main_words(words), suggestions)


def suggest_words(index: Index, query: str, limit: int = SUGGESTIONS) -> list[str]:
    """Words of the index's vocabulary (``clause_terms``) closest to the query's phrase and
    to each of its words the index does not hold, most frequent first among equals; failing
    that, index words found inside the query (存在 in 不存在的词)."""
    from rapidfuzz import fuzz, process

    vocabulary, by_length = _vocabulary(index)
    if not vocabulary:
        return []
    phrase = phrase_of(query)
    targets = [phrase] + [w for w in fts.query_words(query) if len(w) >= 2 and w not in vocabulary]
    scored: dict[str, float] = {}
    for target in dict.fromkeys(t for t in targets if len(t) >= 2):
        # a ratio of 60 needs lengths within a factor of 4: compare only those words
        near = [w for n in range(max(2, len(target) // 4), len(target) * 4 + 1)
                for w in by_length.get(n, ())]
        for word, value, _ in process.extract(target, near, scorer=fuzz.ratio,
                                              score_cutoff=SUGGEST_CUTOFF, limit=limit * 3):
            if word != target:
                scored[word] = max(scored.get(word, 0.0), value)
    if not scored:
        inside = {phrase[i:j] for i in range(len(phrase)) for j in range(i + 2, len(phrase) + 1)}
        scored = {w: 100.0 for w in inside if w in vocabulary and w != phrase}
    best = sorted(scored, key=lambda w: (-scored[w], -vocabulary[w], w))
    return best[:limit]


def _vocabulary(index: Index) -> tuple[dict[str, int], dict[int, list[str]]]:
    """Indexed words of two characters or more with their document counts, and the words by
    length (kept until the clauses change)."""
    def read(db: Any) -> tuple[dict[str, int], dict[int, list[str]]]:
        words = {term: docs for term, docs in db.execute(
            "SELECT term, docs FROM clause_terms WHERE length(term) >= 2 AND docs > 0")}
        by_length: dict[int, list[str]] = {}
        for word in words:
            by_length.setdefault(len(word), []).append(word)
        return words, by_length

    return cached(index, "search_vocabulary", read, CLAUSES)


# -- hits ------------------------------------------------------------------------------
_CLAUSE_COLUMNS = ("c.id, c.clause_id, c.policy_id, c.number, c.path, c.path_headings, c.heading, "
                   "c.text, c.position")
_CLAUSE_SQL = f"SELECT {_CLAUSE_COLUMNS} FROM clauses c "


def _policy_rows(index: Index, policy_ids: set[str]) -> dict[str, dict[str, Any]]:
    return {r["policy_id"]: r for r in index.db.query(
        "SELECT policy_id, title, doc_number, level, date FROM policies "
        "WHERE policy_id IN (SELECT value FROM json_each(?))", [json.dumps(sorted(policy_ids))])}


def hits(index: Index, scores: dict[int, float | None], words: list[str],
         rowid: bool = False) -> list[dict[str, Any]]:
    """Clauses in the contract's hit shape, plus a few helpful extra keys (in the order of
    ``scores``), read in one query; ``rowid`` adds each clause's rowid."""
    rows = {r[0]: r for r in index.db.execute(
        _CLAUSE_SQL + "WHERE c.id IN (SELECT value FROM json_each(?))", [json.dumps(list(scores))])}
    policies = _policy_rows(index, {r[2] for r in rows.values()})
    out = [_hit_dict(rows[r], policies[rows[r][2]], scores[r], words) for r in scores if r in rows]
    if rowid:
        for hit, r in zip(out, [r for r in scores if r in rows], strict=True):
            hit["rowid"] = r
    return out


def _hit_dict(row: tuple, policy: dict[str, Any], score: float | None,
              words: list[str]) -> dict[str, Any]:
    """A clause row (as :data:`_CLAUSE_SQL` reads it) and its policy in the hit shape."""
    _, clause_id, policy_id, number, path, path_headings, heading, text, position = row
    return {
        "clause_id": clause_id,
        "policy_id": policy_id,
        "title": policy["title"] or "",
        "doc_number": policy["doc_number"] or "",
        "number": number or "",
        "path": json.loads(path or "[]"),
        "path_headings": json.loads(path_headings or "[]"),
        "heading": heading or "",
        "snippet": snippet(text or "", words),
        "score": None if score is None else round(score, 4),
        "level": policy["level"],
        "date": policy["date"],
        "position": position,
    }


def snippet(text: str, words: list[str], context: int = SNIPPET_CONTEXT) -> str:
    """A window of ``text`` around the first query word, every query word in it marked."""
    text = " ".join(text.split())
    targets = sorted({w for w in words if w}, key=len, reverse=True)
    if not targets:
        return text[: 2 * context] + ("…" if len(text) > 2 * context else "")
    folded = fts.normalise(text)
    positions = [folded.find(w) for w in targets if folded.find(w) >= 0]
    if not positions or len(folded) != len(text):
        return text[: 2 * context] + ("…" if len(text) > 2 * context else "")
    start = max(0, min(positions) - context)
    end = min(len(text), min(positions) + 2 * context)
    window, wfold = text[start:end], folded[start:end]
    pattern = re.compile("|".join(re.escape(w) for w in targets))
    out, last = [], 0
    for m in pattern.finditer(wfold):
        out += [window[last : m.start()], MARK_OPEN, window[m.start() : m.end()], MARK_CLOSE]
        last = m.end()
    out.append(window[last:])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def search(index: Index, query: str, zone: str | None = None, limit: int = 10) -> list[dict]:
    """Clauses best matching ``query``; with ``zone`` (any of its names) only those applying to it."""
    zones = resolve_zones(zone) if zone else []
    allowed = (set().union(*(applicable_rowids(index, z) for z in zones)) if len(zones) > 1
               else None)
    found = find(index, query, allowed, zone=zones[0] if len(zones) == 1 else None, limit=limit)
    out = hits(index, dict(found.ranked), main_words(fts.query_words(query)), rowid=True)
    for hit in out:
        rowid = hit.pop("rowid")
        hit["match"] = found.match_of(rowid)
        hit["matched_words"] = found.held[rowid]
    return out


# -- clauses for a zone ------------------------------------------------------------------
_LEVEL_ORDER = {"county": 0, "city": 1, "region": 2, "national": 3}


def clauses_for_zone(index: Index, zone_alias: str, topic: str | None = None,
                     per_policy: int | None = None) -> dict:
    """Every clause that applies to the zone, grouped by policy, explicit mentions first.

    ``per_policy`` keeps only the first N clauses of each policy (its
    ``count`` still says how many apply) for pages that show a zone at a glance.
    """
    zone = resolve_zone(zone_alias)
    named = _naming_clauses(index, zone)
    current = {p["policy_id"]: p for p in _current_policies(index)}
    groups = {pid: _group(p, zone) for pid, p in current.items()}
    counts: dict[str, int] = {}
    if topic:
        words = main_words(fts.query_words(topic))
        found = hits(index, dict(rank(index, topic, zone=zone)), words)
    else:
        covering = [pid for pid, g in groups.items() if g["covers"]]
        found, counts = _zone_hits(index, covering, named, current, per_policy)
    for clause in found:
        clause["names_zone"] = clause["clause_id"] in named
        clause["reasons"] = _reasons(clause, groups[clause["policy_id"]], zone)
        groups[clause["policy_id"]]["clauses"].append(clause)
    policies = [g for g in groups.values() if g["clauses"]]
    for group in policies:
        group["clauses"].sort(key=lambda c: (
            not c["names_zone"], -(c["score"] or 0.0), c["position"]))
        if per_policy is not None:
            group["count"] = counts.get(group["policy_id"], len(group["clauses"]))
            del group["clauses"][max(0, per_policy):]
    policies.sort(key=lambda g: (
        not any(c["names_zone"] for c in g["clauses"]), _LEVEL_ORDER.get(g["level"], 9),
        g["doc_number"]))
    return {"zone": zone_dict(zone), "topic": topic, "policies": policies}


def _group(policy: dict[str, Any], zone: Zone) -> dict[str, Any]:
    return {
        "policy_id": policy["policy_id"], "title": policy["title"] or "",
        "doc_number": policy["doc_number"] or "", "level": policy["level"],
        "jurisdiction": policy["jurisdiction"], "covers": policy_covers(policy, zone),
        "clauses": [],
    }


def _zone_hits(index: Index, covering: list[str], named: set[str], current: dict[str, dict[str, Any]],
               per_policy: int | None = None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Unscored hits of every clause of a covering policy or naming the zone, and counts per policy.

    One query for the whole set; with ``per_policy`` the clauses naming the
    zone plus the first N of each covering policy in document order (picked
    in SQL), so a zone covered by thousands of clauses is summarised without
    reading them all. The caller sorts and cuts each group to N.
    """
    params = {"covering": json.dumps(covering), "named": json.dumps(sorted(named)),
              "limit": -1 if per_policy is None else max(0, per_policy)}
    counts = dict(index.db.execute(
        "SELECT c.policy_id, count(*) FROM clauses c "
        f"WHERE {_COVERED} OR {_NAMING} GROUP BY c.policy_id", params).fetchall())
    if per_policy is None:
        rows = index.db.execute(f"{_CLAUSE_SQL} WHERE {_COVERED} OR {_NAMING}", params).fetchall()
    else:
        rows = index.db.execute(f"{_CLAUSE_SQL} WHERE {_NAMING}", params).fetchall()
        rows += index.db.execute(
            f"SELECT * FROM (SELECT {_CLAUSE_COLUMNS}, row_number() OVER (PARTITION BY c.policy_id "
            f"ORDER BY c.position) AS n FROM clauses c WHERE {_COVERED}) WHERE n <= :limit",
            params).fetchall()
    unique = {row[0]: row[:9] for row in rows}
    found = [_hit_dict(row, current[row[2]], None, []) for row in unique.values() if row[2] in current]
    return found, counts


_COVERED = "c.policy_id IN (SELECT value FROM json_each(:covering))"
_NAMING = "c.clause_id IN (SELECT value FROM json_each(:named))"


def _reasons(clause: dict, policy: dict, zone: Zone) -> list[str]:
    reasons = []
    if clause.get("names_zone"):
        reasons.append(f"提及：{zone.name}")
    if policy["covers"]:
        reasons.append(f"适用范围：{policy['jurisdiction'] or policy['title']}")
    return reasons
