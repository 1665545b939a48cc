"""The format-neutral document model.

Readers (``saidao.ingest.readers``) build it; extractors (``saidao.extractors``)
read only it. Nothing here knows python-docx, pdfplumber or OCR objects, so a
new file format is a new reader and nothing else.

The shape follows the way the sources are laid out, not the way any library
exposes them::

    Document
      ├── pages: [PageInfo]            one per physical page (1 for .docx/.txt)
      ├── blocks: [Paragraph | Table | Image]   body, in reading order
      ├── headers / footers: [Block]   running heads and web-page chrome, kept apart from the body
      ├── problems: [str]              what the reader noticed but survived (developers' notes)
      └── unread: [str]                what the file holds that was not read (Chinese, for staff)

Every block, line, cell and checkbox carries a :class:`Provenance`: the file,
the page, the line or cell, the bounding box where one exists, whether the text
came from a text layer or from OCR, and how sure the reader is of it.

Tables are stored as *cells with spans* (like the source) and offer
:meth:`Table.grid`, the merged-cell-resolved matrix extractors usually want.
A table continued over a page break is joined by the reader into one
``Table``; rows that repeat the header are kept but flagged in
``Table.repeated_header_rows`` so nothing is lost and extractors can skip them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Origin = Literal["text", "ocr"]
BBox = tuple[float, float, float, float]  # x0, top, x1, bottom; points, page origin top-left

#: What a web page's reader may flag a block as (``Paragraph.chrome`` /
#: ``Table.chrome``): parts of the site around the document, recognised from
#: the page's structure (``<nav>``, ``role="navigation"``, ``class="breadcrumb"``,
#: ``javascript:window.print()`` links …). Chrome blocks are never in
#: ``Document.blocks``: those before the document's last content block are in
#: ``headers``, the rest in ``footers``, so extractors keep them out of titles
#: and clauses while the ``chrome`` output can still show what was set aside.
CHROME_KINDS = (
    "page_title",  # the HTML <title>: usually "文件标题_栏目_网站名"
    "banner",  # site header, logo, site name
    "nav",  # menus, link lists
    "breadcrumb",  # 当前位置：首页 > …
    "source",  # 来源 / 作者 / 点击 / 发布时间 line of the portal
    "share",  # share buttons
    "print",  # 打印本页 / 关闭窗口 / 收藏 (javascript: links)
    "sidebar",  # related links, side columns
    "footer",  # site footer: copyright, 网站标识码, 主办单位
)

#: Glyphs that stand for a ticked box in the forms seen so far (and in Word's
#: symbol fonts once mapped to Unicode). Readers normalise to these two.
CHECKED = "☑"
UNCHECKED = "☐"


#: The OCR reader notes a character's alternatives down to this probability
#: (``Provenance.char_alternatives``): one it did not note was less probable.
CHAR_ALTERNATIVE_FLOOR = 1e-4


@dataclass(slots=True)
class Provenance:
    """Where a piece of text came from and how far to trust it."""

    file: str
    page: int | None = None  # 1-based physical page; None for formats without pages
    line: int | None = None  # 1-based line (txt) or paragraph index (docx) within the source
    table: int | None = None  # index of the table in Document.blocks' tables, 0-based
    cell: tuple[int, int] | None = None  # (row, col) in the table grid, 0-based
    bbox: BBox | None = None
    origin: Origin = "text"
    confidence: float = 1.0  # 1.0 for a clean text layer; OCR score otherwise
    #: OCR only, on a line: the recogniser's confidence in each character of the line's
    #: text (one per character, spaces included; a space or box glyph the reader placed
    #: itself has 1.0). None where unknown, and always for a text layer.
    char_confidences: list[float] | None = None
    #: OCR only, on a line holding a code-like run (a credit code): per character of the
    #: line's text, the other characters the recogniser saw there with their probabilities
    #: ({}: it saw none at CHAR_ALTERNATIVE_FLOOR or above). None: not looked at — which
    #: says nothing, unlike {}. Page evidence for the credit-code repair.
    char_alternatives: list[dict[str, float]] | None = None
    #: OCR only: what the recogniser read, where the reader's repairs (a doubled glyph
    #: read once, a dropped 、，。 put back, 丶 → 、, a box glyph) changed it. None when
    #: the text is the reading as it came.
    ocr_text: str | None = None

    def at(self, **changes: Any) -> Provenance:
        """A copy with some fields changed (a cell's provenance from its table's)."""
        data = {name: getattr(self, name) for name in self.__slots__}
        data.update(changes)
        return Provenance(**data)


@dataclass(slots=True)
class Checkbox:
    """A box on the form: ``label`` is the text that follows it up to the next box."""

    checked: bool
    label: str
    glyph: str  # as found: ☑ ■ √ ✓ ✔ ⊠ □ ☐, "w14:checkbox", "drawn", "ocr-fill"
    provenance: Provenance


@dataclass(slots=True)
class TextLine:
    """One visual line (PDF, OCR) or one whole paragraph (docx, txt)."""

    text: str
    provenance: Provenance


@dataclass(slots=True)
class Paragraph:
    text: str
    provenance: Provenance
    lines: list[TextLine] = field(default_factory=list)
    checkboxes: list[Checkbox] = field(default_factory=list)
    style: str | None = None  # the source's style name, e.g. "Heading 1", "Title"
    bold_prefix: str = ""  # leading bold run(s), e.g. "强化创新平台建设。"
    chrome: str = ""  # page chrome the reader recognised (see CHROME_KINDS); "" for content
    kind: Literal["paragraph"] = "paragraph"


@dataclass(slots=True)
class Cell:
    row: int
    col: int
    text: str
    provenance: Provenance
    row_span: int = 1
    col_span: int = 1
    checkboxes: list[Checkbox] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # nested tables and paragraphs, if any
    lines: list[TextLine] = field(default_factory=list)


@dataclass(slots=True)
class Table:
    """A ruled table as cells with spans; ``grid()`` resolves the merges."""

    n_rows: int
    n_cols: int
    cells: list[Cell]
    provenance: Provenance
    pages: list[int] = field(default_factory=list)  # every page it spans, in order
    header_rows: int = 0  # leading rows that form the header
    repeated_header_rows: list[int] = field(default_factory=list)  # rows that repeat it later
    chrome: str = ""  # page chrome the reader recognised (see CHROME_KINDS); "" for content
    kind: Literal["table"] = "table"

    def cell_at(self, row: int, col: int) -> Cell | None:
        """The cell covering (row, col), following spans to the merged region's origin."""
        for cell in self.cells:
            if cell.row <= row < cell.row + cell.row_span and cell.col <= col < cell.col + cell.col_span:
                return cell
        return None

    def grid(self, fill_merged: bool = True) -> list[list[str]]:
        """The table as a matrix of strings.

        With ``fill_merged`` every position of a merged region repeats the
        region's text (what "merged cells filled" means in pdfplumber's terms);
        without it only the origin position holds the text and the rest are "".
        """
        matrix = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, min(cell.row + cell.row_span, self.n_rows)):
                for c in range(cell.col, min(cell.col + cell.col_span, self.n_cols)):
                    if fill_merged or (r == cell.row and c == cell.col):
                        matrix[r][c] = cell.text
        return matrix

    def rows(self) -> list[list[Cell]]:
        """Distinct cells per row, left to right, each merged cell listed once at its origin row."""
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for cell in sorted(self.cells, key=lambda c: (c.row, c.col)):
            if 0 <= cell.row < self.n_rows:
                out[cell.row].append(cell)
        return out

    @property
    def text(self) -> str:
        return "\n".join("\t".join(row) for row in self.grid(fill_merged=False))


@dataclass(slots=True)
class Image:
    """A picture in the body: a scanned page, a photo, a seal, a logo."""

    provenance: Provenance
    width: int = 0
    height: int = 0
    description: str = ""  # e.g. "seal" when the reader recognised a red seal
    kind: Literal["image"] = "image"


Block = Paragraph | Table | Image


@dataclass(slots=True)
class PageInfo:
    number: int  # 1-based
    width: float = 0.0  # points
    height: float = 0.0
    origin: Origin = "text"  # "ocr" when this page's text came from OCR
    ocr_reason: str = ""  # why it went to OCR: "no text layer", "garbled text layer", "image file"
    seals: list[BBox] = field(default_factory=list)  # red seals found on the page image
    rotation: float = 0.0  # degrees the page image was turned to read it
    # why a page that has content was left empty (Chinese, for staff), e.g. its OCR failed
    unread: str | None = None


@dataclass(slots=True)
class Document:
    path: str
    sha256: str
    format: str  # docx | doc | pdf | image | txt | html | mhtml | ofd (the original file's format)
    pages: list[PageInfo] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    headers: list[Block] = field(default_factory=list)
    footers: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # content the file holds that the reader could not read (Chinese, for staff); pages
    # left empty say so on their own ``PageInfo.unread``
    unread: list[str] = field(default_factory=list)
    status: Literal["success", "partial", "failure"] = "success"
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    converted_from: str | None = None  # ".doc" when LibreOffice made the docx we read

    # -- views extractors use ------------------------------------------------
    @property
    def ocr_pages(self) -> list[int]:
        return [p.number for p in self.pages if p.origin == "ocr"]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    def iter_text(self) -> list[str]:
        """Body text block by block, tables flattened row by row with tabs."""
        return [b.text for b in self.blocks if not isinstance(b, Image)]

    @property
    def text(self) -> str:
        return "\n".join(self.iter_text())

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready data; the OCR-only provenance keys appear only where set,
        so a text-layer document's JSON is what it was before they existed."""
        data = _without_unset(asdict(self))
        data["ocr_pages"] = self.ocr_pages
        return data


#: Provenance keys added later and left out of ``to_dict`` while None.
_OPTIONAL_PROVENANCE = ("char_confidences", "char_alternatives", "ocr_text")


def _without_unset(value: Any) -> Any:
    if isinstance(value, dict):
        if "origin" in value and "confidence" in value:  # a provenance
            for key in _OPTIONAL_PROVENANCE:
                if value.get(key, 0) is None:
                    del value[key]
        if "ocr_reason" in value and value.get("unread", 0) is None:  # a page read whole
            del value["unread"]
        if "blocks" in value and value.get("unread", 0) == []:  # a document read whole
            del value["unread"]
        for item in value.values():
            _without_unset(item)
    elif isinstance(value, list):
        for item in value:
            _without_unset(item)
    return value
