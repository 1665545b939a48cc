"""Fixtures shared by the test modules.

- ``index``: a fresh, empty index in the test's temporary folder (``saidao.db``),
  closed after the test (it was written three times, in test_index_store,
  test_recheck and test_overview).
- ``index_of_tracks``: builds an index file whose declarations hold the firm
  tables given (one declaration per table), for tests of duplicate groups,
  exports and views that need firm rows but no document.
- ``firm_table``: the extraction result of such a declaration, as the index
  stores it (a plain function, also importable as ``conftest.firm_table``).
- ``record_files``: files extracted and recorded in one import run (a plain function,
  importable as ``conftest.record_files``; test_index_search and test_search_ranking
  each wrote it).
- ``web_index``: the web and review tests' index (``browser.webdata.build_index``),
  built once per run; each test works on a private copy (it was built twice, in
  test_web_app and test_review).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from saidao.index.store import Index

Firms = Sequence[tuple[str, str | None]]

#: Scripts that build the fixture files: not test modules (``--doctest-modules`` would
#: import them, and they run their generators at import).
collect_ignore_glob = ["fixtures/*"]


def firm_table(track: str, firms: Firms) -> dict:
    """An extraction result with a firm table (name, code as printed and read)."""
    return {"kind": "declaration", "track_name": track, "zone": {"id": None},
            "track": {"direction": "新兴产业延伸"},
            "firms": [{"seq": i, "name": name, "uscc": code, "uscc_printed": code}
                      for i, (name, code) in enumerate(firms, start=1)], "problems": []}


@pytest.fixture()
def index(tmp_path: Path) -> Iterator[Index]:
    with Index.open(tmp_path / "saidao.db") as opened:
        yield opened


@pytest.fixture()
def index_of_tracks(tmp_path: Path) -> Callable[[Sequence[Firms]], Path]:
    """``build([[(name, code), …], …])`` → the path of an index with one track per table
    (``赛道0``, ``赛道1`` …, files ``0.docx`` …); call it once per test."""

    def build(tables: Sequence[Firms]) -> Path:
        path = tmp_path / "tracks.db"
        with Index.open(path) as opened:
            for n, firms in enumerate(tables):
                run = opened.start_run([f"{n}.docx"], {})
                opened.record(run_id=run, path=f"{n}.docx", sha256=f"{n}".ljust(64, "0"), size=1,
                              kind="declaration", result=firm_table(f"赛道{n}", firms), error=None)
        return path

    return build


@pytest.fixture(scope="session")
def web_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from browser.webdata import build_index

    root = tmp_path_factory.mktemp("webidx")
    return build_index(root / "saidao.db", root / "files")


def record_files(ix: Index, files: Sequence[tuple[Path, str | None]]) -> None:
    """Read and extract each ``(path, kind)`` (kind None: as classified) and record it in
    one import run of ``ix``, as an import does."""
    from saidao.ingest.extract import extract_file

    run = ix.start_run([], {})
    for path, kind in files:
        result = extract_file(path, kind=kind)
        ix.record(run_id=run, path=str(path), sha256=result["source"]["sha256"],
                  size=Path(path).stat().st_size, kind=kind or result["kind"], result=result,
                  error=None)
    ix.finish_run(run, {})
