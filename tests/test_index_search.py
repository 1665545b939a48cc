"""Search quality on staff questions, hostile queries, clauses for a zone, and the index CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import record_files
from openpyxl import load_workbook
from typer.testing import CliRunner

from saidao.cli import app
from saidao.corpus.policies import bundled
from saidao.index.search import clauses_for_zone, search
from saidao.index.store import Index

GOLD = Path(__file__).parent / "gold" / "search_questions.json"
DECLS = Path(__file__).parent / "fixtures" / "declarations"
NASTY = [
    '"', '""', "'", "人才\"公寓", "a OR b", "OR", "AND", "NOT", "NEAR(a b)", "人才 -公寓",
    "(人才", "人才)", "[稀土]", "*", "人才*", "^人才", "heading:人才", "text : 人才", "{a b}",
    "稀土 AND OR NOT", "\\", "%", "_", "%人才_", "；；；", "   ", "", "-", "+", "a+b", "C++",
    "1/2", "〔2021〕", "内政发〔2021〕13号", "\x00", "🙂", "人才" * 200,
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    ix = Index.open(tmp_path_factory.mktemp("idx") / "saidao.db")
    record_files(ix, [(p.path, "policy") for p in bundled()]
                 + [(DECLS / f"decl_00{i}.docx", None) for i in (1, 2, 3)])
    yield ix
    ix.close()


def _doc_key(index: Index, hit: dict) -> tuple[str, str]:
    policy = index.db["policies"].get(hit["policy_id"])
    return policy["doc_number"] or policy["title"], hit["clause_id"].split(":", 1)[1]


def test_search_quality_on_staff_questions(index: Index) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    recalls, reciprocal = [], []
    for question in gold["questions"]:
        wanted = {(gold["docs"][doc], clause) for doc, clause in question["answers"]}
        keys = [_doc_key(index, h) for h in search(index, question["q"], limit=10)]
        recalls.append(len(wanted & set(keys[:5])) / len(wanted))
        first = next((i for i, k in enumerate(keys) if k in wanted), None)
        reciprocal.append(0.0 if first is None else 1.0 / (first + 1))
    recall, mrr = sum(recalls) / len(recalls), sum(reciprocal) / len(reciprocal)
    print(f"\nsearch gold: {len(recalls)} questions, recall@5={recall:.3f} MRR={mrr:.3f}")
    assert len(recalls) >= 30
    assert recall >= 0.9
    assert mrr >= 0.8


def test_hit_shape_and_snippet_marks(index: Index) -> None:
    hits = search(index, "人才公寓", limit=3)
    assert {"clause_id", "policy_id", "title", "doc_number", "number", "path", "heading",
            "snippet", "score"} <= set(hits[0])
    assert "[人才公寓]" in hits[0]["snippet"]
    assert hits[0]["title"] and hits[0]["doc_number"]


@pytest.mark.parametrize("query", NASTY)
def test_hostile_queries_never_error(index: Index, query: str) -> None:
    assert isinstance(search(index, query, limit=5), list)


def test_word_inside_a_longer_jieba_word_is_found(index: Index) -> None:
    """算力 sits inside 算力提升/算力产业; the raw-text path finds it even when jieba does not split."""
    keys = [_doc_key(index, h) for h in search(index, "算力", limit=5)]
    assert ("鄂府发〔2025〕36号", "三/（三）") in keys


def test_clauses_for_ordos_zone(index: Index) -> None:
    result = clauses_for_zone(index, "鄂尔多斯高新区")
    assert result["zone"]["id"] == "ordos"
    got = {(p["doc_number"] or p["title"], c["clause_id"]) for p in result["policies"]
           for c in p["clauses"]}
    by_doc: dict[str, set[str]] = {}
    for doc, clause_id in got:
        by_doc.setdefault(doc, set()).add(clause_id)
    stored = {r["doc_number"] or r["title"]: r["policy_id"]
              for r in index.db.query("SELECT * FROM policies")}
    for doc in ("鄂府发〔2025〕36号", "内政发〔2021〕13号", "内政办发〔2021〕39号",
                "内科高字〔2026〕11号"):
        every = {r[0] for r in index.db.execute(
            "SELECT clause_id FROM clauses WHERE policy_id = ?", [stored[doc]]).fetchall()}
        assert by_doc[doc] == every, doc
    assert not any("和林格尔" in doc for doc in by_doc)
    first = result["policies"][0]["clauses"][0]
    assert first["names_zone"]  # explicit mentions come first


def test_zone_filter_on_search(index: Index) -> None:
    horinger = {h["doc_number"] or h["title"] for h in search(
        index, "科技经费支持", zone="鄂尔多斯高新区", limit=50)}
    assert not any("和林格尔" in d for d in horinger)
    unfiltered = {h["title"] for h in search(index, "科技经费支持", limit=50)}
    assert any("和林格尔" in t for t in unfiltered)


def test_topic_filters_clauses_for_zone(index: Index) -> None:
    result = clauses_for_zone(index, "稀土高新区", topic="人才公寓")
    assert result["zone"]["id"] == "baotou-rare-earth"
    ids = [c["clause_id"].split(":", 1)[1] for p in result["policies"] for c in p["clauses"]]
    assert "八/（二十二）" in ids
    assert "四/（五）" not in ids  # the Ordos city plan does not bind Baotou


# -- CLI ---------------------------------------------------------------------------------
runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_cli_search_and_clauses(index: Index) -> None:
    code, out = _invoke("search", "人才公寓", "--zone", "鄂尔多斯高新区", "--json",
                        "--db", index.path)
    assert code == 0
    assert json.loads(out)[0]["doc_number"] == "鄂府发〔2025〕36号"
    code, out = _invoke("clauses", "--zone", "稀土高新区", "--json", "--db", index.path)
    assert code == 0 and json.loads(out)["zone"]["id"] == "baotou-rare-earth"


def test_cli_zones() -> None:
    code, out = _invoke("zones", "稀土高新区", "--json")
    assert code == 0 and json.loads(out)["id"] == "baotou-rare-earth"
    code, out = _invoke("zones", "--json")
    assert code == 0 and len(json.loads(out)) >= 10
    code, _ = _invoke("zones", "火星高新区", "--json")
    assert code == 2  # an unknown zone is bad usage (issue 16), with suggestions


def test_cli_tracks_track_and_report(index: Index) -> None:
    code, out = _invoke("tracks", "--json", "--db", index.path)
    tracks = json.loads(out)
    assert code == 0 and len(tracks) == 3
    assert {"track_id", "track_name", "label", "direction", "zone", "file", "sha256", "firms",
            "problems"} <= set(tracks[0])
    code, out = _invoke("track", str(tracks[0]["track_id"]), "--json", "--db", index.path)
    detail = json.loads(out)
    assert code == 0 and len(detail["firms"]) == tracks[0]["firms"] > 0
    assert _invoke("track", "99999", "--json", "--db", index.path)[0] == 1
    code, out = _invoke("report", "--json", "--db", index.path)
    assert code == 0 and {r["outcome"] for r in json.loads(out)} == {"imported"}


def test_cli_exports_with_chinese_headers(index: Index, tmp_path: Path) -> None:
    xlsx, csv_path = tmp_path / "firms.xlsx", tmp_path / "clauses.csv"
    assert _invoke("export", "firms", "--xlsx", str(xlsx), "--db", index.path)[0] == 0
    sheet = load_workbook(xlsx).active
    headers = [c.value for c in sheet[1]]
    assert "企业名称" in headers and "信用代码（校正）" in headers
    firm_count = index.db["firm_mentions"].count
    assert sheet.max_row == firm_count + 1
    assert _invoke("export", "clauses", "--csv", str(csv_path), "--db", index.path)[0] == 0
    with open(csv_path, encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["文号", "文件标题"] and len(rows) == index.db["clauses"].count + 1
    assert _invoke("export", "nonsense", "--csv", str(csv_path), "--db", index.path)[0] == 2


def test_cli_missing_db_is_reported(tmp_path: Path) -> None:
    code, _ = _invoke("search", "人才", "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert not (tmp_path / "none.db").exists()


# -- honest search (issue 16) ---------------------------------------------------------
def test_whole_phrase_first_and_marked(index: Index) -> None:
    from saidao.index.search import find

    found = find(index, "人才公寓", zone=None)
    exact = [r for r, _ in found.ranked if r in found.exact]
    assert exact and [r for r, _ in found.ranked][: len(exact)] == exact  # exact ones first
    rows = dict(index.db.execute("SELECT id, heading || text FROM clauses").fetchall())
    for rowid, _ in found.ranked:
        holds = "人才公寓" in rows[rowid].replace(" ", "").replace("\n", "")
        assert (rowid in found.exact) == holds
        if rowid not in found.exact:
            assert found.held[rowid] and "人才公寓" not in found.held[rowid]
    assert found.notice is None
    hits = search(index, "人才公寓", limit=50)
    assert [h["match"] for h in hits] == sorted((h["match"] for h in hits), key=lambda m: m != "exact")


def test_a_single_character_never_matches_alone(index: Index) -> None:
    from saidao.index.search import find

    found = find(index, "xyz不存在的词")
    texts = dict(index.db.execute("SELECT id, heading || text FROM clauses").fetchall())
    for rowid, _ in found.ranked:  # whatever is found holds a word of two characters or more
        assert any(w in texts[rowid] for w in found.held[rowid])
        assert all(len(w) >= 2 for w in found.held[rowid])
    assert found.notice and "没有找到完全匹配" in found.notice
    assert search(index, "不") == [] and search(index, "的") == []


def test_near_words_when_the_phrase_is_nowhere(index: Index) -> None:
    from saidao.index.search import find

    found = find(index, "人才公遇")
    assert not found.exact and "人才公寓" in found.suggestions
    assert "没有找到完全匹配“人才公遇”" in (found.notice or "")
    code, out = _invoke("search", "人才公遇", "--db", index.path)
    assert code == 0 and "部分匹配" in out
