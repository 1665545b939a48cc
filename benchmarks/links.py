"""Link a synthetic 2,000-track set against the bundled seed clauses; print tracks/s.

The set replicates tests/fixtures/tracks with variations (zone moved to another
zone of the registry, label and texts shuffled with other tracks' sentences,
firm and platform lists cut), so caching by identical input cannot flatter it.
CPU time is split into tokenising the track (jieba: ``track_query``) and the
rest of ``link_track`` (BM25, parts, reasons).

With ``--import N`` it also measures the import's path: N fixture declarations
(byte-distinct copies) recorded into an index holding the bundled policies, each
track linked and stored as ``ingest``'s linker does (``compute_links`` with the
run's pool), milliseconds per track.

    python benchmarks/links.py [N] [--import N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saidao.corpus.zones import registry
from saidao.index import links as L
from saidao.ingest.extract import extract_file

ROOT = Path(__file__).resolve().parents[1]


def seed_policies() -> list[dict[str, Any]]:
    files = sorted((ROOT / "corpus" / "policies").glob("*.txt"))
    return [L.fill_from_bundled(extract_file(p, kind="policy")) for p in files]


def synthetic_tracks(n: int, rng: random.Random) -> list[dict[str, Any]]:
    bases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests/fixtures/tracks").glob("*.json"))]
    sentences = [s for b in bases for s in (b["measures"]["text"] + b["plan"]["text"]).split("。") if s]
    zones = [z.id for z in registry().all()]
    out = []
    for i in range(n):
        track = json.loads(json.dumps(bases[i % len(bases)]))
        if i >= len(bases):
            track["zone"] = {"id": rng.choice(zones)}
            extra = "。".join(rng.sample(sentences, 4))
            track["measures"]["text"] += extra
            track["plan"]["text"] = "。".join(rng.sample(sentences, 8))
            track["firms"] = track["firms"][: rng.randint(1, len(track["firms"]))]
            track["platforms"] = track["platforms"][: rng.randint(0, len(track["platforms"]))]
        track["track_id"] = f"s{i:05d}"
        out.append(track)
    return out


def _cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.process_time()
    value = fn()
    return value, time.process_time() - started


def synthetic(n: int) -> None:
    """The pure core: ``link_track`` over ``n`` synthetic tracks and one prepared pool."""
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    policies = seed_policies()
    loaded = time.perf_counter()
    tracks = synthetic_tracks(n, random.Random(13))
    pool = L.clause_pool(policies)
    pooled = time.perf_counter()
    queries, tokenise = _cpu(lambda: [L.track_query(t) for t in tracks])
    links, score = _cpu(lambda: sum(len(L.link_track(t, pool, query=q)) for t, q in zip(tracks, queries, strict=True)))
    done = time.perf_counter()
    cpu = tokenise + score
    clauses = sum(len(p["clauses"]) for p in policies)
    print(f"policies: {len(policies)}  clauses: {clauses}  (extract {loaded - started:.1f} s, BM25 pool {pooled - loaded:.2f} s)")
    print(f"tracks: {n}  links: {links} ({links / n:.1f} per track)")
    print(f"linking: {done - pooled:.1f} s  = {n / (done - pooled):.0f} tracks/s"
          f"  (CPU {cpu:.1f} s = {n / cpu:.0f} tracks/CPU-s; per track: tokenise {tokenise * 1000 / n:.2f} ms,"
          f" score {score * 1000 / n:.2f} ms)")
    print(f"load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} CPUs)")


def import_path(n: int) -> None:
    """Per-track cost of linking as an import does: read the track, link it, store its rows."""
    from saidao.index.store import Index
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    options = Options(workers=1, settings=ReadSettings(ocr=False))
    declarations = sorted((ROOT / "tests" / "fixtures" / "declarations").glob("*.docx"))
    with tempfile.TemporaryDirectory(prefix="saidao-links-") as name:
        db = Path(name) / "index.db"
        ingest([ROOT / "corpus" / "policies"], db, options)
        ingest(declarations[:n], db, options)  # the tracks, linked once on the way in
        with Index.open(db) as index:
            track_ids = [row[0] for row in index.db.execute("SELECT track_id FROM tracks ORDER BY track_id")]
            pool = L.index_pool(index)
            rounds = -(-100 // max(len(track_ids), 1))  # at least 100 tracks linked
            chars = sum(len(L.track_text(t)) for t in L.index_tracks(index)) / max(len(track_ids), 1)
            started = time.perf_counter()
            _, cpu = _cpu(lambda: [L.compute_links(index, t, pool=pool) for _ in range(rounds) for t in track_ids])
            wall = time.perf_counter() - started
    k = max(len(track_ids), 1) * rounds
    print(f"import path: {len(track_ids)} tracks of {min(n, len(declarations))} fixture .docx "
          f"(~{chars:.0f} characters of text each) linked {rounds}x: {cpu * 1000 / k:.1f} ms CPU "
          f"({wall * 1000 / k:.1f} ms wall) per track (read from the index, link, store)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=2000, help="synthetic tracks")
    parser.add_argument("--import", dest="imported", type=int, default=0,
                        help="also time the import's path over this many fixture declarations")
    args = parser.parse_args()
    synthetic(args.n)
    if args.imported:
        import_path(args.imported)


if __name__ == "__main__":
    main()
