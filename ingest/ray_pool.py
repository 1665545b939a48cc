"""The import's reading and extraction as Ray tasks: the same work, spread over machines.

``saidao ingest --ray [ADDRESS]`` swaps the local :class:`~saidao.ingest.bulk.WorkerPool`
for :class:`RayPool`; everything else in a run is unchanged. The parent process
still walks the folders, hashes every file (SHA-256) before any work is sent,
decides what needs reading, and is the only writer of the index; only
:func:`saidao.ingest.bulk.work` (read + OCR + extract one file) runs on the
cluster. So a Ray import and a local import of the same files record the same
index, and the outcomes, report, re-check and duplicate grouping are the local
ones.

How the work travels:

* **bytes once, through the object store** — the parent reads a file and
  ``ray.put``\\ s it; the task writes it to a private temporary folder on the
  node that runs it and removes it afterwards. With ``shared_path=True`` (the
  cluster mounts the archive at the same path on every node) only the path
  travels.
* **backpressure** — at most ``2 × cluster CPUs`` files are in flight (as the
  local pool's ``2 × workers``), so the parent's memory stays flat whatever the
  folder size: a file's bytes are held only while its task is in flight.
* **models once per worker** — Ray keeps its worker processes between tasks, and
  the OCR engine and dictionaries are process-wide caches, so a node loads them
  once per worker process, not per task.

Faults, as a cluster has them:

* a task whose worker process dies is retried once by Ray itself
  (``max_retries=1``); a file that kills a worker twice is recorded as failed
  (``worker_crashed``) and the run goes on;
* a task lost with its node (or its object) is submitted again, up to
  :data:`NODE_LOSS_RETRIES` times, so losing a node loses no file;
* a task that outlives the watchdog (a hang in native code the in-task alarm
  cannot stop) is cancelled and recorded as ``timeout``;
* killing the parent loses at most the files in flight: the index records one
  file per transaction, so running the same command again finishes the job.

Ray is an optional dependency (``pip install 'saidao[ray]'``); it is imported
only when a Ray run starts.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saidao.errors import SaidaoError

#: ``--ray`` given without an address: start a Ray runtime on this machine.
LOCAL = "local"
#: A task lost with its node (not a crash of its own) is sent again this many times.
NODE_LOSS_RETRIES = 3
#: Ray's own retries of a task whose worker process died: one more try, then failed.
WORKER_DEATH_RETRIES = 1
#: A PDF this long whose pages need OCR is read one task per page (page 7 does not wait
#: for page 6); shorter files are one task, where a second task would cost more than it saves.
SPLIT_MIN_PAGES = 3
#: Where tasks keep their private copies of the bytes (removed when the task ends).
COPY_PREFIX = "saidao-ray-"


def _ray() -> Any:
    """Import Ray, or explain in Chinese how to install it."""
    try:
        import ray
    except ImportError as exc:  # optional extra
        raise SaidaoError("ray_missing") from exc
    return ray


@contextlib.contextmanager
def _local_copy(box: list | None, path: str) -> Iterator[Path]:
    """The file on this node: the shared ``path``, or its bytes from the object store.

    ``box`` holds the object ref of the bytes (in a list, so that Ray passes the ref
    itself and the page tasks of a long scan can share it); None for a shared path.
    The copy keeps the file's own name, so readers see the same suffix as locally.
    """
    if box is None:
        yield Path(path)
        return
    import ray

    with tempfile.TemporaryDirectory(prefix=COPY_PREFIX) as tmp:
        local = Path(tmp) / (Path(path).name or "file")
        local.write_bytes(ray.get(box[0]))
        yield local


def _run_remote(
    run: Callable[..., dict], init_worker: Callable[[int], None], box: list | None, path: str,
    display: str, kind: str | None, settings: Any, timeout: float, sha256: str, threads: int,
) -> dict:
    """One file, on whichever node Ray chose (the body of the remote task).

    ``run`` is the import's own worker function (``ingest.bulk.work``), passed in
    rather than imported so that this module and the import do not import each other.
    """
    import ray  # present on every node of the cluster

    work = run
    init_worker(threads)
    _show_file_in_process_title(Path(path).name)
    with _local_copy(box, path) as local:
        parts = _pages_elsewhere(box, local, path, sha256, settings, init_worker)
        if parts:
            from saidao.ingest.readers.pdf import pages_read_elsewhere

            with pages_read_elsewhere(sha256, parts):
                payload = work(str(local), display, kind, settings, timeout, sha256)
        else:
            payload = work(str(local), display, kind, settings, timeout, sha256)
    if box is not None and payload.get("result") is not None:
        _rename_file(payload["result"], Path(path).name, path)  # provenance: the file given
    payload["node"] = ray.get_runtime_context().get_node_id()
    payload["page_tasks"] = sum(len(p.pages) for p in parts)
    return payload


def _pages_elsewhere(box: list | None, local: Path, path: str, sha256: str,
                     settings: Any, init_worker: Callable[[int], None]) -> list[Any]:
    """A long scan's pages, each read (OCR'd) by its own task; [] for any other file.

    Only a PDF of :data:`SPLIT_MIN_PAGES` or more pages with OCR on is spread out.
    Anything unexpected here (not a PDF, a damaged one) leaves the file to
    :func:`work`, which reads it whole and reports it as it would locally.
    """
    if not settings.ocr:
        return []
    try:
        from saidao.ingest.detect import sniff
        from saidao.ingest.readers.pdf import page_count

        if sniff(local) != "pdf" or (pages := page_count(local)) < SPLIT_MIN_PAGES:
            return []
    except Exception:  # a bad file is work()'s to report
        return []
    import ray

    remote = ray.remote(num_cpus=1, max_retries=WORKER_DEATH_RETRIES)(_read_page)
    refs = [remote.remote(init_worker, box, path, sha256, settings, i) for i in range(pages)]
    try:
        return ray.get(refs)
    except Exception:  # a page task failed: read the file whole, as locally
        return []


def _read_page(init_worker: Callable[[int], None], box: list | None, path: str, sha256: str,
               settings: Any, index: int) -> Any:
    """One page of a PDF, text layer or OCR (the body of a page task)."""
    from saidao.ingest.readers.pdf import read_pages

    init_worker(1)
    _show_file_in_process_title(f"{Path(path).name} 第{index + 1}页")
    with _local_copy(box, path) as local:
        return read_pages(local, sha256, settings, [index])


def _show_file_in_process_title(name: str) -> None:
    """``ray::_run_remote decl_044.png`` in ``ps``: which file each worker is reading.

    Ray titles its worker processes with the task's name and resets the title when
    the task ends; the file is added for operators watching a node (and for the
    tests, which kill the worker reading a given file). Best effort: the title
    setter is Ray's own (``ray._raylet.setproctitle``) and may move between releases.
    """
    with contextlib.suppress(Exception):
        import ray._raylet as raylet

        raylet.setproctitle(f"ray::_run_remote {name}"[:200])


def _rename_file(value: Any, name: str, original: str) -> None:
    """Replace a task's private copy (``…/saidao-ray-…/name``) by the original path.

    Every provenance ``file`` of the result names the file staff gave, whichever
    task (the file's own or a page task) read the copy.
    """
    copies = str(Path(tempfile.gettempdir()) / COPY_PREFIX)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if (key == "file" and isinstance(sub, str) and sub.startswith(copies)
                        and sub.endswith("/" + name)):
                    item[key] = original
                elif isinstance(sub, dict | list):
                    stack.append(sub)
        elif isinstance(item, list):
            stack.extend(sub for sub in item if isinstance(sub, dict | list))


@dataclass
class _Task:
    key: Any
    args: tuple
    data: Any  # the object ref of the bytes (or None for a shared path)
    started: float
    attempts: int = 0


class RayPool:
    """Runs :func:`~saidao.ingest.bulk.work` as Ray tasks; the same ``results`` as the local pool.

    ``address``: :data:`LOCAL` (start a runtime here), ``"auto"`` (join the
    cluster this machine belongs to), ``"host:port"`` or ``"ray://host:10001"``.
    """

    def __init__(
        self, address: str, timeout: float, *, run: Callable[..., dict],
        error_payload: Callable[[SaidaoError], dict], init_worker: Callable[[int], None],
        shared_path: bool = False, max_inflight: int | None = None, num_cpus: int | None = None,
    ) -> None:
        """``run``, ``error_payload``, ``init_worker``: the import's worker function, its
        error result and its per-worker set-up (``ingest.bulk``), so that this module
        does not import the import that uses it."""
        self._run, self._error, self._init_worker = run, error_payload, init_worker
        self.address = address
        self.timeout = timeout
        self.watchdog = timeout * 2 + 10.0
        self.shared_path = shared_path
        self._max_inflight = max_inflight
        self._num_cpus = num_cpus
        self._ray: Any = None
        self._remote: Callable[..., Any] | None = None
        self.nodes_used: set[str] = set()
        self.page_tasks = 0  # pages read by tasks of their own (long scans)
        self._stdout: contextlib.AbstractContextManager | None = None

    # -- lifetime -------------------------------------------------------------------------

    def __enter__(self) -> RayPool:
        ray = self._ray = _ray()
        # Ray's driver prints cluster events (a worker died …) on stdout; stdout is for the
        # command's --json, so they go to stderr with the progress bar while the pool lives.
        self._stdout = contextlib.redirect_stdout(sys.stderr)
        self._stdout.__enter__()
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
        if self.address == LOCAL:
            if self._num_cpus:
                kwargs["num_cpus"] = self._num_cpus
            # "local", not None: with no address Ray joins RAY_ADDRESS or the latest
            # `ray start` on this machine (another user's cluster); this starts its own
            ray.init(address=LOCAL, **kwargs)
        else:
            kwargs.pop("include_dashboard")
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise SaidaoError("ray_unreachable", self.address, str(exc)[:300]) from exc
        self._remote = ray.remote(
            num_cpus=1, max_retries=WORKER_DEATH_RETRIES, retry_exceptions=False,
        )(_run_remote)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._ray is not None and self._ray.is_initialized():
                self._ray.shutdown()  # a local runtime stops; a joined cluster is only left
        finally:
            if self._stdout is not None:
                self._stdout.__exit__(None, None, None)
                self._stdout = None

    @property
    def cpus(self) -> int:
        """The cluster's CPUs now (nodes may come and go during a run)."""
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    @property
    def max_inflight(self) -> int:
        return self._max_inflight or 2 * self.cpus

    # -- the run ----------------------------------------------------------------------------

    def _submit(self, key: Any, args: tuple, data: Any = None) -> tuple[Any, _Task]:
        path = args[0]
        if data is None and not self.shared_path:
            data = self._ray.put(Path(path).read_bytes())
        # one CPU per task (num_cpus=1): one OCR thread each, so tasks do not fight for cores
        ref = self._remote.remote(
            self._run, self._init_worker, None if self.shared_path else [data], *args[:5], args[5] if len(args) > 5 else "",
            1,
        )
        return ref, _Task(key, args, data, time.monotonic())

    def results(self, jobs: Iterator[tuple[Any, tuple]]) -> Iterator[tuple[Any, dict]]:
        """Yield ``(key, payload)`` as tasks finish; ``jobs`` yields ``(key, work args)``."""
        ray = self._ray
        inflight: dict[Any, _Task] = {}
        exhausted = False
        while True:
            while not exhausted and len(inflight) < self.max_inflight:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                    break
                try:
                    ref, task = self._submit(*job)
                except OSError as exc:  # the parent could not read the bytes to send
                    reason = "not_found" if isinstance(exc, FileNotFoundError) else "corrupt"
                    yield job[0], self._error(SaidaoError(reason, job[1][1], exc.strerror or ""))
                    continue
                inflight[ref] = task
            if not inflight:
                return
            done, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
            for ref in done:
                task = inflight.pop(ref)
                payload = self._outcome(ref, task, inflight)
                if payload is not None:
                    yield task.key, payload
            yield from self._cancel_hung(inflight)

    def _outcome(self, ref: Any, task: _Task, inflight: dict[Any, _Task]) -> dict | None:
        """A finished task's payload, or None when it was sent again (its node was lost)."""
        ray = self._ray
        display = task.args[1]
        try:
            payload = ray.get(ref)
        except ray.exceptions.WorkerCrashedError:
            return self._error(SaidaoError(
                "worker_crashed", display, "Ray 工作进程读取此文件时两次退出"))
        except (ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError,
                ray.exceptions.RaySystemError) as exc:
            if task.attempts >= NODE_LOSS_RETRIES:
                return self._error(SaidaoError(
                    "worker_crashed", display, f"所在节点丢失 {task.attempts + 1} 次"))
            data = None if isinstance(exc, ray.exceptions.ObjectLostError) else task.data
            new_ref, new_task = self._submit(task.key, task.args, data)
            new_task.attempts = task.attempts + 1
            inflight[new_ref] = new_task
            return None
        except ray.exceptions.TaskCancelledError:
            return self._error(SaidaoError("timeout", display, f"> {self.watchdog:g} s"))
        except ray.exceptions.RayTaskError as exc:  # work() returns errors; this is a bug
            detail = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else "RayTaskError"
            return self._error(SaidaoError("extract_failed", display, detail))
        if node := payload.pop("node", None):
            self.nodes_used.add(node)
        self.page_tasks += payload.pop("page_tasks", 0)
        return payload

    def _cancel_hung(self, inflight: dict[Any, _Task]) -> Iterator[tuple[Any, dict]]:
        """Stop tasks that outlived the watchdog (a hang inside native code)."""
        now = time.monotonic()
        for ref, task in list(inflight.items()):
            if now - task.started > self.watchdog:
                self._ray.cancel(ref, force=True)
                del inflight[ref]
                yield task.key, self._error(
                    SaidaoError("timeout", task.args[1], f"> {self.watchdog:g} s"))
