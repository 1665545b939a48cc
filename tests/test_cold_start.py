"""Cold start (issue 12, item 5): a one-file import starts no worker pool and loads no
library it does not need. Timings are in ``benchmarks/scans.py``, never asserted here."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from saidao.ingest import bulk
from saidao.ingest.bulk import Options, in_process, ingest

DOCX = Path(__file__).parent / "fixtures" / "declarations" / "decl_002.docx"


def test_one_plain_file_is_read_in_process_and_anything_more_gets_workers(tmp_path: Path) -> None:
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(DOCX, "a.docx")
    assert in_process([DOCX])
    assert not in_process([DOCX, DOCX])
    assert not in_process([archive])  # an archive may hold thousands of files
    assert not in_process([tmp_path])  # a folder is not a file


def test_a_one_file_import_starts_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(self):
        raise AssertionError("a one-file run started the worker pool")

    monkeypatch.setattr(bulk.WorkerPool, "_executor", no_pool)
    summary = ingest([DOCX], tmp_path / "one.db", Options(workers=2))
    assert summary.counts["imported"] == 1 and summary.failed == 0


def test_a_docx_import_loads_neither_spacy_nor_ocr(tmp_path: Path) -> None:
    """In a fresh interpreter: what a .docx run imports (spaCy is for policies, OCR for scans,
    jieba for linking to clauses, of which a new index has none; OpenCV may load: the seal
    check of a picture in the .docx uses it)."""
    code = (
        "import sys\n"
        "from saidao.ingest.bulk import Options, ingest\n"
        f"s = ingest([{str(DOCX)!r}], {str(tmp_path / 'fresh.db')!r}, Options(workers=1))\n"
        "assert s.counts['imported'] == 1, s.counts\n"
        "print(sorted(m for m in ('spacy', 'rapidocr', 'openvino', 'onnxruntime', 'jieba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_jieba_loads_its_dictionary_without_pkg_resources() -> None:
    """The index imports jieba with setuptools' pkg_resources hidden (0.2 s saved): its
    dictionary is still found and the domain words are still whole words."""
    code = (
        "import sys\n"
        "from saidao.index import fts\n"
        "print(fts.words('申报算力券和新赛道'), 'pkg_resources' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    words, loaded = out.stdout.strip().rsplit(" ", 1)
    assert "算力券" in words and "新赛道" in words
    assert loaded == "False"


def test_spacy_is_warmed_for_all_workers_only_in_a_long_run(tmp_path: Path) -> None:
    """spaCy (policies only, 1.2–1.6 CPU s) is loaded by the fork server when many files may
    need it; a short run leaves it to the worker that meets a policy."""
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(DOCX, "a.docx")
    per = bulk.NLP_WARM_FILES_PER_WORKER
    assert not bulk.long_run([DOCX] * (2 * per), workers=2)
    assert bulk.long_run([DOCX] * (2 * per + 1), workers=2)
    assert bulk.long_run([DOCX, archive], workers=2)  # an archive may hold thousands


def test_a_run_that_may_ocr_has_the_ocr_libraries_loaded_once_in_the_fork_server(
    tmp_path: Path,
) -> None:
    """OpenCV and rapidocr (0.5 CPU s) and the word counts (0.3) are imported by the fork
    server when the run has a PDF, OFD, image or archive; never the inference engine, which
    starts threads and whose sessions must not cross a fork."""
    scan = tmp_path / "页.PNG"
    scan.write_bytes(b"")
    assert bulk.may_ocr([DOCX, scan]) and bulk.may_ocr([tmp_path / "a.pdf"])
    assert not bulk.may_ocr([DOCX, tmp_path / "b.txt"])
    assert bulk.PRELOAD_OCR in bulk.WorkerPool(2, 10.0, warm_ocr=True, warm_nlp=False).preload()
    assert bulk.PRELOAD_OCR not in bulk.WorkerPool(2, 10.0, warm_ocr=False).preload()
    code = (
        "import sys, threading\n"
        "import saidao.ingest.prewarm_ocr\n"
        "from saidao.corpus import words\n"
        "print('cv2' in sys.modules, 'rapidocr.ch_ppocr_rec' in sys.modules,\n"
        "      words.word_frequencies.cache_info().currsize,\n"
        "      'openvino' in sys.modules or 'onnxruntime' in sys.modules, threading.active_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "1", "False", "1"]
