"""Links in the SQLite index: the current policies and tracks read as the core's
dicts, the cached clause pool, and the stored links computed and read back.

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

import json
from typing import Any

from saidao.index.cache import CLAUSES, cached
from saidao.index.link_pool import ClausePool, clause_pool
from saidao.index.link_score import link_track
from saidao.index.link_weights import DEFAULT_WEIGHTS, LinkWeights

_TAG_FIELDS = {"zone": "zones", "industry": "industries", "beneficiary": "beneficiaries"}


def index_policies(index: Any) -> list[dict[str, Any]]:
    """Current policies of the index as policy dicts (clauses with their tags)."""
    policies = list(index.db.query("SELECT * FROM current_policies ORDER BY policy_id"))
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
        "JOIN clauses c ON c.clause_id = l.clause_id "
        "JOIN current_policies p ON p.policy_id = c.policy_id "
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
