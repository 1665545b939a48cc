"""Duplicate groups regrouped off the request path: one background thread at a time.

Grouping a region's firm rows takes seconds (11–13 s at 10,000 tracks), so a page
must never do it. After a staff write that changes what grouping reads (a corrected
credit code, a confirm or split) the web app calls :meth:`Regrouper.schedule`; /dupes
then shows the last stored groups under a notice until the thread has stored the
groups of the new data state (``index.dupes.precompute_groups``). A write while a
regroup runs asks for one more run after it, never a second thread: the running one
may have read the data before that write.

The grouping itself runs in a child process (``python -m saidao.web.regroup DB``),
which stores the groups in the index (``cached_answers``); the thread only waits for
it and then reads the stored groups back once, so the next request finds them in
memory. Grouping in a thread of the server held the interpreter lock for seconds:
every page (each SQLite call gives the lock up and waits to get it back) was slowed
several times over while it ran (measured: /dupes 11 ms → 130 ms). A read-only index
cannot store them, so there the thread groups itself and keeps them in memory.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class Regrouper:
    """The web app's one background regrouping of the index at ``db_path``."""

    def __init__(self, db_path: Path, read_only: bool = False) -> None:
        self.db_path, self.read_only = db_path, read_only
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._again = False
        self.runs = 0  # finished runs (for tests and the benchmark)
        #: The data state a finished run left without current groups (the child failed, or
        #: stored groups this server cannot use: new code on disk, an old server running).
        #: Pages do not start another run for that state: each would cost the same seconds
        #: of CPU and fail the same way; a write, or a new state, tries again.
        self.failed_state: tuple[Any, ...] | None = None

    def schedule(self, after_write: bool = True) -> None:
        """Regroup now in the background, or (``after_write``: the run under way may have
        read the data before it) once more after the run under way. A page that finds the
        groups out of date passes False: the run under way will do."""
        with self._lock:
            if after_write:
                self.failed_state = None
            if self._thread is not None:
                self._again = self._again or after_write
                return
            self._thread = threading.Thread(target=self._loop, name="saidao-regroup", daemon=True)
            self._thread.start()

    def busy(self) -> bool:
        """True while a regroup runs or is asked for."""
        with self._lock:
            return self._thread is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no regroup runs or is asked for (at most ``timeout`` seconds);
        True when none does."""
        with self._lock:
            return self._lock.wait_for(lambda: self._thread is None, timeout)

    def gave_up(self, state: tuple[Any, ...] | None) -> bool:
        """True when the last run ended at ``state`` without current groups and none runs:
        the page says so instead of promising new groups."""
        with self._lock:
            return self._thread is None and state is not None and state == self.failed_state

    def _loop(self) -> None:
        while True:
            before = self._probe(current=False)
            self._run_once()
            failed = self._probe(current=True)
            if failed is not None and failed != before:
                failed = None  # the data moved meanwhile: the next page starts a fresh run
            if failed is not None:
                log.warning("regroup: the groups are still out of date after a run; pages "
                            "will not start another for this data state")
            with self._lock:
                self.runs += 1
                if not self._again:
                    self.failed_state = failed
                    self._thread = None
                    self._lock.notify_all()
                    return
                self._again = False

    def _probe(self, current: bool) -> tuple[Any, ...] | None:
        """The data state grouping reads (``current``: only when the groups read back are
        still not those of that state, else None); None when the index cannot be read."""
        from saidao.index.cache import data_state
        from saidao.index.dupes import GROUPS_DEPEND, latest_groups
        from saidao.web.common import _thread_index

        try:
            index = _thread_index(self.db_path, self.read_only)
        except Exception:
            log.exception("regroup: index not opened")
            return None
        try:
            state = data_state(index, GROUPS_DEPEND)
            if current:
                found = latest_groups(index)
                return state if found is None or not found[1] else None
            return state
        except Exception:
            log.exception("regroup: data state not read")
            return None
        finally:
            index.close()

    def _run_once(self) -> None:
        """Group in a child process (in this thread for a read-only index), then read the
        stored groups back on this thread's connection; any failure is logged and leaves
        the old groups shown under their notice."""
        from saidao.index.dupes import latest_groups, precompute_groups
        from saidao.web.common import _thread_index

        if not self.read_only:
            try:
                done = subprocess.run([sys.executable, "-m", "saidao.web.regroup", str(self.db_path)],
                                      capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                                      check=False)
            except (OSError, subprocess.TimeoutExpired):
                log.exception("regroup: child process failed")
                return
            if done.returncode:
                log.error("regroup: child process exited %s: %s", done.returncode, done.stderr[-2000:])
                return
        try:
            index = _thread_index(self.db_path, self.read_only)
        except Exception:
            log.exception("regroup: index not opened")
            return
        try:
            if self.read_only:
                precompute_groups(index)  # memoised in this process: nothing can be stored
            latest_groups(index)  # read back once: the next request finds them in memory
            # and collect now: reading them back made enough objects that the next page
            # would otherwise run a full collection of the heap (measured ~0.4 s at 10,000 tracks)
            gc.collect()
        except Exception:
            log.exception("regroup failed")
        finally:
            index.close()


#: How long the child waits to store the groups while another program writes (ms).
CHILD_STORE_WAIT_MS = 5_000

#: How much lower the child's CPU priority is than the server's (``nice``).
CHILD_NICENESS = 10

#: A child that groups longer than this (seconds) is given up (a region groups in ~15 s).
CHILD_TIMEOUT_S = 30 * 60


def main(argv: list[str]) -> int:
    """The child: group the index at ``argv[0]`` and store the groups (exit 0), unless the
    stored ones are current already."""
    from saidao.index import cache
    from saidao.index.db import connect
    from saidao.index.dupes import latest_groups, precompute_groups
    from saidao.index.store import Index

    cache.STORE_WAIT_MS = CHILD_STORE_WAIT_MS  # a background job can wait for an import's write
    with contextlib.suppress(OSError):  # pages first: the server's requests get the CPU
        os.nice(CHILD_NICENESS)        # before this background job (2 cores, one is ours)
    index = Index(connect(Path(argv[0])), argv[0])
    try:
        precompute_groups(index)
        cache._memo.clear()  # what counts is what the server will read: the stored answer
        found = latest_groups(index)
    finally:
        index.close()
    if found is None or not found[1]:
        print("regroup: the groups could not be stored (index locked?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
