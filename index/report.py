"""Read views over the index: declared tracks, one track in full, the import report."""

from __future__ import annotations

import json
from typing import Any

from saidao.index.db import IndexLike, as_database
from saidao.index.firm_rows import read_from
from saidao.index.links import links_for_track
from saidao.index.search import zone_ids
from saidao.index.store import Index

#: Tracks of ``{view}`` (``current_tracks``, or ``track_rows`` for any track by id).
_TRACKS_SQL = """
SELECT t.track_id, t.track_name, t.label, t.direction, t.scheme, t.codes, t.class_names,
       t.resolved, t.zone_id AS zone, z.name AS zone_name, t.zone_printed, t.filled_at,
       t.file, t.origin, t.sha256, t.declaration_id,
       (SELECT count(*) FROM firm_mentions m WHERE m.track_id = t.track_id) AS firms,
       (SELECT count(DISTINCT coalesce(p.field, '')) FROM problems p
          WHERE p.file_sha256 = t.sha256 AND p.status = 'open') AS problems
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
    """Declared tracks of current files (``zone``: any name people use for one or more
    zones, ``search.resolve_zones``), by zone then name. Raises ``UnknownZone``."""
    sql, params = _TRACKS_SQL.format(view="current_tracks") + " WHERE 1", []
    wanted = zone_ids(zone)
    if wanted is not None:
        sql += " AND t.zone_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(wanted)))
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


#: Fewer days of imports than this: the progress chart has a point per run instead.
MIN_DAYS = 3


def import_progress(index: Index) -> list[tuple[str, int]]:
    """Files imported per day (local dates, ``vocab.local_time``'s zone), oldest first; per
    run (``2026-12-07 14:11``) while the imports span fewer than MIN_DAYS days."""
    from saidao.vocab import local_time

    rows = [(run, local_time(stamp)) for run, stamp in index.db.execute(
        "SELECT l.run_id, r.started_at FROM import_log l JOIN import_runs r ON r.run_id = l.run_id "
        "WHERE l.outcome = 'imported' ORDER BY l.id")]
    by_day = len({when[:10] for _, when in rows}) >= MIN_DAYS
    counts: dict[str, int] = {}
    for _, when in rows:
        key = when[:10] if by_day else when
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


def track_source(index: Index, track_id: int) -> dict[str, Any] | None:
    """Where a track's declaration was read from: ``path``, ``origin`` (the archive, for a
    member), ``format`` and whether any page was scanned (``scanned``: read by OCR)."""
    row = read_from(index, track_id)
    if row is None:
        return None
    pages = json.loads(row["ocr_pages"] or "[]") if str(row["ocr_pages"] or "").startswith("[") else []
    scanned = row["format"] == "image" or bool(pages) or str(row["ocr_pages"] or "0") not in ("0", "", "[]")
    return {"path": row["path"], "origin": row["origin"], "format": row["format"], "scanned": scanned}


def latest_runs(index: Index, limit: int = 10) -> list[dict[str, Any]]:
    """The latest import runs, newest first, their arguments and summary decoded."""
    rows = list(index.db.query(
        "SELECT run_id, started_at, finished_at, args, summary FROM import_runs "
        "ORDER BY run_id DESC LIMIT ?", [limit]))
    for row in rows:
        row["summary"] = json.loads(row["summary"]) if row["summary"] else None
        row["args"] = json.loads(row["args"] or "[]")
    return rows


def run(index: Index, run_id: int) -> dict[str, Any] | None:
    """One import run (arguments and summary decoded), or None."""
    rows = list(index.db.query("SELECT * FROM import_runs WHERE run_id = ?", [run_id]))
    if not rows:
        return None
    row = rows[0]
    row["summary"] = json.loads(row["summary"]) if row["summary"] else None
    row["args"] = json.loads(row["args"] or "[]")
    return row


def firm_other_tracks(index: Index, track_id: int) -> dict[int, list[dict[str, Any]]]:
    """For each firm row of the track, the other current tracks with the same code or name."""
    rows = index.db.execute(
        "SELECT m.id, o.track_id, t.track_name, z.name FROM firm_mentions m "
        "JOIN firm_mentions o ON o.track_id != m.track_id AND ("
        "  (m.uscc IS NOT NULL AND m.uscc != '' AND o.uscc = m.uscc) OR "
        "  (m.name_key IS NOT NULL AND m.name_key != '' AND o.name_key = m.name_key)) "
        "JOIN tracks t ON t.track_id = o.track_id "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 AND f.status = 'imported' "
        "LEFT JOIN zones z ON z.id = t.zone_id WHERE m.track_id = ? "
        "GROUP BY m.id, o.track_id ORDER BY o.track_id", [track_id]).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for mid, other, name, zone_name in rows:
        out.setdefault(mid, []).append({"track_id": other, "track_name": name, "zone": zone_name})
    return out


def run_ids(index: IndexLike) -> list[int]:
    """Every import run's number, oldest first."""
    return [r[0] for r in as_database(index).execute(
        "SELECT run_id FROM import_runs ORDER BY run_id")]


def import_report(index: Index, run_id: int | None = None) -> list[dict[str, Any]]:
    """Every file of a run (latest by default) with its outcome and reason."""
    return index.report(run_id)
