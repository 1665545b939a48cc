"""Policy extraction time per page, per format, beside the raw reader.

Not a test: prints a table. Files: the issue-11 policy set
(``tests/fixtures/policy_set/out``: .txt, .docx, born-digital PDF, and with
``--scan`` the scanned copies) plus the five seeds' .docx and PDF forms.
For each format, per page (a .txt or .docx counts one page per 40 lines of
text as no page is printed; a PDF its pages):

- *raw*: the library alone — ``Path.read_text``; python-docx's paragraphs and
  cells (``run.raw_docx_file``); pypdfium2's text per page; pdfplumber's
  ``extract_text`` per page;
- *saidao read*: ``ingest.read.read`` into the document model;
- *extract*: ``extract_policy`` on the model read (chrome and 信息公开 block,
  metadata, clauses, validity, tags);
- *read + extract*: what ``saidao extract FILE --kind policy`` costs.

Each cell is the median of ``--repeat`` passes, in wall milliseconds and
CPU milliseconds (``time.process_time``) per page. The machine is shared, so
the load average is printed before and after.

    .venv/bin/python benchmarks/policies.py [--repeat 5] [--scan]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from saidao.extractors.policy import extract_policy
from saidao.ingest.read import read

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import raw_docx_file  # noqa: E402  (the same python-docx baseline as the import benchmark)

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "fixtures" / "policy_set" / "out"
SEEDS = ROOT / "tests" / "fixtures" / "policies"


def files(fmt: str) -> list[Path]:
    if fmt == "scan":
        return sorted(SET.glob("*.scan.pdf"))
    found = sorted(p for p in SET.glob(f"*.{fmt}") if not p.name.endswith(".scan.pdf"))
    return found + (sorted(SEEDS.glob(f"*.{fmt}")) if fmt in ("docx", "pdf") else [])


def pages(path: Path) -> int:
    if path.suffix == ".pdf":
        from saidao.ingest.readers.pdf import page_count

        return page_count(path)
    return max(1, len(read(path).text.splitlines()) // 40)


def raw_txt(path: Path) -> None:
    path.read_text(encoding="utf-8")


def raw_pdfium(path: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            page.get_textpage().get_text_range()
    finally:
        pdf.close()


def raw_pdfplumber(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def timed(fn: Callable[[Path], Any], paths: list[Path], repeat: int) -> tuple[float, float]:
    """Median (wall, cpu) seconds of one pass over ``paths``."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        for p in paths:
            fn(p)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scan", action="store_true", help="also the scanned copies (OCR: slow)")
    args = ap.parse_args(argv)
    console = Console(width=150)
    console.print(f"load average before: {os.getloadavg()}")
    raws: dict[str, list[tuple[str, Callable[[Path], Any]]]] = {
        "txt": [("read_text", raw_txt)], "docx": [("python-docx", raw_docx_file)],
        "pdf": [("pypdfium2 text", raw_pdfium), ("pdfplumber text", raw_pdfplumber)],
        "scan": [("pypdfium2 text", raw_pdfium)],
    }
    table = Table(title="政策抽取：每页耗时（毫秒，墙钟 / CPU）")
    for col in ("format", "files", "pages", "what", "wall ms/page", "CPU ms/page", "× raw"):
        table.add_column(col)
    for fmt in ("txt", "docx", "pdf", *(["scan"] if args.scan else [])):
        paths = files(fmt)
        if not paths:
            continue
        n_pages = sum(pages(p) for p in paths)
        repeat = 1 if fmt == "scan" else args.repeat
        docs = {p: read(p) for p in paths}  # warm: imports, models, caches
        extract_only = timed(lambda p, docs=docs: extract_policy(docs[p]), paths, repeat)
        both = timed(lambda p: extract_policy(read(p)), paths, repeat)
        read_only = timed(read, paths, repeat)
        base = None
        for name, fn in raws[fmt]:
            wall, cpu = timed(fn, paths, repeat)
            base = base or wall
            table.add_row(fmt, str(len(paths)), str(n_pages), f"raw: {name}",
                          f"{1000 * wall / n_pages:.1f}", f"{1000 * cpu / n_pages:.1f}", "1.00")
        for name, (wall, cpu) in (("saidao read", read_only), ("extract_policy", extract_only),
                                  ("read + extract", both)):
            table.add_row(fmt, str(len(paths)), str(n_pages), name, f"{1000 * wall / n_pages:.1f}",
                          f"{1000 * cpu / n_pages:.1f}", f"{wall / base:.2f}" if base else "")
    console.print(table)
    console.print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
