"""A run's processes and temporary files end with it, however it ends.

A worker busy in native OCR code never notices that its parent was killed,
and a ``TemporaryDirectory`` is not removed by SIGKILL. So:

- every worker and the fork server ask the kernel for a signal when their
  parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, Linux); the chain main
  process → fork server → workers → LibreOffice then collapses from the top;
- temporary folders carry the creating process's id in their name, and every
  run starts by removing the folders of processes that no longer exist
  (:func:`sweep_stale`), so a killed run's copies go at the next run at the
  latest.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: linux/prctl.h
PR_SET_PDEATHSIG = 1
#: libc, loaded once here: ``preexec_fn`` runs between fork and exec, where loading a
#: library could wait forever on a lock another thread held at the fork.
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # not a POSIX libc: no parent-death signal
    _LIBC = None
#: Temporary folders made by saidao: ``saidao-<what>-<pid>-<random>``.
_OURS = re.compile(r"^saidao-[a-z]+-(\d+)-")


def die_with_parent(expected_parent: int | None = None) -> bool:
    """Have the kernel SIGKILL this process when its parent exits; False where unsupported.

    ``expected_parent``: when the parent is already gone (it died before the
    request was made) this process ends at once instead of living on orphaned.
    """
    prctl = getattr(_LIBC, "prctl", None)
    if prctl is None or prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)
    return True


def child_dies_with_parent() -> None:
    """``preexec_fn`` for helpers: killed when the worker that started them dies."""
    die_with_parent()


#: A guard between a worker and a helper that forks its own children (LibreOffice's
#: ``oosplash`` starts ``soffice.bin``, which a parent-death signal on ``oosplash`` would
#: orphan). The guard leads the helper's process group, asks for SIGTERM when the worker
#: dies, and then kills the whole group; otherwise it passes the helper's exit status on.
_GUARD = """
import ctypes, os, signal, subprocess, sys
def end(*_):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, end)
ctypes.CDLL(None).prctl(1, int(signal.SIGTERM), 0, 0, 0)
if os.getppid() != int(sys.argv[1]):
    end()
sys.exit(subprocess.call(sys.argv[2:]))
"""


def guarded(command: list[str]) -> list[str]:
    """``command`` run under a guard that takes it and all its children down when this
    process dies; start it with ``start_new_session=True`` so the guard leads the group."""
    return [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()), *command]


def run_tempdir(what: str) -> Path:
    """A fresh temporary folder named for this process (see :func:`sweep_stale`)."""
    return Path(tempfile.mkdtemp(prefix=f"saidao-{what}-{os.getpid()}-"))


@contextlib.contextmanager
def temporary_folder(what: str) -> Iterator[Path]:
    """:func:`run_tempdir`, removed on the way out (or by the next run if killed)."""
    path = run_tempdir(what)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale(root: str | Path | None = None) -> int:
    """Remove saidao temporary folders whose process no longer exists; return how many."""
    base = Path(root or tempfile.gettempdir())
    removed = 0
    try:
        entries = list(base.iterdir())
    except OSError:
        return 0
    for entry in entries:
        match = _OURS.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
