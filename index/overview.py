"""Counts of what the index holds: the figures of the home page and of the zone list.

Only current files count (``files.status = 'imported'``): a superseded or
failed version of a file is history, not content.

Counting distinct firms over a quarter of a million firm rows takes a second,
too slow for a home page, so figures are kept in memory under the index's
data state (:func:`data_state`: per content table a version that triggers move
on at every write, schema v6) and recomputed only when a table they read moved. The key
and the figures are read in one snapshot (:func:`snapshot`), so a write that
lands meanwhile can never be cached under the older key: the figures are exact.
:func:`cached` does the same for any figure the pages keep (a zone's clauses,
duplicate groups).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlean
import sqlite_utils

from saidao.index.registers import as_database

__all__ = ["CLAUSES", "COUNTS", "FIRMS", "TRACKS", "cached", "counts", "data_state", "snapshot",
           "tracks_by_zone", "tracks_per_zone"]

T = TypeVar("T")

#: Joins a table's ``file_sha256`` column to the current files.
_CURRENT = "JOIN files f ON f.sha256 = {} AND f.status = 'imported'"
#: Tracks of current declarations, aliased ``t`` (and ``d``, ``f``).
_CURRENT_TRACKS = ("tracks t JOIN declarations d ON d.declaration_id = t.declaration_id "
                   + _CURRENT.format("d.file_sha256"))

_COUNTS = {
    "files": "SELECT count(*) FROM files WHERE status = 'imported'",
    "failed": "SELECT count(*) FROM files WHERE status = 'failed'",
    "declarations": "SELECT count(*) FROM declarations d " + _CURRENT.format("d.file_sha256"),
    "tracks": "SELECT count(*) FROM " + _CURRENT_TRACKS,
    "policies": "SELECT count(*) FROM policies p " + _CURRENT.format("p.file_sha256"),
    "clauses": ("SELECT count(*) FROM clauses c JOIN policies p ON p.policy_id = c.policy_id "
                + _CURRENT.format("p.file_sha256")),
    # a firm named in several tracks is one firm: by its code as staff last corrected it,
    # else as read, else by its name key (DISTINCT in a subquery: faster than count(DISTINCT))
    "firms": ("WITH fixed AS (SELECT CAST(c.row_id AS INTEGER) AS mention_id, "
              "c.corrected_value AS uscc, max(c.id) FROM corrections c "
              "WHERE c.table_name = 'firm_mentions' AND c.field = 'uscc' GROUP BY c.row_id) "
              "SELECT count(*) FROM (SELECT DISTINCT CASE WHEN x.mention_id IS NULL "
              "THEN coalesce(nullif(m.uscc, ''), m.name_key) "
              "ELSE coalesce(nullif(x.uscc, ''), m.name_key) END AS firm "
              "FROM firm_mentions m LEFT JOIN fixed x ON x.mention_id = m.id "
              "WHERE m.track_id IN (SELECT t.track_id FROM " + _CURRENT_TRACKS + ")) "
              "WHERE firm IS NOT NULL"),
    "problems": ("SELECT count(*) FROM problems p " + _CURRENT.format("p.file_sha256")
                 + " WHERE p.status = 'open'"),
}


#: What the figures read, by the names of schema v6's ``data_versions`` (a plain table
#: name also covers its ``table:detail`` rows, e.g. ``corrections`` every corrected table).
TRACKS = ("files", "declarations", "tracks")
FIRMS = (*TRACKS, "firm_mentions", "corrections:firm_mentions")
CLAUSES = ("files", "policies", "clauses", "clause_tags")
COUNTS = (*FIRMS, *CLAUSES, "problems")

#: (database file, figure name) -> (data state it was computed at, value).
_memo: dict[tuple[str, str], tuple[tuple[Any, ...], Any]] = {}
_memo_lock = threading.Lock()
#: More entries than this (many test indexes, many zones) and the memo starts afresh.
_MEMO_LIMIT = 256


def data_state(index_or_db: Any, depends: Iterable[str] | None = None) -> tuple[Any, ...] | None:
    """The index's random epoch and the versions of the tables in ``depends`` (all when
    None): equal twice means none of them was written in between, by any process.
    None before schema v6 (nothing is then cached)."""
    db = as_database(index_or_db)
    try:
        versions = dict(db.execute("SELECT name, version FROM data_versions").fetchall())
    except sqlean.OperationalError:
        return None
    epoch = versions.pop("epoch", None)
    wanted = None if depends is None else set(depends)
    picked = sorted((name, version) for name, version in versions.items()
                    if wanted is None or name in wanted or name.split(":", 1)[0] in wanted)
    return (epoch, tuple(picked))


@contextmanager
def snapshot(index_or_db: Any) -> Iterator[sqlite_utils.Database]:
    """One read transaction, so the data state and the figures computed under it
    describe the same data (WAL: writers go on meanwhile). Inside a transaction
    already, that one is used."""
    db = as_database(index_or_db)
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # read only: nothing to keep


def _database_file(db: sqlite_utils.Database) -> str:
    """The main database's file ('' in memory: such a database is never cached)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


def cached(index_or_db: Any, name: str, compute: Callable[[sqlite_utils.Database], T],
           depends: Iterable[str] | None = None) -> T:
    """``compute(db)``, kept until a table in ``depends`` (every content table when None)
    is written. Name every table ``compute`` reads, or it may be served stale.

    The value is shared between callers and threads: treat it as read-only.
    """
    db = as_database(index_or_db)
    where = _database_file(db)
    if not where or db.conn.in_transaction:  # a caller's writes may yet be rolled back
        return compute(db)
    with snapshot(db):
        state = data_state(db, depends)
        if state is None:
            return compute(db)
        key = (where, name)
        with _memo_lock:
            hit = _memo.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]
        value = compute(db)
    with _memo_lock:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = (state, value)
    return value


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {key: int(db.execute(sql).fetchone()[0]) for key, sql in _COUNTS.items()}


def counts(index_or_db: Any) -> dict[str, int]:
    """How many current files, failed files, declarations, tracks, policies, clauses,
    distinct firms and open problems the index holds."""
    return dict(cached(index_or_db, "counts", _counts, COUNTS))


def _tracks_by_zone(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT t.zone_id, coalesce(z.name, d.zone_printed, '未识别') AS zone_name, "
        "coalesce(t.direction, '未勾选') AS direction, count(*) AS n FROM " + _CURRENT_TRACKS
        + " LEFT JOIN zones z ON z.id = t.zone_id GROUP BY 1, 2, 3 ORDER BY 2, 3"))


def tracks_by_zone(index_or_db: Any) -> list[dict[str, Any]]:
    """Tracks per zone and direction: ``zone_id``, ``zone_name``, ``direction``, ``n``.

    A track whose zone was not recognised is listed under the zone printed on
    the form (or 未识别); one with no direction ticked under 未勾选.
    """
    return [dict(row) for row in cached(index_or_db, "tracks_by_zone", _tracks_by_zone, TRACKS)]


def _tracks_per_zone(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute("SELECT t.zone_id, count(*) FROM " + _CURRENT_TRACKS
                      + " WHERE t.zone_id IS NOT NULL GROUP BY t.zone_id")
    return dict(rows.fetchall())


def tracks_per_zone(index_or_db: Any) -> dict[str, int]:
    """Number of current tracks of each recognised zone, by zone id (zones without any left out)."""
    return dict(cached(index_or_db, "tracks_per_zone", _tracks_per_zone, TRACKS))
