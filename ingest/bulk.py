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
import signal
import tempfile
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
from saidao.ingest.archive import SEP, expand, is_archive
from saidao.ingest.detect import sniff
from saidao.ingest.read import expand_paths, sha256_of
from saidao.settings import DEFAULT, ReadSettings

if TYPE_CHECKING:  # the index (and SQLite) is opened by the parent only, never in workers
    from saidao.index.store import Index

#: Outcomes a file can have in a run (the index's words), and their Chinese names.
OUTCOMES_ZH = {
    "imported": "导入",
    "unchanged": "未变",
    "superseded": "已更新",
    "failed": "失败",
}
#: What a dry run says would happen to each file.
DRY_OUTCOMES_ZH = {
    "new": "新文件",
    "retry": "重试（上次失败）",
    "unchanged": "未变",
    "would_supersede": "将更新旧版本",
    "unsupported": "不支持/无法读取",
}
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


class _NoProgress:
    def grow(self, n: int) -> None:
        pass

    def done(self, outcome: FileOutcome) -> None:
        pass


# --------------------------------------------------------------------------- discover


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The files named or found under the folders given, in a stable order."""
    return expand_paths(paths)


def sources(
    files: Iterable[Path], workdir: Path, settings: ReadSettings, grow: Callable[[int], None]
) -> Iterator[Source]:
    """Files as they come; archives replaced by their members (extracted lazily)."""
    for path in files:
        display = str(path.absolute())  # one name per file whatever the working folder
        if path.is_file() and is_archive(path):
            yield from _archive_sources(path, display, workdir, settings, grow)
        else:
            yield Source(path, display)


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
    """Fill in size and SHA-256 (the file's identity); unreadable bytes become an error."""
    if source.path is None or source.error is not None:
        if source.path is not None and source.path.is_file():
            source.sha256, source.size = sha256_of(source.path), source.path.stat().st_size
        return source
    try:
        source.size = source.path.stat().st_size
        source.sha256 = sha256_of(source.path)
    except FileNotFoundError:
        source.error = SaidaoError("not_found", source.display)
    except OSError as exc:
        source.error = SaidaoError("corrupt", source.display, f"{type(exc).__name__}: {exc}")
    return source


# --------------------------------------------------------------------------- worker side


class _Timeout(Exception):
    """Raised inside a worker when a file takes longer than the limit."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def work(
    path: str, display: str, kind: str | None, settings: ReadSettings, timeout: float,
    sha256: str | None = None,
) -> dict:
    """Read and extract one file (runs in a worker); bad input comes back as an error dict.

    ``sha256`` is the digest the parent already computed (not hashed twice).
    The alarm stops Python-level loops that run away; a hang inside native
    code is caught by the parent's watchdog instead.
    """
    from saidao.extractors.extract import extract_document
    from saidao.ingest.read import read

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        doc = read(path, settings, sha256)
        result = extract_document(doc, kind)
        result["source"]["path"] = display
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
    except _Timeout:
        return _error_payload(SaidaoError("timeout", display, f"> {timeout:g} s"))
    except MemoryError:
        return _error_payload(SaidaoError("too_large", display, "out of memory"))
    except Exception as exc:  # an extractor bug must cost one file, not the run
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return _error_payload(SaidaoError("extract_failed", display, detail))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


#: Imported by the fork server that every worker is forked from (see ``warm``).
PRELOAD = ["saidao.ingest.prewarm"]
#: Libraries the readers import on first use.
_WARM_MODULES = (
    "saidao.ingest.readers.docx", "saidao.ingest.readers.pdf", "saidao.ingest.readers.text",
    "saidao.extractors.track_name", "pdfplumber", "pypdfium2", "docx",
)


def warm() -> None:
    """Load once what every worker needs: reader libraries, classification tables, spaCy.

    Runs in the fork server (``PRELOAD``). Each worker — and each fresh worker
    after a recycle — is forked from it and inherits all of this
    copy-on-write, instead of paying about two seconds to load it again. A
    step that fails is skipped: the worker then loads it itself, and reports
    any real error against the file that needed it. OCR models are not loaded
    here: an onnxruntime session must not cross a fork.
    """
    import importlib

    steps: list[Callable[[], object]] = [
        *(lambda name=name: importlib.import_module(name) for name in _WARM_MODULES),
        _warm_tables,
        _warm_pipeline,
    ]
    for step in steps:
        with contextlib.suppress(Exception):
            step()


def _warm_tables() -> None:
    from saidao.corpus.classifications import Scheme, load
    from saidao.corpus.zones import registry
    from saidao.extractors.normalize import to_simplified

    for scheme in Scheme:
        load(scheme)
    registry()
    to_simplified("")


def _warm_pipeline() -> None:
    from saidao.extractors.tagging import pipeline

    pipeline()


def ocr_threads(workers: int) -> int:
    """onnxruntime threads per worker: the cores shared out, so workers do not fight for them."""
    return max(1, (os.cpu_count() or 1) // max(workers, 1))


def _init_worker(threads: int) -> None:
    """Per worker: its OCR thread count, unless the user set ``SAIDAO_OCR_THREADS``."""
    os.environ.setdefault("SAIDAO_OCR_THREADS", str(threads))


def _peak_rss_kib() -> int:
    """This worker's peak resident memory so far (the run reports the largest)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _error_payload(error: SaidaoError) -> dict:
    report = {**error.to_dict(), "detail": error.detail}
    return {"result": None, "error": report, "kind": None, "pages": 0, "ocr_pages": 0}


# --------------------------------------------------------------------------- the pool


class WorkerPool:
    """Runs :func:`work` over a stream of jobs in processes, surviving crashes and hangs.

    At most ``window`` jobs are in flight. When the pool breaks (a worker
    died) or a job outlives the watchdog, the jobs that were in flight are
    re-run one at a time in a fresh pool: the one that breaks it again alone
    is the culprit and is reported as failed; the others import normally.
    """

    def __init__(
        self, workers: int, timeout: float, run: Callable[..., dict] = work, inline: bool = False,
    ) -> None:
        self.workers = workers
        self.inline = inline  # run jobs in this process: no pool to start (see ``in_process``)
        self.timeout = timeout
        # a queued job can wait one timeout behind another before its own starts
        self.watchdog = timeout * 2 + 10.0
        self._run = run
        self._pool: ProcessPoolExecutor | None = None
        self._solo: set[Future] = set()  # futures run alone to find a culprit
        self._submitted = 0  # files given to the current pool
        self.recycle_after = FILES_PER_WORKER * workers

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard(kill=exc[0] is not None)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init_worker,
                initargs=(ocr_threads(self.workers),),
            )
            self._submitted = 0
        return self._pool

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
            for key, args in jobs:
                yield key, self._run(*args)
            return
        isolate: deque[tuple[Any, tuple]] = deque()
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
                elif solo or exhausted or (job := next(jobs, None)) is None:
                    exhausted = exhausted or not solo
                    break
                fut = self._submit(job)
                if solo:
                    self._solo.add(fut)
                inflight[fut] = job
            if not inflight:
                return
            done, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
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
                    yield job[0], payload
            hung = [f for f in inflight if now - started.get(f, now) > self.watchdog]
            if broken or hung:
                yield from self._recover(broken, solo, bool(hung), inflight, isolate)
                started.clear()

    def _submit(self, job: tuple[Any, tuple]) -> Future:
        try:
            fut = self._executor().submit(self._run, *job[1])
        except BrokenProcessPool:
            self._discard(kill=True)
            fut = self._executor().submit(self._run, *job[1])
        self._submitted += 1
        return fut

    def _recover(
        self,
        broken: list[tuple[Any, tuple]],
        solo: bool,
        hung: bool,
        inflight: dict[Future, tuple[Any, tuple]],
        isolate: deque[tuple[Any, tuple]],
    ) -> Iterator[tuple[Any, dict]]:
        """Rebuild the pool; blame a job only when it broke the pool running alone."""
        suspects = broken + list(inflight.values())
        inflight.clear()
        self._solo.clear()
        self._discard(kill=True)
        if solo and len(suspects) == 1:
            key, args = suspects[0]
            if hung:
                error = SaidaoError("timeout", args[1], f"> {self.watchdog:g} s")
            else:
                error = SaidaoError("worker_crashed", args[1], "the process died while reading")
            yield key, _error_payload(error)
        else:
            isolate.extendleft(reversed(suspects))


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
        self.worker_peak_kib = 0

    def jobs(self, stream: Iterable[Source]) -> Iterator[tuple[Source, tuple]]:
        """The files that need a worker; the rest are recorded on the way."""
        for source in stream:
            identify(source)
            if source.error is not None:
                self._record(source, _error_payload(source.error))
            elif source.sha256 in self.pending:
                self.pending[source.sha256].append(source)  # a copy of a file in flight
            elif self.index.known(source.sha256) == "imported":
                self._record(source, None)
            else:
                self.pending[source.sha256] = []
                opts = self.options
                args = (str(source.path), source.display, opts.kind, opts.settings, opts.timeout,
                        source.sha256)
                yield source, args

    def finish(self, source: Source, payload: dict) -> None:
        """Record a worker's result, then the copies of the same bytes that waited for it."""
        self.worker_peak_kib = max(self.worker_peak_kib, payload.get("peak_rss_kib", 0))
        self._record(source, payload)
        for copy in self.pending.pop(source.sha256, []):
            if payload["error"] is None:
                self._record(copy, None)
            else:
                self._record(copy, _error_payload(SaidaoError(**_error_args(payload, copy))))

    def _record(self, source: Source, payload: dict | None) -> None:
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
            )
            self.linker.recorded(source.sha256, payload["kind"] if payload else None, outcome)
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
        )
        self.outcomes.append(done)
        self.progress.done(done)
        if source.temp and source.path is not None:
            source.path.unlink(missing_ok=True)


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
    }


class _Linker:
    """Keeps ``track_links`` current as a run records files, linking only what changed.

    A track's links depend on the track and on the current clauses, nothing
    else. So a new declaration's track is linked as soon as it is recorded
    (the parent is otherwise idle while workers read), against clauses
    gathered once per run, and the index's older tracks are left alone. A
    policy imported or retired changes what every track is linked against:
    then every current track is relinked once, at the end of the run — as
    also after a run that was killed (it may have died before relinking).
    """

    def __init__(self, index: Index, relink_all: bool = False) -> None:
        self.index = index
        self.relink_all = relink_all
        self._pool: Any = None  # index.links.ClausePool, built on first use

    def recorded(self, sha256: str, kind: str | None, outcome: str) -> None:
        """One file was recorded: link its tracks now, or note that all need relinking."""
        if outcome not in ("imported", "superseded") or self.relink_all:
            return
        if kind == "policy" or (outcome == "superseded" and self.index.retires_policy(sha256)):
            self.relink_all = True
        elif kind == "declaration":
            self.link(self.index.track_ids(sha256))

    def link(self, track_ids: Iterable[int]) -> None:
        """Link new tracks against the clauses read at the first one (no policy changed since)."""
        from saidao.index.links import compute_links, index_pool

        if self._pool is None:
            self._pool = index_pool(self.index)
        for track_id in track_ids:
            compute_links(self.index, track_id, pool=self._pool)

    def finish(self) -> None:
        """End of run: every current track relinked when a policy changed."""
        if self.relink_all:
            from saidao.index.links import compute_links

            compute_links(self.index)


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
    files = discover(paths)
    progress.grow(len(files))
    if options.dry_run:
        return dry_run(files, db_path, options, progress)
    started = time.perf_counter()
    index = Index.open(db_path)
    try:
        run_id = index.start_run(args or [str(p) for p in paths], options_dict(options))
        linker = _Linker(index, relink_all=index.previous_run_interrupted(run_id))
        importer = _Importer(index, run_id, options, progress, linker)
        with (
            tempfile.TemporaryDirectory(prefix="saidao-ingest-") as tmp,
            WorkerPool(options.n_workers, options.timeout, inline=in_process(files)) as pool,
        ):
            stream = sources(files, Path(tmp), options.settings, progress.grow)
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


def in_process(files: list[Path]) -> bool:
    """A run of one plain file is read in this process: no fork server, no worker to start.

    Starting the pool costs more than reading one document (the fork server
    loads every reader library and the spaCy pipeline, ~1–2 s, before the first
    worker exists); one file needs only its own reader. The file keeps its
    time limit (``work``'s alarm); what it gives up is the isolation from a
    native crash, which for a one-file run would cost that one file anyway.
    An archive may hold thousands of files: it always gets workers. Only on the main
    thread (the time limit is a signal): the web app imports uploads from a thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    return len(files) == 1 and files[0].is_file() and not is_archive(files[0])


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
    files: list[Path], db_path: str | Path, options: Options, progress: Progress
) -> RunSummary:
    """What a run would do to each file, without reading documents or writing the index."""
    started = time.perf_counter()
    index = _open_existing(db_path)
    outcomes: list[FileOutcome] = []
    seen: set[str] = set()
    try:
        with tempfile.TemporaryDirectory(prefix="saidao-dry-") as tmp:
            for source in sources(files, Path(tmp), options.settings, progress.grow):
                identify(source)
                outcome = _would(source, index, seen)
                seen.add(source.sha256)
                error = source.error
                done = FileOutcome(
                    source.display, source.origin, source.sha256, source.size, outcome,
                    reason=error.reason if error else None,
                    message=error.message_zh if error else None,
                    detail=error.detail if error else None,
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


def _would(source: Source, index: Index, seen: set[str]) -> str:
    """The dry-run verdict for one identified file."""
    if source.error is None and source.path is not None and source.size == 0:
        source.error = SaidaoError("empty", source.display)
    elif source.error is None and source.path is not None and sniff(source.path) is None:
        source.error = SaidaoError("unknown_format", source.display, source.path.suffix)
    if source.error is not None:
        return "unsupported"
    if source.sha256 in seen:
        return "unchanged"
    known = index.known(source.sha256) if index is not None else None
    if known == "imported":
        return "unchanged"
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
