"""Ranked search over policy clauses, and the clauses that apply to a zone.

Ranking: BM25 over the jieba-segmented heading and text (heading weighted
higher), plus a coverage term for query words found verbatim in the raw text
via the trigram table (or, for two-character words the trigram tokenizer cannot
index, a LIKE over that table) so a word jieba keeps inside a longer token
still counts. Only clauses of current files (not superseded, not failed) are
searched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from saidao.corpus.zones import Zone, jurisdiction_covers, registry
from saidao.index import fts
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
    """No zone in the registry has this name."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        super().__init__(f"未找到高新区：{alias}")


@dataclass(frozen=True)
class _Candidate:
    rowid: int
    bm25: float  # positive, higher is better (0 when only the trigram table found it)


def resolve_zone(alias: str) -> Zone:
    """The zone any of its names (or its id) means; ``UnknownZone`` when none."""
    reg = registry()
    zone = reg.get(alias) or reg.resolve(alias)
    if zone is None:
        raise UnknownZone(alias)
    return zone


def zone_dict(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id, "name": zone.name, "aliases": list(zone.aliases), "level": zone.level,
        "city": zone.city, "counties": list(zone.counties), "status": zone.status,
    }


# -- which clauses apply to a zone ------------------------------------------------
def _current_policies(index: Index) -> list[dict[str, Any]]:
    return list(index.db.query(
        "SELECT p.* FROM policies p JOIN files f ON f.sha256 = p.file_sha256 "
        "WHERE f.status = 'imported'"
    ))


def policy_covers(policy: dict[str, Any], zone: Zone) -> bool:
    """A policy binds its issuer's area: national and region-wide ones cover every zone."""
    if policy.get("level") == "national":
        return True
    area = policy.get("jurisdiction") or policy.get("issuer") or ""
    return jurisdiction_covers(area, zone)


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
    """A SELECT of the rowids of current clauses (applying to ``zone`` when given)."""
    sql = ("SELECT c.id FROM clauses c JOIN policies p ON p.policy_id = c.policy_id "
           "JOIN files f ON f.sha256 = p.file_sha256 WHERE f.status = 'imported'")
    if zone is None:
        return sql, []
    covering = [p["policy_id"] for p in _current_policies(index) if policy_covers(p, zone)]
    named = sorted(_naming_clauses(index, zone))
    sql += (f" AND (c.policy_id IN ({','.join('?' for _ in covering) or 'NULL'})"
            f" OR c.clause_id IN ({','.join('?' for _ in named) or 'NULL'}))")
    return sql, [*covering, *named]


def _in_scope(index: Index, rowids: list[int], scope: tuple[str, list[Any]]) -> list[int]:
    """``rowids`` (in order) that are in scope: one indexed look-up over a short list."""
    if not rowids:
        return []
    sql, params = scope
    marks = ",".join("?" for _ in rowids)
    kept = {r[0] for r in index.db.execute(f"{sql} AND c.id IN ({marks})", [*params, *rowids])}
    return [r for r in rowids if r in kept]


# -- ranking -------------------------------------------------------------------------
#: How many in-scope rows of each full-text look-up are scored in Python.
CANDIDATES = 300
#: The most rows one look-up reads while looking for CANDIDATES in scope.
MAX_SCANNED = 20_000


def _ranked_in_scope(index: Index, query_sql: str, params: list[Any],
                     scope: tuple[str, list[Any]]) -> list[tuple[int, float]]:
    """Rows of a ranked full-text query, best first, until CANDIDATES are in scope.

    FTS5 answers ``ORDER BY rank LIMIT n`` without ranking every match, so the
    query is asked for growing windows and each window filtered by scope —
    far cheaper than joining the scope into the MATCH query.
    """
    window, out = CANDIDATES, []
    while True:
        rows = index.db.execute(f"{query_sql} LIMIT ?", [*params, window]).fetchall()
        scores = dict(rows)
        kept = _in_scope(index, [r for r, _ in rows], scope)
        out = [(r, scores[r]) for r in kept]
        if len(out) >= CANDIDATES or len(rows) < window or window >= MAX_SCANNED:
            return out[:CANDIDATES]
        window *= 4


def _bm25_candidates(index: Index, words: list[str], scope: tuple[str, list[Any]]) -> dict[int, float]:
    rows = _ranked_in_scope(
        index,
        "SELECT rowid, rank FROM clauses_fts WHERE clauses_fts MATCH ? "
        f"AND rank MATCH 'bm25({HEADING_WEIGHT}, {TEXT_WEIGHT})' ORDER BY rank",
        [fts.match_any(words)], scope)
    return {rowid: -rank for rowid, rank in rows}


def _verbatim_rows(index: Index, word: str, scope: tuple[str, list[Any]]) -> set[int]:
    """Clauses in scope whose raw heading or text contains ``word`` (trigram MATCH, LIKE under 3 chars)."""
    if len(word) >= 3:
        rows = _ranked_in_scope(
            index, "SELECT rowid, rank FROM clauses_trigram WHERE clauses_trigram MATCH ? ORDER BY rank",
            [fts.quote(word)], scope)
    else:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = _ranked_in_scope(
            index, "SELECT rowid, 0 FROM clauses_trigram WHERE heading LIKE ? ESCAPE '\\' "
            "OR text LIKE ? ESCAPE '\\'", [pattern, pattern], scope)
    return {r for r, _ in rows}


def _contains(index: Index, rowids: list[int], word: str) -> set[int]:
    """Which of ``rowids`` hold ``word`` verbatim (checked on the raw text, in one query)."""
    if not rowids:
        return set()
    rows = index.db.execute(
        f"SELECT rowid, heading, text FROM clauses_trigram WHERE rowid IN ({','.join('?' for _ in rowids)})",
        rowids,
    ).fetchall()
    folded = fts.normalise(word)
    return {r[0] for r in rows if folded in fts.normalise(r[1] or "") or folded in fts.normalise(r[2] or "")}


def main_words(words: list[str]) -> list[str]:
    """Query words not contained in a longer query word (人才公寓, not 人才 and 公寓 again)."""
    return [w for w in words if not any(w != o and w in o for o in words)]


def rank(index: Index, query: str, allowed: set[int] | None = None,
         zone: Zone | None = None) -> list[tuple[int, float]]:
    """(clause rowid, score) best first, among current clauses (of ``zone``; within ``allowed``).

    Candidates are the best BM25 rows plus, per query word, rows holding it
    verbatim (so 算力 inside the jieba token 算力券 is found); every candidate
    then gets the coverage bonus for each query word it holds verbatim.
    """
    words = fts.query_words(query)
    if not words:
        return []
    scope = _scope_sql(index, zone)
    scores = _bm25_candidates(index, words, scope)
    wanted = main_words(words)
    for word in wanted:
        for rowid in _verbatim_rows(index, word, scope):
            scores.setdefault(rowid, 0.0)
    found: dict[int, int] = {}
    candidates = list(scores)
    for word in wanted:
        for rowid in _contains(index, candidates, word):
            found[rowid] = found.get(rowid, 0) + 1
    for rowid, count in found.items():
        scores[rowid] += COVERAGE_WEIGHT * count / len(wanted)
    if allowed is not None:
        scores = {k: v for k, v in scores.items() if k in allowed}
    return sorted(scores.items(), key=lambda kv: -kv[1])


# -- hits ------------------------------------------------------------------------------
_HIT_SQL = (
    "SELECT c.id AS rowid, c.clause_id, c.policy_id, p.title, p.doc_number, p.level, "
    "p.issuer, p.date, c.number, c.path, c.path_headings, c.heading, c.text, c.position "
    "FROM clauses c JOIN policies p ON p.policy_id = c.policy_id WHERE c.id = ?"
)


def hit(index: Index, rowid: int, score: float | None, words: list[str]) -> dict[str, Any]:
    """One clause in the contract's hit shape (plus a few helpful extra keys)."""
    return _hit_dict(next(index.db.query(_HIT_SQL, [rowid])), score, words)


def hits(index: Index, scores: dict[int, float | None], words: list[str]) -> list[dict[str, Any]]:
    """:func:`hit` for many clauses, read in batches rather than one query each."""
    out: list[dict[str, Any]] = []
    rowids = list(scores)
    base = _HIT_SQL.replace("WHERE c.id = ?", "WHERE c.id IN ")
    for i in range(0, len(rowids), 500):
        batch = rowids[i:i + 500]
        rows = {r["rowid"]: r for r in index.db.query(base + f"({','.join('?' for _ in batch)})", batch)}
        out += [_hit_dict(rows[r], scores[r], words) for r in batch if r in rows]
    return out


def _hit_dict(row: dict[str, Any], score: float | None, words: list[str]) -> dict[str, Any]:
    return {
        "clause_id": row["clause_id"],
        "policy_id": row["policy_id"],
        "title": row["title"] or "",
        "doc_number": row["doc_number"] or "",
        "number": row["number"] or "",
        "path": json.loads(row["path"] or "[]"),
        "path_headings": json.loads(row["path_headings"] or "[]"),
        "heading": row["heading"] or "",
        "snippet": snippet(row["text"] or "", words),
        "score": None if score is None else round(score, 4),
        "level": row["level"],
        "date": row["date"],
        "position": row["position"],
    }


def snippet(text: str, words: list[str], context: int = SNIPPET_CONTEXT) -> str:
    """A window of ``text`` around the first query word, every query word in it marked."""
    text = re.sub(r"\s+", " ", text).strip()
    targets = sorted({w for w in words if w}, key=len, reverse=True)
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
    words = fts.query_words(query)
    ranked = rank(index, query, zone=resolve_zone(zone) if zone else None)[: max(0, limit)]
    return [hit(index, rowid, score, main_words(words)) for rowid, score in ranked]


# -- clauses for a zone ------------------------------------------------------------------
_LEVEL_ORDER = {"county": 0, "city": 1, "region": 2, "national": 3}


def clauses_for_zone(index: Index, zone_alias: str, topic: str | None = None) -> dict:
    """Every clause that applies to the zone, grouped by policy, explicit mentions first."""
    zone = resolve_zone(zone_alias)
    named = _naming_clauses(index, zone)
    allowed = applicable_rowids(index, zone)
    words = main_words(fts.query_words(topic)) if topic else []
    scores = dict(rank(index, topic, zone=zone)) if topic else {r: None for r in allowed}
    groups: dict[str, dict[str, Any]] = {}
    for policy in _current_policies(index):
        groups[policy["policy_id"]] = {
            "policy_id": policy["policy_id"], "title": policy["title"] or "",
            "doc_number": policy["doc_number"] or "", "level": policy["level"],
            "jurisdiction": policy["jurisdiction"], "covers": policy_covers(policy, zone),
            "clauses": [],
        }
    for clause in hits(index, scores, words):
        clause["names_zone"] = clause["clause_id"] in named
        clause["reasons"] = _reasons(clause, groups[clause["policy_id"]], zone)
        groups[clause["policy_id"]]["clauses"].append(clause)
    policies = [g for g in groups.values() if g["clauses"]]
    for group in policies:
        group["clauses"].sort(key=lambda c: (
            not c["names_zone"], -(c["score"] or 0.0), c["position"]))
    policies.sort(key=lambda g: (
        not any(c["names_zone"] for c in g["clauses"]), _LEVEL_ORDER.get(g["level"], 9),
        g["doc_number"]))
    return {"zone": zone_dict(zone), "topic": topic, "policies": policies}


def _reasons(clause: dict, policy: dict, zone: Zone) -> list[str]:
    reasons = []
    if clause.get("names_zone"):
        reasons.append(f"提及：{zone.name}")
    if policy["covers"]:
        reasons.append(f"适用范围：{policy['jurisdiction'] or policy['title']}")
    return reasons
