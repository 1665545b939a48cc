"""Readers beside the raw libraries they build on: milliseconds per file.

Not a test: prints a table. On the same fixture files, one process, warm:

- *python-docx raw*: ``docx.Document`` + every paragraph's and table cell's
  text (what ``benchmarks/run.py`` calls raw);
- *saidao docx*: ``read_docx`` into the document model, three ways, because
  the reader remembers style sheets and seal verdicts by content:
  *batch* keeps the style sheets but forgets pictures before every file (a
  bulk import of distinct forms filled in from one template: the fixtures
  share python-docx's template, their seals differ); *cold* forgets both (a
  file unlike any seen before); *re-read* keeps both (the same files again,
  as in ``run.py``'s copies: an upper bound, not a real import);
- *pdfplumber raw*: open, ``extract_text`` and ``find_tables`` per page;
- *saidao pdf*: ``read_pdf`` into the document model.

Each cell is the median over ``--repeat`` passes of the mean per file; the
ratio column compares with the raw library of the same format. The load
average is printed before and after because the machine is shared.

    python benchmarks/readers.py                 # docx and pdf, 7 passes
    python benchmarks/readers.py --repeat 15 --only docx
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from saidao.ingest.readers import docx as docx_reader
from saidao.ingest.readers.pdf import read_pdf
from saidao.settings import DEFAULT

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import raw_docx_file  # noqa: E402  (the same baseline as the import benchmark)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DOCX = sorted((FIXTURES / "declarations").glob("*.docx")) + sorted((FIXTURES / "policies").glob("*.docx"))
PDF = [FIXTURES / "declarations" / f"decl_{i:03d}.pdf" for i in range(23, 35)]




def saidao_docx_batch(path: Path) -> None:
    docx_reader.clear_caches(styles=False)
    docx_reader.read_docx(path, "", DEFAULT)


def saidao_docx_cold(path: Path) -> None:
    docx_reader.clear_caches()
    docx_reader.read_docx(path, "", DEFAULT)


def saidao_docx_reread(path: Path) -> None:
    docx_reader.read_docx(path, "", DEFAULT)


def raw_pdfplumber(path: Path) -> None:
    """pdfplumber alone: text and table finding on every page."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.find_tables()


def saidao_pdf(path: Path) -> None:
    read_pdf(path, "", DEFAULT)


def ms_per_file(run: Callable[[Path], None], files: list[Path], repeat: int) -> float:
    """Median over ``repeat`` passes of the mean milliseconds per file (one warm-up pass first)."""
    for path in files:
        run(path)
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        for path in files:
            run(path)
        passes.append((time.perf_counter() - started) * 1000 / len(files))
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed passes per reader (median kept)")
    parser.add_argument("--only", choices=("docx", "pdf"), help="one format only")
    args = parser.parse_args()
    console = Console()
    load_before = os.getloadavg()[0]
    sets: list[tuple[str, list[Path], list[tuple[str, Callable[[Path], None]]]]] = []
    if args.only in (None, "docx"):
        sets.append(("docx", DOCX, [("python-docx raw", raw_docx_file), ("saidao docx (batch)", saidao_docx_batch),
                                    ("saidao docx (cold)", saidao_docx_cold),
                                    ("saidao docx (re-read)", saidao_docx_reread)]))
    if args.only in (None, "pdf"):
        sets.append(("pdf", PDF, [("pdfplumber raw", raw_pdfplumber), ("saidao pdf", saidao_pdf)]))
    table = Table(title=f"readers, ms per file (median of {args.repeat} passes)")
    for column in ("set", "files", "reader", "ms/file", "×raw"):
        table.add_column(column, justify="left" if column in ("set", "reader") else "right")
    for name, files, readers in sets:
        raw_ms = 0.0
        for label, run in readers:
            ms = ms_per_file(run, files, args.repeat)
            raw_ms = raw_ms or ms
            table.add_row(name, str(len(files)), label, f"{ms:.1f}", f"{ms / raw_ms:.2f}")
    console.print(table)
    console.print(f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
                  f" · {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
