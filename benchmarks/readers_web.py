"""Web pages and OFD: saidao's readers beside lxml parsing alone, per page.

Not a test: prints a table. The inputs are the five seed policies rendered by
``tests/fixtures/policy_forms.py`` (built in a temporary folder, nothing is
written to the repository):

- *html (gov.cn layout, UTF-8)*, *html (county layout, GBK, nested tables)*,
  *mhtml* (Chrome's single-file archive of the gov.cn page), *ofd* (GB/T 9704
  pages, 28 characters × 22 lines);
- *lxml raw*: for HTML ``lxml.html.document_fromstring`` of the file's bytes
  (MHTML: of the decoded HTML part); for OFD opening the zip and
  ``lxml.etree.fromstring`` of every XML part — the parsing every reader
  must do, with none of the layout work;
- *saidao read*: ``saidao.ingest.read.read`` into the document model (format
  sniffing, charset, chrome, tables; for OFD characters → lines → paragraphs,
  ruled tables, running heads);
- *saidao extract*: ``extract_file(kind="policy")``, the reader plus the
  policy extractor, for scale.

A web page is one "page"; an OFD page is a physical page. Each cell is the
median over ``--repeat`` passes; wall milliseconds per page and CPU
milliseconds per page (process time) are both shown, with the load average,
because the machine is shared; the ratio to the raw parse is taken on CPU
time, which a busy machine disturbs less.

    python benchmarks/readers_web.py               # 5 passes
    python benchmarks/readers_web.py --repeat 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import lxml.etree
import lxml.html
from rich.console import Console
from rich.table import Table

from saidao.ingest.extract import extract_file
from saidao.ingest.read import read
from saidao.ingest.readers.mhtml import main_html_part

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import policy_forms as pf  # noqa: E402

SEEDS = sorted((ROOT / "tests" / "refdata" / "seeds").glob("*.txt"))


def build(folder: Path) -> dict[str, list[Path]]:
    """The seed policies in each web/OFD form."""
    sets: dict[str, list[Path]] = {"html utf-8 (gov.cn)": [], "html gbk (county)": [], "mhtml": [], "ofd": []}
    for seed in SEEDS:
        blocks = pf.seed_blocks(seed.read_text(encoding="utf-8"))
        forms = {
            "html utf-8 (gov.cn)": (".html", pf.to_html_bytes(blocks)),
            "html gbk (county)": (".htm", pf.to_html_bytes(blocks, layout="county", encoding="gb2312")),
            "mhtml": (".mhtml", pf.to_mhtml(blocks)),
            "ofd": (".ofd", pf.to_ofd(blocks)),
        }
        for name, (suffix, data) in forms.items():
            path = folder / f"{seed.stem[:3]}-{len(sets[name])}{suffix}"
            path.write_bytes(data)
            sets[name].append(path)
    return sets


def raw_html(path: Path) -> None:
    lxml.html.document_fromstring(path.read_bytes())


def raw_mhtml(path: Path) -> None:
    data, _ = main_html_part(path.read_bytes(), path)
    lxml.html.document_fromstring(data)


def raw_ofd(path: Path) -> None:
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.lower().endswith(".xml"):
                lxml.etree.fromstring(zf.read(name), parser)


def saidao_read(path: Path) -> None:
    read(path)


def saidao_extract(path: Path) -> None:
    extract_file(path, kind="policy")


def per_page(run: Callable[[Path], None], files: list[Path], pages: int, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds per page over ``repeat`` passes (after a warm-up pass)."""
    for path in files:
        run(path)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for path in files:
            run(path)
        walls.append((time.perf_counter() - wall) * 1000 / pages)
        cpus.append((time.process_time() - cpu) * 1000 / pages)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes per reader (median kept)")
    args = parser.parse_args()
    console = Console()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="saidao_web_bench_") as tmp:
        sets = build(Path(tmp))
        table = Table(title=f"web pages and OFD, ms per page (median of {args.repeat} passes)")
        for column in ("set", "files", "pages", "reader", "wall ms/page", "cpu ms/page", "×raw cpu"):
            table.add_column(column, justify="left" if column in ("set", "reader") else "right")
        for name, files in sets.items():
            pages = sum(len(read(p).pages) for p in files)
            raw = raw_ofd if name == "ofd" else raw_mhtml if name == "mhtml" else raw_html
            raw_cpu = 0.0
            for label, run in (("lxml raw", raw), ("saidao read", saidao_read), ("saidao extract", saidao_extract)):
                wall, cpu = per_page(run, files, pages, args.repeat)
                raw_cpu = raw_cpu or cpu
                table.add_row(name, str(len(files)), str(pages), label, f"{wall:.2f}", f"{cpu:.2f}",
                              f"{cpu / raw_cpu:.1f}")
    console.print(table)
    console.print(f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
                  f" · {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
