"""Search latency on a large index: p50 / p95 of ``search`` and ``clauses_for_zone``.

    python benchmarks/search.py [--db PATH] [--tracks 10000] [--clauses 100000] [--n 5]

Reuses (or builds) the synthetic index of ``benchmarks/web.py``: 10,000
declarations' rows and 100,000 clauses recombined from real policy sentences,
FTS and term counts included. Queries are the 34 staff questions of
``tests/gold/search_questions.json`` (also with a zone filter), two-character
words (found through the trigram vocabulary) and hostile FTS syntax; each is
run N times after one warm-up call (cold page cache). Wall and CPU time are
both shown: on a shared machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saidao.index.search import clauses_for_zone, search  # noqa: E402
from saidao.index.store import Index  # noqa: E402
from web import index_args, percentile, timed_ms  # noqa: E402

GOLD = Path(__file__).resolve().parents[1] / "tests" / "gold" / "search_questions.json"
SHORT = ["稀土", "氢能", "乳业", "算力", "人才", "中试"]
HOSTILE = ['"人才 公寓', "稀土 OR", "(科技) AND -企业", "NEAR(人才", "*:奖励"]
ZONES = ["鄂尔多斯高新区", "稀土高新区", "金山高新区", "赤峰高新区"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(median, p95) of ``samples`` (ms)."""
    return statistics.median(samples), percentile(samples, 0.95)


def timed(fn, *args, **kwargs) -> tuple[float, float]:
    """(wall ms, CPU ms of this process): on a shared machine the two differ."""
    return timed_ms(lambda: fn(*args, **kwargs))


def add_row(table: Table, label: str, queries: int, samples: list[tuple[float, float]]) -> None:
    wall50, wall95 = percentiles([w for w, _ in samples])
    cpu50, cpu95 = percentiles([c for _, c in samples])
    table.add_row(label, str(queries), str(len(samples)), f"{wall50:.1f}", f"{wall95:.1f}",
                  f"{cpu50:.1f}", f"{cpu95:.1f}")


def measure(db: Path, n: int) -> Table:
    questions = [q["q"] for q in json.loads(GOLD.read_text("utf-8"))["questions"]]
    table = Table(title=f"search latency on {db}")
    for column in ("what", "queries", "calls", "p50 ms", "p95 ms", "CPU p50", "CPU p95"):
        table.add_column(column, justify="right" if column != "what" else "left")
    with Index.open(db) as index:
        clauses = index.db.execute("SELECT count(*) FROM clauses").fetchone()[0]
        table.title = f"search latency, {clauses:,} clauses"
        cases = {
            "search: staff questions": [(q, None) for q in questions],
            "search: staff questions + zone": [(q, ZONES[i % len(ZONES)]) for i, q in enumerate(questions)],
            "search: two-character words": [(q, None) for q in SHORT],
            "search: FTS syntax in the query": [(q, None) for q in HOSTILE],
        }
        for label, queries in cases.items():
            samples = []
            for query, zone in queries:
                search(index, query, zone=zone, limit=10)  # warm
                samples += [timed(search, index, query, zone=zone, limit=10) for _ in range(n)]
            add_row(table, label, len(queries), samples)
        samples = []
        for zone in ZONES:
            clauses_for_zone(index, zone)
            samples += [timed(clauses_for_zone, index, zone) for _ in range(max(1, n // 2))]
        add_row(table, "clauses_for_zone (whole list)", len(ZONES), samples)
        samples = []
        for zone in ZONES:
            clauses_for_zone(index, zone, per_policy=10)
            samples += [timed(clauses_for_zone, index, zone, per_policy=10) for _ in range(n)]
        add_row(table, "clauses_for_zone (10 per policy)", len(ZONES), samples)
    return table


def main() -> None:
    args = index_args(__doc__.splitlines()[0], n=5)
    Console(width=120).print(measure(args.db, args.n))


if __name__ == "__main__":
    main()
