"""PDF text that reads as written: a declaration typeset by another tool (reportlab,
``tests/fixtures/pdf_form.py`` via ``generate.py --only wrapped``) with wrapped labels,
wrapped header lines, wrapped firm names and an e-mail and codes broken by soft hyphens
reads exactly as its .docx, with no false problem."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from saidao.extractors.declaration import clean_value, one_value
from saidao.extractors.form_labels import HEADER_LABELS, split_labelled_line
from saidao.ingest.extract import extract_file
from saidao.ingest.readers.pdf import SOFT_HYPHEN, _char_text, join_lines

FORMS = Path(__file__).parent / "fixtures" / "forms"
GOLD = json.loads((FORMS / "wrapped.gold.json").read_text(encoding="utf-8"))["expected"]


@pytest.fixture(scope="module")
def pdf() -> dict:
    return extract_file(FORMS / "wrapped.pdf")


@pytest.fixture(scope="module")
def docx() -> dict:
    return extract_file(FORMS / "wrapped.docx")


def test_the_fixture_really_wraps_and_breaks_words() -> None:
    """The PDF's own text layer has what the reader must repair (else the test proves nothing)."""
    doc = pdfium.PdfDocument(FORMS / "wrapped.pdf")
    raw = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "\u00ad" in raw or "\x02" in raw  # soft hyphens in the e-mail and codes
    assert "500字以" in raw and "500字以内" not in raw  # the measures label wraps
    assert "Baoshan Iron and Steel Co., Ltd." not in raw  # the firm name wraps in its cell
    assert "联系人/电话" in raw  # a reworded label


def _firms(result: dict) -> list[tuple]:
    return [(f["seq"], f["name"], f["uscc_printed"], f["uscc"], f["uscc_valid"])
            for f in result["firms"]]


def _platforms(result: dict) -> list[tuple]:
    return [tuple(p[k] for k in ("seq", "name", "host", "level", "year", "certifier", "research"))
            for p in result["platforms"]]


def test_values_equal_the_docx(pdf: dict, docx: dict) -> None:
    for key in ("track_name", "filled_at", "header", "unit", "zone", "track"):
        assert pdf[key] == docx[key], key
    assert _firms(pdf) == _firms(docx)
    assert _platforms(pdf) == _platforms(docx)
    assert pdf["measures"]["text"] == docx["measures"]["text"]
    assert pdf["plan"]["text"] == docx["plan"]["text"]
    assert pdf["attestation"]["sealed"] == docx["attestation"]["sealed"]


def test_values_are_the_true_ones(pdf: dict) -> None:
    assert pdf["unit"]["email"] == GOLD["unit"]["email"] == "wangxiaoyan.kjj@ordosgx.gov.cn"
    assert pdf["header"] == GOLD["header"]  # wrapped header lines whole, no label in a value
    assert pdf["header"]["contact"] == GOLD["header"]["contact"]
    assert [f["name"] for f in pdf["firms"]] == [clean_value(f["name"]) for f in GOLD["firms"]]
    assert "Baoshan Iron and Steel Co., Ltd." in [f["name"] for f in pdf["firms"]]


def test_no_false_problem(pdf: dict, docx: dict) -> None:
    codes = sorted((p["field"], p["code"]) for p in pdf["problems"])
    assert codes == sorted((p["field"], p["code"]) for p in docx["problems"])
    planted = {(p["field"], p["code"]) for p in GOLD["problems"]}
    assert planted <= set(codes)
    for false in ("bad_email", "track_name_mismatch", "uscc_length", "direction_unclear"):
        assert false not in {c for _, c in codes}


def test_reader_and_extractor_rules() -> None:
    assert _char_text(0x02) == _char_text(0xAD) == SOFT_HYPHEN
    assert _char_text(0x07) is None and _char_text(0x200B) is None
    assert join_lines([f"wxy@ordos{SOFT_HYPHEN}", "gx.gov.cn"]) == "wxy@ordosgx.gov.cn"
    assert join_lines(["Baoshan Iron and Steel", "Co., Ltd."]) == "Baoshan Iron and Steel Co., Ltd."
    assert one_value("Baoshan Iron and Steel Co.,\nLtd.", "name") == "Baoshan Iron and Steel Co., Ltd."
    assert one_value("乌兰察布市新特新大药\n房连锁有限公司", "name") == "乌兰察布市新特新大药房连锁有限公司"
    assert one_value("wxy@ordos\ngx.gov.cn", "email") == "wxy@ordosgx.gov.cn"
    assert one_value("91150902MA0MXQFQ6\n2", "uscc") == "91150902MA0MXQFQ62"
    assert split_labelled_line("联系人/电话：王晓燕 13904771234", HEADER_LABELS) == (
        "contact", "王晓燕 13904771234")
