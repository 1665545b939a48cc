"""Links are computed on import: every imported track has its clauses, with reasons."""

from __future__ import annotations

from pathlib import Path

from saidao.index.store import Index
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

ROOT = Path(__file__).resolve().parent.parent
DECLARATIONS = ROOT / "tests" / "fixtures" / "declarations"


def test_import_links_every_track(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    options = Options(workers=1, settings=ReadSettings(ocr=False))
    ingest([ROOT / "corpus" / "policies"], db, options)
    summary = ingest([DECLARATIONS / "decl_001.docx", DECLARATIONS / "decl_017.doc"], db, options)
    assert summary.counts["imported"] == 2
    with Index.open(db) as index:
        tracks = [row[0] for row in index.db.execute("SELECT track_id FROM tracks")]
        assert len(tracks) == 2
        for track_id in tracks:
            links = list(index.db.execute(
                "SELECT reasons FROM track_links WHERE track_id = ? ORDER BY rank", [track_id]))
            assert links, f"track {track_id} has no links"
            assert "适用范围" in links[0][0]
