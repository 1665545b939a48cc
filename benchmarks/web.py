"""Page latency of the web interface on a large synthetic index.

    python benchmarks/web.py [--db PATH] [--tracks 10000] [--clauses 100000] [--n 20]

Builds (or reuses) an index of synthetic rows written straight through the
schema — declarations, tracks, firm rows (some firms in several tracks),
policies, clauses with FTS, zone tags, links, open problems — then requests
each page type N times with Starlette's TestClient and prints p50 / p95 per
page. The first request of a page is timed apart (cold caches: duplicate
groups, links). Then a credit-code correction is posted on the review page, as
staff would, and /dupes is timed right after it (the last stored groups under a
notice while ``web.regroup`` regroups in the background), during the regroup,
and after it (the new groups), with the regroup's own wall and CPU time.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from saidao.corpus.zones import registry
from saidao.extractors.uscc import calc_check_digit
from saidao.index import fts
from saidao.index.db import now, write_transaction
from saidao.index.store import Index, dumps

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "policies"
CORPUS = SEEDS.parent
DEFAULT_DB = Path("/tmp/saidao-bench-10k/saidao.db")
DIRECTIONS = ("未来产业验证熟化", "传统产业转型升级", "新兴产业延伸")
FIRMS_PER_TRACK = (20, 30)
PLATFORMS_PER_TRACK = (1, 5)
#: Clauses per synthetic policy: real plans run from a dozen items to several hundred.
CLAUSES_PER_POLICY = (12, 600)
LEVELS = ("national", "region", "city", "county")
ISSUERS = {"national": "国务院办公厅", "region": "内蒙古自治区人民政府"}
HEADING_TEMPLATES = ("支持{}产业发展", "加快{}关键技术攻关", "培育{}产业集群", "推动{}企业创新",
                     "建设{}中试基地", "强化{}人才引育")
_HEADING = re.compile(r"^[（(][一二三四五六七八九十]+[)）]\s*([^。；：，]{4,24})。")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR = re.compile(r"20[12]\d(?=年)")


# -- clause text: recombined seed sentences ---------------------------------------------
def sentences() -> list[str]:
    """Real policy sentences to build clause texts from (so search has something to find)."""
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        for part in re.split(r"[。；]", path.read_text("utf-8").replace("\n", "")):
            if 12 <= len(part) <= 200:
                out.append(part)
    return out


def headings() -> list[str]:
    """Item headings as the seeds print them (（三）推动国家级高新区提质进位。)."""
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text("utf-8").splitlines():
            if m := _HEADING.match(line.strip()):
                found.append(m.group(1))
    return found


def industry_words() -> list[str]:
    """Industry names of the lexicon and the classification tables (a wide, real vocabulary)."""
    words = []
    with open(CORPUS / "industry_lexicon.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words += [row["term"], *filter(None, row["aliases"].split("|"))]
    for name in ("gbt4754_2017.csv", "sei_2018.csv"):
        with open(CORPUS / "classifications" / name, encoding="utf-8") as handle:
            words += [r["name"] for r in csv.DictReader(handle) if 3 <= len(r["name"]) <= 12
                      and "、" not in r["name"] and "其他" not in r["name"]]
    return list(dict.fromkeys(words))


class ClauseWriter:
    """Clause texts recombined from seed sentences, with industries, zones, years and sums varied.

    Each synthetic policy has a theme (a few industries and a zone) that most
    substitutions draw from; the rest follow a Zipf-like draw over the whole
    vocabulary, so term frequencies fall off as in a real multi-policy corpus
    rather than every sentence repeating the same number of times.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = sentences()
        self.headings = headings()
        self.industries = industry_words()
        self.zones = [(z.id, name) for z in registry().all() for name in z.names]
        lexicon = sorted({*self.industries[:200], *(n for _, n in self.zones)}, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(w) for w in lexicon))
        self.zone_of = {name: zid for zid, name in self.zones}
        weights = [1.0 / (i + 1) for i in range(len(self.industries))]
        self.industry_draw = lambda k: rng.choices(self.industries, weights, k=k)

    def theme(self) -> dict[str, Any]:
        zid, name = self.rng.choice(self.zones)
        return {"industries": self.industry_draw(3), "zone": (zid, name)}

    def clause(self, theme: dict[str, Any]) -> tuple[str, str, set[str]]:
        """(heading, text, ids of the zones it names) of one clause."""
        named: set[str] = set()
        count = self.rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 12, 8))[0]
        parts = [self._sentence(theme, named) for _ in range(count)]
        text = "；".join(parts) + "。"
        heading, roll = "", self.rng.random()
        if roll < 0.35:
            heading = self._vary(self.rng.choice(self.headings), theme, named)
        elif roll < 0.6:
            industry = self.rng.choice(theme["industries"])
            heading = self.rng.choice(HEADING_TEMPLATES).format(industry)
        return heading, text, named

    def _sentence(self, theme: dict[str, Any], named: set[str]) -> str:
        phrases = self.rng.choice(self.sentences).split("，")
        if len(phrases) > 1 and self.rng.random() < 0.5:
            other = self.rng.choice(self.sentences).split("，")
            phrases[self.rng.randrange(len(phrases))] = self.rng.choice(other)
        return self._vary("，".join(phrases), theme, named)

    def _vary(self, text: str, theme: dict[str, Any], named: set[str]) -> str:
        rng = self.rng

        def swap(m: re.Match[str]) -> str:
            if m.group(0) in self.zone_of:
                zid, name = theme["zone"] if rng.random() < 0.7 else rng.choice(self.zones)
                named.add(zid)
                return name
            return rng.choice(theme["industries"]) if rng.random() < 0.6 else self.industry_draw(1)[0]

        text = self.pattern.sub(swap, text)
        text = _YEAR.sub(lambda m: str(rng.randint(2018, 2030)), text)
        return _NUMBER.sub(lambda m: _number_like(m.group(0), rng), text)


def _number_like(number: str, rng: random.Random) -> str:
    if len(number) == 4 and number.startswith("20"):
        return number
    digits = len(number.split(".")[0])
    return str(rng.randint(10 ** (digits - 1) if digits > 1 else 1, 10 ** digits - 1))


# -- rows -----------------------------------------------------------------------------
def code(rng: random.Random) -> str:
    body = "91150" + "".join(rng.choice("0123456789") for _ in range(4)) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return body + calc_check_digit(body)


def _insert_many(index: Index, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        index.db.conn.executemany(
            f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[r[c] for c in columns] for r in rows])


def _file_row(sha: str, kind: str, path: str) -> dict[str, Any]:
    return {"sha256": sha, "size": 1000, "path": path, "kind": kind, "format": "docx",
            "pages": 3, "status": "imported", "imported_at": now()}


def _firm_pool(n: int, rng: random.Random) -> list[tuple[str, str]]:
    stems = industry_words()
    return [(f"内蒙古{rng.choice(stems)}{i}科技有限公司", code(rng)) for i in range(n)]


def build_declarations(index: Index, n_tracks: int, rng: random.Random) -> None:
    """Declarations with one track each, 20–30 firm rows (firms shared across tracks), platforms."""
    zones = [z.id for z in registry().all()]
    firms = _firm_pool(n_tracks * 8, rng)
    files, decls, tracks, mentions, platforms, problems = [], [], [], [], [], []
    for t in range(1, n_tracks + 1):
        sha, zone, name = f"d{t:063d}", rng.choice(zones), f"合成赛道{t}"
        direction = rng.choice(DIRECTIONS)
        raw = {"kind": "declaration", "track_name": name, "unit": {"name": "管委会"},
               "track": {"direction": direction, "candidates": []}}
        files.append(_file_row(sha, "declaration", f"/synthetic/decl_{t}.docx"))
        decls.append({"declaration_id": t, "file_sha256": sha, "track_name": name,
                      "zone_id": zone, "unit_name": "管委会", "raw": dumps(raw)})
        tracks.append({"track_id": t, "declaration_id": t, "track_name": name, "label": f"合成{t}",
                       "direction": direction, "codes": "[]", "class_names": "[]",
                       "resolved": 1, "zone_id": zone})
        for seq in range(1, rng.randint(*FIRMS_PER_TRACK) + 1):
            firm, uscc = rng.choice(firms)
            printed = uscc if rng.random() > 0.05 else uscc[:-1] + "0"
            mentions.append({"track_id": t, "seq": seq, "name": firm, "name_key": firm,
                             "uscc_printed": printed, "uscc": uscc if printed == uscc else None,
                             "uscc_valid": int(printed == uscc), "extra": "{}", "source": "{}"})
            if printed != uscc:
                problems.append({"file_sha256": sha, "field": f"firms[{seq - 1}].uscc",
                                 "code": "uscc_checksum", "message": f"第{seq}行 {firm}：校验位错误"})
        for seq in range(1, rng.randint(*PLATFORMS_PER_TRACK) + 1):
            platforms.append({"track_id": t, "seq": seq, "name": f"合成{t}号重点实验室{seq}",
                              "host": rng.choice(firms)[0], "level": rng.choice(("国家级", "自治区级")),
                              "year": rng.randint(2010, 2025), "extra": "{}"})
    with write_transaction(index.db):
        for table, rows in (("files", files), ("declarations", decls), ("tracks", tracks),
                            ("firm_mentions", mentions), ("platforms", platforms),
                            ("problems", problems)):
            _insert_many(index, table, rows)


def _jurisdiction(level: str, rng: random.Random) -> str:
    if level in ISSUERS:
        return "内蒙古自治区" if level == "region" else "国家"
    with open(CORPUS / "regions.csv", encoding="utf-8") as handle:
        names = [r["name"] for r in csv.DictReader(handle) if r["level"] == level]
    return rng.choice(names)


def build_policies(index: Index, n_clauses: int, rng: random.Random) -> None:
    """Policies of varied length, level and jurisdiction; clauses with both FTS tables and zone tags."""
    writer, written, p = ClauseWriter(rng), 0, 0
    while written < n_clauses:
        size = min(n_clauses - written, rng.randint(*CLAUSES_PER_POLICY))
        _write_policy(index, writer, p, size, rng)
        written, p = written + size, p + 1


def _write_policy(index: Index, writer: ClauseWriter, p: int, size: int, rng: random.Random) -> None:
    sha = f"p{p:05d}".ljust(64, "0")  # policy_id is sha[:16]: unique
    pid, level = sha[:16], rng.choices(LEVELS, (15, 45, 25, 15))[0]
    jurisdiction = _jurisdiction(level, rng)
    theme = writer.theme()
    clauses, tags, segmented, raw = [], [], [], []
    first = index.db.execute("SELECT coalesce(max(id), 0) FROM clauses").fetchone()[0] + 1
    for pos in range(1, size + 1):
        heading, text, named = writer.clause(theme)
        rowid, clause_id = first + pos - 1, f"{pid}:{pos}"
        clauses.append({"id": rowid, "clause_id": clause_id, "policy_id": pid,
                        "number": f"（{pos}）", "path": dumps([str(pos // 10 + 1), f"（{pos}）"]),
                        "path_headings": "[]", "heading": heading, "text": text,
                        "position": pos, "lines": "[]"})
        tags += [{"clause_id": clause_id, "tag_type": "zone", "value": z} for z in sorted(named)]
        segmented.append((rowid, fts.segment(heading), fts.segment(text)))
        raw.append((rowid, fts.normalise(heading), fts.normalise(text)))
    with write_transaction(index.db):
        _insert_many(index, "files", [_file_row(sha, "policy", f"/synthetic/policy_{p}.txt")])
        _insert_many(index, "policies", [{
            "policy_id": pid, "file_sha256": sha, "title": f"合成政策文件{p}",
            "doc_number": f"合政发〔{rng.randint(2016, 2026)}〕{p}号", "level": level,
            "issuer": ISSUERS.get(level, jurisdiction + "人民政府"), "jurisdiction": jurisdiction,
            "refs": "[]"}])
        _insert_many(index, "clauses", clauses)
        _insert_many(index, "clause_tags", tags)
        index.db.conn.executemany("INSERT INTO clauses_fts(rowid, heading, text) VALUES (?, ?, ?)",
                                  segmented)
        index.db.conn.executemany(
            "INSERT INTO clauses_trigram(rowid, heading, text) VALUES (?, ?, ?)", raw)
        fts.count_terms(index.db, [f"{heading} {text}" for _, heading, text in segmented])


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


def build(db: Path, n_tracks: int = 10_000, n_clauses: int = 100_000) -> None:
    """A fresh synthetic index at ``db``: ``n_tracks`` declarations' rows and ``n_clauses`` clauses."""
    rng = random.Random(7)
    started = time.perf_counter()
    with Index.open(db) as index:
        build_declarations(index, n_tracks, rng)
        build_policies(index, n_clauses, rng)
        build_links(index, rng)
        index.db.execute("INSERT INTO clauses_fts(clauses_fts) VALUES ('optimize')")
        index.db.execute("INSERT INTO clauses_trigram(clauses_trigram) VALUES ('optimize')")
        index.db.execute("ANALYZE")
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
        "待核+高新区": f"/review?zone={zone}&kind=uscc", "待核 第2页": "/review?page=2",
        "检索 无结果+建议": "/search?q=xyz不存在的词", "检索 部分匹配": "/search?q=人才公遇",
        "重复企业 第2页": "/dupes?page=2", "名单与指标": "/registers",
    }


def measure(db: Path, n: int) -> Table:
    from starlette.testclient import TestClient

    from saidao.web import create_app

    app = create_app(db)
    with TestClient(app) as client:  # as `saidao serve` runs it: its start-up warms the caches
        started = time.perf_counter()
        app.state.warmed.wait(300)
        warm_s = time.perf_counter() - started
        with Index.open(db) as index:
            urls = pages(index)
        table = Table(title=f"页面耗时（毫秒），每页 {n} 次；CPU：本进程在请求期间的 CPU 时间；"
                          f"服务启动后预热 {warm_s:.1f} 秒，之后计时")
        for header in ("页面", "首次", "p50", "p95", "CPU 首次", "CPU p50", "CPU p95", "状态"):
            table.add_column(header, justify="right" if header != "页面" else "left")
        for name, url in urls.items():
            times, cpus, status = [], [], set()

            def get(url: str = url, status: set[int] = status) -> None:
                status.add(client.get(url).status_code)

            for _ in range(n + 1):
                wall, cpu = timed_ms(get)
                times.append(wall)
                cpus.append(cpu)
            table.add_row(name, *_stats(list(zip(times, cpus, strict=True))),
                          ",".join(map(str, sorted(status))))
    return table


def index_args(description: str, n: int,
               extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """The command line of a benchmark over the synthetic index (``--db``, ``--tracks``,
    ``--clauses``, ``--n`` repetitions, plus what ``extra`` adds), the index built first when
    missing; this one's and ``search.py``'s."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--clauses", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=n)
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.tracks, args.clauses)
    return args


def timed_ms(call: Any) -> tuple[float, float]:
    """(wall ms, CPU ms of this process, every thread) of ``call()``: on a busy machine the
    wall time includes waiting for a CPU, the CPU time does not."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000, (time.process_time() - cpu0) * 1000


def percentile(times: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``times``, the nearest sample (no interpolation)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stats(timed: list[tuple[float, float]]) -> list[str]:
    """First, p50 and p95 of the wall times, then of the CPU times (ms)."""
    out = []
    for values in ([w for w, _ in timed], [c for _, c in timed]):
        out += [f"{values[0]:.0f}", f"{statistics.median(values[1:]):.0f}",
                f"{percentile(values[1:], 0.95):.0f}"]
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the regroup runs in one)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def after_correction(db: Path, n: int) -> Table:
    """/dupes around a code correction posted through the review page."""
    from starlette.testclient import TestClient

    from saidao.index import review as review_api
    from saidao.index.dupes import precompute_groups
    from saidao.web import create_app
    from saidao.web.firms import STALE_NOTICE
    from saidao.web.security import CSRF_COOKIE

    with Index.open(db) as index:  # as an import leaves it: the groups of this state stored
        precompute_groups(index)
        item = review_api.open_items(index, kind="uscc")[0]
    app = create_app(db)
    client = TestClient(app)
    client.get("/")
    client.get("/dupes")
    table = Table(title="更正信用代码之后的 /dupes（毫秒）")
    for header in ("步骤", "次数", "首次", "p50", "p95", "CPU 首次", "CPU p50", "CPU p95", "说明"):
        table.add_column(header, justify="right" if header not in ("步骤", "说明") else "left")
    fixed = code(random.Random(99))
    cpu0, t0 = _cpu(), time.perf_counter()
    r = client.post("/review/resolve", data={
        "csrf": client.cookies[CSRF_COOKIE], "sha": item["file_sha256"], "field": item["field"],
        "value": fixed, "user": "基准", "action": "accept"}, follow_redirects=False)
    post_ms = (time.perf_counter() - t0) * 1000
    table.add_row("提交更正 POST /review/resolve", "1", f"{post_ms:.0f}", "", "", "", "", "",
                  "error" if "error=" in r.headers.get("location", "") else "已更正")
    texts: list[str] = []
    during = [timed_ms(lambda: texts.append(client.get("/dupes").text)) for _ in range(n + 1)]
    notices = sum(STALE_NOTICE in text for text in texts)
    table.add_row("更正后 /dupes（后台重算中）", str(n + 1), *_stats(during),
                  f"{notices} 次带“正在重新计算”提示")
    app.state.regroup.wait()
    regroup_s, cpu_s = time.perf_counter() - t0, _cpu() - cpu0
    texts = []
    after = [timed_ms(lambda: texts.append(client.get("/dupes").text)) for _ in range(n + 1)]
    table.add_row("重算完成后 /dupes", str(n + 1), *_stats(after),
                  "提示已消失" if STALE_NOTICE not in texts[-1] else "仍有提示")
    table.add_row("后台重算（提交起至完成）", "1", f"{regroup_s * 1000:.0f}", "", "", "", "", "",
                  f"CPU {cpu_s:.1f} 秒（重算子进程与期间的请求）")
    return table


def main() -> None:
    args = index_args(__doc__.splitlines()[0], n=20, extra=lambda parser: parser.add_argument(
        "--only-correction", action="store_true", help="只测更正信用代码之后的 /dupes"))
    from saidao.index.dupes import precompute_groups

    with Index.open(args.db) as index:  # as an import ends: the groups of this state stored
        cpu0, t0 = _cpu(), time.perf_counter()
        if precompute_groups(index):
            Console().print(f"分组（导入末尾，原先在更正后的首个 /dupes 请求内）："
                            f"{time.perf_counter() - t0:.1f} 秒，CPU {_cpu() - cpu0:.1f} 秒")
    if not args.only_correction:
        Console().print(measure(args.db, args.n))
    Console().print(after_correction(args.db, args.n))


if __name__ == "__main__":
    main()
