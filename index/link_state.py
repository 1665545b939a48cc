"""Links that converge: which tracks still need linking is kept in the index itself.

A track's links depend on the track and on the set of current policies. The
set is fingerprinted (:func:`clause_state`: the digest of the current policy
files' SHA-256s) and ``track_link_state`` (schema v7) records, per track,
the fingerprint its stored links were computed against. A track is *to link*
when it has no row or an older fingerprint — whatever run recorded it,
whatever the run that imported a policy happened to see. Each link is stored
in one transaction that first re-reads the fingerprint: when another process
imported or retired a policy in the meantime, the links just computed are
dropped and the work starts over against the new clauses. So two imports
overlapping in any order end with every track linked to every applicable
clause, as a sequential import would, and any later run mends what an
interrupted one left.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from saidao.index.db import write_transaction
from saidao.index.store import dumps, now

#: (database path, clause state) -> pool; the state names the pool's content exactly.
_pools: dict[tuple[str, str], Any] = {}
_pools_lock = threading.Lock()


def clause_state(db: Any) -> str:
    """The fingerprint of the set of current policies (what every track is linked against):
    a policy in several forms counts its primary only, so a change of primary re-links."""
    rows = db.execute("SELECT file_sha256 FROM current_policies ORDER BY 1").fetchall()
    return hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()


def pending_tracks(index: Any, state: str, among: Iterable[int] | None = None) -> list[int]:
    """Current tracks whose stored links were not computed against ``state``."""
    sql = (
        "SELECT t.track_id FROM tracks t JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 WHERE f.status = 'imported' AND NOT EXISTS "
        "(SELECT 1 FROM track_link_state s WHERE s.track_id = t.track_id AND s.clause_state = ?)"
    )
    ids = [r[0] for r in index.db.execute(sql + " ORDER BY t.track_id", [state]).fetchall()]
    if among is not None:
        wanted = set(among)
        ids = [i for i in ids if i in wanted]
    return ids


def link_pending(index: Any, among: Iterable[int] | None = None) -> int:
    """Link every track still to link (or those of ``among``); return how many were linked."""
    from saidao.index.links import index_tracks, link_track

    among = list(among) if among is not None else None
    linked = 0
    while True:
        state, pool = _pool(index)
        todo = pending_tracks(index, state, among)
        if not todo:
            return linked
        for track_id in todo:
            tracks = index_tracks(index, track_id)
            if not tracks:  # superseded meanwhile: nothing to link
                continue
            links = link_track(tracks[0], pool)
            if not store_links(index, track_id, links, state):
                break  # the clauses changed while linking: start over against the new ones
            linked += 1


def store_links(index: Any, track_id: int, links: Iterable[Any], state: str) -> bool:
    """Replace a track's links and mark it linked at ``state``, unless the clauses moved on."""
    stamp = now()
    rows = [
        (track_id, link.clause_id, rank, link.score, dumps(link.parts), dumps(link.reasons),
         link.snippet, stamp)
        for rank, link in enumerate(links, start=1)
    ]
    with write_transaction(index.db):  # BEGIN IMMEDIATE: no policy can land in between
        if clause_state(index.db) != state:
            return False
        index.db.execute("DELETE FROM track_links WHERE track_id = ?", [track_id])
        index.db.conn.executemany("INSERT INTO track_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        index.db.execute(
            "INSERT INTO track_link_state VALUES (?, ?, ?) ON CONFLICT (track_id) DO UPDATE "
            "SET clause_state = excluded.clause_state, linked_at = excluded.linked_at",
            [track_id, state, stamp],
        )
    return True


def _pool(index: Any) -> tuple[str, Any]:
    """The current clause state and a pool of exactly those clauses (read until they agree)."""
    from saidao.index.links import clause_pool, index_policies

    while True:
        state = clause_state(index.db)
        key = (str(index.path), state)
        with _pools_lock:
            pool = _pools.get(key)
        if pool is None:
            pool = clause_pool(index_policies(index))
            if clause_state(index.db) != state:
                continue  # a policy landed while reading: read again
            with _pools_lock:
                if len(_pools) > 16:
                    _pools.clear()
                _pools[key] = pool
        return state, pool
