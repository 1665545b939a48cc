"""Counts of what the index holds: the figures of the home page and of the zone list.

Only current files count (the views of ``index.schema.VIEWS``): a superseded or
failed version of a file is history, not content.

Counting distinct firms over a quarter of a million firm rows takes a second,
too slow for a home page, so figures are kept under the index's data state by
``index.cache.cached`` and recomputed only when a table they read moved.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from saidao.index.cache import CLAUSES, COUNTS, TRACKS, cached
from saidao.index.db import IndexLike

# ``CLAUSES``, ``TRACKS`` and ``cached`` are ``index.cache``'s, named here too for the web
# pages that still ask ``overview`` for them (web/pages.py, web/review.py: issue 16's files).
__all__ = ["CLAUSES", "TRACKS", "cached", "counts", "tracks_by_zone", "tracks_per_zone"]

#: Each figure over the views of ``index.schema.VIEWS`` (what "current" and "as
#: corrected" mean is written there once).
_COUNTS = {
    "files": "SELECT count(*) FROM current_files",
    "failed": "SELECT count(*) FROM files WHERE status = 'failed'",
    "declarations": "SELECT count(*) FROM current_declarations",
    "tracks": "SELECT count(*) FROM current_tracks",
    "policies": "SELECT count(*) FROM current_policies",
    "clauses": "SELECT count(*) FROM clauses c JOIN current_policies p ON p.policy_id = c.policy_id",
    # a firm named in several tracks is one firm: by its code as staff last corrected it,
    # else as read, else by its name key (DISTINCT in a subquery: faster than count(DISTINCT))
    "firms": ("SELECT count(*) FROM (SELECT DISTINCT coalesce(nullif(uscc_corrected, ''), "
              "name_key) AS firm FROM current_firm_rows) WHERE firm IS NOT NULL"),
    "problems": ("SELECT count(*) FROM problems p JOIN current_files f ON f.sha256 = p.file_sha256 "
                 "WHERE p.status = 'open'"),
}


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {key: int(db.execute(sql).fetchone()[0]) for key, sql in _COUNTS.items()}


def counts(index: IndexLike) -> dict[str, int]:
    """How many current files, failed files, declarations, tracks, policies, clauses,
    distinct firms and open problems the index holds."""
    return dict(cached(index, "counts", _counts, COUNTS))


def _tracks_by_zone(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT t.zone_id, coalesce(z.name, t.zone_printed, '未识别') AS zone_name, "
        "coalesce(t.direction, '未勾选') AS direction, count(*) AS n FROM current_tracks t "
        "LEFT JOIN zones z ON z.id = t.zone_id GROUP BY 1, 2, 3 ORDER BY 2, 3"))


def tracks_by_zone(index: IndexLike) -> list[dict[str, Any]]:
    """Tracks per zone and direction: ``zone_id``, ``zone_name``, ``direction``, ``n``.

    A track whose zone was not recognised is listed under the zone printed on
    the form (or 未识别); one with no direction ticked under 未勾选.
    """
    return [dict(row) for row in cached(index, "tracks_by_zone", _tracks_by_zone, TRACKS)]


def _tracks_per_zone(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute("SELECT zone_id, count(*) FROM current_tracks WHERE zone_id IS NOT NULL "
                      "GROUP BY zone_id")
    return dict(rows.fetchall())


def tracks_per_zone(index: IndexLike) -> dict[str, int]:
    """Number of current tracks of each recognised zone, by zone id (zones without any left out)."""
    return dict(cached(index, "tracks_per_zone", _tracks_per_zone, TRACKS))
