"""When are two policy files one policy? The figures behind ``index.policy_merge``.

Not a test: prints tables. Every form of every document of the policy set
(``tests/fixtures/policy_set/out``: .txt, .docx, born-digital PDF, saved web pages,
OFD, and with ``--scan`` the OCR'd scans) and the five seeds' .docx and PDF beside
the bundled .txt, extracted as ``saidao extract`` does. Then every pair of files:

- *same document* (two forms of one spec or seed) and *different documents*;
- per pair the clause texts' agreement (``policy_merge.text_agreement``, Jaccard of
  character trigrams), whether the titles are alike, the 文号 keys equal, the dates equal;
- the verdict of ``policy_merge.same_policy``: pairs of one document it misses (forms
  left apart) and pairs of two documents it joins (wrong merges, which must be 0).

The set's forms read alike (its scans are clean enough for OCR to read them whole), so the
same texts are also degraded as OCR and reprints degrade them: characters replaced at a
rate (seeded), and a fifth of the clauses left out (a reprint of an excerpt).

Then the counter-cases made from the set's own documents: the same text under another
文号 (a county reissuing it), a revision (the title plus （2024年修订）, a later date, a
tenth of the clauses rewritten), a notice forwarding it (关于转发…的通知, its own date).

Last, the cost in an import: every reading recorded into a fresh index (``Index.record``,
as ``saidao ingest`` writes a file), the time spent placing each policy
(``policy_merge.place_policy``: finding the policy it is another form of) beside the whole
write, wall and CPU milliseconds per file.

    .venv/bin/python benchmarks/policy_identity.py [--scan] [-v]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from policy_set_eval import OUT, load_specs  # noqa: E402

from saidao.index import policy_merge as pm  # noqa: E402
from saidao.ingest.extract import extract_file  # noqa: E402

FORMS = ("txt", "docx", "pdf", "html", "mhtml", "ofd")
SEEDS = ROOT / "tests" / "fixtures" / "policies"


def files(scan: bool) -> list[tuple[str, str, Path]]:
    """(document id, form, path) of every file measured."""
    out = []
    for doc in load_specs().DOCS:
        for form in (*FORMS, *(("scan",) if scan and doc["scan"] else ())):
            path = OUT / (f"{doc['id']}.scan.pdf" if form == "scan" else f"{doc['id']}.{form}")
            if path.exists():
                out.append((doc["id"], form, path))
    for txt in sorted((ROOT / "corpus" / "policies").glob("*.txt")):
        seed = txt.name[:3]
        out.append((f"seed_{seed}", "txt", txt))
        for form in ("docx", "pdf"):
            out += [(f"seed_{seed}", form, p) for p in SEEDS.glob(f"{seed}_*.{form}")]
    return out


def extracted(scan: bool) -> list[tuple[str, str, pm.Form, frozenset[str], dict[str, Any]]]:
    rows = []
    for doc_id, form, path in files(scan):
        result = extract_file(path, kind="policy")
        rows.append((doc_id, form, pm.form_of(result, path=str(path)),
                     pm.shingles(pm.clause_texts(result)), result))
    return rows


def verdict(a: tuple, b: tuple) -> tuple[str | None, float]:
    score = pm.text_agreement(a[3], b[3])
    return pm.same_policy(a[2], b[2], lambda: score), score


def counter_cases(rows: list[tuple]) -> list[tuple[str, str, str | None, float]]:
    """Pairs that must stay two, made from each document's .docx reading."""
    out = []
    for doc_id, form, f, sh, result in rows:
        if form != "docx" or not f.title or doc_id.startswith("seed"):
            continue
        texts = pm.clause_texts(result)
        # a county reissuing the text under its own 文号 (same title, same text)
        if f.doc_number:
            other = pm.Form(**{**f.__dict__, "doc_number": "某县政发〔2025〕1号", "policy_id": "x"})
            why = pm.same_policy(f, other, lambda: 1.0)
            out.append((doc_id, "另有文号的翻印", why, 1.0))
        # a revision: title + （2024年修订）, a later date, one clause in ten rewritten
        revised = [t if i % 10 else "本条修订为：" + t[::-1] for i, t in enumerate(texts)]
        rev = pm.Form(**{**f.__dict__, "title": f.title + "（2024年修订）", "doc_number": None,
                         "date": "2024-12-30", "policy_id": "r"})
        score = pm.text_agreement(sh, pm.shingles(revised))
        out.append((doc_id, "修订版", pm.same_policy(f.__class__(**{**f.__dict__, "doc_number": None}),
                                                    rev, lambda s=score: s), score))
        # a notice forwarding it: its own title and date, the whole text inside
        fwd = pm.Form(**{**f.__dict__, "title": f"某市人民政府办公室关于转发{f.title}的通知",
                         "doc_number": None, "date": "2025-01-05", "policy_id": "f"})
        out.append((doc_id, "转发通知", pm.same_policy(f, fwd, lambda: 0.95), 0.95))
    return out


def degraded(rows: list[tuple]) -> list[tuple[str, float]]:
    """(how, agreement with the undamaged reading) for each .docx reading, damaged."""
    import random

    rng = random.Random(11)
    out = []
    for _doc_id, form, _f, sh, result in rows:
        if form != "docx":
            continue
        texts = pm.clause_texts(result)
        alphabet = "".join(sorted(set("".join(texts)))) or "字"
        for rate in (0.01, 0.03, 0.05, 0.10, 0.15):
            noisy = ["".join(rng.choice(alphabet) if rng.random() < rate else ch for ch in t)
                     for t in texts]
            out.append((f"{rate:.0%} characters misread", pm.text_agreement(sh, pm.shingles(noisy))))
        if len(texts) >= 5:
            excerpt = [t for i, t in enumerate(texts) if i % 5 != 4]
            out.append(("a fifth of the clauses left out", pm.text_agreement(sh, pm.shingles(excerpt))))
    return out


def import_cost(console: Console, rows: list[tuple]) -> None:
    """Record every reading into a fresh index; time the placing apart from the whole write."""
    import tempfile

    from saidao.index import store
    from saidao.index.store import Index

    spent = {"wall": 0.0, "cpu": 0.0}
    place = pm.place_policy

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return place(*args, **kwargs)
        finally:
            spent["wall"] += time.perf_counter() - wall
            spent["cpu"] += time.process_time() - cpu

    pm.place_policy = timed
    with tempfile.TemporaryDirectory() as tmp, Index.open(Path(tmp) / "i.db") as ix:
        run = ix.start_run([], {})
        wall, cpu = time.perf_counter(), time.process_time()
        for _doc, _form, f, _sh, result in rows:
            ix.record(run_id=run, path=f.path, sha256=result["source"]["sha256"], size=1,
                      kind="policy", result=result, error=None)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        current = ix.db.execute("SELECT count(*) FROM current_policies").fetchone()[0]
    pm.place_policy = place
    assert store  # the store imports place_policy inside the call, so the patch is seen
    n = len(rows)
    table = Table(title=f"recording {n} readings into one index ({current} policies after merging)")
    for col in ("", "wall ms / file", "CPU ms / file"):
        table.add_column(col, justify="right")
    table.add_row("whole write (Index.record)", f"{1000 * wall / n:.1f}", f"{1000 * cpu / n:.1f}")
    table.add_row("of which placing", f"{1000 * spent['wall'] / n:.1f}", f"{1000 * spent['cpu'] / n:.1f}")
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scan", action="store_true", help="include the OCR'd scans (slow)")
    ap.add_argument("-v", action="store_true", help="list the missed and wrong pairs")
    args = ap.parse_args()
    console = Console()
    console.print(f"load before: {os.getloadavg()}")
    wall, cpu = time.perf_counter(), time.process_time()
    rows = extracted(args.scan)
    console.print(f"extracted {len(rows)} files in {time.perf_counter() - wall:.0f} s wall, "
                  f"{time.process_time() - cpu:.0f} s CPU")
    same: list[float] = []
    other: list[float] = []
    missed, wrong = [], []
    for a, b in itertools.combinations(rows, 2):
        why, score = verdict(a, b)
        if a[0] == b[0]:
            same.append(score)
            if why is None:
                missed.append((a[0], a[1], b[1], score, a[2], b[2]))
        else:
            other.append(score)
            if why is not None:
                wrong.append((a[0], a[1], b[0], b[1], score, why))
    table = Table(title="clause-text agreement (Jaccard of trigrams) per pair")
    for col in ("pairs", "n", "min", "p5", "median", "max", "joined"):
        table.add_column(col, justify="right")

    def q(values: list[float], p: float) -> str:
        return f"{sorted(values)[int(p * (len(values) - 1))]:.3f}" if values else "-"

    table.add_row("same document", str(len(same)), q(same, 0), q(same, 0.05),
                  f"{statistics.median(same):.3f}", q(same, 1), str(len(same) - len(missed)))
    table.add_row("different documents", str(len(other)), q(other, 0), q(other, 0.05),
                  f"{statistics.median(other):.3f}", q(other, 1), str(len(wrong)))
    console.print(table)
    console.print(f"threshold MIN_TEXT_AGREEMENT = {pm.MIN_TEXT_AGREEMENT}; different-document pairs "
                  f"above it: {sum(s >= pm.MIN_TEXT_AGREEMENT for s in other)}")
    if args.v or missed or wrong:
        for m in missed:
            d, fa, fb, score, x, y = m
            console.print(f"missed {d} {fa}/{fb} agreement {score:.2f} title {x.title!r}/{y.title!r} "
                          f"no {x.doc_number}/{y.doc_number} date {x.date}/{y.date}")
        for w in wrong:
            console.print(f"WRONG {w}")
    table = Table(title="the same text damaged: agreement with the undamaged reading")
    for col in ("damage", "n", "min", "median", "below threshold"):
        table.add_column(col, justify="right")
    damaged = degraded(rows)
    for how in dict.fromkeys(h for h, _ in damaged):
        values = [v for h, v in damaged if h == how]
        table.add_row(how, str(len(values)), f"{min(values):.3f}", f"{statistics.median(values):.3f}",
                      str(sum(v < pm.MIN_TEXT_AGREEMENT for v in values)))
    console.print(table)
    cases = counter_cases(rows)
    table = Table(title="counter-cases (must stay two)")
    for col in ("case", "n", "joined (wrong)", "agreement median"):
        table.add_column(col, justify="right")
    for case in sorted({c[1] for c in cases}):
        sel = [c for c in cases if c[1] == case]
        table.add_row(case, str(len(sel)), str(sum(c[2] is not None for c in sel)),
                      f"{statistics.median(c[3] for c in sel):.3f}")
    console.print(table)
    import_cost(console, rows)
    console.print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
