"""The born-digital PDF reader on small reportlab PDFs and on the declaration fixtures."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from saidao.document import CHECKED, UNCHECKED, PageInfo, Paragraph, Provenance
from saidao.errors import SaidaoError
from saidao.ingest.read import read
from saidao.ingest.readers import pdf as pdf_reader
from saidao.ingest.readers.pdf import box_glyph, read_pdf
from saidao.settings import ReadSettings

CASES = Path(__file__).parent / "fixtures" / "pdf_cases"
DECLARATIONS = Path(__file__).parent / "fixtures" / "declarations"
NO_OCR = ReadSettings(ocr=False)


def load(name: str, settings: ReadSettings = NO_OCR):
    return read_pdf(CASES / name, "0" * 64, settings)


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- form with merged cells ------------------------------------------------------
def test_merged_cells_get_spans() -> None:
    doc = load("form_merged.pdf")
    (table,) = doc.tables
    assert (table.n_rows, table.n_cols) == (5, 4)
    rows = [[(c.text, c.row_span, c.col_span) for c in row] for row in table.rows()]
    assert rows[0] == [("新赛道名称", 1, 1), ("17 纺织业+【智能织物】", 1, 3)]
    assert rows[2][0] == ("高新区情况", 3, 1)
    assert [c[0] for c in rows[3]] == ["联系人姓名", "张三", "邮编"]  # the merged label is listed once
    grid = table.grid()
    assert grid[0] == ["新赛道名称"] + ["17 纺织业+【智能织物】"] * 3
    assert [grid[r][0] for r in range(2, 5)] == ["高新区情况"] * 3
    assert table.cell_at(4, 0).row == 2
    cell = table.cell_at(2, 2)
    assert cell.provenance.page == 1 and cell.provenance.cell == (2, 2) and cell.provenance.table == 0


def test_table_text_is_not_repeated_and_blocks_are_in_reading_order() -> None:
    doc = load("form_merged.pdf")
    kinds = [(b.kind, b.text[:6]) for b in doc.blocks]
    assert kinds[:3] == [("paragraph", "高新技术产业"), ("paragraph", "一、新赛道基"), ("table", "新赛道名称\t")]
    paragraphs = " ".join(p.text for p in doc.paragraphs)
    assert "包头稀土高新区" not in paragraphs and "张三" not in paragraphs
    # a hard-wrapped paragraph is one paragraph; the indented line after it starts a new one
    texts = [p.text for p in doc.paragraphs]
    assert "本表由高新区管委会填写，所填内容须真实、准确、完整，并对所填内容负责。请于规定时间内报送盟市科技局。" in texts
    assert "联系人及联系电话：李四 0471-7654321" in texts


def test_page_number_goes_to_footers() -> None:
    doc = load("form_merged.pdf")
    assert [f.text for f in doc.footers] == ["- 1 -"]
    assert all("- 1 -" not in b.text for b in doc.paragraphs)


def test_glyph_checkboxes_in_a_cell() -> None:
    doc = load("form_merged.pdf")
    cell = doc.tables[0].cell_at(1, 1)
    assert cell.text.startswith(CHECKED + "传统产业转型升级 " + UNCHECKED)
    assert [(b.checked, b.label, b.glyph) for b in cell.checkboxes] == [
        (True, "传统产业转型升级", "☑"), (False, "新兴产业延伸", "□"), (False, "未来产业验证熟化", "□"),
    ]


# -- a table over a page break ----------------------------------------------------
def test_table_continued_on_next_page_is_one_table() -> None:
    doc = load("continued.pdf")
    (table,) = doc.tables
    assert table.pages == [1, 2]
    assert table.header_rows == 1 and table.repeated_header_rows == [31]
    data = [row for i, row in enumerate(table.rows()) if i >= 1 and i not in table.repeated_header_rows]
    assert len(data) == 40
    assert [c.text for c in data[35]] == ["36", "内蒙古示例己科技有限公司36", "911500000000000035"]
    assert data[35][0].provenance.page == 2
    assert [p.text for p in doc.paragraphs] == ["二、新赛道企业名录", "三、新赛道创新平台名录"]
    assert [h.text for h in doc.headers] == ["内蒙古自治区科学技术厅"] * 2
    assert [f.text for f in doc.footers] == ["第 1 页", "第 2 页"]


# -- check boxes --------------------------------------------------------------------
def test_glyph_and_drawn_checkboxes() -> None:
    doc = load("checkboxes.pdf")
    boxes = [[(b.checked, b.label, b.glyph) for b in p.checkboxes] for p in doc.paragraphs]
    assert boxes[0] == [(True, "传统产业转型升级", "■"), (False, "新兴产业延伸", "□"), (False, "未来产业验证熟化", "□")]
    assert boxes[1] == [(True, "是", "√"), (False, "否", "□")]
    assert boxes[2] == [(False, "国有", "☐"), (True, "民营", "☒"), (True, "外资", "✔")]
    assert boxes[3] == [(False, "传统产业转型升级", "drawn"), (True, "新兴产业延伸", "drawn"),
                        (False, "未来产业验证熟化", "drawn")]
    assert boxes[4] == [(True, "是", "drawn"), (False, "否", "drawn")]
    assert doc.paragraphs[1].text == "是否高新技术企业：☑是 ☐否"
    assert doc.tables == []  # a drawn box is not a one-cell table
    box = doc.paragraphs[3].checkboxes[1].provenance.bbox
    assert box is not None and abs(box[0] - 222) < 1 and abs((box[2] - box[0]) - 10) < 1


def test_symbol_font_box_codes_are_normalised() -> None:
    assert box_glyph("\uf0fe") == CHECKED and box_glyph("\uf0a8") == UNCHECKED
    assert box_glyph("■") == CHECKED and box_glyph("□") == UNCHECKED and box_glyph("口") is None


# -- OCR routing --------------------------------------------------------------------
@pytest.fixture
def fake_ocr(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replace the OCR engine: record the calls, return one paragraph per page."""
    calls: list[dict] = []

    def ocr_page(image, *, path, page_number, points_per_pixel, settings):
        calls.append({"shape": image.shape, "dtype": image.dtype, "path": path, "page": page_number,
                      "ppp": points_per_pixel, "mean": float(np.mean(image))})
        prov = Provenance(path, page=page_number, bbox=(50, 200, 300, 220), origin="ocr", confidence=0.9)
        return [Paragraph("识别出的文字", prov)], PageInfo(page_number, origin="ocr")

    import saidao.ingest.readers.ocr as ocr_module
    monkeypatch.setattr(ocr_module, "ocr_page", ocr_page)
    return calls


def test_scanned_page_in_a_mixed_pdf_goes_to_ocr(fake_ocr: list[dict]) -> None:
    doc = load("mixed_scan.pdf", ReadSettings(ocr_dpi=100))
    assert [c["page"] for c in fake_ocr] == [2]
    call = fake_ocr[0]
    assert call["shape"][2] == 3 and call["dtype"] == np.uint8
    assert abs(call["shape"][1] - 595 * 100 / 72) < 2 and call["ppp"] == pytest.approx(0.72)
    assert call["mean"] < 254  # the page image was really rendered (there is dark text on it)
    assert doc.ocr_pages == [2]
    assert doc.pages[1].ocr_reason == "no text layer" and doc.pages[0].origin == "text"
    assert [b.text for b in doc.paragraphs] == [
        "第一页是正常文字层：内蒙古自治区科学技术厅关于印发新赛道培育方案的通知。", "识别出的文字"]
    assert "ocr" in doc.timings and doc.status == "success"


def test_garbled_page_goes_to_ocr(fake_ocr: list[dict]) -> None:
    doc = load("garbled.pdf", ReadSettings(ocr_dpi=72))
    assert [c["page"] for c in fake_ocr] == [1]
    assert doc.pages[0].origin == "ocr" and doc.pages[0].ocr_reason == "garbled text layer"


def test_ocr_disabled_leaves_the_page_empty_with_a_problem() -> None:
    doc = load("mixed_scan.pdf", ReadSettings(ocr=False))
    assert len(doc.paragraphs) == 1 and doc.status == "partial"
    assert doc.ocr_pages == [2] and "第2页" in doc.problems[0]


# -- seals ------------------------------------------------------------------------
def test_red_seal_on_a_born_digital_page() -> None:
    doc = load("seal.pdf")
    (seal,) = doc.pages[0].seals
    assert abs(seal[0] - 380) < 6 and abs(seal[1] - 150) < 6 and abs(seal[2] - 490) < 6
    assert any(b.kind == "image" and b.description == "seal" for b in doc.blocks)
    assert doc.paragraphs[-1].text == "（公章） 2026年3月17日"


# -- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "reason"), [("encrypted.pdf", "encrypted"), ("truncated.pdf", "corrupt")])
def test_bad_files_raise_saidao_error(name: str, reason: str) -> None:
    with pytest.raises(SaidaoError) as err:
        load(name)
    assert err.value.reason == reason
    with pytest.raises(SaidaoError) as err:
        read(CASES / name, NO_OCR)
    assert err.value.reason == reason


def test_too_many_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_work(*args, **kwargs):
        raise AssertionError("a page was read before the page count was checked")

    monkeypatch.setattr(pdf_reader._PdfReader, "read_page", no_work)
    with pytest.raises(SaidaoError) as err:
        load("five_pages.pdf", ReadSettings(max_pages=3))
    assert err.value.reason == "too_many_pages"


def test_five_pages_under_the_limit() -> None:
    doc = load("five_pages.pdf", ReadSettings(max_pages=5, ocr=False))
    assert len(doc.pages) == 5 and [f.text for f in doc.footers] == [f"- {n} -" for n in range(1, 6)]
    assert doc.pages[0].width == pytest.approx(595.3, abs=0.1)


def test_read_dispatches_pdf_by_content(tmp_path: Path) -> None:
    odd = tmp_path / "form.bin"
    shutil.copy(CASES / "form_merged.pdf", odd)
    doc = read(odd, NO_OCR)
    assert doc.format == "pdf" and len(doc.tables) == 1 and "total" in doc.timings


# -- declaration fixtures (born-digital PDFs made by LibreOffice) ------------------------
def born_digital_declarations() -> list[Path]:
    out = []
    for gold in sorted(DECLARATIONS.glob("*.gold.json")):
        data = json.loads(gold.read_text(encoding="utf-8"))
        for f in data.get("files", []):
            if f.get("format") == "pdf" and not f.get("scanned"):
                out.append(DECLARATIONS / f["path"])
    return out


@pytest.mark.parametrize("path", born_digital_declarations(), ids=lambda p: p.name)
def test_declaration_tables_match_gold(path: Path) -> None:
    gold = json.loads(path.with_name(path.name.replace(".pdf", ".gold.json")).read_text(encoding="utf-8"))
    doc = read_pdf(path, "0" * 64, NO_OCR)
    assert doc.ocr_pages == []
    assert len(doc.tables) == len(gold["tables"])
    for table, expected in zip(doc.tables, gold["tables"], strict=True):
        rows = [[norm(c.text) for c in row] for i, row in enumerate(table.rows())
                if i not in table.repeated_header_rows]
        assert rows == [[norm(t) for t in row] for row in expected]
    firm = next(t for t in doc.tables if any("企业名称" in c.text for c in t.rows()[0]))
    assert firm.header_rows == 1
    if gold["variant"].get("repeat_header"):
        assert firm.repeated_header_rows and len(firm.pages) > 1
