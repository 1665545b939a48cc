"""index.overview: home counts cached under the index's data state, never stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from saidao.index import cache, overview
from saidao.index.db import connect
from saidao.index.store import Index

GOOD = "91150291558112116R"
OTHER = "91150100MA0N12345X"  # any text: the index stores what the extractor gave


def declaration(track: str, firms: list[tuple[str, str | None]], zone: str | None = None,
                problems: int = 0) -> dict[str, Any]:
    """An extraction result as the declaration extractor would return it (the parts stored)."""
    return {
        "kind": "declaration", "track_name": track, "zone": {"id": zone},
        "track": {"direction": "新兴产业延伸"},
        "firms": [{"seq": i, "name": name, "uscc": code, "uscc_printed": code}
                  for i, (name, code) in enumerate(firms, start=1)],
        "problems": [{"field": f"firms[{i}].uscc", "code": "uscc_checksum", "message": "校验位错误"}
                     for i in range(problems)],
    }


def policy(texts: list[str]) -> dict[str, Any]:
    return {"kind": "policy", "title": "测试政策", "clauses": [{"text": t} for t in texts]}


def record(index: Index, path: str, sha: str, result: dict[str, Any]) -> str:
    run = index.start_run([path], {})
    return index.record(run_id=run, path=path, sha256=sha.ljust(64, "0"), size=1,
                        kind=result["kind"], result=result, error=None)


V1 = declaration("赛道甲", [("甲公司", GOOD), ("乙公司", None), ("丙公司", None)], problems=1)
V2 = declaration("赛道甲", [("甲公司", GOOD), ("丁公司", OTHER)])


def test_counts_follow_import_supersede_and_reinstate(index: Index) -> None:
    assert record(index, "a.docx", "a1", V1) == "imported"
    first = overview.counts(index)
    assert (first["files"], first["tracks"], first["firms"], first["problems"]) == (1, 1, 3, 1)
    assert record(index, "a.docx", "a2", V2) == "superseded"
    second = overview.counts(index)
    assert (second["files"], second["tracks"], second["firms"], second["problems"]) == (1, 1, 2, 0)
    # the older version again: the same number of files per status, other content
    assert record(index, "a.docx", "a1", V1) == "superseded"
    assert overview.counts(index) == first
    assert record(index, "a.docx", "a1", V1) == "unchanged"
    assert overview.counts(index) == first


def test_counts_follow_policies_and_failures(index: Index) -> None:
    record(index, "p.txt", "p1", policy(["第一条", "第二条"]))
    assert overview.counts(index)["clauses"] == 2
    record(index, "p.txt", "p2", policy(["第一条", "第二条", "第三条"]))
    numbers = overview.counts(index)
    assert (numbers["policies"], numbers["clauses"]) == (1, 3)
    run = index.start_run(["bad.pdf"], {})
    index.record(run_id=run, path="bad.pdf", sha256="f".ljust(64, "0"), size=1, kind=None,
                 result=None, error={"reason": "corrupt", "message": "文件损坏"})
    assert overview.counts(index)["failed"] == 1


def test_counts_follow_a_resolved_problem_and_a_corrected_code(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    record(index, "b.docx", "b1", declaration("赛道乙", [("甲公司（新）", GOOD)]))
    assert overview.counts(index)["problems"] == 1
    with index.db.conn:
        index.db.execute("UPDATE problems SET status = 'resolved'")
    assert overview.counts(index)["problems"] == 0
    firms = overview.counts(index)["firms"]
    row = index.db.execute("SELECT id FROM firm_mentions WHERE name = '乙公司'").fetchone()[0]
    index.correct("firm_mentions", row, "uscc", GOOD, by="王审核")  # 乙公司 is 甲公司 after all
    assert overview.counts(index)["firms"] == firms - 1


def test_a_write_from_another_connection_is_seen(index: Index, tmp_path: Path) -> None:
    record(index, "a.docx", "a1", V1)
    assert overview.counts(index)["tracks"] == 1
    other = Index(connect(tmp_path / "saidao.db"), str(tmp_path / "saidao.db"))
    try:
        record(other, "b.docx", "b1", declaration("赛道乙", [("戊公司", None)]))
    finally:
        other.close()
    assert overview.counts(index)["tracks"] == 2
    assert overview.tracks_per_zone(index) == {}
    assert sum(row["n"] for row in overview.tracks_by_zone(index)) == 2


def test_data_state_moves_on_with_content_only(index: Index, tmp_path: Path) -> None:
    state = cache.data_state(index)
    assert state is not None
    index.refresh_zones()  # rewritten from the registry on every open: not content
    Index.open(tmp_path / "saidao.db").close()
    assert cache.data_state(index) == state
    record(index, "a.docx", "a1", V1)
    moved = cache.data_state(index)
    assert moved is not None and moved[0] == state[0] and moved != state


def test_a_figure_moves_on_only_with_the_tables_it_reads(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    firms, everything = cache.data_state(index, cache.FIRMS), cache.data_state(index)
    problem = index.db.execute("SELECT id FROM problems").fetchone()[0]
    index.correct("problems", problem, "status", "resolved", by="王审核")  # as the review page
    with index.db.conn:
        index.db.execute("UPDATE problems SET status = 'resolved'")
    assert cache.data_state(index, cache.FIRMS) == firms
    assert cache.data_state(index) != everything
    calls: list[int] = []
    cache.cached(index, "firm rows", lambda db: calls.append(1), cache.FIRMS)
    with index.db.conn:
        index.db.execute("UPDATE problems SET status = 'open'")
    cache.cached(index, "firm rows", lambda db: calls.append(1), cache.FIRMS)
    assert len(calls) == 1
    row = index.db.execute("SELECT id FROM firm_mentions WHERE name = '乙公司'").fetchone()[0]
    index.correct("firm_mentions", row, "uscc", GOOD, by="王审核")
    assert cache.data_state(index, cache.FIRMS) != firms
    cache.cached(index, "firm rows", lambda db: calls.append(1), cache.FIRMS)
    assert len(calls) == 2


def test_cached_computes_once_per_state(index: Index) -> None:
    calls: list[int] = []

    def compute(db: Any) -> int:
        calls.append(1)
        return int(db.execute("SELECT count(*) FROM files").fetchone()[0])

    assert [cache.cached(index, "files", compute) for _ in range(3)] == [0, 0, 0]
    assert len(calls) == 1
    record(index, "a.docx", "a1", V1)
    assert cache.cached(index, "files", compute) == 1 and len(calls) == 2


def test_a_rebuilt_index_at_the_same_path_is_not_mistaken(tmp_path: Path) -> None:
    path = tmp_path / "saidao.db"
    with Index.open(path) as index:
        record(index, "a.docx", "a1", V1)
        assert overview.counts(index)["firms"] == 3
    for leftover in tmp_path.glob("saidao.db*"):
        leftover.unlink()
    with Index.open(path) as index:  # same path, same version number, other content
        same_shape = declaration("赛道甲", [("甲公司", GOOD), ("乙公司", GOOD), ("丙公司", GOOD)],
                                 problems=1)
        record(index, "a.docx", "a2", same_shape)  # the same writes: the same version number
        assert overview.counts(index)["firms"] == 1


def test_a_callers_transaction_is_neither_cached_nor_ended(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    conn = index.db.conn
    conn.execute("BEGIN")
    index.db.execute("UPDATE problems SET status = 'resolved'")
    assert overview.counts(index)["problems"] == 0  # its own write, not yet committed
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert overview.counts(index)["problems"] == 1


# ---------------------------------------------------------------- the persistent tier


def firm_names(db: Any) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM firm_mentions ORDER BY id")]


def restart() -> None:
    """What a new process sees: nothing memoised."""
    cache._memo.clear()


def counted(calls: list[int]) -> Any:
    def compute(db: Any) -> list[str]:
        calls.append(1)
        return firm_names(db)
    return compute


def test_a_persisted_answer_survives_a_restart_and_no_change(index: Index, tmp_path: Path) -> None:
    record(index, "a.docx", "a1", V1)
    calls: list[int] = []
    first = cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
    assert first == ["甲公司", "乙公司", "丙公司"] and len(calls) == 1
    restart()
    with Index.open(tmp_path / "saidao.db") as other:  # another connection, as a new process
        assert cache.cached(other, "names", counted(calls), cache.FIRMS, persist=True) == first
    assert len(calls) == 1  # read from the index, not recomputed
    stored = index.db.execute("SELECT name, state, code FROM cached_answers").fetchall()
    assert stored == [("names", cache._state_text(cache.data_state(index, cache.FIRMS)),
                       cache.code_version(__name__))]


def test_a_persisted_answer_is_recomputed_after_a_change_to_what_it_reads(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    calls: list[int] = []
    cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
    row = index.db.execute("SELECT id FROM firm_mentions WHERE name = '乙公司'").fetchone()[0]
    with index.db.conn:
        index.db.execute("UPDATE firm_mentions SET name = '戊公司' WHERE id = ?", [row])
    restart()
    assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True) \
        == ["甲公司", "戊公司", "丙公司"]
    assert len(calls) == 2
    # an unrelated write (a resolved problem) keeps the stored answer
    with index.db.conn:
        index.db.execute("UPDATE problems SET status = 'resolved'")
    restart()
    cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
    assert len(calls) == 2
    assert index.db.execute("SELECT count(*) FROM cached_answers").fetchone()[0] == 1


def test_an_answer_of_other_code_is_not_taken(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    record(index, "a.docx", "a1", V1)
    calls: list[int] = []
    cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
    restart()
    monkeypatch.setattr(cache, "code_version", lambda module: "a-fixed-rule")
    cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
    assert len(calls) == 2


def test_only_answers_asked_to_persist_are_stored(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    calls: list[int] = []
    cache.cached(index, "names", counted(calls), cache.FIRMS)
    overview.counts(index)
    restart()
    cache.cached(index, "names", counted(calls), cache.FIRMS)
    assert len(calls) == 2
    assert index.db.execute("SELECT count(*) FROM cached_answers").fetchone()[0] == 0


def test_a_codec_and_a_damaged_payload(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    codec = cache.Codec(lambda v: "|".join(v).encode("utf-8"),
                           lambda b: b.decode("utf-8").split("|"))
    calls: list[int] = []
    first = cache.cached(index, "names", counted(calls), cache.FIRMS, persist=codec)
    assert index.db.execute("SELECT payload FROM cached_answers").fetchone()[0] \
        == "甲公司|乙公司|丙公司".encode()
    with index.db.conn:
        index.db.execute("UPDATE cached_answers SET payload = x'00ff'")
    restart()
    assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True) == first
    assert len(calls) == 2  # not JSON: recomputed, and stored again
    restart()
    assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True) == first
    assert len(calls) == 2


def test_a_locked_index_still_answers(index: Index, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    record(index, "a.docx", "a1", V1)
    monkeypatch.setattr(cache, "STORE_WAIT_MS", 10)
    writer = connect(tmp_path / "saidao.db")
    writer.conn.execute("BEGIN IMMEDIATE")  # an import holding the write lock
    try:
        calls: list[int] = []
        assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True) \
            == ["甲公司", "乙公司", "丙公司"]
        assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True)
        assert len(calls) == 1  # memoised in process, only not stored
    finally:
        writer.conn.execute("ROLLBACK")
        writer.conn.close()
    assert index.db.execute("SELECT count(*) FROM cached_answers").fetchone()[0] == 0
    assert int(index.db.execute("PRAGMA busy_timeout").fetchone()[0]) > 10  # restored


def test_the_code_fingerprint_follows_what_an_answer_imports() -> None:
    reached = {name for name, _ in cache._source_files("saidao.index.dupes")}
    # module-level and function-level imports, at any depth
    assert {"saidao.index.dupes", "saidao.extractors.firm_name", "saidao.extractors.uscc_data",
            "saidao.corpus.zones"} <= reached
    assert "saidao.index.links" not in reached  # an edit there keeps the stored groups
    assert cache.code_version("saidao.index.dupes") != cache.code_version("saidao.index.fts")


def test_refresh_stores_the_current_answer_once(index: Index) -> None:
    record(index, "a.docx", "a1", V1)
    calls: list[int] = []
    assert cache.refresh(index, "names", counted(calls), cache.FIRMS)
    restart()
    assert not cache.refresh(index, "names", counted(calls), cache.FIRMS)
    assert len(calls) == 1
    assert cache.cached(index, "names", counted(calls), cache.FIRMS, persist=True) \
        == ["甲公司", "乙公司", "丙公司"] and len(calls) == 1
    record(index, "b.docx", "b1", declaration("赛道乙", [("戊公司", None)]))
    restart()
    assert cache.refresh(index, "names", counted(calls), cache.FIRMS) and len(calls) == 2
