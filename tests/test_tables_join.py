"""Joining tables continued over a page break, on hand-built document objects."""

from __future__ import annotations

from saidao.document import Cell, Paragraph, Provenance, Table
from saidao.ingest.tables import (
    columns_match,
    join_continued_tables,
    looks_like_header_row,
)

XS = [72.0, 122.0, 352.0, 523.0]
HEADER = ["序号", "企业名称", "统一信用代码"]


def make_table(rows: list[list[str]], page: int, top: float, xs: list[float] = XS) -> Table:
    """A ruled table of 20-pt rows at ``top`` on ``page``, one cell per grid position."""
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            bbox = (xs[c], top + 20 * r, xs[c + 1], top + 20 * (r + 1))
            cells.append(Cell(r, c, text, Provenance("t.pdf", page=page, cell=(r, c), bbox=bbox)))
    bbox = (xs[0], top, xs[-1], top + 20 * len(rows))
    return Table(len(rows), len(xs) - 1, cells, Provenance("t.pdf", page=page, bbox=bbox), pages=[page])


def firm_rows(first: int, last: int) -> list[list[str]]:
    return [[str(n), f"示例科技有限公司{n}", f"91150{n:013d}"] for n in range(first, last + 1)]


def para(text: str, page: int, top: float) -> Paragraph:
    return Paragraph(text, Provenance("t.pdf", page=page, bbox=(72, top, 300, top + 12)))


HEIGHTS = {1: 842.0, 2: 842.0, 3: 842.0}


def test_repeated_header_is_flagged_and_rows_appended() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    b = make_table([HEADER] + firm_rows(31, 40), page=2, top=60)
    blocks = join_continued_tables({1: [para("二、新赛道企业名录", 1, 120), a], 2: [b, para("三、", 2, 400)]}, HEIGHTS)
    tables = [x for x in blocks if isinstance(x, Table)]
    assert len(tables) == 1
    table = tables[0]
    assert table.n_rows == 42 and table.pages == [1, 2]
    assert table.header_rows == 1
    assert table.repeated_header_rows == [31]
    data = [row for i, row in enumerate(table.rows()) if i >= table.header_rows and i not in table.repeated_header_rows]
    assert [row[0].text for row in data] == [str(n) for n in range(1, 41)]
    moved = table.cell_at(32, 1)
    assert moved is not None and moved.text == "示例科技有限公司31" and moved.provenance.cell == (32, 1)
    assert moved.provenance.page == 2
    assert [type(x).__name__ for x in blocks] == ["Paragraph", "Table", "Paragraph"]


def test_continuation_without_repeated_header() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    b = make_table(firm_rows(31, 35), page=2, top=60)
    (table,) = join_continued_tables({1: [a], 2: [b]}, HEIGHTS)
    assert table.n_rows == 36 and table.repeated_header_rows == [] and table.header_rows == 1


def test_chain_over_three_pages() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    b = make_table([HEADER] + firm_rows(31, 64), page=2, top=60)
    c = make_table([HEADER] + firm_rows(65, 70), page=3, top=60)
    (table,) = join_continued_tables({1: [a], 2: [b], 3: [c]}, HEIGHTS)
    assert table.pages == [1, 2, 3]
    assert table.repeated_header_rows == [31, 66]
    assert table.n_rows == 1 + 70 + 2


def test_different_columns_are_not_joined() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    moved = make_table([HEADER] + firm_rows(31, 35), page=2, top=60, xs=[72.0, 200.0, 400.0, 523.0])
    assert not columns_match(a, moved)
    assert len(join_continued_tables({1: [a], 2: [moved]}, HEIGHTS)) == 2
    four = make_table([HEADER + ["备注"]] + [r + [""] for r in firm_rows(31, 35)], page=2, top=60,
                      xs=[72.0, 122.0, 352.0, 450.0, 523.0])
    assert len(join_continued_tables({1: [a], 2: [four]}, HEIGHTS)) == 2


def test_text_between_the_tables_prevents_joining() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    b = make_table([HEADER] + firm_rows(31, 35), page=2, top=100)
    blocks = join_continued_tables({1: [a], 2: [para("三、新赛道创新平台名录", 2, 60), b]}, HEIGHTS)
    assert len([x for x in blocks if isinstance(x, Table)]) == 2


def test_table_ending_high_on_its_page_is_not_continued() -> None:
    a = make_table([HEADER] + firm_rows(1, 3), page=1, top=100)  # ends at y=180 of 842
    b = make_table([HEADER] + firm_rows(1, 3), page=2, top=60)
    assert len(join_continued_tables({1: [a], 2: [b]}, HEIGHTS)) == 2
    assert len(join_continued_tables({1: [a], 2: [b]})) == 1  # without heights only adjacency counts


def test_pages_must_be_consecutive() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    b = make_table([HEADER] + firm_rows(31, 35), page=3, top=60)
    assert len(join_continued_tables({1: [a], 2: [], 3: [b]}, HEIGHTS)) == 2


def test_row_split_by_the_page_break_is_rejoined() -> None:
    a = make_table([HEADER] + firm_rows(1, 30), page=1, top=150)
    a.cell_at(30, 1).text = "内蒙古示例科技"
    b = make_table([HEADER, ["", "有限公司", ""]] + firm_rows(31, 32), page=2, top=60)
    (table,) = join_continued_tables({1: [a], 2: [b]}, HEIGHTS)
    assert table.cell_at(30, 1).text == "内蒙古示例科技有限公司"
    assert table.n_rows == 31 + 1 + 2
    assert table.repeated_header_rows == [31]
    assert table.cell_at(32, 0).text == "31"


def test_label_column_continuing_a_merge_is_not_a_split_row() -> None:
    rows = [["高新区情况", "单位名称", "包头稀土高新区"], ["", "通信地址", "包头市"]]
    a = make_table([["新赛道名称", "钠电池", "x"]] * 28 + rows[:1], page=1, top=150)
    a.cells = [c for c in a.cells if not (c.row == 28 and c.col == 0)]
    merged = Cell(27, 0, "高新区情况", Provenance("t.pdf", page=1, bbox=(72, 690, 122, 730)), row_span=2)
    a.cells.append(merged)
    b = make_table([["", "通信地址", "包头市"]], page=2, top=60)
    (table,) = join_continued_tables({1: [a], 2: [b]}, HEIGHTS)
    assert table.n_rows == 30
    assert table.cell_at(29, 1).text == "通信地址"


def test_header_row_detection() -> None:
    assert looks_like_header_row(make_table([HEADER] + firm_rows(1, 3), 1, 100))
    platform = ["平台名称", "依托单位", "平台级别"]
    assert looks_like_header_row(make_table([platform, ["重点实验室", "内蒙古大学", "自治区级"]], 1, 100))
    assert not looks_like_header_row(make_table(firm_rows(1, 4), 1, 100))
    form = make_table([["新赛道名称", "生物+蒙药现代化", "x"], ["所属方向", "☑新兴产业延伸", "y"]], 1, 100)
    form.cells = [c for c in form.cells if c.col < 2]
    form.cells[1].col_span = 2
    assert not looks_like_header_row(form)
