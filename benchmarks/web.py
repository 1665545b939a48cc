"""Page latency of the web interface on a large synthetic index.

    python benchmarks/web.py [--db PATH] [--tracks 2000] [--clauses 100000] [--n 20]

Builds (or reuses) an index of synthetic rows written straight through the
schema — declarations, tracks, firm rows (some firms in several tracks),
policies, clauses with FTS, zone tags, links, open problems — then requests
each page type N times with Starlette's TestClient and prints p50 / p95 per
page. The first request of a page is timed apart (cold caches: duplicate
groups, links).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from saidao.corpus.zones import registry
from saidao.extractors.uscc import calc_check_digit
from saidao.index import fts
from saidao.index.db import write_transaction
from saidao.index.store import Index, dumps, now

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "policies"
DIRECTIONS = ("未来产业验证熟化", "传统产业转型升级", "新兴产业延伸")
FIRMS_PER_TRACK = 8
CLAUSES_PER_POLICY = 500


def sentences() -> list[str]:
    """Real policy sentences to build clause texts from (so search has something to find)."""
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        for part in path.read_text("utf-8").replace("\n", "").split("。"):
            if 12 <= len(part) <= 200:
                out.append(part + "。")
    return out


def code(rng: random.Random) -> str:
    body = "91150" + "".join(rng.choice("0123456789") for _ in range(4)) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return body + calc_check_digit(body)


def _file(index: Index, sha: str, kind: str, path: str) -> None:
    index.db.execute(
        "INSERT INTO files(sha256, size, path, kind, format, pages, status, imported_at) "
        "VALUES (?, 1000, ?, ?, 'docx', 3, 'imported', ?)", [sha, path, kind, now()])


def build_declarations(index: Index, n_tracks: int, rng: random.Random) -> None:
    zones = [z.id for z in registry().all()]
    firms = [(f"内蒙古合成{i}科技有限公司", code(rng)) for i in range(n_tracks * 4)]
    with write_transaction(index.db):
        for t in range(n_tracks):
            sha = f"d{t:063d}"
            _file(index, sha, "declaration", f"/synthetic/decl_{t}.docx")
            zone = rng.choice(zones)
            raw = {"kind": "declaration", "track_name": f"合成赛道{t}", "unit": {"name": "管委会"},
                   "track": {"direction": rng.choice(DIRECTIONS), "candidates": []}}
            did = index._insert("declarations", {
                "file_sha256": sha, "track_name": f"合成赛道{t}", "zone_id": zone,
                "unit_name": "管委会", "raw": dumps(raw)})
            tid = index._insert("tracks", {
                "declaration_id": did, "track_name": f"合成赛道{t}", "label": f"合成{t}",
                "direction": raw["track"]["direction"], "codes": "[]", "class_names": "[]",
                "resolved": 1, "zone_id": zone})
            for seq in range(1, FIRMS_PER_TRACK + 1):
                name, uscc = rng.choice(firms)
                printed = uscc if rng.random() > 0.05 else uscc[:-1] + "0"
                index._insert("firm_mentions", {
                    "track_id": tid, "seq": seq, "name": name, "name_key": name,
                    "uscc_printed": printed, "uscc": uscc if printed == uscc else None,
                    "uscc_valid": int(printed == uscc), "extra": "{}", "source": "{}"})
                if printed != uscc:
                    index._insert("problems", {
                        "file_sha256": sha, "field": f"firms[{seq - 1}].uscc",
                        "code": "uscc_checksum", "message": f"第{seq}行 {name}：校验位错误"})


def build_policies(index: Index, n_clauses: int, rng: random.Random) -> None:
    texts = sentences()
    zones = [z.id for z in registry().all()]
    levels = ("national", "region", "city", "county")
    for p in range(max(1, n_clauses // CLAUSES_PER_POLICY)):
        sha = f"p{p:05d}".ljust(64, "0")  # policy_id is sha[:16]: unique
        with write_transaction(index.db):
            _file(index, sha, "policy", f"/synthetic/policy_{p}.txt")
            pid = sha[:16]
            index._insert("policies", {
                "policy_id": pid, "file_sha256": sha, "title": f"合成政策文件{p}",
                "doc_number": f"合政发〔2025〕{p}号", "level": rng.choice(levels),
                "jurisdiction": "内蒙古自治区", "refs": "[]"})
            for pos in range(1, CLAUSES_PER_POLICY + 1):
                text = "".join(rng.sample(texts, 2))
                clause_id = f"{pid}:{pos}"
                rowid = index._insert("clauses", {
                    "clause_id": clause_id, "policy_id": pid, "number": f"（{pos}）",
                    "path": dumps([str(pos // 10)]), "path_headings": "[]",
                    "heading": text[:10], "text": text, "position": pos, "lines": "[]"})
                if rng.random() < 0.02:
                    index._insert("clause_tags", {"clause_id": clause_id, "tag_type": "zone",
                                                  "value": rng.choice(zones)})
                fts.index_clause(index.db, rowid, text[:10], text)


def build_links(index: Index, rng: random.Random) -> None:
    clause_ids = [r[0] for r in index.db.execute("SELECT clause_id FROM clauses")]
    tracks = [r[0] for r in index.db.execute("SELECT track_id FROM tracks")]
    parts = json.dumps({"scope": 1.0, "text": 0.5})
    reasons = json.dumps(["适用范围：全区", "文本相似"], ensure_ascii=False)
    with write_transaction(index.db):
        index.db.conn.executemany(
            "INSERT INTO track_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(t, c, r, 1.0 / r, parts, reasons, "", now())
             for t in tracks for r, c in enumerate(rng.sample(clause_ids, 10), start=1)])


def build(db: Path, n_tracks: int, n_clauses: int) -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    with Index.open(db) as index:
        build_declarations(index, n_tracks, rng)
        build_policies(index, n_clauses, rng)
        build_links(index, rng)
    Console(stderr=True).print(f"built {db} in {time.perf_counter() - started:.1f} s")


def pages(index: Index) -> dict[str, str]:
    q = index.db.execute
    track = q("SELECT track_id FROM tracks LIMIT 1 OFFSET 500").fetchone()[0]
    clause = q("SELECT clause_id FROM clauses LIMIT 1 OFFSET 5000").fetchone()[0]
    zone = q("SELECT zone_id FROM tracks LIMIT 1").fetchone()[0]
    return {
        "首页 /": "/", "导入 /import": "/import", "待核 /review": "/review",
        "检索 /search": "/search?q=人才公寓", "检索+高新区": f"/search?q=人才公寓&zone={zone}",
        "条款 /clause": f"/clause/{clause}", "高新区 /zones": "/zones",
        "高新区 /zone": f"/zone/{zone}", "赛道 /tracks": "/tracks",
        "赛道 /track": f"/track/{track}", "重复企业 /dupes": "/dupes",
        "导出 /tracks.xlsx": "/tracks?format=xlsx",
    }


def measure(db: Path, n: int) -> Table:
    from starlette.testclient import TestClient

    from saidao.web import create_app

    client = TestClient(create_app(db))
    with Index.open(db) as index:
        urls = pages(index)
    table = Table(title=f"页面耗时（毫秒），每页 {n} 次")
    for header in ("页面", "首次", "p50", "p95", "状态"):
        table.add_column(header, justify="right" if header != "页面" else "left")
    for name, url in urls.items():
        times, status = [], set()
        for _ in range(n + 1):
            t0 = time.perf_counter()
            status.add(client.get(url).status_code)
            times.append((time.perf_counter() - t0) * 1000)
        first, rest = times[0], sorted(times[1:])
        p95 = rest[min(len(rest) - 1, int(round(0.95 * (len(rest) - 1))))]
        table.add_row(name, f"{first:.0f}", f"{statistics.median(rest):.0f}", f"{p95:.0f}",
                      ",".join(map(str, sorted(status))))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/saidao-web-bench/saidao.db"))
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--clauses", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.tracks, args.clauses)
    Console().print(measure(args.db, args.n))


if __name__ == "__main__":
    main()
