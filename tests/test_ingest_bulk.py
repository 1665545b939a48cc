"""``saidao ingest`` end to end on real fixtures: every file accounted for, nothing twice."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saidao.cli import app
from saidao.ingest.bulk import Options, WorkerPool, ingest
from saidao.settings import ReadSettings

FIXTURES = Path(__file__).parent / "fixtures"
DECL = FIXTURES / "declarations"
POLICIES = FIXTURES / "policies"
BAD = FIXTURES / "bad"
NO_OCR = Options(workers=2, settings=ReadSettings(ocr=False))

GOOD = ["decl_001.docx", "decl_002.docx", "decl_015.doc", "decl_024.pdf", "decl_044.png"]
BAD_REASONS = {
    "bomb.docx": "zip_bomb",
    "corrupt.docx": "corrupt",
    "corrupt.pdf": "corrupt",
    "empty.docx": "empty",
    "encrypted.pdf": "encrypted",
    "unknown.xyz": "unknown_format",
    "fake.pdf": "corrupt",
    "pages600.pdf": "too_many_pages",
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of good files of every format, the bad samples and one duplicate."""
    root = tmp_path_factory.mktemp("mixed")
    (root / "good").mkdir()
    (root / "bad").mkdir()
    (root / "dup").mkdir()
    for name in GOOD:
        shutil.copy(DECL / name, root / "good" / name)
    for name in BAD_REASONS:
        shutil.copy(BAD / name, root / "bad" / name)
    shutil.copy(DECL / "decl_001.docx", root / "dup" / "copy of decl_001.docx")
    (root / ".hidden.docx").write_bytes(b"never looked at")
    return root


def _runner_json(args: list[str]) -> tuple[int, dict]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def test_mixed_folder_counts_reasons_and_rerun(mixed: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    code, first = _runner_json(["ingest", str(mixed), "--db", str(db), "--no-ocr",
                                "--workers", "2", "--json"])
    assert code == 1  # some inputs failed
    # the photo waits for OCR (--no-ocr); the copy names the file it copies
    assert first["counts"] == {"imported": 4, "unchanged": 0, "superseded": 0, "failed": 8,
                               "skipped": 0, "pending_ocr": 1, "duplicate": 1, "reread": 0}
    assert first["total"] == 14  # the hidden file is skipped, everything else accounted for
    by_name = {Path(f["path"]).name: f for f in first["files"]}
    for name, reason in BAD_REASONS.items():
        assert by_name[name]["outcome"] == "failed"
        assert by_name[name]["reason"] == reason, name
        assert by_name[name]["message"]
    kinds = {by_name[n]["kind"] for n in GOOD if by_name[n]["outcome"] == "imported"}
    assert "declaration" in kinds
    assert first["failed_by_reason"] == {"corrupt": 3, "empty": 1, "encrypted": 1,
                                         "too_many_pages": 1, "unknown_format": 1, "zip_bomb": 1}
    assert by_name["decl_024.pdf"]["pages"] > 1

    code, second = _runner_json(["ingest", str(mixed), "--db", str(db), "--no-ocr", "--json"])
    assert code == 1
    assert second["counts"] == {"imported": 0, "unchanged": 5, "superseded": 0, "failed": 8,
                                "skipped": 0, "pending_ocr": 1, "duplicate": 0, "reread": 0}
    # known bytes are not read again; the photo still waiting for OCR is
    assert all(f["pages"] == 0 for f in second["files"] if f["outcome"] != "pending_ocr")

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 13  # distinct bytes
        assert conn.execute("SELECT count(*) FROM import_runs WHERE finished_at IS NOT NULL"
                            ).fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] >= 3


def test_dry_run_writes_nothing_and_predicts(mixed: Path, tmp_path: Path) -> None:
    db = tmp_path / "dry.db"
    code, plan = _runner_json(["ingest", str(mixed / "good"), str(mixed / "bad" / "unknown.xyz"),
                               "--db", str(db), "--dry-run", "--json"])
    assert not db.exists()
    assert plan["dry_run"] is True
    assert plan["counts"]["new"] == 5
    assert plan["counts"]["unsupported"] == 1
    assert code == 1


def test_changed_file_at_same_path_supersedes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "通知.txt"
    target.write_text("关于开展新赛道申报工作的通知\n第一版正文。\n", encoding="utf-8")
    db = tmp_path / "s.db"
    first = ingest([folder], db, NO_OCR)
    assert first.counts["imported"] == 1
    target.write_text("关于开展新赛道申报工作的通知\n第二版正文，内容有修改。\n", encoding="utf-8")
    second = ingest([folder], db, NO_OCR)
    assert second.counts["superseded"] == 1
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT status, count(*) FROM files GROUP BY status"))
    assert rows == {"imported": 1, "superseded": 1}  # both versions kept


def _boom(path: str, display: str, *rest: object) -> dict:
    """A stand-in worker whose native library segfaults on one file."""
    import os
    import signal

    if display.endswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    return {"result": None, "error": None, "kind": "other", "pages": 1, "ocr_pages": 0}


def test_worker_crash_costs_only_that_file() -> None:
    jobs = [(f"f{i}", ("p", f"f{i}")) for i in range(6)] + [("bad", ("p", "crash"))]
    jobs += [(f"g{i}", ("p", f"g{i}")) for i in range(5)]
    with WorkerPool(2, timeout=30, run=_boom) as pool:
        results = dict(pool.results(iter(jobs)))
    assert len(results) == 12
    assert results["bad"]["error"]["reason"] == "worker_crashed"
    assert all(results[k]["error"] is None for k in results if k != "bad")


def _sleepy(path: str, display: str, *rest: object) -> dict:
    """A stand-in worker stuck where the in-worker alarm cannot reach it."""
    import time

    if display == "hang":
        import signal

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return {"result": None, "error": None, "kind": "other", "pages": 1, "ocr_pages": 0}


def test_hung_worker_is_stopped_and_reported() -> None:
    jobs = [("a", ("p", "a")), ("hang", ("p", "hang")), ("b", ("p", "b")), ("c", ("p", "c"))]
    pool = WorkerPool(2, timeout=0.5, run=_sleepy)
    pool.watchdog = 2.0
    with pool:
        results = dict(pool.results(iter(jobs)))
    assert results["hang"]["error"]["reason"] == "timeout"
    assert {k for k, v in results.items() if v["error"] is None} == {"a", "b", "c"}


def test_kind_forced_and_human_summary(tmp_path: Path) -> None:
    shutil.copy(DECL / "decl_002.docx", tmp_path / "a.docx")
    (tmp_path / "b.xyz").write_bytes(bytes(range(256)) * 4)
    db = tmp_path / "k.db"
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "a.docx"), str(tmp_path / "b.xyz"),
                                      "--db", str(db), "--kind", "policy", "--workers", "1"])
    assert result.exit_code == 1
    for label in ("导入汇总", "导入", "未变", "已更新", "失败", "失败原因", "不支持的文件格式",
                  "按政策文件导入，但文件是填写好的申报表"):
        assert label in result.stdout
    with sqlite3.connect(db) as conn:  # a filled form forced as a policy is refused
        kinds = dict(conn.execute("SELECT path, kind FROM files WHERE status = 'imported'"))
    assert kinds == {}
    shutil.copy(POLICIES / "001_e594227e6f39871e.docx", tmp_path / "c.docx")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "c.docx"), "--db", str(db),
                                      "--kind", "policy", "--workers", "1"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        kinds = dict(conn.execute("SELECT path, kind FROM files WHERE status = 'imported'"))
    assert list(kinds.values()) == ["policy"]


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--kind", "memo"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--db", str(tmp_path / "no" / "x.db")])
    assert result.exit_code == 2
    assert not (tmp_path / "no").exists()


def test_demo_inputs_are_policies_and_declarations() -> None:
    from saidao.cli_ingest import demo_inputs

    inputs = demo_inputs(Path(__file__).parent.parent)
    assert sum(p.suffix == ".txt" for p in inputs) == 5  # the bundled policies
    assert not any(p.name.endswith(".json") or p.name == "README.md" for p in inputs)
    assert len(inputs) == 5 + len(list(DECL.glob("decl_*.gold.json")))


def _pid(path: str, display: str, *rest: object) -> dict:
    import os

    return {"result": None, "error": None, "kind": "other", "pages": os.getpid(), "ocr_pages": 0}


def test_pool_recycles_workers_without_losing_files() -> None:
    jobs = [(i, ("p", str(i))) for i in range(11)]
    pool = WorkerPool(2, timeout=30, run=_pid)
    pool.recycle_after = 4
    with pool:
        results = dict(pool.results(iter(jobs)))
    assert sorted(results) == list(range(11))
    assert len({r["pages"] for r in results.values()}) >= 3  # fresh processes after each 4


def test_demo_tables_show_each_clause_under_its_ancestors(tmp_path: Path) -> None:
    """The demo's zone table names 三（十）, not just 三: a number alone repeats across a document."""
    from rich.console import Console

    from saidao.cli_ingest import _show_zone
    from saidao.index.search import clauses_for_zone
    from saidao.index.store import Index

    policies = sorted((Path(__file__).parent.parent / "corpus" / "policies").glob("*.txt"))
    ingest(policies, tmp_path / "d.db", Options(workers=1))
    with Index.open(tmp_path / "d.db") as index:
        found = clauses_for_zone(index, "鄂尔多斯高新区")
    console = Console(record=True, width=200)
    _show_zone(console, found, "鄂尔多斯高新区", limit=400)
    shown = console.export_text()
    assert "三（十）" in shown and "第七章第三节3" in shown
