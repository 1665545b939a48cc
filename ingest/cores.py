"""How many of the machine's cores are idle now.

The bulk import asks before it starts workers for a single long scan: a second
worker is worth its start-up only when a core is free for it.

The 1-minute load average is a poor answer to "now": it still counts a job that
ended seconds ago (the previous import, a test run), and it counts processes
that wait on the disk. The kernel's own CPU counters, read twice a tenth of a
second apart, say what the cores did in that tenth. Where there are none
(not Linux), the load average stands in.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
SAMPLE_SECONDS = 0.1


def _busy_and_total(stat_text: str) -> tuple[int, int]:
    """Busy and total jiffies of all cores from ``/proc/stat``'s ``cpu`` line.

    Idle is the ``idle`` and ``iowait`` columns (a core waiting on the disk could
    compute); ``guest`` columns are already inside ``user``/``nice``.

    >>> _busy_and_total("cpu  100 0 50 800 50 0 0 0 0 0\\ncpu0 50 0 25 400 25 0 0 0 0 0\\n")
    (150, 1000)
    """
    fields = [int(v) for v in stat_text.split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    total = sum(fields)
    return total - idle, total


def idle_fraction(before: str, after: str) -> float | None:
    """The share of CPU time left idle between two readings of ``/proc/stat`` (None: no time passed).

    >>> idle_fraction("cpu 100 0 0 100 0 0 0 0", "cpu 150 0 0 250 0 0 0 0")
    0.75
    """
    busy0, total0 = _busy_and_total(before)
    busy1, total1 = _busy_and_total(after)
    if total1 <= total0:
        return None
    return 1.0 - (busy1 - busy0) / (total1 - total0)


def idle_cores(sample: float = SAMPLE_SECONDS) -> float:
    """Cores idle over the next ``sample`` seconds (Linux), else the cores less the load average."""
    cores = os.cpu_count() or 1
    try:
        before = PROC_STAT.read_text()
        time.sleep(sample)
        share = idle_fraction(before, PROC_STAT.read_text())
        if share is not None:
            return cores * share
    except (OSError, ValueError, IndexError):
        pass
    try:
        return cores - os.getloadavg()[0]
    except OSError:  # no load average either: assume the cores are free
        return float(cores)
