"""Bulk import: files, folders and .zip archives into the index, every file accounted for.

The shape of a run:

1. *discover* — folders are walked (sorted, hidden files skipped); archives
   are expanded lazily into the run's own temporary folder, members named
   ``batch.zip!dir/file.docx`` in ``origin``;
2. *identify* — each file is its SHA-256: bytes the index already holds are
   "unchanged" without being read; bytes that failed before are read again
   (a fixed reader may read them now); a second copy within the run waits
   for the first and is never read twice;
3. *read + extract* in worker processes, at most ``2 × workers`` files in
   flight so memory stays flat over thousands of files; a worker that
   crashes (a native library's segfault) or hangs is recorded as that file's
   failure, the pool is rebuilt and the run goes on;
4. *record* — only this (parent) process writes, one transaction per file
   (``Index.record``), so a killed run loses at most the files in flight and
   the next run finishes the job without importing anything twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import resource
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from saidao.errors import SaidaoError
from saidao.ingest import deadline, lifetime, pageprogress
from saidao.ingest.archive import SEP, expand, is_archive
from saidao.ingest.cores import idle_cores
from saidao.ingest.detect import sniff
from saidao.ingest.limits import limit_worker_memory
from saidao.ingest.read import sha256_of
from saidao.ingest.spread import plan as spread_plan
from saidao.ingest.spread import read_part
from saidao.ingest.walk import Found, os_error, walk_inputs
from saidao.names import is_clean, readable
from saidao.settings import DEFAULT, ReadSettings
from saidao.vocab import DRY_OUTCOME_LABELS, OUTCOME_LABELS

if TYPE_CHECKING:  # the index (and SQLite) is opened by the parent only, never in workers
    from saidao.index.store import Index

#: Outcomes a file can have in a run (the index's words), and their Chinese names;
#: what a dry run says would happen to each file (``saidao.vocab``).
OUTCOMES_ZH = OUTCOME_LABELS
DRY_OUTCOMES_ZH = DRY_OUTCOME_LABELS
#: A worker gets this long per file before it is stopped (seconds).
DEFAULT_TIMEOUT = 600.0
#: Replace the pool's workers after this many files each: native libraries leak.
#: (Done by draining and rebuilding the pool: ``max_tasks_per_child`` deadlocks
#: on Python 3.11–3.13 once a worker retires with work queued, gh-115634.)
FILES_PER_WORKER = 200


@dataclass(frozen=True, slots=True)
class Options:
    """How to run an import (explicit knobs, like ``ReadSettings``)."""

    workers: int = 0  # 0: os.cpu_count()
    kind: str | None = None  # force declaration|policy; None: by content
    settings: ReadSettings = DEFAULT
    timeout: float = DEFAULT_TIMEOUT
    dry_run: bool = False
    ray: str | None = None  # read on a Ray cluster: "local", "auto", "host:port", "ray://…"
    ray_shared_path: bool = False  # the cluster sees the files at the same paths
    reread: bool = False  # read files already imported again with today's readers
    follow_symlinks: bool = False  # follow links that point outside the folders imported

    @property
    def n_workers(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


@dataclass(slots=True)
class Source:
    """One file to import: where its bytes are now and the name reports give it."""

    path: Path | None  # bytes on disk (a temporary copy for archive members)
    display: str  # the path as staff know it; "a.zip!x.docx" for members
    origin: str | None = None  # set for archive members
    temp: bool = False  # delete the copy once recorded
    error: SaidaoError | None = None  # refused before reading (e.g. a bad archive)
    sha256: str = ""
    size: int = 0


@dataclass(slots=True)
class FileOutcome:
    """What happened to one file (one row of the report and of ``--json``)."""

    path: str
    origin: str | None
    sha256: str
    size: int
    outcome: str
    kind: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    reason: str | None = None
    message: str | None = None  # the Chinese message, path included
    detail: str | None = None  # what exactly was wrong (e.g. the unsafe member name)
    copy_of: str | None = None  # the file these bytes were first seen as (a copy)


@dataclass
class RunSummary:
    """The counts of a run and every file's outcome."""

    run_id: int | None
    dry_run: bool = False
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    worker_peak_kib: int = 0  # the largest peak RSS any worker reported
    codes_settled: int = 0  # credit codes settled after the run by evidence elsewhere in the index
    codes_revised: int = 0  # automatic repairs the evidence contradicted (left open for a person)

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.outcome for f in self.files)

    @property
    def failed_by_reason(self) -> Counter[str]:
        return Counter(f.reason or "?" for f in self.files if f.outcome in ("failed", "unsupported"))

    @property
    def failed(self) -> int:
        return sum(1 for f in self.files if f.outcome in ("failed", "unsupported"))

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files)

    @property
    def ocr_pages(self) -> int:
        return sum(f.ocr_pages for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        names = DRY_OUTCOMES_ZH if self.dry_run else OUTCOMES_ZH
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "counts": {k: self.counts.get(k, 0) for k in names},
            "failed_by_reason": dict(sorted(self.failed_by_reason.items())),
            "total": len(self.files),
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "seconds": round(self.seconds, 2),
            "worker_peak_mib": round(self.worker_peak_kib / 1024, 1),
            "codes_settled": self.codes_settled,
            "codes_revised": self.codes_revised,
            "files": [asdict(f) for f in self.files],
        }


class Progress(Protocol):
    """Where a run reports as it goes (the CLI draws a progress bar)."""

    def grow(self, n: int) -> None:
        """``n`` more files were found (archive members)."""

    def done(self, outcome: FileOutcome) -> None:
        """One file is finished."""

    # Optional: ``page(display, done, total)`` — page ``done`` of ``total`` of the file
    # ``display`` was read (``saidao.ingest.pageprogress``); always before that file's
    # ``done``. Local workers and in-process runs report pages; a Ray run reports files only.


def _page_listener(progress: Progress) -> pageprogress.PageCallback | None:
    """The progress's optional ``page`` method, if it has one."""
    return getattr(progress, "page", None)


class _NoProgress:
    def grow(self, n: int) -> None:
        pass

    def done(self, outcome: FileOutcome) -> None:
        pass


# --------------------------------------------------------------------------- discover


def discover(paths: Iterable[str | Path], follow_symlinks: bool = False) -> list[Found]:
    """Every path named or met under the folders given, in a stable order, each with
    its error when it cannot be read (``saidao.ingest.walk``)."""
    return walk_inputs(paths, follow_symlinks)


def sources(
    files: Iterable[Path | Found], workdir: Path, settings: ReadSettings,
    grow: Callable[[int], None],
) -> Iterator[Source]:
    """Files as they come; archives replaced by their members (extracted lazily)."""
    for entry in files:
        found = entry if isinstance(entry, Found) else Found(Path(entry))
        path = found.path
        # one name per file whatever the working folder; GBK bytes shown decoded
        display = readable(str(path.absolute()))
        if found.error is not None:  # never hashed: a link's target outside is not ours to read
            yield Source(path, display, error=found.error, sha256=_unreadable_path_id(display))
        elif _is_archive_file(path):
            yield from _archive_sources(path, display, workdir, settings, grow)
        else:
            yield Source(path, display)


def _is_archive_file(path: Path) -> bool:
    """An archive to expand; an unreadable file is left for ``identify`` to report."""
    try:
        return path.is_file() and is_archive(path)
    except OSError:
        return False


def _archive_sources(
    path: Path, display: str, workdir: Path, settings: ReadSettings, grow: Callable[[int], None]
) -> Iterator[Source]:
    """An archive's members; the archive itself when it is refused as a whole."""
    members = expand(path, workdir / f"a{time.monotonic_ns()}", settings, label=display)
    try:
        first = next(members, None)
    except SaidaoError as exc:
        yield Source(path, display, error=exc)
        return
    if first is None:
        yield Source(path, display, error=SaidaoError("empty", display, "压缩包内没有文件"))
        return
    archive_sha = ""
    for n, member in enumerate(_chain(first, members)):
        if n:
            grow(1)  # the archive counted as one file; each further member adds one
        source = Source(member.path, member.origin, member.origin, temp=True, error=member.error)
        if member.path is None:  # could not be inflated: no bytes of its own to hash
            archive_sha = archive_sha or sha256_of(path)
            source.sha256 = _unreadable_member_id(archive_sha, member.origin)
        yield source


def _unreadable_member_id(archive_sha: str, origin: str) -> str:
    """A stable stand-in identity for a member whose bytes cannot be had.

    Derived from the archive's bytes and the member's name, so the index keeps
    the failure (every file accounted for) and the next run of the same
    archive retries it instead of counting it twice.
    """
    return hashlib.sha256(f"{archive_sha}{SEP}{origin}".encode()).hexdigest()


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def identify(source: Source) -> Source:
    """Fill in size and SHA-256 (the file's identity); unreadable bytes become an error.

    A path whose bytes cannot be had (permission denied, a dangling link, an
    unreadable folder) gets a stand-in identity from its name, so the index
    records its failure too and the next run retries it rather than counting it twice.
    """
    if source.path is None or source.error is not None:
        with contextlib.suppress(OSError):
            if source.path is not None and source.path.is_file() and not source.sha256:
                source.sha256, source.size = sha256_of(source.path), source.path.stat().st_size
        source.sha256 = source.sha256 or _unreadable_path_id(source.display)
        return source
    try:
        source.size = source.path.stat().st_size
        source.sha256 = sha256_of(source.path)
    except FileNotFoundError:
        source.error = SaidaoError("not_found", source.display)
    except OSError as exc:  # permission denied, disk full, I/O error: each its own reason
        source.error = os_error(exc, source.display)
    if source.error is not None:
        source.sha256 = _unreadable_path_id(source.display)
    return source


def _unreadable_path_id(display: str) -> str:
    """A stable stand-in identity for a path whose bytes cannot be read."""
    return hashlib.sha256(f"path{SEP}{display}".encode()).hexdigest()


# --------------------------------------------------------------------------- worker side


def work(
    path: str, display: str, kind: str | None, settings: ReadSettings, timeout: float,
    sha256: str | None = None, spread: bool = False,
) -> dict:
    """Read and extract one file (runs in a worker); bad input comes back as an error dict.

    ``sha256`` is the digest the parent already computed (not hashed twice).
    ``spread``: a scan with pages enough to share out is not read here; the
    answer is ``{"spread": pages}`` and the pool reads those pages as jobs of
    their own before the file (``saidao.ingest.spread``).
    The limit (``saidao.ingest.deadline``) stops Python code wherever it runs,
    OCR included, and bounds LibreOffice; a hang inside native code is caught
    by the parent's watchdog instead.
    """
    from saidao.extractors.extract import extract_document
    from saidao.ingest.read import read

    deadline.start(timeout)
    try:
        if spread:
            total, pages = spread_plan(path, settings)
            if pages:
                return {"spread": pages, "pages": total}
        with pageprogress.reading(display):
            doc = read(path, settings, sha256)
        # scanned pages read without OCR: not all there to judge a forced kind by
        result = extract_document(doc, kind, check_kind=settings.ocr or not doc.ocr_pages)
        result["source"]["path"] = display
        if not is_clean(path):  # a GBK name: provenance holds the OS name, stored decoded
            result = _readable_strings(result, path, display)
        return {
            "result": result,
            "error": None,
            "kind": result.get("kind"),
            "pages": len(doc.pages),
            # pages without a text layer are flagged "ocr" even when OCR is off
            "ocr_pages": len(doc.ocr_pages) if settings.ocr else 0,
            "peak_rss_kib": _peak_rss_kib(),
        }
    except SaidaoError as exc:
        return _error_payload(SaidaoError(exc.reason, display, exc.detail))
    except deadline.TimeLimit as exc:
        return _error_payload(SaidaoError("timeout", display, exc.detail))
    except MemoryError:
        return _error_payload(SaidaoError("too_large", display, "out of memory"))
    except OSError as exc:  # permission, disk full (a temporary copy): its own reason
        return _error_payload(os_error(exc, display))
    except Exception as exc:  # an extractor bug must cost one file, not the run
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return _error_payload(SaidaoError("extract_failed", display, detail))
    finally:
        deadline.stop()


def work_with_pages(
    path: str, display: str, kind: str | None, settings: ReadSettings, timeout: float,
    sha256: str, parts: list[Any],
) -> dict:
    """:func:`work` for a PDF some of whose pages other jobs already read (``parts``).

    The pages are joined as in a whole-file read (``readers.pdf.pages_read_elsewhere``);
    a page whose job failed (None in ``parts``) is read here.
    """
    from saidao.ingest.readers.pdf import pages_read_elsewhere

    quiet = pageprogress.install(None)  # the parent counted the pages as their jobs came back
    try:
        with pages_read_elsewhere(sha256, [p for p in parts if p is not None]):
            return work(path, display, kind, settings, timeout, sha256)
    finally:
        pageprogress.install(quiet)


def _readable_strings(value: Any, raw: str, shown: str) -> Any:
    """``value`` with the OS path replaced by its readable name and no string left that
    SQLite or JSON could not encode (a file name in GBK bytes reaches provenance)."""
    if isinstance(value, str):
        return readable(value.replace(raw, shown)) if not is_clean(value) else value
    if isinstance(value, dict):
        return {k: _readable_strings(v, raw, shown) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_readable_strings(v, raw, shown) for v in value]
    return value


#: Imported by the fork server that every worker is forked from (see ``warm``).
PRELOAD = ["saidao.ingest.prewarm"]
#: Imported too by the fork server of a long run: the policies' tagging pipeline (spaCy).
PRELOAD_NLP = "saidao.ingest.prewarm_nlp"
#: Imported too by the fork server of a run that may OCR (``may_ocr``): the OCR libraries.
PRELOAD_OCR = "saidao.ingest.prewarm_ocr"
#: A run of more files than this per worker warms spaCy in the fork server (``long_run``).
NLP_WARM_FILES_PER_WORKER = 4
#: Libraries the readers import on first use.
_WARM_MODULES = (
    "saidao.ingest.readers.docx", "saidao.ingest.readers.pdf", "saidao.ingest.readers.text",
    "saidao.extractors.track_name", "pdfplumber", "pypdfium2", "docx",
)
#: The OCR libraries without an inference engine (``warm_ocr``): the page pipeline (and
#: OpenCV with it), rapidocr's classes, and what weighs OCR readings.
_WARM_OCR_MODULES = (
    "saidao.ingest.readers.ocr", "rapidocr.ch_ppocr_det", "rapidocr.ch_ppocr_rec",
    "rapidocr.utils.process_img", "saidao.extractors.ocr_words",
)


def _warm(*steps: str | Callable[[], object]) -> None:
    """Run each step (a module name is imported); one that fails is skipped, and the
    worker that needs it loads it itself and reports any real error against its file."""
    import importlib

    for step in steps:
        with contextlib.suppress(Exception):
            importlib.import_module(step) if isinstance(step, str) else step()


def warm() -> None:
    """Load once what every worker needs: reader libraries and classification tables.

    Runs in the fork server (``PRELOAD``). Each worker — and each fresh worker
    after a recycle — is forked from it and inherits all of this
    copy-on-write, instead of loading it again. A step that fails is skipped:
    the worker then loads it itself, and reports any real error against the
    file that needed it. OCR models are not loaded here: an inference
    session must not cross a fork (and importing OpenVINO starts a thread).
    The spaCy pipeline (1.2–1.6 CPU s, for policies only) is :func:`warm_nlp`'s.
    """
    _warm(*_WARM_MODULES, _warm_tables)


def warm_nlp() -> None:
    """The word models, in the fork server of a long run (``PRELOAD_NLP``): the policies'
    tagging pipeline, and the plain word counts that weigh OCR readings of
    declarations' long texts (``extractors.ocr_words``; 0.3 CPU s to load).

    A short run does without: a worker that meets a policy or an OCR'd declaration
    loads what it needs itself, once per worker.
    """
    _warm(_warm_pipeline, _warm_word_counts)


def warm_ocr() -> None:
    """The OCR libraries, in the fork server of a run that may OCR (``PRELOAD_OCR``).

    OpenCV, rapidocr's detector and recogniser classes and the scan layout code
    cost each worker 0.5 CPU s to import (measured, no bytecode cache), and the
    word counts that weigh OCR readings (``extractors.ocr_words``) 0.3 more;
    loaded here once, every worker has them. The inference engine is not:
    rapidocr imports OpenVINO or onnxruntime only when a session is made, and a
    session must not cross a fork (``ocr_engine.Engine``, made in each worker).
    """
    _warm(*_WARM_OCR_MODULES, _warm_word_counts)


def may_ocr(files: list[Found] | list[Path]) -> bool:
    """Whether a run may meet pages to OCR: a PDF, OFD or image among its files, or an archive."""
    from saidao.ingest.read import OCR_SUFFIXES

    paths = map(_path_of, files)
    return any(p.suffix.lower() in OCR_SUFFIXES or _is_archive_file(p) for p in paths)


def _path_of(entry: Found | Path | str) -> Path:
    return entry.path if isinstance(entry, Found) else Path(entry)


def long_run(files: list[Found] | list[Path], workers: int) -> bool:
    """Enough files (or an archive, which may hold thousands) to warm spaCy once for all workers."""
    if len(files) > NLP_WARM_FILES_PER_WORKER * max(1, workers):
        return True
    return any(_is_archive_file(_path_of(f)) for f in files)


def _warm_tables() -> None:
    from saidao.corpus.classifications import Scheme, load
    from saidao.corpus.zones import registry
    from saidao.extractors.normalize import to_simplified

    for scheme in Scheme:
        load(scheme)
    registry()
    to_simplified("")


def _warm_word_counts() -> None:
    from saidao.corpus.words import word_frequencies

    word_frequencies()


def _warm_pipeline() -> None:
    from saidao.extractors.tagging import pipeline

    pipeline()


def ocr_threads(workers: int) -> int:
    """onnxruntime threads per worker: the cores shared out, so workers do not fight for them."""
    return max(1, (os.cpu_count() or 1) // max(workers, 1))


def _init_worker(threads: int, memory_bytes: int = 0, pages: Any = None) -> None:
    """Per worker: its OCR thread count (unless the user set ``SAIDAO_OCR_THREADS``),
    death with the fork server it was forked from (which dies with the run), its
    memory limit, and where it reports pages read (``pages``: the write end of the
    parent's pipe, see ``saidao.ingest.pageprogress``)."""
    os.environ.setdefault("SAIDAO_OCR_THREADS", str(threads))
    _bound_worker(memory_bytes)
    if pages is not None:
        pageprogress.install(pageprogress.sender(pages))


def _bound_worker(memory_bytes: int) -> None:
    """A worker ends when its parent ends, and cannot take more than ``memory_bytes``.

    Only in a worker process: called in a main process (a test) it would tie that
    process's life to whatever started it.
    """
    if multiprocessing.parent_process() is None:
        return
    prewarm = sys.modules.get("saidao.ingest.prewarm")  # loaded by the fork server, if any
    lifetime.die_with_parent(getattr(prewarm, "FORKSERVER_PID", None))
    limit_worker_memory(memory_bytes)


def _peak_rss_kib() -> int:
    """This worker's peak resident memory so far (the run reports the largest)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _error_payload(error: SaidaoError) -> dict:
    report = {**error.to_dict(), "detail": error.detail}
    return {"result": None, "error": report, "kind": None, "pages": 0, "ocr_pages": 0}


# --------------------------------------------------------------------------- the pool


@dataclass(eq=False)
class _Spread:
    """A file whose pages are being read by jobs of their own (``saidao.ingest.spread``)."""

    job: tuple[Any, tuple]  # the file's own job
    waiting: int  # page jobs not back yet
    total: int  # the file's pages (its text pages are read by the file's own last job)
    parts: list[Any] = field(default_factory=list)  # PagesRead, or None for a page that failed


@dataclass(frozen=True, eq=False)
class _PageJob:
    """The key of a page job: the file it belongs to."""

    spread: _Spread


class WorkerPool:
    """Runs :func:`work` over a stream of jobs in processes, surviving crashes and hangs.

    At most ``2 × workers`` jobs are in flight. When the pool breaks (a worker
    died) or a job outlives the watchdog, the jobs that were in flight are
    re-run one at a time in a fresh pool: the one that breaks it again alone
    is the culprit and is reported as failed; the others import normally.

    With ``spread``, a scan's pages are read by jobs of their own on every
    worker, then the file is read with them given (``saidao.ingest.spread``);
    its pages go before new files, so a long scan is finished by all workers
    together. A page job lost with a broken pool is simply read again by its
    file's job, which takes the blame if it breaks the pool alone.
    """

    def __init__(
        self, workers: int, timeout: float, run: Callable[..., dict] = work, inline: bool = False,
        memory_bytes: int = 0, on_page: pageprogress.PageCallback | None = None,
        spread: bool = False, warm_nlp: bool = True, warm_ocr: bool = False,
    ) -> None:
        self.workers = workers
        self.inline = inline  # run jobs in this process: no pool to start (see ``in_process``)
        self.spread = spread and workers > 1 and not inline  # ``run`` must take ``spread=True``
        self.page_jobs = 0  # pages read by jobs of their own (spread scans)
        self.warm_nlp = warm_nlp  # the fork server loads spaCy too (a long run)
        self.warm_ocr = warm_ocr  # the fork server loads the OCR libraries too (scans may come)
        self.memory_bytes = memory_bytes
        self.timeout = timeout
        # a queued job can wait one timeout behind another before its own starts
        self.watchdog = timeout * 2 + 10.0
        self._run = run
        self._pool: ProcessPoolExecutor | None = None
        self._solo: set[Future] = set()  # futures run alone to find a culprit
        self._submitted = 0  # files given to the current pool
        self.recycle_after = FILES_PER_WORKER * workers
        self.on_page = on_page  # told of each page a worker reads (per-page progress)
        self._pages: tuple[Any, Any] | None = None  # (read end, write end) of the page pipe

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard(kill=exc[0] is not None)
        if self._pages is not None:
            for end in self._pages:
                end.close()
            self._pages = None

    def _page_pipe(self, ctx: Any) -> Any:
        """The write end workers report pages to (None: nobody listens)."""
        if self.on_page is None:
            return None
        if self._pages is None:
            self._pages = ctx.Pipe(duplex=False)
        return self._pages[1]

    def _drain_pages(self) -> None:
        """Pass on the page events workers wrote since the last look."""
        if self._pages is not None and self.on_page is not None:
            pageprogress.drain(self._pages[0], self.on_page)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(self.preload())
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init_worker,
                initargs=(ocr_threads(self.workers), self.memory_bytes, self._page_pipe(ctx)),
            )
            self._submitted = 0
        return self._pool

    def preload(self) -> list[str]:
        """What the fork server imports before the first worker is forked from it."""
        return [*PRELOAD, *([PRELOAD_OCR] if self.warm_ocr else []),
                *([PRELOAD_NLP] if self.warm_nlp else [])]

    def _discard(self, kill: bool) -> None:
        """Drop the pool; ``kill`` stops workers still busy (a hang, a broken pool)."""
        pool, self._pool = self._pool, None
        self._submitted = 0
        if pool is None:
            return
        if kill:
            # ProcessPoolExecutor (3.11) cannot stop a running task; its worker
            # processes are the only handle (public terminate_workers() is 3.14).
            for proc in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.kill()
        pool.shutdown(wait=not kill, cancel_futures=True)

    def results(self, jobs: Iterator[tuple[Any, tuple]]) -> Iterator[tuple[Any, dict]]:
        """Yield ``(key, payload)`` as jobs finish; ``jobs`` yields ``(key, work args)``."""
        if self.inline:
            previous = pageprogress.install(self.on_page)
            try:
                for key, args in jobs:
                    yield key, self._run(*args)
            finally:
                pageprogress.install(previous)
            return
        isolate: deque[tuple[Any, tuple]] = deque()
        ready: deque[tuple] = deque()  # jobs of files already begun (a scan's pages, then the file)
        inflight: dict[Future, tuple[Any, tuple]] = {}
        started: dict[Future, float] = {}
        exhausted = False
        while True:
            solo = bool(isolate) or any(f in self._solo for f in inflight)
            if self._submitted >= self.recycle_after and not inflight:
                self._discard(kill=False)  # drained: fresh workers from here on
            draining = self._submitted >= self.recycle_after
            while not draining and len(inflight) < (1 if solo else 2 * self.workers):
                if isolate:
                    job = isolate.popleft()
                elif solo:
                    break
                elif ready:
                    job = ready.popleft()
                elif exhausted or (job := next(jobs, None)) is None:
                    exhausted = True
                    break
                fut = self._submit(job)
                if solo:
                    self._solo.add(fut)
                inflight[fut] = job
            if not inflight and not ready:
                return
            done, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
            self._drain_pages()  # written before any result: a file's pages precede its done
            now = time.monotonic()
            for fut in inflight:
                if fut not in started and fut.running():
                    started[fut] = now
            broken: list[tuple[Any, tuple]] = []
            for fut in done:
                job = inflight.pop(fut)
                started.pop(fut, None)
                self._solo.discard(fut)
                try:
                    payload = fut.result()
                except BrokenProcessPool:
                    broken.append(job)
                else:
                    yield from self._settle(job, payload, ready)
            hung = [f for f in inflight if now - started.get(f, now) > self.watchdog]
            if broken or hung:
                yield from self._recover(broken, solo, bool(hung), inflight, isolate, ready)
                started.clear()

    def _settle(self, job: tuple, payload: Any, ready: deque[tuple]) -> Iterator[tuple[Any, dict]]:
        """A finished job: a file's result is yielded; a page or a spread plan queues what follows."""
        key = job[0]
        if isinstance(key, _PageJob):
            self._page_back(key.spread, payload, ready)
        elif isinstance(payload, dict) and "spread" in payload:
            path, _display, _kind, settings, timeout, sha256 = job[1][:6]
            spread = _Spread(job, len(payload["spread"]), int(payload.get("pages") or 0))
            self.page_jobs += spread.waiting
            ready.extend((_PageJob(spread), (path, sha256, settings, [i], timeout), read_part)
                         for i in payload["spread"])
        else:
            if len(job) > 3:  # a spread file's own last job: its last page, then the file
                self._tell_page(job[1][1], job[3].total, job[3].total)
            yield key, payload

    def _page_back(self, spread: _Spread, part: Any, ready: deque[tuple]) -> None:
        """One page of a spread file is back (None: lost); after the last, the file goes first."""
        spread.parts.append(part)
        spread.waiting -= 1
        key, args = spread.job[:2]
        self._tell_page(args[1], len(spread.parts), spread.total)
        if spread.waiting == 0:
            ready.appendleft((key, (*args[:6], spread.parts), work_with_pages, spread))

    def _tell_page(self, display: str, done: int, total: int) -> None:
        """Per-page progress from the parent's side (a page job came back); never raises."""
        if self.on_page is not None and 0 < done <= total:
            with contextlib.suppress(Exception):
                self.on_page(display, done, total)

    def _submit(self, job: tuple) -> Future:
        """Submit ``(key, args)`` to :attr:`_run` (asked to spread scans), or ``(key, args, fn)`` to ``fn``."""
        fn, kwargs = (job[2], {}) if len(job) > 2 else (self._run, {"spread": True} if self.spread else {})
        try:
            fut = self._executor().submit(fn, *job[1], **kwargs)
        except BrokenProcessPool:
            self._discard(kill=True)
            fut = self._executor().submit(fn, *job[1], **kwargs)
        self._submitted += 1
        return fut

    def _recover(
        self,
        broken: list[tuple[Any, tuple]],
        solo: bool,
        hung: bool,
        inflight: dict[Future, tuple[Any, tuple]],
        isolate: deque[tuple[Any, tuple]],
        ready: deque[tuple],
    ) -> Iterator[tuple[Any, dict]]:
        """Rebuild the pool; blame a job only when it broke the pool running alone.

        Page jobs are not suspects: their pages go back to their file's own
        job, which reads them itself (and is blamed if it then breaks the pool alone).
        """
        suspects = []
        for job in broken + list(inflight.values()):
            if isinstance(job[0], _PageJob):
                self._page_back(job[0].spread, None, ready)
            else:
                suspects.append(job)
        inflight.clear()
        self._solo.clear()
        self._discard(kill=True)
        if not suspects:
            return
        if solo and len(suspects) == 1:
            key, args = suspects[0][:2]
            if hung:
                error = SaidaoError("timeout", args[1], f"> {self.watchdog:g} s")
            else:
                error = SaidaoError("worker_crashed", args[1], "the process died while reading")
            yield key, _error_payload(error)
        else:
            isolate.extendleft(reversed(suspects))


def make_pool(
    options: Options, inline: bool = False, on_page: pageprogress.PageCallback | None = None,
    warm_nlp: bool = True, warm_ocr: bool = False,
) -> Any:
    """The pool that reads and extracts: local worker processes, or Ray tasks with ``--ray``.

    Both have the same ``results(jobs)``; everything else in a run is the same.
    ``inline``: a run too small to be worth worker processes reads in this one.
    ``SAIDAO_RAY`` (an address, as ``--ray`` takes) sends every import of a process
    that was not given one to the cluster — how ``saidao serve`` imports uploads there.
    """
    address = options.ray or os.environ.get("SAIDAO_RAY") or None
    if address:
        from saidao.ingest.ray_pool import RayPool  # Ray is an optional extra

        shared = options.ray_shared_path or os.environ.get("SAIDAO_RAY_SHARED_PATH") == "1"
        return RayPool(address, options.timeout, shared_path=shared, run=work,
                       error_payload=_error_payload, init_worker=_init_worker)
    return WorkerPool(options.n_workers, options.timeout, inline=inline,
                      memory_bytes=options.settings.worker_memory_bytes, on_page=on_page,
                      spread=True, warm_nlp=warm_nlp, warm_ocr=warm_ocr)


# --------------------------------------------------------------------------- the run


class _Importer:
    """The parent's side of a run: decides per file, records, keeps the outcomes."""

    def __init__(
        self, index: Index, run_id: int, options: Options, progress: Progress, linker: _Linker,
    ) -> None:
        self.index = index
        self.linker = linker
        self.run_id = run_id
        self.options = options
        self.progress = progress
        self.outcomes: list[FileOutcome] = []
        self.pending: dict[str, list[Source]] = {}  # sha256 in flight -> later copies
        self.first_seen: dict[str, str] = {}  # sha256 -> the path it was first seen as this run
        self.worker_peak_kib = 0

    def jobs(self, stream: Iterable[Source]) -> Iterator[tuple[Source, tuple]]:
        """The files that need a worker; the rest are recorded on the way."""
        for source in stream:
            identify(source)
            copy_of = self.first_seen.setdefault(source.sha256, source.display) \
                if source.sha256 else None
            copy_of = None if copy_of == source.display else copy_of
            if source.error is None and (skip := _not_a_document(source)) is not None:
                self._skip(source, skip)
            elif source.error is not None:
                self._record(source, _error_payload(source.error))
            elif source.sha256 in self.pending:
                self.pending[source.sha256].append(source)  # a copy of a file in flight
            elif self.index.known(source.sha256) == "imported" and (
                    copy_of is not None or not self.options.reread):
                self._record(source, None, copy_of=copy_of)
            else:
                self.pending[source.sha256] = []
                opts = self.options
                args = (str(source.path), source.display, opts.kind, opts.settings, opts.timeout,
                        source.sha256)
                yield source, args

    def finish(self, source: Source, payload: dict) -> None:
        """Record a worker's result, then the copies of the same bytes that waited for it."""
        self.worker_peak_kib = max(self.worker_peak_kib, payload.get("peak_rss_kib", 0))
        payload = fate_of_reading(source.display, payload, self.options.settings.ocr)
        self._record(source, payload, reread=self.options.reread)
        for copy in self.pending.pop(source.sha256, []):
            if payload["error"] is None:
                self._record(copy, None, copy_of=source.display)
            else:
                self._record(copy, _error_payload(SaidaoError(**_error_args(payload, copy))),
                             copy_of=source.display)

    def _skip(self, source: Source, error: SaidaoError) -> None:
        """A file that is not a document: logged as skipped with the reason, never imported."""
        report = {**error.to_dict(), "detail": error.detail}
        outcome = "skipped"
        if source.sha256:
            outcome = self.index.skipped(run_id=self.run_id, path=source.display,
                                         sha256=source.sha256, error=report, origin=source.origin)
        self._done(source, FileOutcome(
            path=source.display, origin=source.origin, sha256=source.sha256, size=source.size,
            outcome=outcome, reason=error.reason, message=error.message_zh, detail=error.detail))

    def _record(self, source: Source, payload: dict | None, copy_of: str | None = None,
                reread: bool = False) -> None:
        """One transaction in the index for one file (``payload`` None: bytes known)."""
        error = payload["error"] if payload else None
        outcome = "unchanged" if payload is None else "failed"
        if source.sha256:
            outcome = self.index.record(
                run_id=self.run_id,
                path=source.display,
                sha256=source.sha256,
                size=source.size,
                kind=payload["kind"] if payload else None,
                result=payload["result"] if payload else None,
                error=error,
                origin=source.origin,
                copy_of=copy_of,
                reread=reread,
            )
            self.linker.recorded(source.sha256, payload["kind"] if payload else None, outcome)
        if error is None and payload and payload["kind"] == "policy" \
                and outcome in ("imported", "superseded"):
            reason, message = self.index.logged_fate(self.run_id, source.sha256)
            error = {"reason": reason, "message": message} if reason else None
        done = FileOutcome(
            path=source.display,
            origin=source.origin,
            sha256=source.sha256,
            size=source.size,
            outcome=outcome,
            kind=payload["kind"] if payload else None,
            pages=payload["pages"] if payload else 0,
            ocr_pages=payload["ocr_pages"] if payload else 0,
            reason=error["reason"] if error else None,
            message=error["message"] if error else None,
            detail=error.get("detail") if error else None,
            copy_of=copy_of,
        )
        self._done(source, done)

    def _done(self, source: Source, done: FileOutcome) -> None:
        self.outcomes.append(done)
        self.progress.done(done)
        if source.temp and source.path is not None:
            source.path.unlink(missing_ok=True)


def _not_a_document(source: Source) -> SaidaoError | None:
    """The refusal of a file that is not a document (``ingest.fate``), else None."""
    from saidao.ingest.fate import not_a_document

    if source.path is None or source.size == 0:
        return None
    return not_a_document(source.path, source.display)


def fate_of_reading(display: str, payload: dict, ocr: bool) -> dict:
    """A worker's reading, told truthfully: an extension the content contradicts is a problem
    on the file; a file with scanned pages read without OCR is waiting for OCR, not imported
    (stored as ``needs_ocr``, so the next run with OCR reads it)."""
    from saidao.ingest.fate import extension_problem

    result = payload.get("result")
    if payload.get("error") is not None or result is None:
        return payload
    source = result.get("source") or {}
    scanned = source.get("ocr_pages") or []
    if source.get("format") == "image" and not scanned:  # a photo or scan is all OCR
        scanned = list(range(1, int(source.get("pages") or 1) + 1))
    if not ocr and scanned:
        detail = f"{len(scanned)} 页为扫描页：第 {'、'.join(map(str, scanned[:10]))} 页"
        return {**_error_payload(SaidaoError("needs_ocr", display, detail)),
                "pages": payload.get("pages", 0)}
    problem = extension_problem(display, source.get("format"))
    if problem is not None:
        result.setdefault("problems", []).append(problem)
    return payload


def _error_args(payload: dict, source: Source) -> dict[str, str]:
    """The first copy's error, restated for another copy of the same bytes."""
    error = payload["error"]
    return {"reason": error["reason"], "path": source.display, "detail": error.get("detail", "")}


def options_dict(options: Options) -> dict[str, Any]:
    """The run's options as stored with the run (JSON-able)."""
    return {
        "workers": options.n_workers,
        "kind": options.kind,
        "ocr": options.settings.ocr,
        "timeout": options.timeout,
        "dry_run": options.dry_run,
        "ray": options.ray,
    }


class _Linker:
    """Keeps ``track_links`` current as a run records files (``index.link_state``).

    A new declaration's tracks are linked as soon as they are recorded (the
    parent is otherwise idle while workers read); at the end of the run every
    track still *to link* in the index is linked — after a policy was
    imported or retired here or by another run meanwhile, or left by a run
    that was killed. What is to link is the index's state, not this run's
    memory, so overlapping runs converge.
    """

    def __init__(self, index: Index) -> None:
        self.index = index

    def recorded(self, sha256: str, kind: str | None, outcome: str) -> None:
        """One file was recorded: link a new declaration's tracks now."""
        if outcome in ("imported", "superseded") and kind == "declaration":
            from saidao.index.link_state import link_pending

            link_pending(self.index, self.index.track_ids(sha256))

    def finish(self) -> None:
        """End of run: every track of the index still to link is linked."""
        from saidao.index.link_state import link_pending

        link_pending(self.index)


def ingest(
    paths: Iterable[str | Path],
    db_path: str | Path = "saidao.db",
    options: Options = Options(),  # noqa: B008  (frozen, immutable)
    progress: Progress | None = None,
    args: list[str] | None = None,
) -> RunSummary:
    """Import files, folders and archives into the index at ``db_path``."""
    from saidao.index.store import Index

    progress = progress or _NoProgress()
    paths = list(paths)
    lifetime.sweep_stale()  # copies a killed run left behind
    files = discover(paths, options.follow_symlinks)
    progress.grow(len(files))
    if options.dry_run:
        return dry_run(files, db_path, options, progress)
    started = time.perf_counter()
    index = Index.open(db_path)
    try:
        # arguments typed with GBK names arrive with surrogate escapes too
        run_id = index.start_run(
            [readable(str(a)) for a in (args or paths)], options_dict(options))
        linker = _Linker(index)
        importer = _Importer(index, run_id, options, progress, linker)
        with (
            lifetime.temporary_folder("ingest") as tmp,
            make_pool(options, inline=in_process(files, options), on_page=_page_listener(progress),
                      warm_nlp=long_run(files, options.n_workers),
                      warm_ocr=options.settings.ocr and may_ocr(files)) as pool,
        ):
            stream = sources(files, tmp, options.settings, progress.grow)
            for source, payload in pool.results(importer.jobs(stream)):
                importer.finish(source, payload)
        summary = RunSummary(
            run_id, False, importer.outcomes, time.perf_counter() - started,
            importer.worker_peak_kib,
        )
        importer.linker.finish()
        _recheck(index, summary)
        from saidao.index.dupes import precompute_groups  # stored for `saidao dupes`, /dupes
        precompute_groups(index)
        totals = {k: v for k, v in summary.to_dict().items() if k != "files"}
        index.finish_run(run_id, totals)
        return summary
    finally:
        index.close()


def in_process(files: list[Found] | list[Path], options: Options | None = None) -> bool:
    """A run of one plain file is read in this process: no fork server, no worker to start.

    Starting the pool costs more than reading one document (the fork server
    loads the reader libraries and the first worker its own, before any
    reading); one file needs only its own reader. The file keeps its
    time limit (``work``'s alarm); what it gives up is the isolation from a
    native crash, which for a one-file run would cost that one file anyway.
    An archive may hold thousands of files: it always gets workers; so does a
    scan with pages enough to share out over several workers (``spread.plan``:
    its pages are OCR'd side by side) while the machine has a core to spare
    (``cores.idle_cores``, asked last: it watches the cores for a tenth of a
    second; on a busy machine a second worker only adds its start-up: measured at load 8, one 8-page scan took 2.38 CPU s a page spread over two
    workers, 2.26 read here, and no less wall time). Only on the main thread (the
    time limit is a signal): the web app imports uploads from a thread.
    """
    if len(files) != 1 or threading.current_thread() is not threading.main_thread():
        return False  # (the time limit is a SIGALRM: only the main thread can set one)
    entry = files[0]
    if isinstance(entry, Found):
        if entry.error is not None:
            return False
        entry = entry.path
    path = Path(entry)
    if not path.is_file() or is_archive(path):
        return False
    if options is None or options.n_workers < 2 or not spread_plan(str(path), options.settings)[1]:
        return True
    return idle_cores() < 1


def _recheck(index: Index, summary: RunSummary) -> None:
    """Settle credit codes a worker left open, now that the whole index can be evidence.

    Workers extract one file at a time and cannot see the same firm's code in another
    declaration or a register; the parent can, once the run's files are recorded.
    """
    from saidao.index.recheck import recheck_codes

    result = recheck_codes(index)
    summary.codes_settled = len(result.settled)
    summary.codes_revised = len(result.revised)


def dry_run(
    files: list[Found], db_path: str | Path, options: Options, progress: Progress
) -> RunSummary:
    """What a run would do to each file, without reading documents or writing the index."""
    started = time.perf_counter()
    index = _open_existing(db_path)
    outcomes: list[FileOutcome] = []
    seen: dict[str, str] = {}  # sha256 -> the path first seen with it
    try:
        with lifetime.temporary_folder("dry") as tmp:
            for source in sources(files, tmp, options.settings, progress.grow):
                identify(source)
                outcome = _would(source, index, seen, options.reread)
                first = seen.setdefault(source.sha256, source.display)
                error = source.error
                done = FileOutcome(
                    source.display, source.origin, source.sha256, source.size, outcome,
                    reason=error.reason if error else None,
                    message=error.message_zh if error else None,
                    detail=error.detail if error else None,
                    copy_of=first if outcome == "copy" else None,
                )
                outcomes.append(done)
                progress.done(done)
                if source.temp and source.path is not None:
                    source.path.unlink(missing_ok=True)
    finally:
        if index is not None:
            index.close()
    return RunSummary(None, True, outcomes, time.perf_counter() - started)


def _open_existing(db_path: str | Path) -> Any:
    """The index if it exists (a dry run must not create one)."""
    if not Path(db_path).is_file():
        return None
    from saidao.index.store import Index

    return Index.open(db_path)


def _would(source: Source, index: Index, seen: dict[str, str], reread: bool = False) -> str:
    """The dry-run verdict for one identified file."""
    if source.error is None and (skip := _not_a_document(source)) is not None:
        source.error = skip
        return "skip"
    if source.error is None and source.path is not None and source.size == 0:
        source.error = SaidaoError("empty", source.display)
    elif source.error is None and source.path is not None:
        try:
            if sniff(source.path) is None:
                source.error = SaidaoError("unknown_format", source.display, source.path.suffix)
        except OSError as exc:
            source.error = os_error(exc, source.display)
    if source.error is not None:
        return "unsupported"
    if source.sha256 in seen:
        return "copy"
    known = index.known(source.sha256) if index is not None else None
    if known == "imported":
        return "reread" if reread else "unchanged"
    if known == "failed":
        return "retry"
    if index is not None and _previous_version(index, source.display):
        return "would_supersede"
    return "new"


def _previous_version(index: Index, path: str) -> bool:
    """True when other bytes were imported from this path before."""
    db = getattr(index, "db", None)
    if db is None:
        return False
    row = db.execute(
        "SELECT 1 FROM files WHERE path = ? AND status = 'imported' LIMIT 1", [path]
    ).fetchone()
    return row is not None
