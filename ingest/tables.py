"""Format-neutral table repair: join a table continued over a page break.

Long firm lists in declarations run over several pages; each page then holds
a separate ruled table, often repeating the header row. A reader (PDF text
layer or OCR) hands its blocks page by page; tables that continue one another
become one :class:`Table`, with the repeated header rows kept but flagged, so
extractors see every row once. Works only on ``saidao.document`` objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from saidao.document import Block, Cell, Image, Table
from saidao.ingest.wrap import join_pieces

#: A continuation starts in the top part of its page and its predecessor ends
#: in the bottom part (only checked when page heights are known).
_EDGE_FRACTION = 0.5
_MAX_HEADER_ROWS = 3
_HEADER_WORDS = re.compile(r"序号|编号|名称|代码|单位|级别|年度|部门|类别|项目|姓名|日期|时间|备注|No\.?|Name", re.I)
_NUMBER = re.compile(r"^[\d\s.,，、%()（）-]+$")


def is_frame(cells: int) -> bool:
    """Whether a ruled box of ``cells`` cells is a frame drawn around text rather than a table.

    One cell holds no rows or columns to compare: it is a framed paragraph (专栏),
    a page border, the white panel of a screenshot, or a Word document laid out in
    a one-cell table. Its text is read as the page's own paragraphs, so a title,
    a 文号 and numbered clauses inside it are found as they are outside it. Every
    reader asks this one question (PDF text layer, OCR, .docx, HTML).

    >>> is_frame(1), is_frame(2)
    (True, False)
    """
    return cells < 2


#: A cell of a one-column table holding more characters than this (whitespace aside), or
#: two paragraphs or more, is running text: such a table lays a page out (an old
#: portal's page, a notice copied from one into Word), it holds no data.
TEXT_CELL_CHARS = 100


def is_text_column(row_widths: set[int], cells: Iterable[tuple[int, int]]) -> bool:
    """Whether a table is one column of running text, read as paragraphs rather than cells.

    ``row_widths``: how many grid columns each row spans; ``cells``: (characters without
    whitespace, paragraphs) of each cell. The HTML and .docx readers ask this.

    >>> is_text_column({1}, [(12, 1), (240, 1)]), is_text_column({1}, [(12, 1), (30, 1)])
    (True, False)
    >>> is_text_column({1}, [(30, 2)]), is_text_column({2}, [(240, 3)])
    (True, False)
    """
    return row_widths == {1} and any(chars > TEXT_CELL_CHARS or paragraphs >= 2 for chars, paragraphs in cells)


def normalise(text: str) -> str:
    """Cell text for comparisons: no whitespace at all, full-width parentheses kept."""
    return re.sub(r"\s+", "", text)


def row_texts(table: Table) -> list[list[str]]:
    """Normalised distinct cell texts per row (merged cells once)."""
    return [[normalise(c.text) for c in row] for row in table.rows()]


def column_edges(table: Table) -> list[float] | None:
    """Left x of each column and the right x of the last, from cell boxes; None without boxes."""
    lefts: dict[int, float] = {}
    right = None
    for cell in table.cells:
        box = cell.provenance.bbox
        if box is None:
            continue
        lefts[cell.col] = min(lefts.get(cell.col, box[0]), box[0])
        if cell.col + cell.col_span == table.n_cols:
            right = box[2] if right is None else max(right, box[2])
    if len(lefts) < table.n_cols or right is None:
        return None
    return [lefts[c] for c in range(table.n_cols)] + [right]


def columns_match(a: Table, b: Table, tolerance: float = 0.03) -> bool:
    """Same column count and, where both have boxes, column edges within ``tolerance`` of the width."""
    if a.n_cols != b.n_cols:
        return False
    ea, eb = column_edges(a), column_edges(b)
    if ea is None or eb is None:
        return True
    width = max(ea[-1] - ea[0], eb[-1] - eb[0], 1.0)
    return all(abs(x - y) <= tolerance * width for x, y in zip(ea, eb, strict=True))


def looks_like_header_row(table: Table) -> bool:
    """Row 0 holds short non-numeric labels (序号, 企业名称 …) over a numbered or data body."""
    rows = row_texts(table)
    if len(rows) < 2 or len(rows[0]) < 2:
        return False
    first = rows[0]
    if len(first) != table.n_cols:
        return False  # a label with a merged value cell: a key/value form row
    if any(not t or len(t) > 16 or _NUMBER.match(t) or re.search(r"\d", t) for t in first):
        return False
    if any(_HEADER_WORDS.search(t) for t in first):
        return True
    body_first_col = [r[0] for r in rows[1:] if r]
    numbered = sum(1 for t in body_first_col if _NUMBER.match(t))
    return numbered >= max(1, len(body_first_col) // 2)


def repeated_header_count(first: Table, continuation: Table) -> int:
    """How many leading rows of ``continuation`` repeat the leading rows of ``first``."""
    a, b = row_texts(first), row_texts(continuation)
    limit = min(_MAX_HEADER_ROWS, len(a) - 1, len(b))
    count = 0
    for i in range(limit):
        if not any(a[i]) or a[i] != b[i]:
            break
        count += 1
    if first.header_rows:
        count = min(count, first.header_rows)
    return count


def _bottom(table: Table) -> float | None:
    boxes = [c.provenance.bbox for c in table.cells if c.provenance.bbox]
    return max(b[3] for b in boxes) if boxes else None


def _top(table: Table) -> float | None:
    boxes = [c.provenance.bbox for c in table.cells if c.provenance.bbox]
    return min(b[1] for b in boxes) if boxes else None


def _near_page_edges(a: Table, b: Table, heights: Mapping[int, float] | None) -> bool:
    if not heights:
        return True
    page_a, page_b = (a.pages or [a.provenance.page])[-1], b.provenance.page
    ha, hb = heights.get(page_a), heights.get(page_b)
    bottom, top = _bottom(a), _top(b)
    if not ha or not hb or bottom is None or top is None:
        return True
    return bottom >= ha * _EDGE_FRACTION and top <= hb * _EDGE_FRACTION


def continues(a: Table, b: Table, heights: Mapping[int, float] | None = None) -> bool:
    """Is ``b`` (first block of the next page) the continuation of ``a`` (last block of a page)?"""
    last_page = (a.pages or [a.provenance.page])[-1]
    if b.provenance.page is None or last_page is None or b.provenance.page != last_page + 1:
        return False
    return columns_match(a, b) and _near_page_edges(a, b, heights)


def append_table(a: Table, b: Table) -> None:
    """Append ``b``'s rows to ``a`` in place, renumbering rows and flagging repeated headers."""
    if not a.pages and a.provenance.page is not None:
        a.pages.append(a.provenance.page)
    repeats = repeated_header_count(a, b)
    if is_split_row(a, b, repeats):
        merge_split_row(a, b, repeats)
    if repeats and not a.header_rows:
        a.header_rows = repeats
    if not a.header_rows and looks_like_header_row(a):
        a.header_rows = 1
    offset = a.n_rows
    for cell in b.cells:
        a.cells.append(_shifted(cell, offset))
    a.repeated_header_rows.extend(range(offset, offset + repeats))
    a.repeated_header_rows.extend(offset + r for r in b.repeated_header_rows)
    a.n_rows += b.n_rows
    for page in b.pages or [b.provenance.page]:
        if page is not None and page not in a.pages:
            a.pages.append(page)


def is_split_row(a: Table, b: Table, row: int) -> bool:
    """Does row ``row`` of ``b`` hold the rest of ``a``'s last row, cut by the page break?

    Word and LibreOffice let a row break across pages: the part on the next
    page has text only in the columns that overflowed, and an empty first
    column (序号, or the row's label) under a first column that was filled.
    A row continuing a vertical merge from above is left alone.
    """
    cells = [c for c in b.cells if c.row == row]
    if not cells or any(c.row_span != 1 for c in cells):
        return False
    first = next((c for c in cells if c.col == 0), None)
    above = a.cell_at(a.n_rows - 1, 0)
    if first is None or normalise(first.text) or above is None or not normalise(above.text):
        return False
    if above.row != a.n_rows - 1:
        return False
    empty = sum(1 for c in cells if not normalise(c.text))
    if empty == len(cells):
        return False
    numbered = bool(_NUMBER.match(normalise(above.text)))  # a 序号 column is never left blank
    return numbered or empty * 2 >= len(cells)


def _glue(head: str, tail: str) -> str:
    """Rejoin text cut by a page break: a new line after a sentence end, else straight on."""
    if not head or not tail:
        return head or tail
    if head.rstrip()[-1] in "。！？；：:;.!?":
        return head.rstrip() + "\n" + tail.lstrip()
    return join_pieces(head, tail)  # a word or number cut by the break: one space


def merge_split_row(a: Table, b: Table, row: int) -> None:
    """Append row ``row`` of ``b`` to ``a``'s last row cell by cell and drop it from ``b``."""
    last = a.n_rows - 1
    for cell in [c for c in b.cells if c.row == row]:
        target = a.cell_at(last, cell.col)
        if target is not None and cell.text.strip():
            target.text = _glue(target.text, cell.text)
            target.lines.extend(cell.lines)
            target.checkboxes.extend(cell.checkboxes)
    b.cells = [c for c in b.cells if c.row != row]
    for cell in b.cells:
        if cell.row > row:
            cell.row -= 1
    b.n_rows -= 1


def _shifted(cell: Cell, offset: int) -> Cell:
    cell.row += offset
    cell.provenance = cell.provenance.at(cell=(cell.row, cell.col))
    return cell


def join_continued_tables(
    blocks_by_page: Mapping[int, Sequence[Block]],
    page_heights: Mapping[int, float] | None = None,
) -> list[Block]:
    """Flatten per-page body blocks (headers/footers already removed) into one list,
    joining each table that ends a page with the table that starts the next page
    when they have the same columns. ``page_heights`` (page -> points) adds the
    check that the first ends low on its page and the second starts high.
    """
    out: list[Block] = []
    previous_page_last: Table | None = None
    for page in sorted(blocks_by_page):
        blocks = list(blocks_by_page[page])
        text_blocks = [b for b in blocks if not isinstance(b, Image)]  # a seal over a table is no break
        first = text_blocks[0] if text_blocks else None
        if isinstance(first, Table) and previous_page_last is not None \
                and continues(previous_page_last, first, page_heights):
            append_table(previous_page_last, first)
            blocks = [b for b in blocks if b is not first]
            if len(text_blocks) == 1:  # a whole page of table: it may go on further
                out.extend(blocks)
                continue
        out.extend(blocks)
        last = text_blocks[-1] if text_blocks else None
        previous_page_last = last if isinstance(last, Table) else None
    for block in out:
        if isinstance(block, Table) and not block.header_rows and looks_like_header_row(block):
            block.header_rows = 1
    return out


def number_tables(blocks: Sequence[Block]) -> None:
    """Give each table, and everything inside it (cells, their lines and check boxes), its
    index among the document's tables, once tables continued over pages are joined."""
    tables = [b for b in blocks if isinstance(b, Table)]
    for index, table in enumerate(tables):
        table.provenance = table.provenance.at(table=index)
        for cell in table.cells:
            cell.provenance = cell.provenance.at(table=index)
            for line in cell.lines:
                line.provenance = line.provenance.at(table=index)
            for box in cell.checkboxes:
                box.provenance = box.provenance.at(table=index)
