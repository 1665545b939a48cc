"""Per-page progress: a run reports each page read, in order, before the file is done —
from worker processes (through the page pipe) and in-process — and the web job's JSON
counts those pages; progress never fails an import.

Fixtures: born-digital multi-page declarations of ``tests/fixtures/declarations``
(decl_023.pdf, 6 pages; decl_028.pdf, 4 pages): the readers report text pages too,
so the test needs no OCR.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from saidao.ingest import pageprogress
from saidao.ingest.bulk import FileOutcome, Options, ingest
from saidao.settings import ReadSettings
from saidao.web.imports import Job

DECL = Path(__file__).parent / "fixtures" / "declarations"
PAGES = {"decl_023.pdf": 6, "decl_028.pdf": 4}
NO_OCR = Options(workers=2, settings=ReadSettings(ocr=False))


class Recording:
    """A ``Progress`` that keeps every event in the order it came."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def grow(self, n: int) -> None:
        self.events.append(("grow", n))

    def page(self, display: str, done: int, total: int) -> None:
        self.events.append(("page", Path(display).name, done, total))

    def done(self, outcome: FileOutcome) -> None:
        self.events.append(("done", Path(outcome.path).name, outcome.outcome))


def _check_pages_before_done(events: list[tuple[Any, ...]], names: list[str]) -> None:
    """Each file: pages 1..n of n in order, all before its ``done``, which says imported."""
    for name in names:
        mine = [e for e in events if e[1:2] == (name,)]
        n = PAGES[name]
        assert mine == [("page", name, i, n) for i in range(1, n + 1)] + [("done", name, "imported")]


def test_pages_reported_from_worker_processes(tmp_path: Path) -> None:
    progress = Recording()
    files = [DECL / name for name in PAGES]
    summary = ingest(files, tmp_path / "s.db", NO_OCR, progress)
    assert summary.counts["imported"] == 2
    _check_pages_before_done(progress.events, list(PAGES))


def test_pages_reported_in_process(tmp_path: Path) -> None:
    progress = Recording()
    ingest([DECL / "decl_023.pdf"], tmp_path / "s.db", NO_OCR, progress)  # one file: no workers
    _check_pages_before_done(progress.events, ["decl_023.pdf"])
    assert pageprogress._callback is None  # the listener is removed after the run


def test_a_progress_without_page_still_imports(tmp_path: Path) -> None:
    class FilesOnly:
        def __init__(self) -> None:
            self.done_files: list[str] = []

        def grow(self, n: int) -> None:
            pass

        def done(self, outcome: FileOutcome) -> None:
            self.done_files.append(outcome.outcome)

    progress = FilesOnly()
    ingest([DECL / name for name in PAGES], tmp_path / "s.db", NO_OCR, progress)
    assert progress.done_files == ["imported", "imported"]


def test_a_failing_listener_never_fails_the_reader() -> None:
    def broken(display: str, done: int, total: int) -> None:
        raise RuntimeError("listener bug")

    heard: list[tuple[str, int, int]] = []
    previous = pageprogress.install(broken)
    try:
        pageprogress.page_done(1, 2)  # must not raise
        pageprogress.install(lambda *event: heard.append(event))
        with pageprogress.reading("a.pdf"):
            pageprogress.page_done(1, 2)
        pageprogress.page_done(2, 2)
    finally:
        pageprogress.install(previous)
    assert heard == [("a.pdf", 1, 2), ("", 2, 2)]


def test_a_full_pipe_drops_events_instead_of_blocking() -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    send = pageprogress.sender(writer)
    for i in range(50_000):  # far more than a pipe holds, nobody draining: must not block
        send("申报/扫描件.pdf", i, 50_000)
    heard: list[tuple[str, int, int]] = []
    pageprogress.drain(reader, lambda *event: heard.append(event))
    assert 0 < len(heard) < 50_000  # the pipe filled; the rest were dropped
    assert heard[:3] == [("申报/扫描件.pdf", i, 50_000) for i in range(3)]
    send("x" * 10_000, 1, 1)  # too long for one atomic write: dropped, not split
    reader.close()
    send("a.pdf", 1, 1)  # the reading end is gone (a dead parent): dropped quietly
    writer.close()


def test_web_job_json_counts_pages_as_they_are_read(tmp_path: Path) -> None:
    job = Job("j", [], "李")
    job.state = "running"
    files = [DECL / name for name in PAGES]
    job.pages = {str(f.absolute()): 1 for f in files}  # estimates; the readers count better
    seen: list[dict[str, Any]] = []

    class Watching(Recording):
        def page(self, display: str, done: int, total: int) -> None:
            job.page(display, done, total)
            seen.append(job.to_dict({}))

        def done(self, outcome: FileOutcome) -> None:
            job.done(outcome)
            seen.append(job.to_dict({}))

    ingest(files, tmp_path / "s.db", NO_OCR, Watching())
    done_counts = [s["pages_done"] for s in seen]
    assert done_counts == sorted(done_counts)  # never goes back
    assert done_counts[-1] == seen[-1]["pages_total"] == sum(PAGES.values())
    # moved page by page, before any file was finished
    first_done = next(i for i, s in enumerate(seen) if s["done"])
    assert done_counts[:first_done][-1] >= min(PAGES.values()) and first_done >= 4
    assert any(s["eta"] for s in seen[:-1])  # an estimate from the rate observed


def test_web_upload_json_ends_with_every_page_read(tmp_path: Path) -> None:
    import time

    from starlette.testclient import TestClient

    from saidao.web import create_app
    from saidao.web.security import CSRF_COOKIE

    c = TestClient(create_app(tmp_path / "s.db"), raise_server_exceptions=True)
    c.get("/")
    files = [("files", (name, (DECL / name).read_bytes(), "application/pdf")) for name in PAGES]
    r = c.post("/import", data={"csrf": c.cookies[CSRF_COOKIE], "user": "李导入"}, files=files,
               follow_redirects=False)
    assert r.status_code == 303, r.text
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = c.get(r.headers["location"] + ".json").json()
        seen.append(state["pages_done"])
        if state["state"] in ("done", "error"):
            break
        time.sleep(0.2)
    assert state["state"] == "done"
    assert seen == sorted(seen) and state["pages_done"] == state["pages_total"] == 10
