"""OCR of the scanned declaration fixtures: character error rate and firm-table cells.

Issue targets: CER ≤ 3% against the gold text, ≥ 95% of firm-table cells in
the right row and column. Slow (every scanned page goes through OCR): run
with ``pytest -m slow`` or ``make test-slow``; the figures are printed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from saidao.document import Document, Table
from saidao.ingest.read import read

DECLARATIONS = Path(__file__).parent / "fixtures" / "declarations"


def squash(text: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text or ""))


def scanned() -> list[tuple[Path, dict]]:
    out = []
    for gold_path in sorted(DECLARATIONS.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text("utf-8"))
        entry = gold["files"][0]
        if entry.get("scanned") or entry["format"] == "image":
            out.append((DECLARATIONS / entry["path"], gold))
    return out


def firm_cells(doc: Document, gold: dict) -> tuple[int, int]:
    """Gold firm-table cells found at their row and column (a cell may differ by ≤ 10% CER)."""
    expected = next(t for t in gold["tables"] if "企业名称" in t[0])
    total = sum(len(row) for row in expected)
    tables = [b for b in doc.blocks if isinstance(b, Table) and any("企业名称" in c.text for c in b.cells)]
    if not tables:
        return 0, total
    table = tables[0]
    header = min(c.row for c in table.cells if "企业名称" in c.text)
    rows = [r for r in range(header, table.n_rows) if r not in table.repeated_header_rows]
    grid = table.grid()
    ok = 0
    for r, row in enumerate(expected):
        for c, want in enumerate(row):
            if r < len(rows) and c < table.n_cols:
                got, gold_text = squash(grid[rows[r]][c]), squash(want)
                ok += Levenshtein.distance(got, gold_text) <= 0.1 * max(1, len(gold_text))
    return ok, total


@pytest.mark.slow
def test_scanned_declarations_cer_and_firm_cells() -> None:
    errors = length = cells_ok = cells_all = 0
    cases = scanned()
    assert len(cases) >= 8
    for path, gold in cases:
        doc = read(path)
        assert doc.ocr_pages, path.name
        got, want = squash(doc.text), squash(gold["text"])
        if path.suffix != ".pdf":  # a photo shows the first page only
            span = fuzz.partial_ratio_alignment(got, want)
            want = want[span.dest_start:span.dest_end]
        e = Levenshtein.distance(got, want)
        ok, total = firm_cells(doc, gold) if path.suffix == ".pdf" else (0, 0)
        print(f"{path.name}: CER {e / len(want):.2%}, firm cells {ok}/{total}")
        errors, length, cells_ok, cells_all = errors + e, length + len(want), cells_ok + ok, cells_all + total
    cer, share = errors / length, cells_ok / max(1, cells_all)
    print(f"scans: CER {cer:.2%} over {length} characters; firm-table cells right {share:.1%} ({cells_ok}/{cells_all})")
    assert cer <= 0.03
    assert share >= 0.95
