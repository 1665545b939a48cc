"""The document model's table views: spans resolved, merged regions filled or not."""

from saidao.document import Cell, Document, PageInfo, Paragraph, Provenance, Table


def _prov(**kw):
    return Provenance(file="t.docx", **kw)


def _form_table() -> Table:
    # 高新区情况 spans rows 0-1 in column 0; 单位名称's value spans columns 2-3.
    cells = [
        Cell(0, 0, "高新区情况", _prov(cell=(0, 0)), row_span=2),
        Cell(0, 1, "单位名称", _prov(cell=(0, 1))),
        Cell(0, 2, "包头稀土高新区管委会", _prov(cell=(0, 2)), col_span=2),
        Cell(1, 1, "联系人姓名", _prov(cell=(1, 1))),
        Cell(1, 2, "王芳", _prov(cell=(1, 2))),
        Cell(1, 3, "014000", _prov(cell=(1, 3))),
    ]
    return Table(n_rows=2, n_cols=4, cells=cells, provenance=_prov(table=0))


def test_grid_fills_merged_regions():
    assert _form_table().grid() == [
        ["高新区情况", "单位名称", "包头稀土高新区管委会", "包头稀土高新区管委会"],
        ["高新区情况", "联系人姓名", "王芳", "014000"],
    ]


def test_grid_without_fill_keeps_origin_only():
    assert _form_table().grid(fill_merged=False) == [
        ["高新区情况", "单位名称", "包头稀土高新区管委会", ""],
        ["", "联系人姓名", "王芳", "014000"],
    ]


def test_rows_list_each_merged_cell_once():
    rows = [[c.text for c in row] for row in _form_table().rows()]
    assert rows == [["高新区情况", "单位名称", "包头稀土高新区管委会"], ["联系人姓名", "王芳", "014000"]]


def test_cell_at_follows_spans_to_origin():
    table = _form_table()
    assert table.cell_at(1, 0).text == "高新区情况"
    assert table.cell_at(0, 3).text == "包头稀土高新区管委会"
    assert table.cell_at(5, 5) is None


def test_document_views_and_dict():
    doc = Document(
        path="t.pdf", sha256="0" * 64, format="pdf",
        pages=[PageInfo(1), PageInfo(2, origin="ocr", ocr_reason="no text layer")],
        blocks=[Paragraph("新赛道名称：", _prov(page=1)), _form_table()],
    )
    assert doc.ocr_pages == [2]
    assert len(doc.tables) == 1 and len(doc.paragraphs) == 1
    assert doc.text.startswith("新赛道名称：\n高新区情况\t单位名称")
    data = doc.to_dict()
    assert data["ocr_pages"] == [2]
    assert data["blocks"][1]["cells"][0]["row_span"] == 2
    assert data["blocks"][1]["kind"] == "table"


def test_provenance_at_copies_with_changes():
    p = _prov(page=2, origin="ocr", confidence=0.8)
    q = p.at(cell=(3, 1))
    assert q.cell == (3, 1) and q.page == 2 and q.origin == "ocr" and p.cell is None
