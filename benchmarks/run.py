"""Import throughput and memory of ``saidao ingest`` beside the raw parsers it builds on.

Not a test: prints tables and writes them to the first section of
``benchmarks/RESULTS.md`` (everything from ``## Search latency`` on is kept).

For each set (.docx, born-digital PDF) it times, on the same files
(byte-distinct copies of the fixtures, so every copy is really imported):

- *raw*: the library alone, serially — python-docx (``Document`` + every
  paragraph and table cell), pdfplumber (open, ``extract_text`` and
  ``find_tables`` per page);
- *import ×1*: ``ingest`` into a fresh index with one worker (the ratio to raw
  is saidao's overhead: reading into the model, extraction, the index, links);
- *import ×N*: the same with N workers (throughput on this machine).

Two rates: *total* (files over the whole wall time, start-up and the end of
the run included) and *steady* (the files finished after the first
``warm-up`` ones, over the time they took) — the rate of a long import, where
start-up is paid once for thousands of files. The raw parsers get the same
treatment (their first files pay the libraries' imports).

``--breakdown`` (on by default) also times each step in one process, warm,
on the same .docx and PDF files plus the bundled policies: where the time goes.

Scans (``benchmarks/scans.py``, printed after the tables): raw rapidocr 3.x's default
pipeline on pages rendered at 200 dpi beside saidao's import of the same scanned PDFs
(pages/s, pages/s per core, CPU s per page with children, CER, the ratio), and the
cold start of a one-file import (wall and CPU seconds, with the load).

Memory: the peak RSS of an import of N small files with unique bytes, parent
and workers, measured in a child process; run at N/4 and N to show it stays flat.

    python benchmarks/run.py                     # defaults: about 10 minutes on 2 cores
    python benchmarks/run.py --copies 10 --scans 8 --memory-files 10000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECL = ROOT / "tests" / "fixtures" / "declarations"
DOCX = [DECL / f"decl_{i:03d}.docx" for i in range(1, 15)]
PDF = [DECL / f"decl_{i:03d}.pdf" for i in range(23, 35)]
POLICIES = sorted((ROOT / "corpus" / "policies").glob("*.txt"))
RESULTS_TAIL = "## Search latency"  # the section after ours, owned by benchmarks/search.py


@dataclass
class Row:
    """One line of the results table: a run over ``files``, each one's finishing time."""

    set: str
    what: str
    files: int
    pages: int
    seconds: float
    done_at: list[float] = field(default_factory=list)  # seconds from start, per file
    warmup: int = 0
    note: str = ""

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def steady_files_per_s(self) -> float:
        """Files finished after the warm-up ones, over the time from the warm-up's end."""
        done = sorted(self.done_at)
        if len(done) <= self.warmup + 1:
            return self.files_per_s
        span = done[-1] - done[self.warmup - 1] if self.warmup else done[-1]
        return (len(done) - self.warmup) / span if span > 0 else 0.0


# --------------------------------------------------------------------------- inputs


def unique_copy(source: Path, target: Path, n: int) -> None:
    """Same content, new bytes: a .docx gets an unreferenced part, others a trailing comment.

    A .docx copy's pictures get new bytes too (a trailing marker after the image data, which
    decoders ignore): the reader caches seal verdicts by picture content, and real submissions
    carry their own pictures, so copies must not be answered from that cache.
    """
    if source.suffix == ".docx":
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.startswith("word/media/"):
                    data += f"copy{n}".encode()
                dst.writestr(info, data)
            dst.writestr(f"customXml/copy{n}.xml", f"<copy n='{n}'/>")
    elif source.suffix == ".pdf":
        target.write_bytes(source.read_bytes() + f"\n% copy {n}\n".encode())
    else:
        target.write_bytes(source.read_bytes() + f"\n{n}\n".encode())


def replicate(files: list[Path], copies: int, folder: Path) -> list[Path]:
    """``copies`` byte-distinct copies of each file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for n in range(copies):
        for f in files:
            target = folder / f"{f.stem}_{n}{f.suffix}"
            if n == 0:
                shutil.copy(f, target)
            else:
                unique_copy(f, target, n)
            out.append(target)
    return out


# --------------------------------------------------------------------------- raw parsers


def raw_docx_file(path: Path) -> None:
    """python-docx alone: open one file and touch every paragraph and table cell."""
    import docx

    document = docx.Document(str(path))
    for paragraph in document.paragraphs:
        _ = paragraph.text
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                _ = cell.text


def raw_docx(files: list[Path]) -> Iterator[int]:
    """:func:`raw_docx_file` over the files; yields pages (1 each)."""
    for f in files:
        raw_docx_file(f)
        yield 1


def raw_pdfplumber(files: list[Path]) -> Iterator[int]:
    """pdfplumber alone: text and table finding on every page; yields each file's pages."""
    import pdfplumber

    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.find_tables()
            yield len(pdf.pages)


def timed_raw(name: str, label: str, files: list[Path], pages: Iterator[int], warmup: int) -> Row:
    """Run a raw parser over ``files``, noting when each file is done."""
    started = time.perf_counter()
    done_at: list[float] = []
    total = 0
    for n in pages:
        total += n
        done_at.append(time.perf_counter() - started)
    return Row(name, f"raw: {label}", len(files), total, time.perf_counter() - started, done_at, warmup)


# --------------------------------------------------------------------------- imports


class _Clock:
    """A progress sink that notes when each file finished."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.done_at: list[float] = []

    def grow(self, n: int) -> None:
        pass

    def done(self, outcome: object) -> None:
        self.done_at.append(time.perf_counter() - self.started)


def timed_import(name: str, files: list[Path], workers: int, ocr: bool, tmp: Path, warmup: int) -> Row:
    """Import ``files`` into a fresh index (a fresh process: no module imported yet)."""
    out = subprocess.run(
        [sys.executable, __file__, "--_import-child", str(tmp / f"bench-{time.monotonic_ns()}.db"),
         str(workers), str(int(ocr)), *map(str, files)],
        capture_output=True, text=True, check=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    note = f"{r['failed']} failed" if r["failed"] else ""
    return Row(name, f"saidao ingest ×{workers}", len(files), r["pages"], r["seconds"], r["done_at"],
               warmup, note)


def import_child(db: str, workers: int, ocr: bool, files: list[str]) -> None:
    """Run in a child process: time one import, print its figures as JSON."""
    clock = _Clock()
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    summary = ingest(files, db, Options(workers=workers, settings=ReadSettings(ocr=ocr)), clock)
    print(json.dumps({
        "pages": summary.pages, "failed": summary.failed,
        "seconds": time.perf_counter() - clock.started, "done_at": clock.done_at,
    }))


def bench_set(
    name: str, files: list[Path], raw: tuple[str, Iterator[int]], workers: int, ocr: bool,
    tmp: Path, warmup: int,
) -> list[Row]:
    label, pages = raw
    rows = [timed_raw(name, label, files, pages, warmup)]
    for n in sorted({1, workers}):
        rows.append(timed_import(name, files, n, ocr, tmp, warmup))
    return rows


# --------------------------------------------------------------------------- where the time goes


def breakdown(sets: dict[str, list[Path]], tmp: Path) -> list[dict]:
    """Seconds per step, one process, warm (each set read once before timing)."""
    from saidao.extractors.classify import classify
    from saidao.extractors.declaration import extract_declaration
    from saidao.extractors.policy import extract_policy
    from saidao.index.links import clause_pool, index_policies, index_tracks, link_track
    from saidao.index.store import Index
    from saidao.ingest.bulk import warm
    from saidao.ingest.read import read, sha256_of
    from saidao.settings import ReadSettings

    settings = ReadSettings(ocr=False)
    started = time.perf_counter()
    warm()
    out = [{"set": "start-up", "files": 0, "steps": {"warm": time.perf_counter() - started}}]
    index = Index.open(tmp / "breakdown.db")
    run_id = index.start_run(["breakdown"], {})
    pools: dict[str, object] = {}
    for name, files in sets.items():
        for f in files[:2]:
            extract_policy(read(f, settings)) if name == "policy" else extract_declaration(read(f, settings))
        steps = dict.fromkeys(("sha256", "read", "classify", "extract", "record", "link"), 0.0)
        for f in files:
            sha = _step(steps, "sha256", lambda f=f: sha256_of(f))
            doc = _step(steps, "read", lambda f=f, sha=sha: read(f, settings, sha))
            kind = _step(steps, "classify", lambda doc=doc: classify(doc))
            extract = extract_policy if kind == "policy" else extract_declaration
            result = _step(steps, "extract", lambda doc=doc, extract=extract: extract(doc))
            result.update(kind=kind, source={"format": doc.format, "pages": len(doc.pages)})
            _step(steps, "record", lambda f=f, sha=sha, result=result, kind=kind: index.record(
                run_id=run_id, path=str(f), sha256=sha, size=f.stat().st_size, kind=kind,
                result=result, error=None))
            if kind == "declaration":
                def link(sha: str = sha) -> None:  # as the import's linker: clauses read once
                    pool = pools.get("pool") or pools.setdefault("pool", clause_pool(index_policies(index)))
                    for track_id in index.track_ids(sha):
                        for track in index_tracks(index, track_id):
                            index.replace_links(track_id, link_track(track, pool))
                _step(steps, "link", link)
        out.append({"set": name, "files": len(files), "steps": steps})
    index.close()
    return out


def _step(steps: dict[str, float], name: str, fn: Callable[[], object]) -> object:
    started = time.perf_counter()
    value = fn()
    steps[name] += time.perf_counter() - started
    return value


# --------------------------------------------------------------------------- memory


def memory_child(folder: str, db: str, workers: int) -> None:
    """Run in a child process: import, then report this run's peak RSS (KiB) as JSON."""
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    started = time.perf_counter()
    summary = ingest([folder], db, Options(workers=workers, settings=ReadSettings(ocr=False)))
    print(json.dumps({
        "files": len(summary.files),
        "failed": summary.failed,
        "seconds": time.perf_counter() - started,
        "parent_kib": _vm_hwm_kib(),
        "children_kib": summary.worker_peak_kib,
    }))


def _vm_hwm_kib() -> int:
    """This process's peak RSS since exec (ru_maxrss would carry the launcher's over exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_memory(n_files: int, workers: int, tmp: Path) -> dict:
    """Peak memory of importing ``n_files`` small byte-distinct .docx files."""
    folder = tmp / f"mem{n_files}"
    source = DECL / "decl_002.docx"
    folder.mkdir()
    for n in range(n_files):
        unique_copy(source, folder / f"m{n:06d}.docx", n)
    out = subprocess.run(
        [sys.executable, __file__, "--_memory-child", str(folder), str(tmp / f"mem{n_files}.db"),
         str(workers)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def table(rows: list[Row], memory: list[dict], steps: list[dict], args: argparse.Namespace,
          load_start: float) -> str:
    lines = [
        "# saidao benchmarks",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.platform()} · Python "
        f"{platform.python_version()} · {os.cpu_count()} CPUs · load average "
        f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end · workers "
        f"{args.workers} · copies {args.copies} (pdf {args.pdf_copies}) · scans {args.scans} · "
        f"warm-up {args.warmup} files · memory files {args.memory_files}",
        "",
        "| set | what | files | pages | seconds | files/s | pages/s | steady files/s | "
        "×raw total | ×raw steady | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    raw: dict[str, Row] = {}
    for r in rows:
        if r.what.startswith("raw"):
            raw[r.set] = r
        base = raw.get(r.set)
        total = r.seconds / base.seconds if base and base.seconds else 0.0
        steady = base.steady_files_per_s / r.steady_files_per_s if base and r.steady_files_per_s else 0.0
        lines.append(
            f"| {r.set} | {r.what} | {r.files} | {r.pages} | {r.seconds:.1f} | "
            f"{r.files_per_s:.2f} | {r.pages_per_s:.2f} | {r.steady_files_per_s:.2f} | "
            f"{total:.2f} | {steady:.2f} | {r.note} |"
        )
    lines += [
        "",
        "*raw*: the library alone, one process. *×raw*: import time over raw time on the same",
        "files — *total* from the start of the command to the end of the run, *steady* after the",
        "warm-up files (×1: saidao's whole overhead — document model, extraction, index writes,",
        "links; ×N: with N worker processes). Numbers depend on the machine's load.",
    ]
    if steps:
        lines += _breakdown_table(steps)
    if memory:
        lines += [
            "",
            "Peak memory of an import (no OCR; small byte-distinct .docx files):",
            "",
            "| files | seconds | files/s | parent peak MiB | largest worker peak MiB | failed |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for m in memory:
            lines.append(
                f"| {m['files']} | {m['seconds']:.1f} | {m['files'] / m['seconds']:.1f} | "
                f"{m['parent_kib'] / 1024:.0f} | {m['children_kib'] / 1024:.0f} | {m['failed']} |"
            )
    return "\n".join(lines) + "\n"


def _breakdown_table(steps: list[dict]) -> list[str]:
    names = ("sha256", "read", "classify", "extract", "record", "link")
    lines = [
        "",
        "Where the time goes (one process, warm; milliseconds per file; *record* is the index",
        "transaction with FTS segmentation, *link* the track's links against the indexed clauses):",
        "",
        "| set | files | " + " | ".join(names) + " | total |",
        "|---|---:|" + "---:|" * (len(names) + 1),
    ]
    for entry in steps:
        if not entry["files"]:
            lines.append(f"| start-up (once per run: fork server warm-up) | – | "
                         f"{' | '.join('' for _ in names)} | {entry['steps']['warm'] * 1000:.0f} |")
            continue
        per = {k: v * 1000 / entry["files"] for k, v in entry["steps"].items()}
        lines.append(f"| {entry['set']} | {entry['files']} | "
                     + " | ".join(f"{per[k]:.1f}" for k in names) + f" | {sum(per.values()):.1f} |")
    return lines


def write_results(path: Path, report: str) -> None:
    """Replace our section of RESULTS.md, keeping the sections others own."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    tail = old[old.index(RESULTS_TAIL):] if RESULTS_TAIL in old else ""
    path.write_text(report + ("\n" + tail if tail else ""), encoding="utf-8")


def scan_section(args: argparse.Namespace) -> str:
    """Scanned declarations: raw rapidocr 3.x beside the import, and the cold start (benchmarks/scans.py)."""
    import scans

    body = scans.section(args.scans, args.workers, args.before, lite=args.only != "scan",
                         long_scan=args.only == "scan", precisions=tuple(args.precision))
    return "\n## Scanned declarations and cold start (`python benchmarks/scans.py`)\n\n" + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of each docx fixture")
    parser.add_argument("--pdf-copies", type=int, default=4, help="copies of each PDF fixture")
    parser.add_argument("--scans", type=int, default=3, help="files of scan set 2 to OCR (0 to skip)")
    parser.add_argument("--before", help="an older saidao package folder, measured beside this one")
    parser.add_argument("--warmup", type=int, default=8, help="files left out of the steady rate")
    parser.add_argument("--memory-files", type=int, default=2000, help="files in the memory run")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the per-step table")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--precision", nargs="+", choices=["int8", "fp32"], default=[],
                        help="the scan rows once per OCR model precision, side by side")
    parser.add_argument("--only", choices=("scan",),
                        help="run only this set and print it (RESULTS.md is left alone)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument("--_memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--_import-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory_child:
        folder, db, workers = args._memory_child
        memory_child(folder, db, int(workers))
        return
    if args._import_child:
        db, workers, ocr, *files = args._import_child
        import_child(db, int(workers), ocr == "1", files)
        return
    if args.only == "scan":
        print(scan_section(args))
        return
    load_start = os.getloadavg()[0]
    rows: list[Row] = []
    memory: list[dict] = []
    steps: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="saidao-bench-") as name:
        tmp = Path(name)
        if args.memory_files:  # first, while this process is small
            for n in sorted({max(1, args.memory_files // 4), args.memory_files}):
                memory.append(bench_memory(n, args.workers, tmp))
        docx = replicate(DOCX, args.copies, tmp / "docx")
        pdf = replicate(PDF, args.pdf_copies, tmp / "pdf")
        w = args.warmup
        rows += bench_set("docx", docx, ("python-docx", raw_docx(docx)), args.workers, False, tmp, w)
        print(table(rows, memory, steps, args, load_start), file=sys.stderr)
        rows += bench_set("pdf", pdf, ("pdfplumber", raw_pdfplumber(pdf)), args.workers, False, tmp,
                          w)
        if not args.no_breakdown:
            steps = breakdown({"policy": POLICIES, "docx": docx, "pdf": pdf}, tmp)
    report = table(rows, memory, steps, args, load_start)
    if args.scans:
        report += scan_section(args)
    print(report)
    write_results(args.out, report)


if __name__ == "__main__":
    main()
