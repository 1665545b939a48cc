"""The Ray path (``saidao ingest --ray``) beside the local pool on the same files.

Not a test: prints tables (paste them into ``benchmarks/RESULTS.md``). It starts a
two-node Ray cluster on 127.0.0.1 with ``ray start`` (a head and a second node, one
CPU each, so tasks cross raylets as on a real cluster), then measures, each as a
``saidao ingest`` child process into a fresh index:

1. **scans** — the scanned declarations (``decl_035``–``042``): pages/s locally with
   2 workers and through the cluster, and the ratio;
2. **per-file overhead** — N small text files with distinct bytes, where reading is
   nearly free, so the difference per file between the two paths is the Ray path's
   own cost (task dispatch, object store, result transfer);
3. **parent memory** — the peak RSS of the importing process (the single writer)
   over ``--memory-files`` small files through the cluster.

Wall times on a shared machine move with its load: the load average is printed
with every row.

    python benchmarks/ray_scale.py                      # defaults, ~10 minutes on 2 cores
    python benchmarks/ray_scale.py --small 500 --memory-files 2000 --no-scans
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANS = [ROOT / "tests" / "fixtures" / "declarations" / f"decl_{i:03d}.pdf" for i in range(35, 43)]
RAY = str(Path(sys.executable).with_name("ray"))
#: Runs `saidao ingest` and prints this process's own peak RSS (KiB) on stderr at exit.
RUNNER = (
    "import resource, sys\n"
    "from saidao.cli import main\n"
    "try:\n    main()\n"
    "finally:\n"
    "    print('PEAK_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster() -> str:
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    port = free_port()
    common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    subprocess.run([RAY, "get-auth-token", "--generate"], env=env, check=True,
                   capture_output=True)
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--include-dashboard=false",
                    *common], env=env, check=True, capture_output=True)
    subprocess.run([RAY, "start", f"--address=127.0.0.1:{port}", *common], env=env,
                   check=True, capture_output=True)
    return f"127.0.0.1:{port}"


def stop_cluster() -> None:
    subprocess.run([RAY, "stop", "--force"], capture_output=True)


def ingest(folder: Path, db: Path, *extra: str) -> tuple[float, dict, int]:
    """(wall seconds, the --json summary, the importing process's peak RSS in KiB)."""
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, "ingest", str(folder), "--db", str(db), "--json", *extra],
        capture_output=True, text=True, env=env,
    )
    wall = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines()
                 if line.startswith("PEAK_KIB")), 0)
    return wall, json.loads(done.stdout), peak


def small_files(folder: Path, n: int) -> Path:
    """``n`` short texts with distinct bytes (classified 'other': reading costs little)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note_{i:06d}.txt").write_text(
            f"会议纪要第{i}号\n关于第{i}批材料的收文登记，共{i % 7 + 1}份，已转经办处室。\n",
            encoding="utf-8")
    return folder


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="small files for the overhead")
    parser.add_argument("--memory-files", type=int, default=10000)
    parser.add_argument("--no-scans", action="store_true")
    args = parser.parse_args()
    address = start_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="saidao-bench-ray-"))
    try:
        print(f"cluster {address}: 2 nodes × 1 CPU; machine {os.cpu_count()} cores")
        if not args.no_scans:
            folder = tmp / "scans"
            folder.mkdir()
            for f in SCANS:
                shutil.copy(f, folder / f.name)
            rows = []
            for name, extra in (("local, 2 workers", ("--workers", "2")),
                                ("Ray, 2 nodes", ("--ray", address))):
                before = load()
                wall, summary, peak = ingest(folder, tmp / f"scan-{len(rows)}.db", *extra)
                pages = summary["pages"]
                rows.append([name, str(summary["total"]), str(pages), f"{wall:.1f}",
                             f"{pages / wall:.3f}", f"{pages / wall / 2:.3f}",
                             f"{peak / 1024:.0f}", f"{before} → {load()}"])
            ratio = float(rows[0][3]) / float(rows[1][3])
            table("Scans: local pool and Ray on the same files",
                  ["path", "files", "pages", "wall s", "pages/s", "pages/s per core",
                   "parent MiB", "load"], rows)
            print(f"\nRay / local speed: {ratio:.2f}× (1.00 = no overhead)")
        folder = small_files(tmp / "small", args.small)
        rows = []
        for name, extra in (("local, 2 workers", ("--workers", "2")),
                            ("Ray, 2 nodes", ("--ray", address))):
            before = load()
            wall, summary, peak = ingest(folder, tmp / f"small-{len(rows)}.db", *extra)
            rows.append([name, str(summary["total"]), f"{wall:.1f}",
                         f"{1000 * wall / summary['total']:.2f}", f"{peak / 1024:.0f}",
                         f"{before} → {load()}"])
        per_file = float(rows[1][3]) - float(rows[0][3])
        table(f"Per-file cost on {args.small} small files (reading ≈ free)",
              ["path", "files", "wall s", "ms per file", "parent MiB", "load"], rows)
        print(f"\nRay path overhead: {per_file:+.2f} ms per file over the local pool")
        folder = small_files(tmp / "many", args.memory_files)
        before = load()
        wall, summary, peak = ingest(folder, tmp / "many.db", "--ray", address)
        table(f"Parent memory over {args.memory_files} files through Ray",
              ["files", "wall s", "files/s", "parent peak MiB", "load"],
              [[str(summary["total"]), f"{wall:.0f}", f"{summary['total'] / wall:.1f}",
                f"{peak / 1024:.0f}", f"{before} → {load()}"]])
    finally:
        stop_cluster()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
