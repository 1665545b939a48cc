"""The .doc/.wps/.rtf reader: LibreOffice round trips and converter failures."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from saidao.document import Document, Table
from saidao.errors import SaidaoError
from saidao.ingest.read import read
from saidao.ingest.readers.docx import read_docx
from saidao.ingest.readers.legacy import SOFFICE_ENV, find_soffice, legacy_format, read_legacy
from saidao.settings import DEFAULT

CASES = Path(__file__).parent / "fixtures" / "docx_cases"
DECLARATIONS = Path(__file__).parent / "fixtures" / "declarations"
NAMES = ("merged", "nested", "checkboxes", "headers", "numbered")
HAS_SOFFICE = any(shutil.which(n) for n in ("soffice", "libreoffice"))
needs_soffice = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) not installed"),
]


def soffice_convert(target: str, sources: list[Path], outdir: Path) -> None:
    subprocess.run(
        [
            find_soffice(), "--headless", "--norestore",
            f"-env:UserInstallation={(outdir / 'profile').as_uri()}",
            "--convert-to", target, "--outdir", str(outdir), *map(str, sources),
        ],
        check=True, capture_output=True, timeout=180,
    )


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """The docx cases saved as Word 97 .doc, plus merged.docx as .rtf."""
    out = tmp_path_factory.mktemp("legacy")
    soffice_convert("doc", [CASES / f"{n}.docx" for n in NAMES], out)
    soffice_convert("rtf", [CASES / "merged.docx"], out)
    return out


def all_provenance_files(doc: Document) -> set[str]:
    files = set()
    for block in [*doc.blocks, *doc.headers, *doc.footers]:
        files.add(block.provenance.file)
        for box in getattr(block, "checkboxes", []):
            files.add(box.provenance.file)
        if isinstance(block, Table):
            for cell in block.cells:
                files.add(cell.provenance.file)
                files.update(box.provenance.file for box in cell.checkboxes)
    return files


def distinct_cells(table: Table) -> list[list[tuple[str, int, int, int, int]]]:
    """Rows of non-empty cells with spans (LibreOffice fills gridBefore/After with empty cells)."""
    return [
        [(c.text, c.row, c.col, c.row_span, c.col_span) for c in row if c.text]
        for row in table.rows()
    ]


def assert_same_model(original: Document, converted: Document) -> None:
    assert [b.kind for b in converted.blocks] == [b.kind for b in original.blocks]
    for a, b in zip(original.blocks, converted.blocks, strict=True):
        assert b.text == a.text
        if isinstance(a, Table):
            assert (b.n_rows, b.n_cols, b.header_rows) == (a.n_rows, a.n_cols, a.header_rows)
            assert b.grid() == a.grid()
            assert distinct_cells(b) == distinct_cells(a)
        else:
            assert [(x.checked, x.label) for x in b.checkboxes] == [
                (x.checked, x.label) for x in a.checkboxes
            ]
            assert b.bold_prefix == a.bold_prefix
    assert [h.text for h in converted.headers] == [h.text for h in original.headers]
    assert [f.text for f in converted.footers] == [f.text for f in original.footers]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) not installed")
def test_doc_round_trip_matches_docx(converted: Path, name: str):
    original = read_docx(CASES / f"{name}.docx", "sha", DEFAULT)
    path = converted / f"{name}.doc"
    doc = read(path)
    assert (doc.format, doc.converted_from, doc.path) == ("doc", ".doc", str(path))
    assert all_provenance_files(doc) == {str(path)}
    assert_same_model(original, doc)


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) not installed")
def test_rtf_and_wps(converted: Path, tmp_path: Path):
    original = read_docx(CASES / "merged.docx", "sha", DEFAULT)
    rtf = read(converted / "merged.rtf")
    assert (rtf.format, rtf.converted_from) == ("rtf", ".rtf")
    assert rtf.tables[0].grid() == original.tables[0].grid()
    wps = tmp_path / "申报表 副本.wps"  # odd names must not confuse soffice
    shutil.copyfile(converted / "merged.doc", wps)
    doc = read(wps)
    assert (doc.format, doc.converted_from, doc.path) == ("wps", ".wps", str(wps))
    assert distinct_cells(doc.tables[0]) == distinct_cells(original.tables[0])


def test_converter_missing_env(monkeypatch, tmp_path):
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "no-such-soffice"))
    with pytest.raises(SaidaoError) as info:
        find_soffice()
    err = info.value
    assert err.reason == "converter_missing"
    assert "apt-get install libreoffice-writer" in err.message_zh
    assert "no-such-soffice" in err.message_en


def test_converter_missing_path(monkeypatch, tmp_path):
    monkeypatch.delenv(SOFFICE_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    doc = tmp_path / "a.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"))
    with pytest.raises(SaidaoError) as info:
        read_legacy(doc, "sha", DEFAULT)
    assert info.value.reason == "converter_missing"
    assert "LibreOffice" in info.value.message_en


def fake_soffice(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-soffice"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def ole_word_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "WordDocument".encode("utf-16-le"))
    return path


def test_conversion_timeout_kills_soffice(monkeypatch, tmp_path):
    # the fake converter starts a child; killing only the shell would leave it running
    monkeypatch.setenv(SOFFICE_ENV, str(fake_soffice(tmp_path, "sleep 60 & wait")))
    with pytest.raises(SaidaoError) as info:
        read_legacy(ole_word_file(tmp_path), "sha", DEFAULT.replace(soffice_timeout=0.5))
    assert info.value.reason == "conversion_timeout"


def test_conversion_without_output_fails(monkeypatch, tmp_path):
    monkeypatch.setenv(SOFFICE_ENV, str(fake_soffice(tmp_path, "exit 0")))
    with pytest.raises(SaidaoError) as info:
        read_legacy(ole_word_file(tmp_path), "sha", DEFAULT)
    assert info.value.reason == "conversion_failed"
    monkeypatch.setenv(SOFFICE_ENV, str(fake_soffice(tmp_path, "echo boom >&2; exit 3")))
    with pytest.raises(SaidaoError) as info:
        read_legacy(ole_word_file(tmp_path), "sha", DEFAULT)
    assert info.value.reason == "conversion_failed" and "boom" in info.value.detail


def test_ole2_that_is_not_word(tmp_path):
    xls = tmp_path / "table.doc"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "Workbook".encode("utf-16-le"))
    with pytest.raises(SaidaoError) as info:
        read(xls)
    assert info.value.reason == "unknown_format" and "Excel" in info.value.detail
    encrypted = tmp_path / "locked.doc"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"))
    assert pytest.raises(SaidaoError, legacy_format, encrypted).value.reason == "encrypted"


def test_legacy_format_from_bytes(tmp_path):
    rtf = tmp_path / "x.doc"
    rtf.write_bytes(b"{\\rtf1\\ansi hello}")
    assert legacy_format(rtf) == "rtf"
    wps = ole_word_file(tmp_path).rename(tmp_path / "x.WPS")
    assert legacy_format(wps) == "wps"


def _doc_declarations() -> list[Path]:
    """Two generated .doc declarations: the content-control and Wingdings styles if present."""
    paths = sorted(DECLARATIONS.glob("*.doc")) if DECLARATIONS.is_dir() else []
    styles = {}
    for path in paths:
        gold = path.with_name(path.name.split(".")[0] + ".gold.json")
        text = gold.read_text(encoding="utf-8") if gold.is_file() else ""
        for style in ("w14", "wingdings"):
            if f'"checkbox_style": "{style}"' in text:
                styles.setdefault(style, path)
    return list(styles.values()) or paths[:2]


@pytest.mark.parametrize("path", _doc_declarations(), ids=lambda p: p.name)
@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) not installed")
def test_declaration_doc_matches_gold(path: Path):
    gold = json.loads(path.with_name(path.name.split(".")[0] + ".gold.json").read_text("utf-8"))
    doc = read(path)
    assert [[[c.text for c in row] for row in t.rows()] for t in doc.tables] == gold["tables"]
    boxes = [
        {"label": box.label, "checked": box.checked}
        for table in doc.tables for cell in table.cells for box in cell.checkboxes
    ]
    assert boxes == gold["checkboxes"]
