"""Scanned-declaration set 2 (issue 12): fields, firm rows and final credit codes on scans
made by a generator that differs from the first set's (``tests/fixtures/scan_set2/make.py``:
forms drawn with Pillow in AR PL UMing / UKai / WenQuanYi Micro Hei, 200/240/300 dpi,
JPEG 30–80, skew ≤ 2°, seals over text, paper tone, photographed pages).

The set is generated on first use (deterministic, ~16 MB, so not committed).
Thresholds are the issue's targets: fields 98 %, firm rows found 99 %, final
credit codes right 99 %, and firm names exact 98 %. Slow: every page goes through OCR.

How a firm row is found (``declaration_eval.find_firm_row``, changed for issue 12):
by its 序号, or by its exact name when its number was not read. Before, a row
counted only if its name was read exactly, so a one-glyph misread of the name
(磴口县 read as 口县) counted as a lost row *and* a wrong code although both were
right. The name is now scored on its own (``firm_names``: every gold firm's name
against the found row's name, a lost row counting as a miss) and held at the
fields' 98 %; every other measure is as before.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from declaration_eval import evaluate, table

SET2 = Path(__file__).parent / "fixtures" / "scan_set2"
COUNT = 21
TARGETS = {"fields": 0.98, "firm_rows": 0.99, "uscc": 0.99, "firm_names": 0.98}


def ensure_set(folder: Path = SET2, count: int = COUNT) -> Path:
    """Generate the set unless every file and its gold are there already."""
    names = [f"s2_{n + 1:03d}" for n in range(count)]
    if not all((folder / f"{n}.pdf").is_file() and (folder / f"{n}.gold.json").is_file() for n in names):
        subprocess.run([sys.executable, str(folder / "make.py"), "--out", str(folder), "--count", str(count)],
                       check=True, capture_output=True)
    return folder


def test_the_generator_is_deterministic_and_differs_from_set_one(tmp_path: Path) -> None:
    """Fast check of the generator itself on one file: same bytes twice, gold complete."""
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run([sys.executable, str(SET2 / "make.py"), "--out", str(out), "--count", "1"],
                       check=True, capture_output=True)
    a, b = tmp_path / "a" / "s2_001.pdf", tmp_path / "b" / "s2_001.pdf"
    assert a.read_bytes() == b.read_bytes()
    import json

    gold = json.loads((tmp_path / "a" / "s2_001.gold.json").read_text("utf-8"))
    assert gold["files"][0]["scanned"] and gold["expected"]["firms"]
    assert len(gold["page_texts"]) == gold["files"][0]["pages"] >= 2
    assert gold["scan"]["fonts"][0] in ("ming", "kai", "hei") and gold["scan"]["seals"]
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(a))
    try:
        assert not pdf[0].get_textpage().get_text_range().strip()  # image only: nothing to copy
    finally:
        pdf.close()


@pytest.mark.slow
def test_scan_set2_accuracy() -> None:
    _holds(ensure_set(), TARGETS, f"scan set 2 ({COUNT} files)")


def _holds(folder: Path, floors: dict[str, float], title: str) -> None:
    """Every file of ``folder`` read, and each measure at its floor or above (the table printed)."""
    tallies = evaluate(folder, groups=("scan",))
    tally = tallies["scan"]
    print(f"\n{title}\n{table(tallies)}")
    for measure in floors:
        print(measure, "misses:", tally.misses[measure][:20])
    assert tally.rate("read") == 1.0, tally.misses["read"]
    failures = {m: round(tally.rate(m), 4) for m, floor in floors.items() if tally.rate(m) < floor}
    assert not failures, failures


#: Files of the same generator that no rule was built on (numbers 60–75; the int8
#: calibration uses 40–45), and floors just under what they score today (session 7:
#: fields 98.7 %, rows 100 %, codes 99.2 %, names 97.7 %). Scan set 2's own figures are
#: the issue's targets; this set guards against rules fitted to those 21 files.
HELD_OUT = range(60, 76)
HELD_OUT_FLOORS = {"fields": 0.98, "firm_rows": 0.99, "uscc": 0.99, "firm_names": 0.97}


@pytest.mark.slow
def test_held_out_scans_of_the_same_generator(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SET2 / "make.py"), "--out", str(tmp_path), "--first",
                    str(HELD_OUT.start), "--count", str(len(HELD_OUT))], check=True, capture_output=True)
    _holds(tmp_path, HELD_OUT_FLOORS, f"held-out scans ({len(HELD_OUT)} files)")
