"""The index's storage API: schema migrations, record outcomes, crash safety, corrections."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from functools import lru_cache
from pathlib import Path

import pytest

from saidao.corpus.policies import bundled
from saidao.index import schema
from saidao.index.db import connect, sqlite_version
from saidao.index.store import Index
from saidao.ingest.extract import extract_file

HORINGER = next(p for p in bundled() if p.seed_stem.startswith("004"))
ORDOS = next(p for p in bundled() if p.seed_stem.startswith("003"))
DECL = Path(__file__).parent / "fixtures" / "declarations" / "decl_002.docx"


@lru_cache(maxsize=8)
def _extract(path: str, kind: str | None = None) -> dict:
    return extract_file(path, kind=kind)


def _record(index: Index, run: int, path: str, result: dict, origin: str | None = None) -> str:
    return index.record(run_id=run, path=path, sha256=result["source"]["sha256"], size=1,
                        kind=result["kind"], result=result, error=None, origin=origin)


def test_wal_foreign_keys_and_current_sqlite(index: Index) -> None:
    assert index.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert index.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    major, minor = (int(x) for x in sqlite_version(index.db).split(".")[:2])
    assert (major, minor) >= (3, 45)


def test_trigram_like_with_two_characters_works_with_our_sqlite(tmp_path: Path) -> None:
    """Python 3.11's SQLite 3.40 returns no rows here; the sqlean.py build gets it right."""
    db = connect(tmp_path / "tri.db")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
    for text in ("发放算力券支持企业", "人才公寓", "算力"):
        db.execute("INSERT INTO t VALUES (?)", [text])
    rows = {r[0] for r in db.execute("SELECT x FROM t WHERE x LIKE '%算力%'").fetchall()}
    assert rows == {"发放算力券支持企业", "算力"}
    assert db.execute("SELECT x FROM t WHERE x GLOB '*公寓*'").fetchall() == [("人才公寓",)]


def test_stdlib_sqlite_is_the_one_with_the_bug() -> None:
    """Documents why sqlean is used; skipped where the interpreter's SQLite is fixed."""
    if sqlite3.sqlite_version_info >= (3, 42, 0):
        pytest.skip("this interpreter's SQLite is recent")
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
    conn.execute("INSERT INTO t VALUES ('发放算力券')")
    assert conn.execute("SELECT x FROM t WHERE x LIKE '%算力%'").fetchall() == []


def _shape(db) -> list:
    """Schema text, and every table's row count except the refreshed zone registry."""
    tables = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    counts = [(name, db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
              for kind, name, _ in tables if kind == "table" and name != "zones"]
    return [tables, counts]


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Index.open(path).close()
    first = connect(path)
    shape = _shape(first)
    assert schema.version(first) == len(schema.MIGRATIONS)
    first.close()
    Index.open(path).close()
    again = connect(path)
    assert schema.migrate(again) == len(schema.MIGRATIONS)
    assert _shape(again) == shape
    tables = {r["table_name"] for r in again.query("SELECT table_name FROM about_tables")}
    assert {"files", "clauses", "corrections", "firm_mentions"} <= tables


def test_record_outcomes(index: Index, tmp_path: Path) -> None:
    run = index.start_run(["x"], {"ocr": True})
    plan = _extract(str(HORINGER.path), "policy")
    assert index.known(plan["source"]["sha256"]) is None
    assert _record(index, run, "in/plan.txt", plan) == "imported"
    assert index.known(plan["source"]["sha256"]) == "imported"
    assert _record(index, run, "in/plan.txt", plan) == "unchanged"
    assert _record(index, run, "elsewhere/copy.txt", plan) == "unchanged"
    assert index.db["clauses"].count == len(plan["clauses"])  # stored once

    edited = tmp_path / "plan.txt"
    edited.write_text(HORINGER.text() + "\n（本方案自印发之日起施行。）\n", encoding="utf-8")
    newer = _extract(str(edited), "policy")
    assert _record(index, run, "in/plan.txt", newer) == "superseded"
    old = index.db["files"].get(plan["source"]["sha256"])
    assert old["status"] == "superseded" and old["superseded_by"] == newer["source"]["sha256"]
    assert index.db["policies"].count == 2  # both versions kept

    error = {"reason": "corrupt", "message": "文件已损坏，无法读取", "path": "in/bad.pdf"}
    outcome = index.record(run_id=run, path="in/bad.pdf", sha256="ab" * 32, size=3,
                           kind=None, result=None, error=error)
    assert outcome == "failed"
    assert index.known("ab" * 32) == "failed"
    bad = index.db["files"].get("ab" * 32)
    assert (bad["status"], bad["reason"]) == ("failed", "corrupt")

    index.finish_run(run, {"files": 5})
    rows = index.report()
    assert [r["outcome"] for r in rows] == [
        "imported", "unchanged", "unchanged", "superseded", "failed"]
    assert rows[-1]["reason"] == "corrupt"


def test_same_origin_supersedes(index: Index, tmp_path: Path) -> None:
    run = index.start_run([], {})
    plan = _extract(str(HORINGER.path), "policy")
    other = _extract(str(ORDOS.path), "policy")
    assert _record(index, run, "/tmp/a/x.txt", plan, origin="batch.zip!x.txt") == "imported"
    assert _record(index, run, "/tmp/b/x.txt", other, origin="batch.zip!x.txt") == "superseded"
    assert index.known(plan["source"]["sha256"]) == "imported"  # bytes seen, kept


def test_declaration_rows(index: Index) -> None:
    run = index.start_run([], {})
    result = _extract(str(DECL))
    assert _record(index, run, str(DECL), result) == "imported"
    track = next(index.db.query("SELECT * FROM tracks"))
    assert track["track_name"] == result["track_name"]
    firms = list(index.db.query("SELECT * FROM firm_mentions ORDER BY seq"))
    assert [f["name"] for f in firms] == [f["name"] for f in result["firms"]]
    assert all(f["name_key"] for f in firms)
    assert index.db["platforms"].count == len(result["platforms"])


def test_correction_keeps_raw_value(index: Index) -> None:
    run = index.start_run([], {})
    result = _extract(str(DECL))
    _record(index, run, str(DECL), result)
    firm = next(index.db.query("SELECT id, uscc FROM firm_mentions ORDER BY seq"))
    index.correct("firm_mentions", firm["id"], "uscc", "91150000000000000X", by="王科员",
                  note="按营业执照更正")
    assert index.db["firm_mentions"].get(firm["id"])["uscc"] == firm["uscc"]
    fix = next(index.db.query("SELECT * FROM corrections"))
    assert (fix["raw_value"], fix["corrected_value"]) == (firm["uscc"], "91150000000000000X")
    assert index.value("firm_mentions", firm["id"], "uscc") == "91150000000000000X"


_KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from saidao.index import fts
    from saidao.index.store import Index
    from saidao.ingest.extract import extract_file
    result = extract_file(sys.argv[2], kind="policy")
    index = Index.open(sys.argv[1])
    run = index.start_run([], {})
    calls = []
    original = fts.index_clause
    def dying(*args):
        calls.append(1)
        if len(calls) == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args)
    fts.index_clause = dying
    index.record(run_id=run, path="p.txt", sha256=result["source"]["sha256"], size=1,
                 kind="policy", result=result, error=None)
""")


def test_sigkill_mid_file_leaves_nothing_half_written(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    proc = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(db), str(HORINGER.path)],
                          capture_output=True, env={**os.environ}, timeout=120)
    assert proc.returncode == -9
    index = Index.open(db)
    assert index.db["files"].count == 0
    assert index.db["clauses"].count == 0
    assert index.db.execute("SELECT count(*) FROM clauses_fts").fetchone()[0] == 0
    assert index.db["import_runs"].count == 1  # the run row was committed before the file
