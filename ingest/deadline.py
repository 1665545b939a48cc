"""The per-file time limit (``--timeout``), enforced wherever the time goes.

The limit used to be an ``Exception`` raised by SIGALRM; OCR's ``except
Exception`` turned it into one page's failure and the file went on with no
alarm left, so only the parent's watchdog (2 × timeout + 10 s) stopped it.
:class:`TimeLimit` is a ``BaseException``: no ``except Exception`` in a reader
or library swallows it. Code that waits on something outside Python
(LibreOffice) asks :func:`remaining` for its own timeout.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

_limit: float | None = None
_started: float = 0.0


class TimeLimit(BaseException):  # noqa: N818  (a limit, not an error of the program)
    """The file took longer than the limit; ``elapsed`` is the real time spent."""

    def __init__(self, elapsed: float, limit: float) -> None:
        super().__init__(f"{elapsed:.1f} s > {limit:g} s")
        self.elapsed = elapsed
        self.limit = limit

    @property
    def detail(self) -> str:
        return f"用时 {self.elapsed:.1f} 秒，超过限制 {self.limit:g} 秒"


def start(limit: float) -> None:
    """Arm the limit for one file (the alarm interrupts Python code when it passes)."""
    global _limit, _started
    _limit, _started = limit, time.monotonic()
    if _alarm_allowed():
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)


def stop() -> None:
    global _limit
    if _alarm_allowed():
        signal.setitimer(signal.ITIMER_REAL, 0)
    _limit = None


def _alarm_allowed() -> bool:
    """Signals can only be handled in the main thread: an import the web app runs in a
    worker thread keeps ``remaining`` (LibreOffice's timeout) and the parent's watchdog,
    but no alarm (``signal.signal`` there raises ValueError and the whole job failed)."""
    return threading.current_thread() is threading.main_thread()


def elapsed() -> float:
    return time.monotonic() - _started


def remaining(default: float) -> float:
    """Seconds left for this file, at most ``default`` (``default`` when no limit is armed)."""
    if _limit is None:
        return default
    return max(0.0, min(default, _limit - elapsed()))


def expired() -> TimeLimit:
    """The exception for the armed limit, with the time spent so far."""
    return TimeLimit(elapsed(), _limit or 0.0)


def _on_alarm(signum: int, frame: Any) -> None:
    raise expired()
