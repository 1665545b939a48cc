"""The one reader of firm-table rows: every row of a declaration's 企业名录 with its
track, zone and file, and its credit code as staff last corrected it.

Reads the views ``firm_rows`` / ``current_firm_rows`` (``index.schema.VIEWS``), so
"current file" and "the latest staff correction of a firm's code" are each
written once. The export lists, duplicate grouping (``dupes``), eligibility and
the code re-check read firm rows through here; where a track's rows were read from
(the file behind a track page or a value's crop) is :func:`read_from`.
"""

from __future__ import annotations

import json
from typing import Any

from saidao.index.db import IndexLike, as_database
from saidao.index.dupe_model import Mention, gc_paused

__all__ = ["code_fixes", "firm_rows", "mentions", "read_from"]

#: Columns of a firm row as the views give them, with the zone's name.
_SELECT = ("SELECT r.*, z.name AS zone_name FROM {view} r LEFT JOIN zones z ON z.id = r.zone_id")


def _where(track_id: int | str | None, current: bool) -> tuple[str, list[Any]]:
    view = "current_firm_rows" if current else "firm_rows"
    sql = _SELECT.format(view=view)
    if track_id is None:
        return sql, []
    return sql + " WHERE r.track_id = ?", [int(track_id)]


def firm_rows(index: IndexLike, *, track_id: int | str | None = None,
              current: bool = True) -> list[dict[str, Any]]:
    """Firm rows as dicts (the ``firm_mentions`` columns, ``uscc_corrected``,
    ``corrected_by``, ``track_name``, ``zone_id``, ``zone_name``, ``file``, ``sha256``),
    ordered by zone, track and row; ``extra`` parsed, ``uscc_valid`` a boolean.

    ``current`` keeps the rows of current files only; ``track_id`` one track's rows.
    """
    sql, params = _where(track_id, current)
    rows = list(as_database(index).query(sql + " ORDER BY r.zone_id, r.track_id, r.seq, r.id",
                                         params))
    for row in rows:
        if isinstance(row.get("extra"), str):
            row["extra"] = json.loads(row["extra"]) if row["extra"] else {}
        if row.get("uscc_valid") is not None:
            row["uscc_valid"] = bool(row["uscc_valid"])
    return rows


def mentions(index: IndexLike, *, track_id: int | str | None = None,
             current: bool = True) -> list[Mention]:
    """The same rows as ``dupes.Mention`` (the code as corrected; zone by name, else
    id, else as printed), ordered by track and row: what grouping and eligibility read."""
    sql, params = _where(track_id, current)
    sql = sql.replace("SELECT r.*, z.name AS zone_name",
                      "SELECT r.track_id, r.seq, r.name, r.uscc_printed, r.uscc_corrected, "
                      "coalesce(z.name, r.zone_id, r.zone_printed, ''), r.file, r.sha256, "
                      "r.name_key")
    out = []
    with gc_paused():  # 100,000 new objects: the collector's passes doubled the time
        for track, seq, name, printed, code, zone, path, sha, key in as_database(index).execute(
                sql + " ORDER BY r.track_id, r.seq, r.id", params):
            out.append(Mention(str(track), int(seq or 0), name or "", printed or "", code,
                               zone or "", path or "", sha or "", key or ""))
    return out


def code_fixes(index: IndexLike, track_id: int | str | None = None) -> dict[int, dict[str, Any]]:
    """The latest staff correction of each firm row's code, by firm row id
    (``corrected_value``, ``corrected_by``, ``corrected_at``); one track's rows when given."""
    sql = ("SELECT x.mention_id AS row_id, x.uscc AS corrected_value, x.corrected_by, "
           "x.corrected_at FROM firm_code_fixes x")
    params: list[Any] = []
    if track_id is not None:
        sql += " JOIN firm_mentions m ON m.id = x.mention_id WHERE m.track_id = ?"
        params.append(int(track_id))
    return {int(r["row_id"]): r for r in as_database(index).query(sql, params)}


def read_from(index: IndexLike, track_id: int) -> dict[str, Any] | None:
    """The file a track's declaration, and so its firm rows, was read from: ``path``,
    ``origin`` (the archive, for a member), ``format`` and ``ocr_pages`` as stored; None
    for no such track. Through the view ``track_rows``, the one join of track to file."""
    row = as_database(index).execute(
        "SELECT r.file, r.origin, f.format, f.ocr_pages FROM track_rows r "
        "JOIN files f ON f.sha256 = r.sha256 WHERE r.track_id = ?", [int(track_id)]).fetchone()
    return None if row is None else dict(zip(("path", "origin", "format", "ocr_pages"), row,
                                              strict=True))
