"""Search ranking on large indexes: term counts, BM25 in Python, candidate budgets, zone listings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import record_files

from saidao.corpus.policies import bundled
from saidao.index import fts, schema
from saidao.index import search as S
from saidao.index.db import now, write_transaction
from saidao.index.store import Index

GOLD = Path(__file__).parent / "gold" / "search_questions.json"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The bundled policies imported through the store (so fts.index_clause keeps the counts)."""
    ix = Index.open(tmp_path_factory.mktemp("seeds") / "saidao.db")
    record_files(ix, [(p.path, "policy") for p in bundled()])
    yield ix
    ix.close()


def _vocabulary(index: Index) -> dict[str, int]:
    index.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, clauses_fts, row)")
    return dict(index.db.execute("SELECT term, doc FROM temp.v").fetchall())


def _policy(index: Index, n: int, texts: list[tuple[str, str]], status: str = "imported",
            jurisdiction: str = "内蒙古自治区", level: str = "region") -> list[int]:
    """A synthetic policy written straight through the schema (committed); returns its clause rowids."""
    with write_transaction(index.db):
        return _write_policy(index, n, texts, status, jurisdiction, level)


def _write_policy(index: Index, n: int, texts: list[tuple[str, str]], status: str,
                  jurisdiction: str, level: str) -> list[int]:
    sha = f"{n:016d}".ljust(64, "0")
    index.db.execute(
        "INSERT INTO files(sha256, size, path, kind, status, imported_at) VALUES (?, 1, ?, 'policy', ?, ?)",
        [sha, f"/p{n}.txt", status, now()])
    pid = sha[:16]
    index.db.execute(
        "INSERT INTO policies(policy_id, file_sha256, title, doc_number, level, jurisdiction) "
        "VALUES (?, ?, ?, ?, ?, ?)", [pid, sha, f"政策{n}", f"测发〔2025〕{n}号", level, jurisdiction])
    rowids = []
    for pos, (heading, text) in enumerate(texts, start=1):
        rowid = index._insert("clauses", {
            "clause_id": f"{pid}:{pos}", "policy_id": pid, "number": f"（{pos}）",
            "path": json.dumps([str(pos)]), "path_headings": "[]", "heading": heading,
            "text": text, "position": pos, "lines": "[]"})
        fts.index_clause(index.db, rowid, heading, text)
        rowids.append(rowid)
    return rowids


# -- term counts ------------------------------------------------------------------------
def test_clause_terms_match_the_fts5_vocabulary(seeds: Index) -> None:
    """The counts kept at import time are the ones FTS5 itself would compute."""
    kept = dict(seeds.db.execute("SELECT term, docs FROM clause_terms").fetchall())
    assert kept == _vocabulary(seeds)
    assert kept["人才公寓"] >= 2


def test_migration_fills_clause_terms_of_an_existing_index(tmp_path: Path) -> None:
    ix = Index.open(tmp_path / "old.db")
    _policy(ix, 1, [("人才公寓", "建设人才公寓和保障性住房"), ("", "支持稀土永磁材料研发")])
    with write_transaction(ix.db):
        ix.db.execute("DROP TABLE clause_terms")
        schema.MIGRATIONS[3](ix.db)  # migration 4: the counts from the FTS5 vocabulary
    assert dict(ix.db.execute("SELECT term, docs FROM clause_terms").fetchall()) == _vocabulary(ix)
    ix.close()


def test_rebuild_recounts_terms(tmp_path: Path) -> None:
    with Index.open(tmp_path / "r.db") as ix:
        _policy(ix, 1, [("人才公寓", "建设人才公寓"), ("", "人才引进 人才公寓")])
        with write_transaction(ix.db):
            ix.db.execute("UPDATE clause_terms SET docs = 99")
            assert fts.rebuild(ix.db) == 2
        assert dict(ix.db.execute("SELECT term, docs FROM clause_terms").fetchall()) == _vocabulary(ix)


def test_averages_record_gives_row_count_and_mean_length(seeds: Index) -> None:
    stats = S.term_stats(seeds, ["人才"])
    rows = seeds.db.execute("SELECT count(*) FROM clauses_fts").fetchone()[0]
    assert stats.rows == rows
    assert 5 < stats.mean_length < 1000


# -- BM25 ------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["人才公寓", "科技型中小企业 入库 奖励", "稀土永磁材料研发",
                                   "新获批的科技企业孵化器有什么支持"])
def test_python_bm25_equals_fts5_bm25(seeds: Index, query: str) -> None:
    """Candidates are scored in Python: the score must be FTS5's bm25() with the same weights."""
    words = fts.query_words(query)
    rows = seeds.db.execute(
        "SELECT rowid, bm25(clauses_fts, ?, ?) FROM clauses_fts WHERE clauses_fts MATCH ?",
        [S.HEADING_WEIGHT, S.TEXT_WEIGHT, fts.match_any(words)]).fetchall()
    assert rows
    ours = S.score(seeds, [r for r, _ in rows], words, S.term_stats(seeds, words), coverage=False)
    for rowid, fts5 in rows:
        assert math.isclose(ours[rowid], -fts5, rel_tol=1e-9, abs_tol=1e-9), rowid


def test_idf_follows_fts5() -> None:
    stats = S.TermStats(rows=100, mean_length=10.0, docs={"稀": 1, "常": 80})
    assert stats.idf("稀") == pytest.approx(math.log(99.5 / 1.5))
    assert stats.idf("常") == 1e-6  # FTS5 floors a negative idf


def test_varints_decode_sqlite_format() -> None:
    assert S._varints(bytes([0x86, 0x8D, 0x20, 0x05])) == [100_000, 5]
    assert S._varints(bytes([0x81] * 8 + [0x01])) == [sum(1 << (7 * i + 8) for i in range(8)) + 1]


# -- candidates under a budget ------------------------------------------------------
def test_selective_words_stay_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S, "RANK_BUDGET", 100)
    stats = S.TermStats(1000, 10.0, {"甲": 900, "乙": 60, "丙": 30, "丁": 0})
    assert S.selective_words(["甲", "乙", "丙", "丁"], stats) == (["丙", "乙"], 90)
    assert S.selective_words(["甲"], stats) == (["甲"], 900)  # the rarest is always taken


def test_gold_quality_holds_with_a_tiny_ranking_budget(seeds: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """With budgets far below the seed corpus' word counts (as on a big index), answers still rank high."""
    monkeypatch.setattr(S, "RANK_BUDGET", 40)
    monkeypatch.setattr(S, "CANDIDATES", 30)
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    stored = {r["policy_id"]: r["doc_number"] or r["title"] for r in seeds.db.query("SELECT * FROM policies")}
    recalls = []
    for question in gold["questions"]:
        wanted = {(gold["docs"][doc], clause) for doc, clause in question["answers"]}
        keys = [(stored[h["policy_id"]], h["clause_id"].split(":", 1)[1])
                for h in S.search(seeds, question["q"], limit=5)]
        recalls.append(len(wanted & set(keys)) / len(wanted))
    assert sum(recalls) / len(recalls) >= 0.8


def test_common_words_alone_still_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When even the rarest word is over the budget, heading matches rank and body matches fill in."""
    monkeypatch.setattr(S, "RANK_BUDGET", 3)
    with Index.open(tmp_path / "c.db") as ix:
        rows = _policy(ix, 1, [("", f"支持企业发展第{i}条") for i in range(8)]
                       + [("企业培育", "其他内容")])
        found = [r for r, _ in S.rank(ix, "企业")]
        assert found[0] == rows[-1]  # the heading hit is best
        assert set(found) <= set(rows) and len(found) >= 4


def test_two_character_word_jieba_never_cuts_is_found_through_trigrams(tmp_path: Path) -> None:
    with Index.open(tmp_path / "t.db") as ix:
        rows = _policy(ix, 1, [("", "发放算力券支持企业上云"), ("", "其他条款内容")])
        word = "力券"
        assert word not in dict(ix.db.execute("SELECT term, docs FROM clause_terms").fetchall())
        assert S._trigram_expr(ix, word) is not None
        stats = S.TermStats(2, 5.0, {word: 0})
        assert S._verbatim_candidates(ix, word, stats, S.search_scope(ix, None)) == [rows[0]]


def test_stale_policies_are_not_searched(tmp_path: Path) -> None:
    with Index.open(tmp_path / "s.db") as ix:
        live = _policy(ix, 1, [("人才公寓", "建设人才公寓")])
        _policy(ix, 2, [("人才公寓", "建设人才公寓（旧版）")], status="superseded")
        assert [r for r, _ in S.rank(ix, "人才公寓")] == live


def test_allowed_rows_are_reached_past_better_rows_outside_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page filter (``allowed``) applies inside the look-ups, not to the first few candidates."""
    monkeypatch.setattr(S, "CANDIDATES", 5)
    with Index.open(tmp_path / "a.db") as ix:
        _policy(ix, 1, [("人才公寓", f"人才公寓建设第{i}条") for i in range(20)])
        wanted = _policy(ix, 2, [("", "其他事项，另有人才公寓安排以及很多别的文字内容，排在后面")])
        assert [r for r, _ in S.rank(ix, "人才公寓", allowed=set(wanted))] == wanted


# -- clauses for a zone ------------------------------------------------------------
def test_zone_listing_reads_in_a_few_queries(seeds: Index) -> None:
    """Not one query per clause: the whole applicable set comes from a handful of statements."""
    statements: list[str] = []
    seeds.db.conn.set_trace_callback(statements.append)
    try:
        result = S.clauses_for_zone(seeds, "鄂尔多斯高新区")
    finally:
        seeds.db.conn.set_trace_callback(None)
    assert sum(len(p["clauses"]) for p in result["policies"]) > 100
    assert len(statements) < 10


def test_zone_listing_per_policy_keeps_counts_and_mentions_first(seeds: Index) -> None:
    full = S.clauses_for_zone(seeds, "鄂尔多斯高新区")
    short = S.clauses_for_zone(seeds, "鄂尔多斯高新区", per_policy=3)
    assert [p["policy_id"] for p in short["policies"]] == [p["policy_id"] for p in full["policies"]]
    for whole, cut in zip(full["policies"], short["policies"], strict=True):
        assert cut["count"] == len(whole["clauses"])
        assert [c["clause_id"] for c in cut["clauses"]] == [c["clause_id"] for c in whole["clauses"][:3]]
    assert short["policies"][0]["clauses"][0]["names_zone"]
