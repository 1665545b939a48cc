"""Peak memory per worker over the fixture corpus, and over hostile files, before and after
the resource limits of issue 17. Not a test: prints tables (Markdown).

Each run is ``python -m saidao ingest … --json`` as its own process tree, polled every
20 ms through /proc: the peak RSS of each process (parent, fork server, resource tracker,
each worker) and of the whole tree at once. CPU seconds are user + system time summed over
every process of the tree (the last /proc reading of each, or ``RUSAGE_CHILDREN`` when
larger), so a busy machine shows in wall time, not in CPU.

*before* is the code at a given commit, made importable by ``--before PATH`` (a folder
whose ``saidao`` package is that commit's code: ``git archive COMMIT`` extracted, the
top-level folders linked under ``saidao/`` as ``pyproject.toml``'s package-dir maps them);
*after* is this checkout.

    python benchmarks/hostile_memory.py --before /tmp/before-pkg            # corpus + hostile
    python benchmarks/hostile_memory.py --only hostile --before /tmp/before-pkg
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import hostile  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "declarations"


@dataclass
class Run:
    label: str
    returncode: int
    wall: float
    cpu: float
    tree_peak: int
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (role, peak RSS)
    summary: dict | None = None

    def workers(self) -> list[int]:
        return [rss for role, rss in self.peaks.values() if role == "worker"]


def _role(pid: int, root: int, forkservers: set[int]) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "?"
    if pid == root:
        return "parent"
    if "resource_tracker" in cmd:
        return "tracker"
    if "forkserver" in cmd and ppid == root:  # (a worker's child before exec looks alike)
        forkservers.add(pid)
        return "forkserver"
    if ppid in forkservers:
        return "worker"
    return "helper"


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0


def measure(label: str, command: list[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env, cwd=tempfile.gettempdir())
    peaks: dict[int, tuple[str, int]] = {}
    forkservers: set[int] = set()
    ticks: dict[int, int] = {}
    tree_peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal tree_peak
        while not done.is_set():
            total = 0
            for pid in hostile.tree(proc.pid):
                rss = hostile._rss(pid)
                total += rss
                ticks[pid] = max(ticks.get(pid, 0), _cpu_ticks(pid))
                role = _role(pid, proc.pid, forkservers)  # again: a fork is seen before its exec
                if role == "?":
                    role = peaks.get(pid, ("?", 0))[0]
                peaks[pid] = (role, max(rss, peaks.get(pid, (role, 0))[1]))
            tree_peak = max(tree_peak, total)
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out, _ = proc.communicate()
    done.set()
    poller.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu = max(reaped, sum(ticks.values()) / os.sysconf("SC_CLK_TCK"))
    try:
        summary = json.loads(out)
    except ValueError:
        summary = None
    return Run(label, proc.returncode, wall, cpu, tree_peak, peaks, summary)


def ingest_command(paths: list[Path], db: Path, workers: int, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "saidao", "ingest", *map(str, paths), "--db", str(db),
            "--json", "--workers", str(workers), *extra]


def _env(pythonpath: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _mib(n: float) -> str:
    return f"{n / 2**20:.0f}"


def corpus_table(impls: dict[str, str | None], workers: int, extra: list[str],
                 pattern: str = "*", repeat: int = 1) -> None:
    files = sorted(p for p in CORPUS.glob(pattern)
                   if p.suffix != ".json" and p.name != "README.md")
    print(f"\n### Fixture corpus: {len(files)} files `tests/fixtures/declarations/{pattern}`, "
          f"workers {workers} {' '.join(extra)}, {repeat} run(s) each, alternating\n")
    print("| code | wall s | CPU s | tree peak MiB | parent MiB | worker peaks MiB | "
          "mean worker MiB | imported | failed |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for _, (label, path) in ((n, item) for n in range(repeat) for item in impls.items()):
        with tempfile.TemporaryDirectory() as tmp:
            run = measure(label, ingest_command(files, Path(tmp) / "c.db", workers, extra),
                          _env(path))
        workers_rss = sorted(run.workers(), reverse=True)
        parent = max((rss for role, rss in run.peaks.values() if role == "parent"), default=0)
        counts = (run.summary or {}).get("counts", {})
        print(f"| {label} | {run.wall:.1f} | {run.cpu:.1f} | {_mib(run.tree_peak)} | "
              f"{_mib(parent)} | {', '.join(_mib(r) for r in workers_rss)} | "
              f"{_mib(sum(workers_rss) / max(len(workers_rss), 1))} | "
              f"{counts.get('imported', '?')} | {counts.get('failed', '?')} |", flush=True)


def hostile_table(impls: dict[str, str | None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "2 KB PDF, 200-inch page": hostile.huge_page_pdf(folder / "huge.pdf"),
            "1 MB PDF, 1 GiB flate stream ×4 pages": hostile.flate_bomb_pdf(folder / "bomb.pdf"),
            "10,900² PNG": hostile.sparse_png(folder / "sparse.png"),
        }
        print("\n### Hostile files, each alone (workers 1)\n")
        print("| file | bytes | code | wall s | CPU s | tree peak MiB | worker peak MiB | "
              "outcome | reason |")
        print("|---|---:|---|---:|---:|---:|---:|---|---|")
        for name, path in cases.items():
            for label, pythonpath in impls.items():
                run = measure(label, ingest_command([path], folder / f"{label}.db", 1, []),
                              _env(pythonpath))
                files = (run.summary or {}).get("files", [{}])
                outcome = files[0].get("outcome", f"exit {run.returncode}")
                reason = files[0].get("reason") or files[0].get("kind") or ""
                worker = max(run.workers(), default=0)
                print(f"| {name} | {path.stat().st_size:,} | {label} | {run.wall:.1f} | "
                      f"{run.cpu:.1f} | {_mib(run.tree_peak)} | {_mib(worker)} | {outcome} | "
                      f"{reason} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="PYTHONPATH holding the code before the limits")
    parser.add_argument("--only", choices=("corpus", "hostile"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--files", default="*", help="glob under tests/fixtures/declarations")
    parser.add_argument("--repeat", type=int, default=1, help="runs per code, alternating")
    args = parser.parse_args()
    impls: dict[str, str | None] = {}
    if args.before:
        impls["before"] = args.before
    impls["after"] = None
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs · load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    if args.only in (None, "hostile"):
        hostile_table(impls)
    if args.only in (None, "corpus"):
        corpus_table(impls, args.workers, ["--no-ocr"] if args.no_ocr else [], args.files,
                     args.repeat)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
