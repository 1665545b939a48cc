"""The firm-row readers and the home counts over the index views, against the
hand-written queries they replaced (issue 15).

    python benchmarks/views.py [--db PATH] [--tracks 10000] [--n 3]

Builds (or reuses) a synthetic index of declarations and firm rows
(``benchmarks/web.py``'s builder) with staff corrections on 2,000 rows, then
times each query N times and prints the best wall time and the mean CPU time.
The "before" queries are the ones ``index/overview.py`` and ``index/dupes.py``
held before the views (``index.schema.VIEWS``) defined "current" and "as
corrected" once; both sides must give the same answer.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from saidao.index import overview
from saidao.index.db import now
from saidao.index.dupe_model import Mention
from saidao.index.firm_rows import mentions
from saidao.index.store import Index

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web as synthetic  # noqa: E402  the builder of benchmarks/web.py

DEFAULT_DB = Path("/tmp/saidao-bench-views/saidao.db")
_CURRENT_TRACKS = ("tracks t JOIN declarations d ON d.declaration_id = t.declaration_id "
                   "JOIN files f ON f.sha256 = d.file_sha256 AND f.status = 'imported'")
BEFORE_FIRMS = (
    "WITH fixed AS (SELECT CAST(c.row_id AS INTEGER) AS mention_id, c.corrected_value AS uscc, "
    "max(c.id) FROM corrections c WHERE c.table_name = 'firm_mentions' AND c.field = 'uscc' "
    "GROUP BY c.row_id) SELECT count(*) FROM (SELECT DISTINCT CASE WHEN x.mention_id IS NULL "
    "THEN coalesce(nullif(m.uscc, ''), m.name_key) ELSE coalesce(nullif(x.uscc, ''), m.name_key) "
    "END AS firm FROM firm_mentions m LEFT JOIN fixed x ON x.mention_id = m.id "
    "WHERE m.track_id IN (SELECT t.track_id FROM " + _CURRENT_TRACKS + ")) WHERE firm IS NOT NULL")
BEFORE_MENTIONS = (
    "SELECT fm.id, fm.track_id, fm.seq, fm.name, fm.name_key, fm.uscc_printed, fm.uscc, "
    "COALESCE(z.name, t.zone_id, d.zone_printed, '') AS zone, f.path, f.sha256 "
    "FROM firm_mentions fm JOIN tracks t ON t.track_id = fm.track_id "
    "JOIN declarations d ON d.declaration_id = t.declaration_id "
    "JOIN files f ON f.sha256 = d.file_sha256 LEFT JOIN zones z ON z.id = t.zone_id "
    "WHERE f.status = 'imported' ORDER BY fm.track_id, fm.seq, fm.id")


def build(db: Path, n_tracks: int) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    with Index.open(db) as index:
        synthetic.build_declarations(index, n_tracks, random.Random(7))
        rows = list(index.db.execute("SELECT id, uscc FROM firm_mentions LIMIT 2000"))
        with index.db.conn:
            index.db.conn.executemany(
                "INSERT INTO corrections (table_name, row_id, field, raw_value, corrected_value, "
                "corrected_by, corrected_at) VALUES ('firm_mentions', ?, 'uscc', ?, ?, '基准', ?)",
                [(str(rid), code, code, now()) for rid, code in rows])


def before_mentions(index: Index) -> list[Mention]:
    fixes = {row[0]: row[1] for row in index.db.execute(
        "SELECT row_id, corrected_value FROM corrections WHERE table_name = 'firm_mentions' "
        "AND field = 'uscc' ORDER BY id")}
    return [Mention(str(track), int(seq or 0), name or "", printed or "",
                    fixes.get(str(rid), fixed), zone or "", path or "", sha or "", key or "")
            for rid, track, seq, name, key, printed, fixed, zone, path, sha
            in index.db.execute(BEFORE_MENTIONS)]


def timed(fn: Callable[[], Any], n: int) -> tuple[float, float, Any]:
    best, cpu, result = float("inf"), time.process_time(), None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, (time.process_time() - cpu) / n, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.tracks)
    table = Table(title=f"views vs hand-written queries ({args.db})")
    for header in ("query", "before: best s", "before: CPU s", "views: best s", "views: CPU s",
                   "same answer"):
        table.add_column(header, justify="right" if header != "query" else "left")
    with Index.open(args.db) as index:
        db = index.db
        pairs = {
            "distinct firms (counts)": (lambda: db.execute(BEFORE_FIRMS).fetchone()[0],
                                        lambda: db.execute(overview._COUNTS["firms"]).fetchone()[0]),
            "every firm row as Mention": (lambda: before_mentions(index),
                                          lambda: mentions(index)),
            "current tracks (count)": (
                lambda: db.execute("SELECT count(*) FROM " + _CURRENT_TRACKS).fetchone()[0],
                lambda: db.execute(overview._COUNTS["tracks"]).fetchone()[0]),
        }
        for name, (old, new) in pairs.items():
            old_best, old_cpu, old_result = timed(old, args.n)
            new_best, new_cpu, new_result = timed(new, args.n)
            table.add_row(name, f"{old_best:.3f}", f"{old_cpu:.3f}", f"{new_best:.3f}",
                          f"{new_cpu:.3f}", "是" if old_result == new_result else "否")
    Console().print(table)


if __name__ == "__main__":
    main()
