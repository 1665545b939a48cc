"""A long scan's pages spread over the local pool's workers (issue 12): which files are
spread, and the document read from page jobs is the one a whole-file read gives."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from index_snapshot import without_timings

from saidao.ingest import bulk, spread
from saidao.ingest.bulk import Options, WorkerPool, in_process, work, work_with_pages
from saidao.ingest.read import sha256_of
from saidao.settings import ReadSettings

DECL = Path(__file__).parent / "fixtures" / "declarations"
SCAN = DECL / "decl_038.pdf"  # three scanned pages, no text layer
DIGITAL = DECL / "decl_023.pdf"  # born-digital, a text layer on every page
DOCX = DECL / "decl_002.docx"


def _args(path: Path) -> tuple:
    return (str(path), str(path), None, ReadSettings(), 600.0, sha256_of(path))


def test_only_the_ocr_pages_of_a_pdf_are_planned_for_page_jobs(tmp_path: Path) -> None:
    assert spread.plan(str(SCAN), ReadSettings()) == (3, [0, 1, 2])
    assert spread.plan(str(SCAN), ReadSettings(ocr=False))[1] == []  # nothing to OCR: read whole
    assert spread.plan(str(DIGITAL), ReadSettings())[1] == []  # text layers are read where they are
    assert spread.plan(str(DOCX), ReadSettings())[1] == []
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(SCAN.read_bytes()[:2000])  # the whole read reports it, not the plan
    assert spread.plan(str(broken), ReadSettings())[1] == []
    assert spread.plan(str(SCAN), ReadSettings(max_pages=2))[1] == []  # too many pages: read reports


def test_one_long_scan_gets_the_workers_and_any_other_single_file_is_read_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "idle_cores", lambda: 2.0)  # a quiet machine
    assert not in_process([SCAN], Options(workers=2))  # its pages are shared out
    assert in_process([SCAN], Options(workers=1))  # one worker: nothing to share
    assert in_process([SCAN], Options(workers=2, settings=ReadSettings(ocr=False)))
    assert in_process([DIGITAL], Options(workers=2))
    assert in_process([DOCX], Options(workers=2))
    monkeypatch.setattr(bulk, "idle_cores", lambda: 0.3)  # no core to spare: a second worker
    assert in_process([SCAN], Options(workers=2))  # would only add its start-up


def test_pages_given_by_page_jobs_give_the_whole_file_read() -> None:
    """Born-digital pages through the same join (fast): some given, one lost (None) and read again."""
    args = _args(DIGITAL)
    whole = work(*args)
    path, _, _, settings, timeout, sha256 = args
    parts = [spread.read_part(path, sha256, settings, [0], timeout), None]
    joined = work_with_pages(*args, parts)
    assert joined["error"] is None
    assert without_timings(joined["result"]) == without_timings(whole["result"])


def _forced_spread(path: str, display: str, kind: object, settings: ReadSettings, timeout: float,
                   sha256: str, spread: bool = False) -> dict:
    """A worker that spreads every file over two page jobs (one of a page that does not exist)."""
    if spread:
        return {"spread": [0, 99], "pages": 2}
    return work(path, display, kind, settings, timeout, sha256)


def test_the_pool_reads_a_spread_file_once_with_its_pages_joined() -> None:
    args = _args(DIGITAL)
    pages: list[tuple[str, int, int]] = []
    pool = WorkerPool(2, timeout=60, run=_forced_spread, spread=True,
                      on_page=lambda *event: pages.append(event))
    with pool:
        [(key, payload)] = list(pool.results(iter([("digital", args)])))
    assert key == "digital" and payload["error"] is None
    assert pool.page_jobs == 2  # page 99 failed in its job: the file read it (and found none)
    assert without_timings(payload["result"]) == without_timings(work(*args)["result"])
    # counted by the parent as the page jobs came back, never backwards, the last before the file
    assert [(d, n) for _, d, n in pages] == [(1, 2), (2, 2), (2, 2)]
    assert {display for display, _, _ in pages} == {str(DIGITAL)}


def _crash_on_join(path: str, display: str, kind: object, settings: ReadSettings, timeout: float,
                   sha256: str, parts: object) -> dict:
    """The file's own read after its page jobs segfaults: the file is blamed, not a page job."""
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


def test_a_spread_file_that_kills_its_worker_is_reported_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from saidao.ingest import bulk

    monkeypatch.setattr(bulk, "work_with_pages", _crash_on_join)
    ok = ("ok", ("p", "ok"))
    with WorkerPool(2, timeout=30, run=_ok_or_spread, spread=True) as pool:
        results = dict(pool.results(iter([("bad", _args(DIGITAL)), ok])))
    assert results["ok"]["error"] is None
    assert results["bad"]["error"]["reason"] == "worker_crashed"


def _ok_or_spread(path: str, display: str, *rest: object, spread: bool = False) -> dict:
    if display == "ok":
        return {"result": None, "error": None, "kind": "other", "pages": 1, "ocr_pages": 0}
    return {"spread": [0, 1]} if spread else {}


@pytest.mark.slow  # OCR of three pages, twice
def test_a_scan_spread_over_two_workers_is_the_whole_file_read() -> None:
    args = _args(SCAN)
    pool = WorkerPool(2, timeout=600, spread=True)
    with pool:
        [(_, payload)] = list(pool.results(iter([("scan", args)])))
    assert payload["error"] is None and payload["ocr_pages"] == 3
    assert pool.page_jobs == 3
    assert without_timings(payload["result"]) == without_timings(work(*args)["result"])


def test_idle_cores_sees_a_core_that_is_busy_now() -> None:
    """A process spinning now takes a core from the count at once (the load average
    would count it only after a minute, and a job that ended would still count)."""
    import multiprocessing
    import os

    from saidao.ingest.cores import idle_cores

    ctx = multiprocessing.get_context("fork")
    spinning = ctx.Process(target=_spin, daemon=True)
    spinning.start()
    try:
        busy = idle_cores(sample=0.3)
    finally:
        spinning.kill()
        spinning.join()
    assert 0.0 <= busy <= (os.cpu_count() or 1) - 0.6


def _spin() -> None:
    while True:
        pass
