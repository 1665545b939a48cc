"""Read views over the index: declared tracks, one track in full, the import report."""

from __future__ import annotations

import json
from typing import Any

from saidao.index.db import IndexLike, as_database
from saidao.index.links import links_for_track
from saidao.index.search import resolve_zone
from saidao.index.store import Index

#: Tracks of ``{view}`` (``current_tracks``, or ``track_rows`` for any track by id).
_TRACKS_SQL = """
SELECT t.track_id, t.track_name, t.label, t.direction, t.scheme, t.codes, t.class_names,
       t.resolved, t.zone_id AS zone, z.name AS zone_name, t.zone_printed, t.filled_at,
       t.file, t.origin, t.sha256, t.declaration_id,
       (SELECT count(*) FROM firm_mentions m WHERE m.track_id = t.track_id) AS firms,
       (SELECT count(*) FROM problems p WHERE p.file_sha256 = t.sha256
          AND p.status = 'open') AS problems
FROM {view} t
LEFT JOIN zones z ON z.id = t.zone_id
"""


def _track_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["codes"] = json.loads(row["codes"] or "[]")
    row["class_names"] = json.loads(row["class_names"] or "[]")
    row["resolved"] = None if row["resolved"] is None else bool(row["resolved"])
    return row


def tracks(index: IndexLike, zone: str | None = None) -> list[dict[str, Any]]:
    """Declared tracks of current files (``zone``: any name of a zone), by zone then name."""
    sql, params = _TRACKS_SQL.format(view="current_tracks") + " WHERE 1", []
    if zone:
        sql += " AND t.zone_id = ?"
        params.append(resolve_zone(zone).id)
    sql += " ORDER BY t.zone_id, t.track_name, t.track_id"
    rows = [_track_row(r) for r in as_database(index).query(sql, params)]
    return _with_sources(index, rows)


def _with_sources(index: IndexLike, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each track's source files (``index.track_merge``): the same declaration in several
    forms or versions is one track, every file listed with its role."""
    from saidao.index.track_merge import sources

    found = sources(as_database(index))
    for row in rows:
        row["sources"] = found.get(row["track_id"], [])
    return rows


def has_track(index: IndexLike, track_id: int) -> bool:
    """Whether a track with this id is in the index (current file or not)."""
    db = as_database(index)
    return db.execute("SELECT 1 FROM tracks WHERE track_id = ?", [track_id]).fetchone() is not None


def track(index: IndexLike, track_id: int) -> dict[str, Any] | None:
    """One track with its declaration, firm rows, platforms, problems and linked clauses."""
    db = as_database(index)
    rows = list(db.query(_TRACKS_SQL.format(view="track_rows") + " WHERE t.track_id = ?",
                               [track_id]))
    if not rows:
        return None
    out = _with_sources(index, [_track_row(rows[0])])[0]
    out["firm_count"] = out["firms"]
    out["problem_count"] = out["problems"]
    declaration = next(db.query(
        "SELECT raw FROM declarations WHERE declaration_id = ?", [out["declaration_id"]]))
    out["declaration"] = json.loads(declaration["raw"])
    out["firms"] = [_json_cols(r, ("extra", "source")) for r in db.query(
        "SELECT * FROM firm_mentions WHERE track_id = ? ORDER BY seq, id", [track_id])]
    out["platforms"] = [_json_cols(r, ("extra",)) for r in db.query(
        "SELECT * FROM platforms WHERE track_id = ? ORDER BY seq, id", [track_id])]
    out["problems"] = list(db.query(
        "SELECT id, field, code, message, status FROM problems WHERE file_sha256 = ?",
        [out["sha256"]]))
    out["links"] = _links(index, track_id)
    return out


def _json_cols(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    row = dict(row)
    for col in columns:
        row[col] = json.loads(row[col]) if row.get(col) else {}
    return row


def _links(index: IndexLike, track_id: int) -> list[dict[str, Any]]:
    """The clauses linked to the track, best first."""
    return list(links_for_track(index, track_id))


def import_report(index: Index, run_id: int | None = None) -> list[dict[str, Any]]:
    """Every file of a run (latest by default) with its outcome and reason."""
    return index.report(run_id)
