"""Per-page progress: readers say "page i of n done", whoever listens hears it.

A scan takes seconds per page (OCR), so a run that reported only finished
files would sit at 0 for minutes. The readers call :func:`page_done` after
each page; by default nobody listens and it costs one ``None`` check. A run
installs a listener (:func:`install`): in-process, the run's own
``Progress.page``; in a worker process, :func:`sender`, which writes the event
to a pipe the parent drains (:func:`drain`) while it waits for results.

Progress must never fail an import: a listener's exception, a full pipe or a
dead parent drops the event, nothing more.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

#: ``(display, pages done, pages total)``
PageCallback = Callable[[str, int, int], None]

_callback: PageCallback | None = None
_current = ""  # the file being read, as staff know it (set by the worker around a file)
#: One event must fit in one atomic pipe write (POSIX: PIPE_BUF ≥ 512, Linux 4096).
_MAX_EVENT = 4000


def install(callback: PageCallback | None) -> PageCallback | None:
    """Listen with ``callback`` (None: nobody); returns the previous listener."""
    global _callback
    previous, _callback = _callback, callback
    return previous


@contextlib.contextmanager
def reading(display: str) -> Iterator[None]:
    """Page events inside the block belong to the file ``display``."""
    global _current
    previous, _current = _current, display
    try:
        yield
    finally:
        _current = previous


def page_done(done: int, total: int) -> None:
    """A reader finished page ``done`` (1-based) of ``total``; never raises."""
    callback = _callback
    if callback is None:
        return
    with contextlib.suppress(Exception):
        callback(_current, done, total)


def sender(conn: Connection) -> PageCallback:
    """A listener for a worker process: each event one non-blocking write to ``conn``.

    The pipe is shared by every worker; a write below PIPE_BUF is atomic, so
    events never interleave, and a non-blocking one fails at once when the pipe
    is full (the parent is busy or dead): that event is dropped. The write is
    done before the worker returns its result, so the parent sees a file's page
    events before the file's result.
    """
    os.set_blocking(conn.fileno(), False)

    def send(display: str, done: int, total: int) -> None:
        blob = json.dumps([display, done, total], ensure_ascii=False).encode()
        if len(blob) <= _MAX_EVENT:
            with contextlib.suppress(OSError, ValueError):
                conn.send_bytes(blob)

    return send


def drain(conn: Connection, callback: PageCallback) -> None:
    """Hand every event waiting in ``conn`` to ``callback`` (the parent's side)."""
    with contextlib.suppress(OSError, EOFError, ValueError):
        while conn.poll(0):
            event = json.loads(conn.recv_bytes())
            with contextlib.suppress(Exception):
                callback(str(event[0]), int(event[1]), int(event[2]))
