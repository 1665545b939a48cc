"""Link a synthetic 2,000-track set against the bundled seed clauses; print tracks/s.

The set replicates tests/fixtures/tracks with variations (zone moved to another
zone of the registry, label and texts shuffled with other tracks' sentences,
firm and platform lists cut), so caching by identical input cannot flatter it.

    python benchmarks/links.py [N]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from saidao.corpus.zones import registry
from saidao.extractors.extract import extract_file
from saidao.index import links as L

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


def main(n: int = 2000) -> None:
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    policies = seed_policies()
    loaded = time.perf_counter()
    tracks = synthetic_tracks(n, random.Random(13))
    pool = L.clause_pool(policies)
    pooled = time.perf_counter()
    links = 0
    cpu = time.process_time()
    for track in tracks:
        links += len(L.link_track(track, pool))
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    clauses = sum(len(p["clauses"]) for p in policies)
    print(f"policies: {len(policies)}  clauses: {clauses}  (extract {loaded - started:.1f} s, BM25 pool {pooled - loaded:.2f} s)")
    print(f"tracks: {n}  links: {links} ({links / n:.1f} per track)")
    print(f"linking: {done - pooled:.1f} s  = {n / (done - pooled):.0f} tracks/s"
          f"  (CPU {cpu:.1f} s = {n / cpu:.0f} tracks/CPU-s)")
    print(f"load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
