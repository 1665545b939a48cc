"""An index's content with its row ids taken out, to compare two imports of the same files.

Files finish in a different order in every parallel run, so row ids (track 3 here is
track 5 there) differ while the content is the same. Every table is keyed here by what
identifies a row in the world: a file by its SHA-256, a track by its file, a firm row by
its file and 序号, a clause by its id, a link by (file, clause), a duplicate group by
the (file, row) pairs it holds.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import sqlite_utils

from saidao.index.dupes import all_groups
from saidao.index.store import Index


def _rows(db: sqlite_utils.Database, sql: str) -> list[tuple]:
    return sorted(tuple(r) for r in db.execute(sql).fetchall())


def snapshot(db_path: str | Path) -> dict[str, Any]:
    """Every content table of the index at ``db_path``, id-free and sorted."""
    db = sqlite_utils.Database(str(db_path))
    track_file = ("JOIN tracks t ON t.track_id = x.track_id "
                  "JOIN declarations d ON d.declaration_id = t.declaration_id")
    snap = {
        "files": _rows(db, "SELECT sha256, size, kind, format, pages, ocr_pages, status, reason "
                           "FROM files"),
        "tracks": _rows(db, "SELECT d.file_sha256, t.track_name, t.direction, t.scheme, t.codes, "
                            "t.label, t.resolved, t.zone_id FROM tracks t JOIN declarations d "
                            "ON d.declaration_id = t.declaration_id"),
        "declarations": sorted((sha, _stored_without_timings(raw)) for sha, raw in db.execute(
            "SELECT file_sha256, raw FROM declarations").fetchall()),
        "firm_rows": _rows(db, f"SELECT d.file_sha256, x.seq, x.name, x.uscc_printed, x.uscc, "
                               f"x.uscc_valid, x.uscc_fix, x.confidence FROM firm_mentions x "
                               f"{track_file}"),
        "platforms": _rows(db, f"SELECT d.file_sha256, x.seq, x.name, x.host, x.level "
                               f"FROM platforms x {track_file}"),
        "policies": _rows(db, "SELECT policy_id, file_sha256, title, doc_number, issuer, date, "
                              "level, jurisdiction FROM policies"),
        "clauses": _rows(db, "SELECT clause_id, policy_id, number, path, text FROM clauses"),
        "clause_tags": Counter(_rows(db, "SELECT clause_id, tag_type, value FROM clause_tags")),
        "links": _rows(db, "SELECT d.file_sha256, x.clause_id, round(x.score, 6) "
                           f"FROM track_links x {track_file}"),
        "problems": Counter(_rows(db, "SELECT file_sha256, field, code, status FROM problems")),
        "corrections": Counter(_rows(
            db, "SELECT table_name, field, raw_value, corrected_value, corrected_by "
                "FROM corrections")),
    }
    snap["dupe_groups"] = _dupe_groups(db_path)
    db.close()
    return snap


def without_timings(value: Any) -> Any:
    """``value`` with every ``timings`` entry taken out at any depth: how long a read
    took differs in every run, what it read does not."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k != "timings"}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def _stored_without_timings(raw: str) -> str:
    """A stored extraction (JSON text) without its timings, as comparable text."""
    return json.dumps(without_timings(json.loads(raw)), ensure_ascii=False, sort_keys=True)


def _dupe_groups(db_path: str | Path) -> list[tuple]:
    """Each stored duplicate group as its members' ids (``<file sha256>#<序号>``) and code."""
    index = Index.open(db_path)
    try:
        return sorted((tuple(sorted(m.id for m in g.members)), g.uscc or "")
                      for g in all_groups(index))
    finally:
        index.close()


def differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, str]:
    """The tables that differ, each with a short account (empty: the same index)."""
    out = {}
    for name in a:
        if a[name] != b[name]:
            left, right = a[name], b[name]
            if isinstance(left, list):
                left, right = Counter(left), Counter(right)
            only_a = list((left - right).elements())[:3]
            only_b = list((right - left).elements())[:3]
            out[name] = json.dumps({"only_first": only_a, "only_second": only_b},
                                   ensure_ascii=False, default=str)[:2000]
    return out
