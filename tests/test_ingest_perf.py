"""The import's shortcuts do the same job: incremental links, shared digests, warm workers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from saidao.index.links import compute_links
from saidao.index.store import Index
from saidao.ingest import bulk
from saidao.ingest.bulk import Options, ingest
from saidao.ingest.read import read, sha256_of
from saidao.settings import ReadSettings

ROOT = Path(__file__).resolve().parent.parent
DECL = ROOT / "tests" / "fixtures" / "declarations"
POLICIES = ROOT / "corpus" / "policies"
NO_OCR = Options(workers=1, settings=ReadSettings(ocr=False))


def _links(db: Path) -> list[tuple]:
    """Every stored link without its timestamp."""
    with Index.open(db) as index:
        return list(index.db.execute(
            "SELECT track_id, clause_id, rank, score, parts, reasons, snippet FROM track_links "
            "ORDER BY track_id, rank"
        ))


def _relinked_from_scratch(db: Path, tmp_path: Path) -> list[tuple]:
    copy = tmp_path / "scratch.db"
    shutil.copy(db, copy)
    with Index.open(copy) as index:
        index.db.execute("DELETE FROM track_links")
        compute_links(index)
    return _links(copy)


def test_incremental_links_equal_a_full_relink(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    ingest([POLICIES], db, NO_OCR)
    ingest([DECL / "decl_001.docx"], db, NO_OCR)
    ingest([DECL / "decl_002.docx", DECL / "decl_003.docx"], db, NO_OCR)
    stored = _links(db)
    assert len({row[0] for row in stored}) == 3  # every track linked
    assert stored == _relinked_from_scratch(db, tmp_path)


def test_older_tracks_are_not_relinked_when_only_declarations_come(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    ingest([POLICIES], db, NO_OCR)
    ingest([DECL / "decl_001.docx"], db, NO_OCR)
    with Index.open(db) as index:
        index.db.execute("UPDATE track_links SET computed_at = 'old'")
    ingest([DECL / "decl_002.docx"], db, NO_OCR)
    with Index.open(db) as index:
        stamps = dict(index.db.execute(
            "SELECT track_id, min(computed_at) FROM track_links GROUP BY track_id"))
    assert len(stamps) == 2  # the new track is linked ...
    assert list(stamps.values()).count("old") == 1  # ... the older one left alone


def test_a_new_policy_relinks_every_track(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    ingest([DECL / "decl_001.docx", DECL / "decl_002.docx"], db, NO_OCR)
    assert _links(db) == []  # nothing to link against yet
    ingest([POLICIES], db, NO_OCR)
    stored = _links(db)
    assert len({row[0] for row in stored}) == 2
    assert stored == _relinked_from_scratch(db, tmp_path)


def test_a_run_after_a_killed_one_relinks_everything(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    ingest([POLICIES, DECL / "decl_001.docx"], db, NO_OCR)
    with Index.open(db) as index:
        # as if killed before linking: links and their state are written together
        index.db.execute("DELETE FROM track_links")
        index.db.execute("DELETE FROM track_link_state")
        killed = index.start_run(["x"], {})  # never finished
        assert index.previous_run_interrupted(killed + 1)
    ingest([DECL / "decl_002.docx"], db, NO_OCR)
    assert len({row[0] for row in _links(db)}) == 2
    with Index.open(db) as index:
        assert not index.previous_run_interrupted(index.latest_run() + 1)


def test_read_takes_the_digest_it_is_given() -> None:
    path = DECL / "decl_002.docx"
    assert read(path).sha256 == sha256_of(path)
    assert read(path, sha256="f" * 64).sha256 == "f" * 64


def test_ocr_threads_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert bulk.ocr_threads(1) == 2
    assert bulk.ocr_threads(2) == 1
    assert bulk.ocr_threads(8) == 1
    monkeypatch.setenv("SAIDAO_OCR_THREADS", "")  # noted, so the teardown restores the original
    monkeypatch.delenv("SAIDAO_OCR_THREADS")
    bulk._init_worker(1)
    assert os.environ["SAIDAO_OCR_THREADS"] == "1"
    monkeypatch.setenv("SAIDAO_OCR_THREADS", "3")  # the user's choice wins
    bulk._init_worker(1)
    assert os.environ["SAIDAO_OCR_THREADS"] == "3"


def test_warm_loads_the_readers_and_survives_a_failing_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "_WARM_MODULES", (*bulk._WARM_MODULES, "no_such_module_here"))
    monkeypatch.setattr(bulk, "_warm_pipeline", lambda: None)  # spaCy: slow, loaded elsewhere
    bulk.warm()
    assert "saidao.ingest.readers.docx" in sys.modules
    assert "pdfplumber" in sys.modules
