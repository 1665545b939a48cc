"""Clause reads for the faces: hit rows, filters, a clause in its context, a policy's clauses.

The search page, the clause, policy and zone pages and their Excel downloads ask these
instead of writing SQL, so the web and the command line read one set of rows. Ranking lives
in ``index.search``; which clauses apply to a zone in ``search.applicable_rowids`` (kept here
per zone, cached under the clause tables).
"""

from __future__ import annotations

import json
from typing import Any

from saidao.index.overview import CLAUSES, cached
from saidao.index.search import applicable_rowids, resolve_zone
from saidao.index.store import Index

#: A clause row with its policy, of current files only.
_HIT_SQL = (
    "SELECT c.id AS rowid, c.clause_id, c.policy_id, p.title, p.doc_number, p.level, "
    "p.jurisdiction, c.number, c.path, c.path_headings, c.heading, c.text, c.position "
    "FROM clauses c JOIN current_policies p ON p.policy_id = c.policy_id "
)
#: The same row of any policy, current or not (an old link to a clause still opens).
_ANY_SQL = _HIT_SQL.replace("JOIN current_policies p", "JOIN policies p")
_CLAUSE_COLUMNS = "clause_id, number, path, heading, text, position"


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["path"] = json.loads(row["path"] or "[]")
    return row


def clause_rows(index: Index, rowids: list[int]) -> list[dict[str, Any]]:
    """Clause rows (with their policy's title, number, level) for rowids, in the order given;
    rows of files no longer current are left out."""
    if not rowids:
        return []
    rows = {r["rowid"]: r for r in index.db.query(
        _HIT_SQL + "WHERE c.id IN (SELECT value FROM json_each(?))", [json.dumps(rowids)])}
    return [_decoded(rows[r]) for r in rowids if r in rows]


def zone_rowids(index: Index, zone_id: str) -> set[int]:
    """``search.applicable_rowids`` of a zone, kept until a clause table changes (tens of
    thousands of ids on a big index). Shared: read-only."""
    zone = resolve_zone(zone_id)
    return cached(index, f"zone_rowids:{zone.id}",
                  lambda _db: applicable_rowids(index, zone), CLAUSES)


def filter_rowids(index: Index, *, zones: list[str] | None = None, policy: str | None = None,
                  level: str | None = None, industry: str | None = None,
                  beneficiary: str | None = None) -> set[int] | None:
    """Clause rowids allowed by the search filters (None: no filter): applying to any of
    ``zones`` (ids), of one policy, of a level, tagged with an industry or beneficiary."""
    sets: list[set[int]] = []
    if zones is not None:
        sets.append(set().union(*(zone_rowids(index, z) for z in zones)))
    if policy:
        sets.append(_ids(index, "SELECT id FROM clauses WHERE policy_id = ?", [policy]))
    if level:
        sets.append(_ids(index, "SELECT c.id FROM clauses c JOIN policies p ON "
                                "p.policy_id = c.policy_id WHERE p.level = ?", [level]))
    for key, value in (("industry", industry), ("beneficiary", beneficiary)):
        if value:
            sets.append(_ids(index, "SELECT c.id FROM clauses c JOIN clause_tags t ON "
                                    "t.clause_id = c.clause_id WHERE t.tag_type = ? AND t.value LIKE ?",
                             [key, f"%{value}%"]))
    return set.intersection(*sets) if sets else None


def _ids(index: Index, sql: str, params: list[Any]) -> set[Any]:
    return {r[0] for r in index.db.execute(sql, params)}


def in_document_order(index: Index, allowed: set[int], limit: int, offset: int = 0) -> list[int]:
    """A page of ``allowed`` rowids by policy, then position (a filter without a query)."""
    if not allowed:
        return []
    return [r[0] for r in index.db.execute(
        "SELECT id FROM clauses WHERE id IN (SELECT value FROM json_each(?)) "
        "ORDER BY policy_id, position LIMIT ? OFFSET ?", [json.dumps(sorted(allowed)), limit, offset])]


def policy_choices(index: Index) -> list[dict[str, Any]]:
    """Current policies for a filter's list: id, title, document number."""
    return list(index.db.query(
        "SELECT policy_id, title, doc_number FROM current_policies ORDER BY level, doc_number"))


def policy(index: Index, policy_id: str) -> dict[str, Any] | None:
    """One policy's row, or None."""
    return next(iter(index.db.query("SELECT * FROM policies WHERE policy_id = ?", [policy_id])), None)


def policy_clauses(index: Index, policy_id: str) -> list[dict[str, Any]]:
    """Every clause of a policy in document order (path decoded)."""
    return [_decoded(r) for r in index.db.query(
        f"SELECT {_CLAUSE_COLUMNS} FROM clauses WHERE policy_id = ? ORDER BY position", [policy_id])]


def clause_context(index: Index, clause_id: str, neighbours: int = 3) -> dict[str, Any] | None:
    """A clause (superseded files too: an old link still opens) with its policy, the
    ``neighbours`` clauses either side and its tags; None when there is no such clause."""
    rows = list(index.db.query(_ANY_SQL + "WHERE c.clause_id = ?", [clause_id]))
    if not rows:
        return None
    target = _decoded(rows[0])
    around = [_decoded(r) for r in index.db.query(
        f"SELECT {_CLAUSE_COLUMNS} FROM clauses WHERE policy_id = ? "
        "AND position BETWEEN ? AND ? ORDER BY position",
        [target["policy_id"], target["position"] - neighbours, target["position"] + neighbours])]
    tags = list(index.db.query("SELECT tag_type, value FROM clause_tags WHERE clause_id = ? "
                               "ORDER BY tag_type, id", [clause_id]))
    return {"target": target, "policy": policy(index, target["policy_id"]), "around": around,
            "tags": tags}


def zone_policy_clauses(index: Index, zone_id: str, policy_id: str) -> list[dict[str, Any]]:
    """Every clause of one current policy that applies to the zone, in document order,
    each marked ``names_zone`` when it names the zone."""
    applicable = zone_rowids(index, zone_id)
    named = _ids(index, "SELECT t.clause_id FROM clause_tags t JOIN clauses c ON "
                        "c.clause_id = t.clause_id WHERE c.policy_id = ? AND t.tag_type = 'zone' "
                        "AND t.value = ?", [policy_id, zone_id])
    rows = [_decoded(r) for r in index.db.query(_HIT_SQL + "WHERE c.policy_id = ? ORDER BY c.position",
                                                [policy_id]) if r["rowid"] in applicable]
    for row in rows:
        row["names_zone"] = row["clause_id"] in named
    return rows


def policies(index: Index) -> list[dict[str, Any]]:
    """Current policies (a policy in several forms once, ``schema.CURRENT_POLICIES``), with
    how many files each was read from (``sources``), by level and 文号."""
    return list(index.db.query(
        "SELECT p.policy_id, p.title, p.doc_number, p.issuer, p.date, p.level, p.file, "
        "(SELECT count(*) FROM policy_sources s JOIN policy_sources g ON g.group_id = s.group_id "
        "AND g.role IN ('primary', 'evidence') JOIN files f ON f.sha256 = g.file_sha256 "
        "AND f.status = 'imported' WHERE s.policy_id = p.policy_id "
        "AND s.role = 'primary') AS sources, "
        "(SELECT count(*) FROM clauses c WHERE c.policy_id = p.policy_id) AS clauses "
        "FROM current_policies p ORDER BY p.level, p.doc_number, p.title"))


def policy_detail(index: Index, policy_id: str) -> dict[str, Any] | None:
    """One policy as staff see it: any of its forms' ids opens the policy (its primary),
    with every source file (role, why) and the primary's clauses; None when unknown."""
    from saidao.index.policy_merge import primary_of, sources

    found = policy(index, primary_of(index.db, policy_id))
    if found is None:
        return None
    found["sources"] = sources(index.db, found["policy_id"])
    found["clauses"] = policy_clauses(index, found["policy_id"])
    return found
