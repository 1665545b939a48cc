"""Scanned declarations: raw rapidocr 3.x beside saidao's import, and the cold start of a one-file import.

Not a test: prints a table (``benchmarks/run.py`` calls it and writes it to RESULTS.md).

Pages: the first ``files`` PDFs of scan set 2 (``tests/fixtures/scan_set2``, generated
on first use): A4 declarations at 200, 240 and 300 dpi, JPEG 30–80, skew, seals,
photographed pages. Each row runs in a fresh child process, and its CPU time is the
child's *and its descendants'* (this process is a child subreaper, so the fork
server and the workers are reaped here and counted):

- *raw rapidocr 3.x*: ``RapidOCR()`` with its defaults (onnxruntime, the wheel's
  models, angle classifier on), every page rendered at 200 dpi with pypdfium2;
- *raw rapidocr-onnxruntime 1.4* (when installed): the library saidao used before;
- *saidao read*: ``ingest.read`` of each file in one process (OCR + layout), for its CER;
- *saidao ingest ×N*: the whole import into a fresh index (read, OCR, layout,
  extraction, index, links, end-of-run steps) with N workers;
- the same rows with ``--before DIR``: the code found on ``DIR`` (a ``saidao``
  package folder of an older checkout) instead of this one;
- *cold start*: one .docx imported into a new index (wall and CPU seconds).

- with ``--long-scan``: the same pages as one PDF, imported with N workers (its pages
  spread over them, ``ingest/spread.py``).

CER: edit distance between the text read and the gold text of the pages
(whitespace removed, NFKC), over the gold's length (the import stores no text: its
reader is the read row's). *fields · firm rows · codes*: the extraction scored against the
gold by ``tests/declaration_eval.py`` (the import's read back from its index).
*pages/s (wall)* and *per core* (over the machine's cores; every row may use all of
them) depend on the load; *pages per CPU-s* (CPU of the row's process and all it
started) is the figure that holds on a shared machine. *×raw*: the row's rate over raw
rapidocr 3.x's, on both bases.

    python benchmarks/scans.py [--files 6] [--workers 2] [--long-scan] [--before /path/to/old/pkgs]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SET2 = ROOT / "tests" / "fixtures" / "scan_set2"
DOCX = ROOT / "tests" / "fixtures" / "declarations" / "decl_002.docx"
RAW_DPI = 200


def squash(text: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text or ""))


def scan_files(n: int) -> list[Path]:
    """The first ``n`` files of scan set 2, generated if missing."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_scan_set2 import COUNT, ensure_set

    ensure_set(SET2, max(n, COUNT) if n > COUNT else COUNT)
    return [SET2 / f"s2_{i + 1:03d}.pdf" for i in range(n)]


def gold_text(path: Path) -> str:
    gold = json.loads(path.with_name(path.stem + ".gold.json").read_text("utf-8"))
    return "\n".join(gold["page_texts"])


# --------------------------------------------------------------------------- children


def _rendered(files: list[str]):
    import numpy as np
    import pypdfium2

    for f in files:
        pdf = pypdfium2.PdfDocument(f)
        try:
            for i in range(len(pdf)):
                yield f, np.asarray(pdf[i].render(scale=RAW_DPI / 72).to_pil().convert("RGB"))
        finally:
            pdf.close()


def child_raw3(files: list[str]) -> dict:
    from rapidocr import RapidOCR

    engine = RapidOCR()
    texts: dict[str, list[str]] = {f: [] for f in files}
    pages = 0
    for f, image in _rendered(files):
        out = engine(image)
        texts[f].append("".join(out.txts or ()))
        pages += 1
    return {"pages": pages, "texts": {f: "".join(t) for f, t in texts.items()}}


def child_raw14(files: list[str]) -> dict:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    texts: dict[str, list[str]] = {f: [] for f in files}
    pages = 0
    for f, image in _rendered(files):
        result, _ = engine(image)
        texts[f].append("".join(str(item[1]) for item in result or ()))
        pages += 1
    return {"pages": pages, "texts": {f: "".join(t) for f, t in texts.items()}}


def child_read(files: list[str]) -> dict:
    from saidao.extractors.extract import extract_document
    from saidao.ingest.read import read
    from saidao.ingest.readers.ocr import STAGES

    texts, results, pages = {}, {}, 0
    for f in files:
        doc = read(f)
        texts[f] = doc.text
        results[f] = extract_document(doc)
        pages += len(doc.pages)
    return {"pages": pages, "texts": texts, "results": results, "stages": dict(STAGES)}


def child_import(files: list[str], db: str, workers: int) -> dict:
    """The whole import; its extraction results read back from the index (``declarations.raw``)."""
    import sqlite3

    from saidao.ingest.bulk import Options, ingest

    summary = ingest(files, db, Options(workers=workers))
    reasons = sorted({f"{f.reason}: {(f.detail or '')[:120]}" for f in summary.files if f.reason})
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT f.path, d.raw FROM declarations d JOIN files f "
                            "ON f.sha256 = d.file_sha256 WHERE f.status = 'imported'").fetchall()
    return {"pages": summary.pages, "failed": summary.failed, "reasons": reasons,
            "results": {path: json.loads(raw) for path, raw in rows}}


CHILDREN = {"raw3": child_raw3, "raw14": child_raw14, "read": child_read}


# --------------------------------------------------------------------------- the parent


def _become_subreaper() -> None:
    """Orphaned descendants (the fork server, workers) are re-parented here and reaped here."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(args: list[str], pythonpath: str | None = None,
              precision: str | None = None) -> tuple[dict, float, float]:
    """(the child's JSON, wall seconds, CPU seconds of the child and all it started).

    ``precision`` (int8 / fp32) sets the OCR models' precision for the child and its workers
    (``SAIDAO_OCR_PRECISION``, ``ocr_engine.resolve_precision``).
    """
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if precision:
        env["SAIDAO_OCR_PRECISION"] = precision
    cpu0, started = _children_cpu(), time.perf_counter()
    # run from a neutral folder: the work tree's own saidao/ on the path would shadow --before's code
    out = subprocess.run([sys.executable, __file__, "--_child", *args], capture_output=True,
                         text=True, env=env, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - started
    _reap()
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1]), wall, _children_cpu() - cpu0


def cer(texts: dict[str, str], files: list[Path]) -> float:
    from rapidfuzz.distance import Levenshtein

    errors = length = 0
    for f in files:
        want = squash(gold_text(f))
        errors += Levenshtein.distance(squash(texts.get(str(f), "")), want)
        length += len(want)
    return errors / max(1, length)


MEASURES = ("fields", "firm_rows", "uscc", "firm_names")


def fields(results: dict[str, dict], files: list[Path]) -> dict[str, float]:
    """Field accuracy of extraction results against scan set 2's gold (``tests/declaration_eval``):
    fields exactly right, firm rows found, final credit codes right, firm names exact."""
    sys.path.insert(0, str(ROOT / "tests"))
    from declaration_eval import Tally, cases, score_case

    wanted = {str(f.resolve()) for f in files}
    by_path = {str(Path(p).resolve()): r for p, r in results.items()}
    tally = Tally()
    for case in cases(SET2):
        key = str(case.path.resolve())
        if key not in wanted:
            continue
        if key not in by_path:
            tally.add("read", False, case.path.name)
            continue
        score_case(case, by_path[key], tally)
    return {m: tally.rate(m) for m in MEASURES}


def one_long_scan(files: list[Path], out: Path) -> Path:
    """The pages of ``files`` as one scanned PDF (the image streams copied, not re-encoded)."""
    import pypdfium2

    merged = pypdfium2.PdfDocument.new()
    for f in files:
        pdf = pypdfium2.PdfDocument(str(f))
        merged.import_pages(pdf)
        pdf.close()
    merged.save(str(out))
    merged.close()
    return out


def measure(files: list[Path], workers: int, before: str | None, tmp: Path, lite: bool = False,
            long_scan: bool = False, precisions: tuple[str, ...] = ()) -> list[dict]:
    """Every row once, in plan order; with several ``precisions`` each saidao row once per precision,
    the precisions interleaved row by row so that both see the same load."""
    names = [str(f) for f in files]
    plan: list[tuple[str, list[str], str | None]] = [("raw: rapidocr 3.x default", ["raw3", *names], None)]
    if not lite:
        with contextlib.suppress(ImportError):
            import rapidocr_onnxruntime  # noqa: F401

            plan.append(("raw: rapidocr-onnxruntime 1.4 default", ["raw14", *names], None))
    for label, path in (("saidao", None), ("before", before)):
        if label == "before" and not path:
            continue
        if label == "saidao" or not lite:
            plan.append((f"{label}: read (OCR + layout), 1 process", ["read", *names], path))
        for n in sorted({workers} if lite else {1, workers}):
            db = str(tmp / f"{label}{n}-{time.monotonic_ns()}.db")
            plan.append((f"{label}: ingest ×{n} (whole import)", ["import", db, str(n), *names], path))
    if long_scan:  # the same pages as one file: spread over the workers, or read by one
        long = str(one_long_scan(files, tmp / "one_long_scan.pdf"))
        for label, path in (("saidao", None), ("before", before)):
            if label == "saidao" or path:
                db = str(tmp / f"long-{label}-{time.monotonic_ns()}.db")
                plan.append((f"{label}: ingest ×{workers}, the pages as one long scan",
                             ["import", db, str(workers), long], path))
    runs = [(label, args, path, None) for label, args, path in plan]
    if precisions:
        runs = [run for label, args, path in plan for run in
                ([(label, args, path, None)] if label.startswith("raw") or path else
                 [(label.replace("saidao", f"saidao {p}", 1), args, path, p) for p in precisions])]
    rows = []
    for label, args, path, precision in runs:
        load = os.getloadavg()[0]
        if args[0] == "import":  # a fresh index for every run
            args = ["import", f"{args[1]}-{precision or ''}.db", *args[2:]]
        result, wall, cpu = run_child(args, path, precision)
        row = {"what": label, "files": len(files), "pages": result["pages"], "wall": wall, "cpu": cpu,
               "load": load, "cer": cer(result["texts"], files) if "texts" in result else None,
               "fields": fields(result["results"], files)
               if "results" in result and "long scan" not in label else None,
               "failed": result.get("failed", 0), "stages": result.get("stages"),
               "reasons": result.get("reasons")}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def cold_start(before: str | None, tmp: Path, runs: int = 3) -> list[dict]:
    """One .docx into a new index, ``runs`` times each: wall and CPU (incl. children), load."""
    out = []
    for label, path in (("saidao", None), ("before", before)):
        if label == "before" and not path:
            continue
        for _ in range(runs):
            load = os.getloadavg()[0]
            db = str(tmp / f"cold-{label}-{time.monotonic_ns()}.db")
            _, wall, cpu = run_child(["import", db, "0", str(DOCX)], path)
            out.append({"what": label, "wall": wall, "cpu": cpu, "load": load})
            print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    return out


def report(rows: list[dict], cold: list[dict]) -> str:
    """The scan table: wall-clock rates and CPU-time rates side by side, then the cold start."""
    cores = os.cpu_count() or 1
    raw = next((r for r in rows if r["what"].startswith("raw: rapidocr 3")), None)
    raw_rate = raw["pages"] / raw["wall"] if raw else 0.0
    raw_cpu_rate = raw["pages"] / raw["cpu"] if raw and raw["cpu"] else 0.0
    lines = [
        "| what | pages | wall s | pages/s (wall) | pages/s per core (wall) | pages per CPU-s | "
        "CPU s/page | CER | fields · firm rows · codes · names | ×raw 3.x (wall) | ×raw 3.x (CPU) | "
        "load at start |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = r["pages"] / r["wall"] if r["wall"] else 0.0
        cpu_rate = r["pages"] / r["cpu"] if r["cpu"] else 0.0
        cer_text = f"{r['cer']:.2%}" if r["cer"] is not None else "–"
        acc = r.get("fields")
        acc_text = " · ".join(f"{acc[k]:.1%}" for k in MEASURES if k in acc) if acc else "–"
        note = f" ({r['failed']} failed)" if r["failed"] else ""
        lines.append(
            f"| {r['what']}{note} | {r['pages']} | {r['wall']:.1f} | {rate:.3f} | {rate / cores:.3f} | "
            f"{cpu_rate:.3f} | {r['cpu'] / max(1, r['pages']):.2f} | {cer_text} | {acc_text} | "
            f"{rate / raw_rate if raw_rate else 0:.2f} | {cpu_rate / raw_cpu_rate if raw_cpu_rate else 0:.2f} | "
            f"{r['load']:.1f} |")
    lines += [
        "",
        f"*pages/s (wall)*: pages over the row's wall time; *per core*: that over the machine's "
        f"{cores} cores (every row may use them all); both depend on the machine's load. "
        "*pages per CPU-s*: pages over the CPU seconds of the row's process and every process it "
        "started (fork server, workers, the raw library's threads) — the figure that holds on a "
        "shared machine. *CER*: text read against the gold (the import stores no text: its reader "
        "is the *read* row's). *fields · firm rows · codes · names*: extraction against the gold "
        "(``tests/declaration_eval.py``); the import's read back from its index.",
    ]
    for r in rows:
        if r.get("stages"):
            per = {k: v / max(1, r["pages"]) for k, v in r["stages"].items()}
            lines += ["", f"Where the OCR time goes ({r['what']}; process CPU seconds per page):", "",
                      "| " + " | ".join(per) + " | sum |", "|" + "---:|" * (len(per) + 1),
                      "| " + " | ".join(f"{v:.3f}" for v in per.values()) + f" | {sum(per.values()):.3f} |"]
    if cold:
        lines += ["", "Cold start: one .docx into a new index (fresh process each run):", "",
                  "| code | wall s | CPU s (incl. children) | load at start |", "|---|---:|---:|---:|"]
        lines += [f"| {c['what']} | {c['wall']:.2f} | {c['cpu']:.2f} | {c['load']:.1f} |" for c in cold]
    return "\n".join(lines) + "\n"


def section(files: int, workers: int, before: str | None, cold_runs: int = 3, lite: bool = False,
            long_scan: bool = False, precisions: tuple[str, ...] = ()) -> str:
    """The scan section of RESULTS.md: header line, table, cold start."""
    _become_subreaper()
    chosen = scan_files(files)
    with tempfile.TemporaryDirectory(prefix="saidao-scans-") as name:
        tmp = Path(name)
        cold = cold_start(before, tmp, cold_runs)
        rows = measure(chosen, workers, before, tmp, lite, long_scan, precisions)
    head = (f"{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs · scan set 2, first "
            f"{len(chosen)} files · workers {workers} · load average now {os.getloadavg()[0]:.1f}")
    return head + "\n\n" + report(rows, cold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--before", help="a folder holding an older saidao package (its rows as 'before')")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--lite", action="store_true", help="imports with --workers only; no 'before' read row")
    parser.add_argument("--long-scan", action="store_true",
                        help="also import the same pages as one long scan (pages spread over the workers)")
    parser.add_argument("--precision", nargs="+", choices=["int8", "fp32"], default=[],
                        help="saidao's rows once per OCR model precision, side by side (default: the default)")
    parser.add_argument("--_child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        mode, *rest = args._child
        if mode == "import":
            db, workers, *files = rest
            print(json.dumps(child_import(files, db, int(workers))))
        else:
            print(json.dumps(CHILDREN[mode](rest), ensure_ascii=False))
        return
    print(section(args.files, args.workers, args.before, args.cold_runs, args.lite, args.long_scan,
                  tuple(args.precision)))


if __name__ == "__main__":
    main()
