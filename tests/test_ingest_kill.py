"""Killing ``saidao ingest`` with SIGKILL at any moment loses nothing and imports nothing twice."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from saidao.ingest.bulk import Options, ingest
from saidao.ingest.read import sha256_of
from saidao.settings import ReadSettings

DECL = Path(__file__).parent / "fixtures" / "declarations"
FILES = [f"decl_{i:03d}.docx" for i in range(1, 15)]
COPIES = 6  # re-packed copies with unique bytes: 20 files, all quick to read
CLI = "from saidao.cli import main; main()"


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def _unique_copy(source: Path, target: Path, n: int) -> None:
    """The same document in a package with one extra, unreferenced part (new bytes)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr(f"customXml/copy{n}.xml", f"<copy n='{n}'/>")


def _logged(db: Path) -> int:
    try:
        return _count(db, "SELECT count(*) FROM import_log")
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0


def _firms_by_file(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT d.file_sha256, count(f.id) FROM declarations d "
            "JOIN tracks t ON t.declaration_id = d.declaration_id "
            "LEFT JOIN firm_mentions f ON f.track_id = t.track_id GROUP BY d.file_sha256"
        ).fetchall()
    return dict(rows)


def _kill_mid_run(folder: Path, db: Path) -> None:
    """Start an import, SIGKILL its whole process group once a few files are in."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "ingest", str(folder), "--db", str(db), "--no-ocr",
         "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while _logged(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, as the OOM killer would
    proc.wait()


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_the_job(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in FILES:
        shutil.copy(DECL / name, folder / name)
    for n in range(COPIES):
        _unique_copy(DECL / FILES[n], folder / f"copy_{n}.docx", n)
    names = sorted(p.name for p in folder.iterdir())
    db = tmp_path / "killed.db"
    _kill_mid_run(folder, db)
    interrupted = _count(db, "SELECT count(*) FROM files")
    assert 0 < interrupted < len(names), "the run was not interrupted mid-way"

    ingest([folder], db, Options(workers=2, settings=ReadSettings(ocr=False)))
    clean = tmp_path / "clean.db"
    ingest([folder], clean, Options(workers=2, settings=ReadSettings(ocr=False)))

    assert _count(db, "PRAGMA integrity_check") == "ok"
    shas = {sha256_of(folder / name) for name in names}
    assert len(shas) == 20
    with sqlite3.connect(db) as conn:
        stored = [r[0] for r in conn.execute("SELECT sha256 FROM files")]
        imported_twice = conn.execute(
            "SELECT count(*) FROM (SELECT sha256 FROM import_log WHERE outcome = 'imported' "
            "GROUP BY sha256 HAVING count(*) > 1)"
        ).fetchone()[0]
    assert sorted(stored) == sorted(shas)  # each file exactly once
    assert imported_twice == 0
    for table in ("files", "declarations", "tracks", "firm_mentions", "platforms", "problems"):
        sql = f"SELECT count(*) FROM {table}"
        assert _count(db, sql) == _count(clean, sql), table
    firms = _firms_by_file(db)
    assert firms == _firms_by_file(clean)
    assert all(n > 0 for n in firms.values())  # no declaration without its firm rows
