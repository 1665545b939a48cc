"""A box drawn around text is a frame, not a table (``ingest.tables.is_frame``).

Staff bring notices laid out in a one-cell Word table (the way a web page's layout
table survives a copy into Word) and screenshots of portal pages, whose white
panel has an edge and a shadow. Read as a table of one cell, such a notice lost
its title, its 文号 and every clause: the policy extractor looks for them in the
body, and all the text sat in one cell. Each reader now reads a frame's content as
the page's own paragraphs.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from PIL import Image, ImageDraw, ImageFont

from saidao.document import Table
from saidao.extractors.extract import extract_document
from saidao.ingest.read import read

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

TITLE = "乌兰察布市科学技术局关于印发支持高新区新赛道培育若干措施的通知"
NUMBER = "乌科发〔2025〕7号"
NOTICE = [
    "各旗县市区科技局，察哈尔高新区管委会：",
    "现将《支持高新区新赛道培育若干措施》印发给你们，请结合实际认真贯彻执行。",
    "一、加强平台建设",
    "对新认定的自治区级重点实验室，给予一次性奖励100万元。",
    "二、培育科技型企业",
    "对首次认定的高新技术企业，给予20万元奖励。",
    "三、本措施自印发之日起施行。",
]


def _notice_docx(path: Path, framed: bool) -> Path:
    document = docx.Document()
    if framed:
        table = document.add_table(rows=1, cols=1)
        table.style = "Table Grid"
        cell = table.cell(0, 0)
        cell.paragraphs[0].text = TITLE
        add = cell.add_paragraph
    else:
        document.add_paragraph(TITLE)
        add = document.add_paragraph
    for text in (NUMBER, *NOTICE, "乌兰察布市科学技术局", "2025年3月12日"):
        add(text)
    document.save(str(path))
    return path


def _clauses(result: dict) -> list[tuple[str, str]]:
    return [(c["number"], c["text"]) for c in result["clauses"]]


def test_a_notice_laid_out_in_a_one_cell_word_table_reads_as_the_same_notice(tmp_path):
    plain = extract_document(read(_notice_docx(tmp_path / "plain.docx", framed=False)))
    doc = read(_notice_docx(tmp_path / "framed.docx", framed=True))
    assert not any(isinstance(b, Table) for b in doc.blocks)
    framed = extract_document(doc)
    assert framed["title"] == plain["title"] == TITLE
    assert framed["doc_number"] == plain["doc_number"] == NUMBER
    assert _clauses(framed) == _clauses(plain)
    assert [n for n, _ in _clauses(framed)] == ["一", "二", "三"]


def test_a_notice_in_a_one_column_word_table_of_title_and_body_reads_as_the_notice(tmp_path):
    """The rule the HTML reader applies to a portal's layout tables (``tables.is_text_column``):
    one column whose cells hold running text lays the page out."""
    plain = extract_document(read(_notice_docx(tmp_path / "plain.docx", framed=False)))
    document = docx.Document()
    table = document.add_table(rows=2, cols=1)
    table.style = "Table Grid"
    table.cell(0, 0).text = TITLE
    body = table.cell(1, 0)
    body.paragraphs[0].text = NUMBER
    for text in (*NOTICE, "乌兰察布市科学技术局", "2025年3月12日"):
        body.add_paragraph(text)
    document.save(str(tmp_path / "column.docx"))
    doc = read(tmp_path / "column.docx")
    assert not any(isinstance(b, Table) for b in doc.blocks)
    result = extract_document(doc)
    assert (result["title"], result["doc_number"]) == (TITLE, NUMBER)
    assert _clauses(result) == _clauses(plain)


def test_a_one_column_list_of_short_entries_stays_a_table(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=3, cols=1)
    for row, text in zip(table.rows, ("附件", "1. 申报书", "2. 企业名录"), strict=True):
        row.cells[0].text = text
    document.save(str(tmp_path / "list.docx"))
    (block,) = read(tmp_path / "list.docx").blocks
    assert isinstance(block, Table) and block.n_rows == 3


def test_a_two_cell_word_table_stays_a_table(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "赛道名称", "稀土新材料"
    document.save(str(tmp_path / "t.docx"))
    (block,) = read(tmp_path / "t.docx").blocks
    assert isinstance(block, Table) and block.grid() == [["赛道名称", "稀土新材料"]]


def _screenshot(path: Path) -> Path:
    """A browser window: dark bar with the address, grey page, the notice on a white
    panel with a 1 px grey edge, its foot just above the window's bottom edge."""
    small, big = ImageFont.truetype(FONT, 16), ImageFont.truetype(FONT, 22)
    img = Image.new("RGB", (1280, 800), (240, 240, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1280, 70), fill=(53, 54, 58))
    draw.rectangle((10, 40, 1270, 64), fill=(255, 255, 255))
    draw.text((20, 44), "kjj.wulanchabu.gov.cn/zwgk/tzgg/202503/t20250312_1.html", font=small, fill=(60, 60, 60))
    draw.rectangle((200, 90, 1080, 790), fill=(255, 255, 255), outline=(210, 210, 210))
    draw.text((230, 110), TITLE, font=big, fill=(0, 0, 0))
    draw.text((560, 150), NUMBER, font=small, fill=(0, 0, 0))
    y = 190
    for line in NOTICE:
        draw.text((240, y), line, font=small, fill=(30, 30, 30))
        y += 34
    img.save(path)
    return path


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_screenshot_of_a_portal_notice_reads_as_a_notice_not_a_table(tmp_path):
    doc = read(_screenshot(tmp_path / "shot.png"))
    assert not any(isinstance(b, Table) for b in doc.blocks)
    result = extract_document(doc)
    assert result["kind"] == "policy"
    assert result["title"] == TITLE
    assert [n for n, _ in _clauses(result)] == ["一", "二", "三"]


def test_a_small_screenshot_of_large_characters_is_read_not_taken_for_a_ruled_sheet(tmp_path):
    """A 259×133 window: its white panel was measured as an A4 sheet (22 dpi), and the
    strokes of its two 64-pixel characters then passed for the rules of a table: a page
    of empty cells. The panel is no sheet of paper (``image.MIN_SHEET_DPI``), and a stroke
    that meets no other rule is no rule (``scan_layout._segments``)."""
    img = Image.new("RGB", (259, 133), (230, 230, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 259, 20), fill=(60, 60, 60))
    draw.rectangle((8, 28, 250, 125), fill=(255, 255, 255), outline=(180, 180, 180))
    draw.text((60, 40), "通知", font=ImageFont.truetype(FONT, 64), fill=(0, 0, 0))
    img.save(tmp_path / "small.png")
    doc = read(tmp_path / "small.png")
    assert not any(isinstance(b, Table) for b in doc.blocks)
    assert doc.text.strip() == "通知"
