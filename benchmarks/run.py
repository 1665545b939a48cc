"""Import throughput and memory of ``saidao ingest`` beside the raw parsers it builds on.

Not a test: prints a table and writes it to ``benchmarks/RESULTS.md``.

For each set (.docx, born-digital PDF, scanned PDF) it times

- *raw*: the library alone, serially on the same files — python-docx
  (``Document`` + every paragraph and table cell), pdfplumber (open,
  ``extract_text`` and ``find_tables`` per page), rapidocr on pages rendered
  by pypdfium2 at the readers' OCR resolution;
- *import ×1*: ``ingest`` into a fresh index with one worker (the ratio to raw
  is saidao's overhead: reading into the model, extraction, the index);
- *import ×N*: the same with N workers (throughput on this machine).

Memory: the peak RSS (``getrusage`` maxrss) of an import of N small files
with unique bytes, parent and workers, measured in a child process; run at
N/4 and N to show it stays flat.

    python benchmarks/run.py                     # defaults: about 5–10 minutes on 2 cores
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECL = ROOT / "tests" / "fixtures" / "declarations"
DOCX = [DECL / f"decl_{i:03d}.docx" for i in range(1, 15)]
PDF = [DECL / f"decl_{i:03d}.pdf" for i in range(23, 35)]
SCAN = [DECL / f"decl_{i:03d}.pdf" for i in range(35, 43)]


@dataclass
class Row:
    """One line of the results table."""

    set: str
    what: str
    files: int
    pages: int
    seconds: float
    note: str = ""

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------- inputs


def unique_copy(source: Path, target: Path, n: int) -> None:
    """Same content, new bytes: a .docx gets an unreferenced part, others a trailing comment."""
    if source.suffix == ".docx":
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
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


def raw_docx(files: list[Path]) -> int:
    """python-docx alone: open and touch every paragraph and cell; returns pages (1 each)."""
    import docx

    for f in files:
        d = docx.Document(str(f))
        for p in d.paragraphs:
            _ = p.text
        for t in d.tables:
            for row in t.rows:
                for cell in row.cells:
                    _ = cell.text
    return len(files)


def raw_pdfplumber(files: list[Path]) -> int:
    """pdfplumber alone: text and table finding on every page."""
    import pdfplumber

    pages = 0
    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.find_tables()
                pages += 1
    return pages


def raw_ocr(files: list[Path], dpi: int) -> int:
    """rapidocr alone on every page rendered at the readers' OCR resolution."""
    import numpy as np
    import pypdfium2
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    pages = 0
    for f in files:
        pdf = pypdfium2.PdfDocument(str(f))
        for i in range(len(pdf)):
            image = pdf[i].render(scale=dpi / 72).to_pil().convert("RGB")
            engine(np.asarray(image))
            pages += 1
        pdf.close()
    return pages


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    pages = fn()
    return pages, time.perf_counter() - started


# --------------------------------------------------------------------------- imports


def timed_import(files: list[Path], workers: int, ocr: bool, tmp: Path) -> tuple[int, float, int]:
    """Import ``files`` into a fresh index; (pages, seconds, failed)."""
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    db = tmp / f"bench-{time.monotonic_ns()}.db"
    options = Options(workers=workers, settings=ReadSettings(ocr=ocr))
    started = time.perf_counter()
    summary = ingest(files, db, options)
    return summary.pages, time.perf_counter() - started, summary.failed


def bench_set(
    name: str, files: list[Path], raw: tuple[str, Callable[[], int]], workers: int, ocr: bool,
    tmp: Path,
) -> list[Row]:
    rows = []
    label, fn = raw
    pages, seconds = timed(fn)
    rows.append(Row(name, f"raw: {label}", len(files), pages, seconds))
    for n in sorted({1, workers}):
        pages, seconds, failed = timed_import(files, n, ocr, tmp)
        note = f"{failed} failed" if failed else ""
        rows.append(Row(name, f"saidao ingest ×{n}", len(files), pages, seconds, note))
    return rows


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


def table(rows: list[Row], memory: list[dict], args: argparse.Namespace) -> str:
    lines = [
        "# saidao benchmarks",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.platform()} · Python "
        f"{platform.python_version()} · {os.cpu_count()} CPUs · load average "
        f"{os.getloadavg()[0]:.1f} at the end · workers {args.workers} · copies {args.copies} · "
        f"scans {args.scans} · memory files {args.memory_files}",
        "",
        "| set | what | files | pages | seconds | files/s | pages/s | ×raw time | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    raw_seconds: dict[str, float] = {}
    for r in rows:
        if r.what.startswith("raw"):
            raw_seconds[r.set] = r.seconds
        ratio = r.seconds / raw_seconds[r.set] if raw_seconds.get(r.set) else 0.0
        lines.append(
            f"| {r.set} | {r.what} | {r.files} | {r.pages} | {r.seconds:.1f} | "
            f"{r.files_per_s:.2f} | {r.pages_per_s:.2f} | {ratio:.2f} | {r.note} |"
        )
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
    lines += [
        "",
        "*raw*: the library alone, one process. *×raw time*: import seconds over raw seconds on the",
        "same files (×1: saidao's whole overhead — document model, extraction, index writes;",
        "×N: with N worker processes). Numbers depend on the machine's load (see load average).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="copies of each docx/pdf fixture")
    parser.add_argument("--scans", type=int, default=2, help="scanned PDFs to OCR (0 to skip)")
    parser.add_argument("--memory-files", type=int, default=2000, help="files in the memory run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument("--_memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory_child:
        folder, db, workers = args._memory_child
        memory_child(folder, db, int(workers))
        return
    from saidao.settings import DEFAULT

    rows: list[Row] = []
    memory: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="saidao-bench-") as name:
        tmp = Path(name)
        if args.memory_files:  # first, while this process is small
            for n in sorted({max(1, args.memory_files // 4), args.memory_files}):
                memory.append(bench_memory(n, args.workers, tmp))
        docx = replicate(DOCX, args.copies, tmp / "docx")
        pdf = replicate(PDF, args.copies, tmp / "pdf")
        rows += bench_set("docx", docx, ("python-docx", lambda: raw_docx(docx)),
                          args.workers, False, tmp)
        print(table(rows, memory, args), file=sys.stderr)
        rows += bench_set("pdf", pdf, ("pdfplumber", lambda: raw_pdfplumber(pdf)),
                          args.workers, False, tmp)
        if args.scans:
            scans = SCAN[: args.scans]
            rows += bench_set("scan", scans, ("rapidocr", lambda: raw_ocr(scans, DEFAULT.ocr_dpi)),
                              args.workers, True, tmp)
        print(table(rows, memory, args), file=sys.stderr)
    report = table(rows, memory, args)
    print(report)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
