"""Format sniffing reads bytes, not names; every failure is one error type, in two languages."""

import zipfile

import pytest

from saidao.errors import REASONS, SaidaoError
from saidao.ingest.detect import sniff
from saidao.ingest.read import read


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "doc"),
        (b"{\\rtf1\\ansi ...}", "rtf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image"),
        ("内蒙古自治区人民政府\n关于".encode(), "txt"),
        ("内蒙古自治区人民政府\n关于".encode("gb18030"), "txt"),
        (bytes(range(256)) * 4, None),
    ],
)
def test_sniff_by_content(tmp_path, data, expected):
    path = tmp_path / "renamed.docx"  # the name lies on purpose
    path.write_bytes(data)
    assert sniff(path) == expected


def test_sniff_zip_with_word_part_is_docx_whatever_its_name(tmp_path):
    path = tmp_path / "form.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert sniff(path) == "docx"
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("a.txt", "x")
    assert sniff(other) == "zip"


def test_error_messages_name_the_file_in_both_languages():
    e = SaidaoError("encrypted", "/data/a.pdf")
    assert e.message_zh == "/data/a.pdf：文件有密码保护，无法读取"
    assert "password-protected" in e.message_en and "/data/a.pdf" in str(e)
    assert e.to_dict()["reason"] == "encrypted"
    with pytest.raises(ValueError):
        SaidaoError("no_such_reason")
    assert all(zh and en for zh, en in REASONS.values())


def test_read_rejects_missing_empty_and_unknown(tmp_path):
    with pytest.raises(SaidaoError) as missing:
        read(tmp_path / "nope.pdf")
    assert missing.value.reason == "not_found"
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(SaidaoError) as e:
        read(empty)
    assert e.value.reason == "empty"
    junk = tmp_path / "junk.xyz"
    junk.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SaidaoError) as e:
        read(junk)
    assert e.value.reason == "unknown_format"


def test_read_rejects_oversized_file(tmp_path):
    from saidao.settings import ReadSettings

    big = tmp_path / "big.txt"
    big.write_text("政策" * 1000, encoding="utf-8")
    with pytest.raises(SaidaoError) as e:
        read(big, ReadSettings(max_bytes=100))
    assert e.value.reason == "too_large"


def test_pages_to_read_counts_a_pdfs_pages_by_its_bytes_and_one_for_anything_else(tmp_path):
    """The upload's time estimate (``web.imports``) counts pages through ``ingest.detect``."""
    import shutil
    from pathlib import Path

    from saidao.ingest.detect import pages_to_read

    decl = Path(__file__).parent / "fixtures" / "declarations"
    assert pages_to_read(decl / "decl_023.pdf") == 6  # tests/test_page_progress.py: 6 pages
    renamed = tmp_path / "scan.jpg"  # a PDF under another name is still counted as one
    shutil.copy(decl / "decl_028.pdf", renamed)
    assert pages_to_read(renamed) == 4
    assert pages_to_read(decl / "decl_001.docx") == 1
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\0" * 64)  # PDFium cannot open it: one page, no error
    assert pages_to_read(broken) == 1
    assert pages_to_read(tmp_path / "gone.pdf") == 1
